#!/usr/bin/env python3
"""Opens executed notebooks in a real JupyterLab, untrusted, as a student's download is, and
checks what JupyterLab shows, not only what the HTML export shows.

  jupyterlab_check.py OUTDIR    every OUTDIR/NN_*.ipynb (written by run_notebooks.py)

For each notebook, in headless Chromium against a JupyterLab server started here (a fresh
Jupyter data directory, so no notebook is trusted): every plotly output draws (the plotly
renderer works without trust), and the severity colours of the diagnosis and log tables
survive JupyterLab's HTML sanitizer (it drops <style> blocks in untrusted output, so tunelab
carries colours as inline styles: the rendered page must hold as many coloured rows and
severity labels as the outputs do). Saves OUTDIR/NN_*.jupyterlab.png, a screenshot of the top
of the notebook as JupyterLab shows it. Exit 1 on a problem."""
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from run_notebooks import PLOTLY, chromium

# A table row of a given severity and its severity label, as tunelab writes them, and the same
# with the inline colour that must survive the sanitizer.
ROW = re.compile(r'<tr class="(high|medium|low)"')
LABEL = re.compile(r'<span class="sev-(high|medium|low)"')
ROW_STYLE = re.compile(r'<tr class="(high|medium|low)" style="background-color:#[0-9a-f]{6}"')
LABEL_STYLE = re.compile(r'<span class="sev-(high|medium|low)" style="color:#[0-9a-f]{6}')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected(nb):
    """Plotly outputs, severity rows and severity labels in the notebook's own outputs."""
    charts = rows = labels = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PLOTLY in data:  # JupyterLab shows the chart, not its HTML alternative
                charts += 1
                continue
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            rows += len(ROW.findall(html))
            labels += len(LABEL.findall(html))
    return charts, rows, labels


def main():
    out = pathlib.Path(sys.argv[1])
    notebooks = sorted(p for p in out.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"no executed notebooks in {out}", file=sys.stderr)
        return 1
    exe = chromium()
    if exe is None:
        print("chromium not found: install Debian's chromium package", file=sys.stderr)
        return 1
    venv_bin = pathlib.Path(sys.executable).parent
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        root = tmp / "notebooks"
        root.mkdir()
        for nb in notebooks:
            shutil.copy(nb, root / nb.name)
        # A fresh user config too, with JupyterLab's news pop-up off (it would cover the
        # screenshots); the virtualenv's own configuration still applies.
        labconfig = tmp / "config" / "labconfig"
        labconfig.mkdir(parents=True)
        (labconfig / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp / "data"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
                   JUPYTER_CONFIG_DIR=str(tmp / "config"))
        port, token = free_port(), "tunelab-check"
        args = [str(venv_bin / "jupyter"), "lab", "--no-browser", f"--port={port}",
                f"--ServerApp.token={token}", f"--notebook-dir={root}",
                "--ServerApp.ip=127.0.0.1"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        log = open(tmp / "lab.log", "w")
        server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                print((tmp / "lab.log").read_text()[-3000:], file=sys.stderr)
                print("JupyterLab did not start", file=sys.stderr)
                return 1
            for nb_path in notebooks:
                nb = json.loads(nb_path.read_text())
                charts, rows, labels = expected(nb)
                url = f"{base}/lab/tree/{nb_path.name}?token={token}&reset"
                with tempfile.TemporaryDirectory() as profile:
                    common = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              f"--user-data-dir={profile}", "--virtual-time-budget=40000",
                              "--window-size=1400,2000", "--hide-scrollbars"]
                    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True,
                                         text=True, timeout=300).stdout
                    png = out / f"{nb_path.stem}.jupyterlab.png"
                    subprocess.run(common + [f"--screenshot={png.resolve()}", url],
                                   capture_output=True, text=True, timeout=300)
                drawn = len(re.findall(r'class="[^"]*js-plotly-plot', dom))
                shown_rows = len(ROW_STYLE.findall(dom))
                shown_labels = len(LABEL_STYLE.findall(dom))
                name = nb_path.name
                if "jp-Notebook" not in dom:
                    problems.append(f"{name}: JupyterLab did not show the notebook")
                if drawn < charts:
                    problems.append(f"{name}: {drawn} of {charts} plotly charts drew in JupyterLab")
                if shown_rows < rows or shown_labels < labels:
                    problems.append(f"{name}: severity colours lost in JupyterLab: {shown_rows} of {rows} "
                                    f"coloured rows, {shown_labels} of {labels} coloured labels")
                if not png.exists():
                    problems.append(f"{name}: no JupyterLab screenshot")
                print(f"{name}: JupyterLab (untrusted): {drawn}/{charts} charts drew, "
                      f"{shown_rows}/{rows} coloured rows, {shown_labels}/{labels} severity labels kept")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
