#!/usr/bin/env python3
"""Runs the notebooks through the real evcxr kernel and checks what they show.

  run_notebooks.py OUTDIR [NN ...]  execute every notebooks/*.ipynb (or those whose names start
                                   with one of the NN given), check and export them
  run_notebooks.py --warm-up REPO  compile tunelab once in the kernel's build cache

Fails (exit 1) on: a cell error, a panic (evcxr reports those as success, so stderr is
searched for "panicked at"), a chart cell (tag "chart") without both the plotly figure and
HTML, an executed notebook over MAX_NOTEBOOK_BYTES (plotly.js must be sent once per kernel,
not per chart), notebook 08 not showing every backend the kernel was built with agreeing
with ndarray (the list scripts/jupyter.sh writes), or an exported page where fewer charts
drew than the notebook has chart cells (checked in headless Chromium with the network off)."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PLOTLY = "application/vnd.plotly.v1+json"
CELL_TIMEOUT = 1800
# A kernel whose start-up file adds the backends' dependency builds it while starting: the
# first start after a change of tunelab or of the backends compiles for minutes.
STARTUP_TIMEOUT = 1800
# plotly.js alone is 4.6 MB; a notebook that carries it once stays well under this.
MAX_NOTEBOOK_BYTES = 6_000_000
# The backends the kernel was built with (written by scripts/jupyter.sh), and the line
# notebook 08 prints when a backend's run agrees with ndarray's.
BACKENDS_FILE = pathlib.Path(os.environ.get("TUNELAB_CACHE", pathlib.Path.home() / ".cache/tunelab")) / "evcxr/backends"
AGREES = {"flex": "flex: agrees with ndarray", "tch": "torch-cpu: agrees with ndarray"}

# The notebooks' own `:dep` features: the library without the command line (clap, mimalloc).
LIBRARY_FEATURES = 'default-features = false, features = ["flex", "ndarray"]'


def backend_problems(name, nb):
    """Notebook 08 must run every backend the kernel has, and see it agree."""
    if "backends" not in name or not BACKENDS_FILE.exists():
        return []
    text = "".join(cell_text(c) for c in nb.cells if c.cell_type == "code")
    built = BACKENDS_FILE.read_text().split()
    return [f"{name}: the kernel has {b} but the notebook does not show {AGREES[b]!r}"
            for b in built if b in AGREES and AGREES[b] not in text]


def execute(nb, cwd):
    client = NotebookClient(nb, kernel_name="rust", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(cwd)}},
                            startup_timeout=STARTUP_TIMEOUT)
    client.execute()
    return nb


def cell_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


def check_outputs(name, nb):
    problems = []
    charts = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = cell_text(cell)
        if any(o.get("output_type") == "error" for o in cell.outputs):
            problems.append(f"{name} cell {i}: error output:\n{text[-2000:]}")
        if "panicked at" in text:
            problems.append(f"{name} cell {i}: panic:\n{text[-2000:]}")
        if "chart" in cell.metadata.get("tags", []):
            charts += 1
            datas = [o.get("data", {}) for o in cell.outputs
                     if o.get("output_type") in ("display_data", "execute_result")]
            if not any(PLOTLY in d and "text/html" in d and "text/plain" in d for d in datas):
                kinds = [sorted(d) for d in datas]
                problems.append(f"{name} cell {i}: chart cell without plotly+html+text outputs (got {kinds})")
    return charts, problems


def chromium():
    for exe in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(exe):
            return exe
    return None


def browser_check(html_path, png_path, charts):
    exe = chromium()
    if exe is None:
        return ["chromium not found: install Debian's chromium package"]
    with tempfile.TemporaryDirectory() as profile:
        common = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", f"--user-data-dir={profile}",
                  # The network is off: every request goes to a closed local port.
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                  "--virtual-time-budget=20000"]
        url = html_path.resolve().as_uri()
        dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=300).stdout
        subprocess.run(common + [f"--screenshot={png_path.resolve()}", "--window-size=1280,4000",
                                 "--hide-scrollbars", url],
                       capture_output=True, text=True, timeout=300)
    drawn = len(re.findall(r'class="[^"]*main-svg', dom)) // 2
    # Each plotly chart has two svg layers with class main-svg.
    problems = []
    if drawn < charts:
        problems.append(f"{html_path.name}: {drawn} charts drew in Chromium, expected {charts}")
    if not png_path.exists():
        problems.append(f"{png_path.name}: no screenshot")
    return problems, drawn


def export_html(nb, path):
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    path.write_text(body)


def warm_up(repo):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "rust", "display_name": "Rust", "language": "rust"}
    nb.cells = [nbformat.v4.new_code_cell(f':dep tunelab = {{ path = "{repo}", {LIBRARY_FEATURES} }}'),
                nbformat.v4.new_code_cell("use tunelab::*;\nlet s = data::iris()?.split(&SplitConfig::default())?;\n"
                                          "let r = train(&s, &TrainConfig::default().with_epochs(1))?;\nr.epochs.len()")]
    t0 = time.time()
    execute(nb, pathlib.Path(repo) / "notebooks")
    _, problems = check_outputs("warm-up", nb)
    print(f"warm-up: first cell and a training cell in {time.time() - t0:.0f} s")
    if problems:
        print("\n".join(problems))
        sys.exit(1)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--warm-up":
        warm_up(os.path.abspath(sys.argv[2]))
        return
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/notebooks")
    out.mkdir(parents=True, exist_ok=True)
    root = pathlib.Path(__file__).resolve().parent.parent
    books = sorted((root / "notebooks").glob("*.ipynb"))
    if len(sys.argv) > 2:
        books = [b for b in books if any(b.name.startswith(p) for p in sys.argv[2:])]
    if len(sys.argv) <= 2:
        # Outputs of notebooks that no longer exist (renamed or removed lessons) would be
        # checked again by the JupyterLab check: remove them.
        current = {b.stem for b in books}
        for stale in out.iterdir():
            if stale.suffix in (".ipynb", ".html", ".png") and stale.stem.split(".")[0] not in current:
                stale.unlink()
    failures, summary, failed = [], [], set()
    for path in books:
        name = path.stem
        nb = nbformat.read(path, as_version=4)
        t0 = time.time()
        try:
            execute(nb, path.parent)
        except CellExecutionError as e:
            failures.append(f"{name}: {str(e)[-3000:]}")
        seconds = time.time() - t0
        nbformat.write(nb, out / f"{name}.ipynb")
        size = (out / f"{name}.ipynb").stat().st_size
        charts, problems = check_outputs(name, nb)
        problems += backend_problems(name, nb)
        if size > MAX_NOTEBOOK_BYTES:
            problems.append(f"{name}: the executed notebook is {size / 1e6:.1f} MB, over {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB")
        failures += problems
        export_html(nb, out / f"{name}.html")
        bproblems, drawn = browser_check(out / f"{name}.html", out / f"{name}.png", charts)
        failures += bproblems
        ok = not problems and not bproblems and not any(f.startswith(f"{name}:") for f in failures)
        if not ok:
            failed.add(name)
        status = "ok" if ok else "FAILED"
        summary.append(f"{name}: {status}, {seconds:.0f} s, {drawn}/{charts} charts drawn, {size / 1e6:.1f} MB")
        print(summary[-1], flush=True)
    print("\n".join(failures) if failures else "all notebooks passed")
    print(f"notebooks: {len(books) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
