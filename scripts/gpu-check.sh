#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU: builds tunelab with `tch` against a
# CUDA libtorch, runs the digits baseline and the LR finder on CUDA, and prints throughput
# against libtorch CPU and ndarray.
#
# libtorch comes from, in order: $LIBTORCH if set; a Python on the machine whose torch is
# 2.9.x (tch 0.22 needs exactly 2.9: LIBTORCH_USE_PYTORCH=1 builds against it); otherwise
# `scripts/setup-libtorch.sh --cuda` (PyPI's torch 2.9.0 with its CUDA wheels, ~4 GB). A
# preinstalled torch of another version is not used: tch would refuse it at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
t0=$(date +%s)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not available"
if [ -z "${LIBTORCH:-}" ]; then
  v=$(python3 -c "import torch; print(torch.__version__)" 2>/dev/null || true)
  if [[ "$v" == 2.9.* ]]; then
    echo "using the machine's torch $v"
    export LIBTORCH_USE_PYTORCH=1
    TL=$(python3 -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
    export LD_LIBRARY_PATH="$TL:${LD_LIBRARY_PATH:-}"
  else
    echo "machine torch: ${v:-none}; tch 0.22 needs 2.9.x: installing torch 2.9.0 (CUDA) from PyPI"
    eval "$(bash scripts/setup-libtorch.sh --cuda)"
  fi
fi
echo "== build with --features tch ($(( $(date +%s) - t0 )) s so far)"
cargo build --release --features tch --bin tunelab
BENCH=$(cargo build --release --quiet --features tch --bench throughput --message-format=json |
  python3 -c "import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get('reason') == 'compiler-artifact' and m['target']['name'] == 'throughput' and m.get('executable'):
        print(m['executable'])" | tail -n 1)
TUNELAB="$CARGO_TARGET_DIR/release/tunelab"
echo "== digits baseline on CUDA"
"$TUNELAB" train --data digits --device cuda:0 --epochs 10
echo "== LR finder on CUDA"
"$TUNELAB" lr-find --data digits --device cuda:0
echo "== throughput (steps/s, 3 rounds each, interleaved)"
for r in 1 2 3; do
  for d in cuda:0 torch-cpu cpu; do
    echo "$d $("$BENCH" train --device "$d" --steps 1000)"
  done
done
for d in cuda:0 torch-cpu cpu; do echo "lrfind $d $("$BENCH" lrfind --device "$d")"; done
echo "== gpu-check done in $(( $(date +%s) - t0 )) s"
