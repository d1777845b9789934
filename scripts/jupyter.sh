#!/usr/bin/env bash
# Sets up the notebook environment, idempotently, and starts JupyterLab on notebooks/:
#  - a Python virtualenv under $HOME/.cache/tunelab with JupyterLab, the plotly renderer,
#    nbclient and nbconvert (pinned);
#  - evcxr_jupyter (the Rust kernel, pinned), built by scripts/build-evcxr.sh with a small
#    patch for a fast start (stock evcxr if the patch fails);
#  - the kernel registered in that virtualenv, with a fixed build directory so that compiled
#    dependencies are reused between kernel starts, and dependencies optimised while the
#    notebook cells themselves compile quickly;
#  - Debian's mold linker when possible (cells link against burn and polars much faster);
#  - the kernel builds tunelab with its default CPU backends (flex and ndarray) and, once
#    scripts/setup-libtorch.sh has installed libtorch, with the tch backend too
#    (scripts/kernel-backends), libtorch found through the kernel's environment, so notebook 08
#    runs ndarray, flex, libtorch CPU and CUDA (TUNELAB_NOTEBOOK_BACKENDS=0: without libtorch);
#  - a warm-up that compiles tunelab and its dependencies into that cache, so a student's
#    first notebook cell does not.
# Usage: scripts/jupyter.sh            set up, then start JupyterLab
#        scripts/jupyter.sh --setup    set up only (used by scripts/test-notebooks.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
REPO=$(pwd)
VENV="$TUNELAB_CACHE/venv"
BIN="$TUNELAB_CACHE/bin"
EVCXR_HOME="$TUNELAB_CACHE/evcxr"          # parent of the build dir: its .cargo/config.toml applies
EVCXR_BUILD="$EVCXR_HOME/build"
EVCXR_CONFIG="$EVCXR_HOME/config"
PY_PACKAGES="jupyterlab==4.6.6 plotly==7.1.0 nbclient==0.11.0 nbconvert==7.17.2 nbformat==5.11.1"
t0=$(date +%s)

# 1. Python side.
if [ ! -f "$VENV/.tunelab-packages" ] || [ "$(cat "$VENV/.tunelab-packages")" != "$PY_PACKAGES" ]; then
  echo "== creating $VENV with: $PY_PACKAGES"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet $PY_PACKAGES
  echo "$PY_PACKAGES" > "$VENV/.tunelab-packages"
fi

# 2. The Rust kernel: evcxr_jupyter built with scripts/evcxr/evcxr-0.22.0.patch (a fresh
#    kernel answers its first cell in seconds, not a minute); the stock kernel if the patch
#    does not apply or build (scripts/build-evcxr.sh says so). TUNELAB_STOCK_EVCXR=1 forces it.
if [ -n "${TUNELAB_STOCK_EVCXR:-}" ]; then
  bash scripts/build-evcxr.sh --stock
else
  bash scripts/build-evcxr.sh
fi

# The mold linker (Debian's package) links each notebook cell against burn and polars much
# faster than the system linker; evcxr uses it when it is on the PATH.
if ! command -v mold >/dev/null && command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  echo "== installing Debian's mold linker (fast linking of notebook cells)"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mold >/dev/null; } \
    || echo "   (could not install mold: notebook cells will link with the system linker, more slowly)"
fi

# 3. evcxr settings: a fixed build directory (reused between kernel starts), optimised
#    dependencies with a quickly compiled cell crate, and variables kept after a panic.
mkdir -p "$EVCXR_BUILD" "$EVCXR_CONFIG" "$EVCXR_HOME/.cargo"
cat > "$EVCXR_HOME/.cargo/config.toml" <<'TOML'
# Read by cargo when evcxr builds notebook cells in ./build: dependencies (burn, polars,
# tunelab) are optimised once; the per-cell crate stays at evcxr's `:opt 0` for quick cells.
[profile.dev]
debug = false
[profile.dev.package."*"]
opt-level = 3
debug = false
debug-assertions = false
overflow-checks = false
TOML
cat > "$EVCXR_CONFIG/init.evcxr" <<'EVCXR'
:opt 0
:preserve_vars_on_panic 1
EVCXR

# The backends: flex and ndarray always (tunelab's default features); libtorch too when
# scripts/setup-libtorch.sh has installed it (the CUDA layout when it was run with --cuda and an
# NVIDIA GPU is visible, else the CPU layout), unless TUNELAB_NOTEBOOK_BACKENDS=0. The list is
# written where the notebook test reads which backends notebook 08 must show running. The first
# kernel start with libtorch compiles its wrapper into the kernel's build directory (minutes).
TORCH_ENV=""
BACKENDS="ndarray flex"
if [ "${TUNELAB_NOTEBOOK_BACKENDS:-1}" = 0 ]; then
  :
elif [ -d "$TUNELAB_CACHE/torch-cuda" ] && nvidia-smi -L >/dev/null 2>&1; then
  TORCH_ENV=$(bash scripts/setup-libtorch.sh --cuda)
elif [ -d "$TUNELAB_CACHE/torch-cpu" ]; then
  TORCH_ENV=$(bash scripts/setup-libtorch.sh)
fi
if [ -n "$TORCH_ENV" ]; then
  eval "$TORCH_ENV"
  BACKENDS="ndarray flex tch"
  echo ":dep tunelab_kernel_backends = { path = \"$REPO/scripts/kernel-backends\" }" >> "$EVCXR_CONFIG/init.evcxr"
  echo "== the kernel builds tunelab with flex, ndarray and libtorch ($LIBTORCH)"
else
  echo "== the kernel builds tunelab with flex and ndarray (for libtorch too: scripts/setup-libtorch.sh, then scripts/jupyter.sh again)"
fi
echo "$BACKENDS" > "$EVCXR_HOME/backends"
cat > "$EVCXR_CONFIG/evcxr.toml" <<TOML
[evcxr]
tmpdir = "$EVCXR_BUILD"
opt_level = "0"
preserve_vars_on_panic = true
TOML

# 4. Register the kernel inside the virtualenv (name "rust", as the notebooks say).
KDIR="$VENV/share/jupyter/kernels/rust"
mkdir -p "$KDIR"
# The compiled cells link the Rust standard library dynamically; evcxr's relative rpath to it
# breaks when the build directory sits under $HOME beside ~/.rustup, so name it explicitly.
RUST_LIBS="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/lib"
"$VENV/bin/python" - "$KDIR/kernel.json" "$BIN/evcxr_jupyter" "$EVCXR_BUILD" "$EVCXR_CONFIG" "$RUST_LIBS" "${LIBTORCH:-}" <<'PY'
import json, os, sys
path, exe, build, config, rust_libs, libtorch = sys.argv[1:]
# With libtorch, the kernel's cargo builds tch against it and the cells load its libraries.
libs = [rust_libs] + [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
spec = {
    "argv": [exe, "--control_file", "{connection_file}"],
    "display_name": "Rust (tunelab)",
    "language": "rust",
    "interrupt_mode": "message",
    "env": {
        "EVCXR_TMPDIR": build,
        "EVCXR_CONFIG_DIR": config,
        "PATH": os.path.dirname(exe) + ":" + os.path.expanduser("~/.cargo/bin") + ":" + os.environ.get("PATH", ""),
        "LD_LIBRARY_PATH": ":".join(libs),
    },
}
if libtorch:
    spec["env"]["LIBTORCH"] = libtorch
    spec["env"]["LIBTORCH_CXX11_ABI"] = "1"
json.dump(spec, open(path, "w"), indent=1)
PY

# 5. Warm the cache: compile tunelab and its dependencies once, through the real kernel. The
#    patched kernel keeps the last dependency lock (evcxr-deps.lock) to reuse it at the next
#    start; one from another checkout or another set of dependencies makes `:dep` fail, so
#    the warm-up starts without it and saves the lock of this checkout.
rm -f "$EVCXR_BUILD/evcxr-deps.lock"
echo "== warming the notebook build cache (first time: several minutes)"
w0=$(date +%s)
"$VENV/bin/python" scripts/run_notebooks.py --warm-up "$REPO"
echo "== notebook set-up done: warm-up $(( $(date +%s) - w0 )) s, total $(( $(date +%s) - t0 )) s"

if [ "${1:-}" != "--setup" ]; then
  exec "$VENV/bin/jupyter" lab --notebook-dir="$REPO/notebooks"
fi
