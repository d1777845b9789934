#!/usr/bin/env python3
"""Checks that the committed notebooks are clean sources, in the form JupyterLab saves.

  check_notebooks.py [--fix] [NOTEBOOK ...]     (default: every notebooks/*.ipynb)

A notebook passes when it is valid JSON in nbformat 4.5 or later; every cell has a unique id
and a known type; no code cell has outputs or an execution count, and no cell carries
execution timing in its metadata; the kernelspec is the evcxr Rust kernel ("rust"); the first
code cell is the `:dep tunelab = { path = ".." ... }` line; the file is named NN_topic.ipynb;
and the text is exactly what JupyterLab writes (indent 1, sorted keys, non-ASCII kept, each
source a list of lines, a trailing newline), so that a teacher's save gives a minimal diff.
When the nbformat package is importable its schema validation runs too.

--fix strips outputs, execution counts and execution timing, gives missing or repeated ids
new ones, raises nbformat_minor to 5, rewrites each notebook in that form (temporary file,
then rename) and checks again. Prints one line per remaining problem and exits 1, or prints
"N notebooks ok" and exits 0. Standard library only: it runs before any virtualenv exists."""
import argparse
import copy
import json
import os
import pathlib
import re
import stat
import sys
import tempfile
import warnings

try:
    import nbformat
except ImportError:
    nbformat = None

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = "fix: python3 scripts/check_notebooks.py --fix"
KERNEL = "rust"
TOP_KEYS = ("cells", "metadata", "nbformat", "nbformat_minor")
CELL_TYPES = ("code", "markdown", "raw")
EXECUTION_METADATA = ("execution", "ExecuteTime")
FILE_NAME = re.compile(r"\d{2}_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb")
CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEP_LINE = re.compile(r':dep tunelab = \{ path = "\.\."(?:, [^{}]*)? \}')
DEP_EXAMPLE = ':dep tunelab = { path = "..", default-features = false, features = ["flex", "ndarray"] }'


class Problem:
    """One thing wrong with one notebook: where (a cell, or "" for the file), what, and how
    to fix it."""

    def __init__(self, where, what, how):
        self.where, self.what, self.how = where, what, how

    def line(self, shown):
        where = f" {self.where}:" if self.where else ""
        return f"{shown}:{where} {self.what}; {self.how}"


def cell_label(index, cell):
    cid = cell.get("id") if isinstance(cell, dict) else None
    return f"cell {index} (id {cid})" if isinstance(cid, str) and cid else f"cell {index}"


def source_text(cell):
    source = cell.get("source")
    return "".join(source) if isinstance(source, list) else source


def canonical(nb):
    """The text nbformat.write (and so JupyterLab) produces for `nb`."""
    nb = copy.deepcopy(nb)
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        for key in ("orig_nbformat", "orig_nbformat_minor", "signature"):
            metadata.pop(key, None)
    for cell in nb.get("cells") if isinstance(nb.get("cells"), list) else []:
        if not isinstance(cell, dict):
            continue
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(True)
        if isinstance(cell.get("metadata"), dict):
            cell["metadata"].pop("trusted", None)
        for out in cell.get("outputs") if isinstance(cell.get("outputs"), list) else []:
            if not isinstance(out, dict):
                continue
            if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
                out["text"] = out["text"].splitlines(True)
            data = out.get("data")
            if isinstance(data, dict):
                for mime, value in data.items():
                    if isinstance(value, str) and (mime.startswith("text/") or mime in (
                            "application/javascript", "image/svg+xml")):
                        data[mime] = value.splitlines(True)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False,
                      separators=(",", ": ")) + "\n"


def form_difference(text, nb, expected):
    """Says briefly how `text` differs from the canonical `expected`."""
    cells = nb.get("cells") if isinstance(nb.get("cells"), list) else []
    strings = sum(1 for c in cells if isinstance(c, dict) and isinstance(c.get("source"), str))
    if strings:
        return f"{strings} cell sources stored as one string, not a list of lines"
    if text.rstrip("\n") == expected.rstrip("\n"):
        return "the file must end with exactly one newline"
    got, want = text.splitlines(), expected.splitlines()
    for n, (a, b) in enumerate(zip(got, want), start=1):
        if a != b:
            col = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            start = max(0, col - 20)
            return (f"line {n} column {col + 1} reads {a[start:col + 20]!r}, "
                    f"expected {b[start:col + 20]!r}")
    return f"{len(got)} lines, expected {len(want)}"


def parse(text, problems):
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        problems.append(Problem("", f"not valid JSON ({e})",
                                "repair it by hand or restore it with git checkout"))
        return None
    if not isinstance(nb, dict):
        problems.append(Problem("", f"top level is a JSON {type(nb).__name__}, not a notebook",
                                "restore it with git checkout"))
        return None
    return nb


def check_top(nb, problems):
    """Top-level keys and version; False when the cells cannot be checked."""
    if "nbformat" in nb and nb["nbformat"] != 4:
        problems.append(Problem("", f"nbformat is {nb['nbformat']!r}, not 4",
                                "open it in JupyterLab and save it, which writes nbformat 4"))
        return False
    for key in TOP_KEYS:
        if key not in nb:
            problems.append(Problem("", f"missing top-level key {key!r} (a notebook has "
                                    + ", ".join(TOP_KEYS) + ")", "re-save it from JupyterLab"))
    if not isinstance(nb.get("cells"), list) or "nbformat" not in nb:
        return False
    minor = nb.get("nbformat_minor", 5)
    if not isinstance(minor, int) or minor < 5:
        problems.append(Problem("", f"nbformat_minor is {minor!r}, not 5 or more (cell ids "
                                "need nbformat 4.5)", FIX))
    return True


def check_kernel(nb, problems):
    metadata = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    spec = metadata.get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    if name != KERNEL:
        what = (f"kernelspec name is {name!r}, not" if name is not None
                else "no kernelspec name; it must be") + f" the evcxr Rust kernel {KERNEL!r}"
        problems.append(Problem("", what, "choose Kernel > Change Kernel > Rust in JupyterLab "
                                f"and save, or set metadata.kernelspec.name to {KERNEL!r}"))


def check_cells(nb, problems):
    seen = {}
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            problems.append(Problem(f"cell {i}", "not a JSON object",
                                    "restore it with git checkout"))
            continue
        where, kind, cid = cell_label(i, cell), cell.get("cell_type"), cell.get("id")
        if cid is None:
            problems.append(Problem(where, "no id", FIX + " (it assigns one)"))
        elif not isinstance(cid, str) or not CELL_ID.fullmatch(cid):
            problems.append(Problem(where, f"id {cid!r} is not 1-64 letters, digits, - or _",
                                    FIX + " (it assigns a new one)"))
        elif cid in seen:
            problems.append(Problem(where, f"id repeats cell {seen[cid]}'s",
                                    FIX + " (it gives this cell a new one)"))
        else:
            seen[cid] = i
        if kind not in CELL_TYPES:
            problems.append(Problem(where, f"unknown cell type {kind!r} (expected code, markdown "
                                    "or raw)", "set the cell type in JupyterLab"))
        if not isinstance(source_text(cell), str):
            problems.append(Problem(where, "source missing or not text",
                                    "restore it with git checkout"))
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict):
            problems.append(Problem(where, "metadata is not an object", "set it to {} by hand"))
            metadata = {}
        elif "metadata" not in cell:
            problems.append(Problem(where, "no metadata", FIX))
        for key in EXECUTION_METADATA:
            if key in metadata:
                problems.append(Problem(where, f"metadata.{key} holds execution timing", FIX))
        if kind == "code":
            outputs = cell.get("outputs")
            if outputs != []:
                what = (f"has {len(outputs)} output{'s' if len(outputs) != 1 else ''}"
                        if isinstance(outputs, list) else "has no outputs list")
                problems.append(Problem(where, f"code cell {what} (notebooks are committed "
                                        "without outputs)", FIX))
            if "execution_count" not in cell or cell["execution_count"] is not None:
                count = cell.get("execution_count", "missing")
                problems.append(Problem(where, f"execution_count is {count}, not null", FIX))
        elif kind in CELL_TYPES:
            for key in ("outputs", "execution_count"):
                if key in cell:
                    problems.append(Problem(where, f"{kind} cell has {key!r}, which only code "
                                            "cells have", FIX))


def check_dep_cell(nb, problems):
    cells = [(i, c) for i, c in enumerate(nb["cells"])
             if isinstance(c, dict) and c.get("cell_type") == "code"]
    if not cells:
        problems.append(Problem("", "no code cell", f"add a first code cell {DEP_EXAMPLE}"))
        return
    i, cell = cells[0]
    text = source_text(cell) if isinstance(source_text(cell), str) else ""
    first = text.strip().split("\n")[0].strip()
    if not DEP_LINE.fullmatch(first):
        problems.append(Problem(cell_label(i, cell), f"first code cell starts {first[:50]!r}, not "
                                "the tunelab :dep line", f"make its first line {DEP_EXAMPLE} "
                                '(the library without the command line; other features may be listed)'))


def check_schema(nb, problems):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(copy.deepcopy(nb))
        except nbformat.ValidationError as e:
            message = str(getattr(e, "message", e)).splitlines()[0]
            at = ".".join(str(k) for k in getattr(e, "absolute_path", []))
            problems.append(Problem("", f"nbformat schema{' at ' + at if at else ''}: {message}",
                                    "correct it by hand"))


def check(path):
    """Every problem of the notebook at `path`."""
    problems = []
    if not FILE_NAME.fullmatch(path.name):
        problems.append(Problem("", "file name is not NN_topic.ipynb (two digits, _, lower-case "
                                "words joined by _)", "rename it with git mv"))
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return problems + [Problem("", f"cannot be read as UTF-8 ({e})",
                                   "restore it with git checkout")]
    nb = parse(text, problems)
    if nb is None:
        return problems
    if not check_top(nb, problems):
        return problems
    check_kernel(nb, problems)
    check_cells(nb, problems)
    check_dep_cell(nb, problems)
    expected = canonical(nb)
    if text != expected:
        problems.append(Problem("", "not in the form JupyterLab saves (indent 1, sorted keys, "
                                "source as a list of lines, trailing newline): "
                                + form_difference(text, nb, expected), FIX))
    if nbformat is not None and not problems:
        check_schema(nb, problems)
    return problems


def repair(nb, stem):
    """Strips outputs and execution data and assigns missing or repeated ids, in place."""
    if isinstance(nb.get("nbformat_minor"), int) and nb["nbformat_minor"] < 5:
        nb["nbformat_minor"] = 5
    cells = [c for c in nb["cells"] if isinstance(c, dict)]
    used, keep = set(), set()
    for cell in cells:
        cid = cell.get("id")
        if isinstance(cid, str) and CELL_ID.fullmatch(cid) and cid not in used:
            used.add(cid)
            keep.add(id(cell))
    prefix = stem[:2] if stem[:2].isdigit() else "cell"
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            continue
        if id(cell) not in keep:
            new, n = f"{prefix}-{i:02d}", 1
            while new in used:
                n += 1
                new = f"{prefix}-{i:02d}-{n}"
            cell["id"] = new
            used.add(new)
        metadata = cell.setdefault("metadata", {})
        if isinstance(metadata, dict):
            for key in EXECUTION_METADATA:
                metadata.pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        elif cell.get("cell_type") in CELL_TYPES:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fix(path):
    """Rewrites `path` with its fixable problems repaired; True when the file changed."""
    try:
        text = path.read_bytes().decode("utf-8")
        nb = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    if not (isinstance(nb, dict) and isinstance(nb.get("cells"), list)
            and nb.get("nbformat") == 4):
        return False
    repair(nb, path.stem)
    fixed = canonical(nb)
    if fixed == text:
        return False
    write_atomically(path, fixed)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fix", action="store_true",
                        help="strip outputs and rewrite in canonical form, then check")
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to check (default: notebooks/*.ipynb)")
    args = parser.parse_args()
    if args.notebooks:
        books = [(p, str(p)) for p in args.notebooks]
    else:
        found = sorted((ROOT / "notebooks").glob("*.ipynb"))
        books = [(p, str(p.relative_to(ROOT))) for p in found]
        if not books:
            print(f"no notebooks in {ROOT / 'notebooks'}", file=sys.stderr)
            return 1
    lines, failed = [], 0
    for path, shown in books:
        if not path.is_file():
            lines.append(f"{shown}: no such file")
            failed += 1
            continue
        if args.fix and fix(path):
            print(f"rewrote {shown}")
        problems = check(path)
        failed += bool(problems)
        lines += [p.line(shown) for p in problems]
    plural = "s" if len(books) != 1 else ""
    if lines:
        print("\n".join(lines), file=sys.stderr)
        many = "s" if len(lines) != 1 else ""
        print(f"{len(lines)} problem{many} in {failed} of {len(books)} notebook{plural}",
              file=sys.stderr)
        return 1
    print(f"{len(books)} notebook{plural} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
