#!/usr/bin/env bash
# Idempotently installs the libtorch that ships inside PyTorch's wheel on PyPI (torch 2.9.0,
# the version tch 0.22 needs) into a virtualenv under $HOME/.cache/tunelab, and prints the
# environment the `tch` build and its runs need, as `export NAME=value` lines:
#
#   eval "$(scripts/setup-libtorch.sh)"          # CPU-only layout (~0.9 GB): enough for CI
#   eval "$(scripts/setup-libtorch.sh --cuda)"   # full wheel set (~4 GB) for NVIDIA GPUs
#
# Nothing is downloaded from anywhere but PyPI. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
TORCH_VERSION=2.9.0
MODE=cpu
[ "${1:-}" = "--cuda" ] && MODE=cuda
VENV="$TUNELAB_CACHE/torch-$MODE"
log() { echo "setup-libtorch: $*" >&2; }

if [ ! -f "$VENV/.tunelab-torch-$TORCH_VERSION" ]; then
  t0=$(date +%s)
  log "creating $VENV ($MODE)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip >&2
  if [ "$MODE" = cuda ]; then
    "$VENV/bin/pip" install --quiet "torch==$TORCH_VERSION" >&2
  else
    # The libraries only: torch without its Python dependencies and without the large CUDA
    # math libraries, plus the CUDA runtime and CUPTI that libtorch_cpu links against.
    "$VENV/bin/pip" install --quiet --no-deps "torch==$TORCH_VERSION" \
      nvidia-cuda-runtime-cu12==12.8.90 nvidia-cuda-cupti-cu12==12.8.90 >&2
  fi
  touch "$VENV/.tunelab-torch-$TORCH_VERSION"
  log "installed in $(( $(date +%s) - t0 )) s"
fi

SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
TORCH="$SITE/torch"
[ -f "$TORCH/lib/libtorch_cpu.so" ] || { log "no libtorch in $TORCH: remove $VENV and rerun"; exit 1; }
NVIDIA_LIBS=$(find "$SITE/nvidia" -maxdepth 2 -type d -name lib 2>/dev/null | sort | tr '\n' ':')

if [ "$MODE" = cuda ]; then
  LIBTORCH="$TORCH"
else
  # A libtorch folder without the CUDA libraries, so the build links the CPU parts only.
  LIBTORCH="$TUNELAB_CACHE/libtorch-cpu"
  if [ ! -d "$LIBTORCH/lib" ] || [ "$(readlink "$LIBTORCH/include")" != "$TORCH/include" ]; then
    rm -rf "$LIBTORCH"
    mkdir -p "$LIBTORCH/lib"
    ln -s "$TORCH/include" "$LIBTORCH/include"
    for f in "$TORCH"/lib/*; do
      case "$(basename "$f")" in
        libtorch_cuda*|libc10_cuda*|libcaffe2_nvrtc*) ;;
        *) ln -s "$f" "$LIBTORCH/lib/" ;;
      esac
    done
  fi
fi

echo "export LIBTORCH=$LIBTORCH"
echo "export LIBTORCH_CXX11_ABI=1"
echo "export LD_LIBRARY_PATH=$LIBTORCH/lib:${NVIDIA_LIBS}\${LD_LIBRARY_PATH:-}"
echo "export TUNELAB_TORCH_VENV=$VENV"
