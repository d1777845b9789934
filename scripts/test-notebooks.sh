#!/usr/bin/env bash
# Executes every notebook headlessly through the real evcxr kernel, fails on any error,
# panic or failed assertion, checks that every chart cell produced the plotly and HTML
# outputs, exports the executed notebooks to HTML and opens them in headless Chromium with
# the network off, checking that every chart drew, and saves screenshots; then opens every
# executed notebook in a real JupyterLab, untrusted, and checks that its charts draw and its
# severity colours survive the sanitizer there too (scripts/jupyterlab_check.py).
# Usage: scripts/test-notebooks.sh [OUTDIR]   (default: out/notebooks)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
OUT="${1:-out/notebooks}"
mkdir -p "$OUT"
if ! command -v chromium >/dev/null; then
  echo "== installing Debian's chromium (headless browser for the chart checks)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
bash scripts/jupyter.sh --setup
"$TUNELAB_CACHE/venv/bin/python" scripts/run_notebooks.py "$OUT"
"$TUNELAB_CACHE/venv/bin/python" scripts/jupyterlab_check.py "$OUT"
