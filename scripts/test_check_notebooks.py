#!/usr/bin/env python3
"""Self-test of scripts/check_notebooks.py: bad notebooks written to a temporary folder must be
refused with the right message, and --fix must repair the fixable ones and leave the others.
Standard library only. Prints one line on success, the unittest report on failure."""
import io
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

CHECKER = pathlib.Path(__file__).resolve().parent / "check_notebooks.py"


def cell(kind, source, cid, **extra):
    c = {"cell_type": kind, "id": cid, "metadata": {}, "source": source.splitlines(True)}
    if kind == "code":
        c.update(execution_count=None, outputs=[])
    c.update(extra)
    return c


def good():
    """A small clean notebook, with non-ASCII text, a tagged cell and UI noise in metadata."""
    return {
        "cells": [
            cell("markdown", "# 01 · Lesson\n\nProse.", "01-00"),
            cell("code", ':dep tunelab = { path = ".." }', "01-01"),
            cell("code", "use tunelab::*;\nlet x = 1;\nx", "01-02",
                 metadata={"tags": ["chart"], "collapsed": False, "scrolled": True}),
        ],
        "metadata": {"kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
                     "language_info": {"name": "rust"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def canonical(nb):
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def sources(nb):
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


class CheckNotebooks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, content, name="01_lesson.ipynb"):
        path = self.dir / name
        text = content if isinstance(content, str) else canonical(content)
        path.write_text(text, encoding="utf-8")
        return path

    def run_checker(self, path, fix=False):
        args = [sys.executable, str(CHECKER)] + (["--fix"] if fix else []) + [str(path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout + done.stderr

    def assert_refused(self, path, *messages):
        rc, out = self.run_checker(path)
        self.assertEqual(rc, 1, out)
        for message in messages:
            self.assertIn(message, out)
        return out

    def assert_fixed(self, path):
        rc, out = self.run_checker(path, fix=True)
        self.assertEqual(rc, 0, out)
        self.assertIn(f"rewrote {path}", out)
        self.assertIn("1 notebook ok", out)
        self.assertEqual([p.name for p in self.dir.iterdir()], [path.name], "temporary file left")
        again, out = self.run_checker(path, fix=True)
        self.assertEqual((again, out.strip()), (0, "1 notebook ok"), "a second --fix rewrote")
        return json.loads(path.read_text(encoding="utf-8"))

    def test_a_clean_notebook_passes_quietly(self):
        self.assertEqual(self.run_checker(self.write(good())), (0, "1 notebook ok\n"))

    def test_outputs_and_execution_counts_are_refused_and_stripped(self):
        nb = good()
        nb["cells"][2].update(execution_count=3, outputs=[
            {"name": "stdout", "output_type": "stream", "text": ["1\n"]}])
        path = self.write(nb)
        self.assert_refused(path, "cell 2 (id 01-02): code cell has 1 output (notebooks are",
                            "cell 2 (id 01-02): execution_count is 3, not null",
                            "fix: python3 scripts/check_notebooks.py --fix")
        fixed = self.assert_fixed(path)
        self.assertEqual(fixed["cells"][2]["outputs"], [])
        self.assertIsNone(fixed["cells"][2]["execution_count"])
        self.assertEqual(fixed["cells"][2]["metadata"]["tags"], ["chart"])

    def test_execution_timing_metadata_is_refused_and_stripped(self):
        nb = good()
        nb["cells"][1]["metadata"]["execution"] = {"iopub.status.busy": "2025-01-01T00:00:00Z"}
        path = self.write(nb)
        self.assert_refused(path, "cell 1 (id 01-01): metadata.execution holds execution timing")
        self.assertNotIn("execution", self.assert_fixed(path)["cells"][1]["metadata"])

    def test_missing_and_repeated_ids_are_refused_and_assigned(self):
        nb = good()
        del nb["cells"][0]["id"]
        nb["cells"][2]["id"] = "01-01"
        path = self.write(nb)
        self.assert_refused(path, "cell 0: no id", "cell 2 (id 01-01): id repeats cell 1's")
        ids = [c["id"] for c in self.assert_fixed(path)["cells"]]
        self.assertEqual(ids, ["01-00", "01-01", "01-02"])

    def test_an_old_nbformat_minor_is_raised_by_fix(self):
        nb = good()
        nb["nbformat_minor"] = 4
        path = self.write(nb)
        self.assert_refused(path, "nbformat_minor is 4, not 5 or more")
        self.assertEqual(self.assert_fixed(path)["nbformat_minor"], 5)

    def test_a_non_canonical_form_is_refused_and_rewritten(self):
        nb = good()
        for c in nb["cells"]:
            c["source"] = "".join(c["source"])
        text = json.dumps(nb, indent=2)
        path = self.write(text)
        self.assert_refused(path, "01_lesson.ipynb: not in the form JupyterLab saves",
                            "3 cell sources stored as one string")
        self.assertEqual(sources(self.assert_fixed(path)), sources(good()))
        self.assertEqual(path.read_text(encoding="utf-8"), canonical(good()))

    def test_a_missing_trailing_newline_is_refused(self):
        path = self.write(canonical(good()).rstrip("\n"))
        self.assert_refused(path, "the file must end with exactly one newline")
        self.assert_fixed(path)

    def test_ascii_escapes_unsorted_keys_and_other_indents_are_refused(self):
        cases = [
            (dict(indent=1, sort_keys=True), "\\\\u00b7"),
            (dict(indent=1, ensure_ascii=False),
             "reads '   \"id\": \"01-01\",', expected '   \"execution_count"),
            (dict(indent=2, sort_keys=True, ensure_ascii=False),
             "line 2 column 2 reads '  \"cells\": [', expected ' \"cells\": ['"),
        ]
        for form, message in cases:
            with self.subTest(form=form):
                path = self.write(json.dumps(good(), **form) + "\n")
                self.assert_refused(path, "01_lesson.ipynb: not in the form JupyterLab saves",
                                    message)
                self.assert_fixed(path)
                self.assertEqual(path.read_text(encoding="utf-8"), canonical(good()))

    def test_invalid_json_is_refused_and_left_alone(self):
        text = canonical(good())[:-3]
        path = self.write(text)
        self.assert_refused(path, "01_lesson.ipynb: not valid JSON (", "git checkout")
        rc, out = self.run_checker(path, fix=True)
        self.assertEqual(rc, 1, out)
        self.assertEqual(path.read_text(encoding="utf-8"), text)

    def test_a_wrong_kernelspec_is_refused_and_not_fixed(self):
        nb = good()
        nb["metadata"]["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}
        path = self.write(nb)
        self.assert_refused(path, "kernelspec name is 'python3', not the evcxr Rust kernel 'rust'",
                            "Change Kernel")
        rc, out = self.run_checker(path, fix=True)
        self.assertEqual(rc, 1, out)
        self.assertIn("kernelspec name is 'python3'", out)

    def test_an_unknown_cell_type_is_refused(self):
        nb = good()
        nb["cells"][0]["cell_type"] = "heading"
        self.assert_refused(self.write(nb), "cell 0 (id 01-00): unknown cell type 'heading'")

    def test_the_first_code_cell_must_be_the_dep_line(self):
        nb = good()
        nb["cells"][1]["source"] = [":dep tunelab = { path = \"../..\" }"]
        self.assert_refused(self.write(nb), "cell 1 (id 01-01): first code cell starts",
                            "not the tunelab :dep line")
        nb["cells"][1]["source"] = [':dep tunelab = { path = "..", features = ["flex"] }']
        self.assertEqual(self.run_checker(self.write(nb))[0], 0)

    def test_the_file_name_must_be_numbered(self):
        self.assert_refused(self.write(good(), name="lesson.ipynb"),
                            "lesson.ipynb: file name is not NN_topic.ipynb")

    def test_a_notebook_from_nbformat_3_is_refused(self):
        path = self.write({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []})
        self.assert_refused(path, "01_lesson.ipynb: nbformat is 3, not 4")

    def test_a_missing_top_level_key_is_refused(self):
        nb = good()
        del nb["metadata"]
        self.assert_refused(self.write(nb), "01_lesson.ipynb: missing top-level key 'metadata'")

    def test_fix_keeps_every_cell_source(self):
        nb = good()
        nb["cells"][2].update(execution_count=1, outputs=[{"output_type": "execute_result",
                              "data": {"text/plain": "1"}, "metadata": {}, "execution_count": 1}])
        for c in nb["cells"]:
            c["source"] = "".join(c["source"])
        path = self.write(json.dumps(nb))
        self.assertEqual(sources(self.assert_fixed(path)), sources(good()))


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(CheckNotebooks)
    report = io.StringIO()
    result = unittest.TextTestRunner(stream=report, verbosity=2).run(suite)
    if not result.wasSuccessful():
        print(report.getvalue(), file=sys.stderr)
        return 1
    print(f"check_notebooks self-test: {result.testsRun} tests ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
