#!/usr/bin/env bash
# Ground truth for the diagnosis, by intervention (a benchmark, not part of the test suite):
# random real runs over a wide space (12 datasets, the five optimizers, LR 1e-5..10, batch
# 2..256, depth 0-3, width 4-128, dropout and weight decay from none to far too much, 3-40
# epochs, schedules, class-sorted unshuffled rows, scrambled labels, unscaled features), each
# retrained with every single change of a fixed menu over 3 seeds; the changes that beat the
# run beyond seed noise are its helpful set (a broken data set's menu also holds its repair,
# what a data check leads to), and the diagnosis's first action is scored against it. Half of the datasets calibrate the rules; the other half is held back and its
# last line, action_helpful=K/N harmful=H uncertain=U, is the result. Each run is diagnosed
# with tunelab's full context, from its CSV files plus the configuration's flags
# (--optimizer --lr --batch-size --dropout --weight-decay --hidden --shuffled), from the files,
# the flags and the training rows (--data), and from the files alone; with --pytorch, the same
# configurations are also trained in PyTorch (benches/pytorch_runs.py, torch from PyPI
# through scripts/setup-libtorch.sh --cuda, ~4 GB once) and their CSVs are diagnosed with the
# flags, and with the flags and the training rows.
# Ground truth is cached under $TUNELAB_CACHE/diagnosis-bench (a rerun only re-diagnoses).
# Usage: scripts/diagnosis-bench.sh [--pytorch] [--runs N per half (150)] [--details]
#        (about 10 min cold on 2 cores, 13,788 training runs; seconds when cached)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
torch=0
if [ "${1:-}" = "--pytorch" ]; then torch=1; shift; fi
echo "== building (release)" >&2
cargo build --release --quiet --example diagnosis_bench
BENCH="$CARGO_TARGET_DIR/release/examples/diagnosis_bench"
if [ "$torch" = 1 ]; then
  eval "$(bash scripts/setup-libtorch.sh --cuda)" >&2
  DIR="$TUNELAB_CACHE/diagnosis-bench/pytorch"
  rm -rf "$DIR"
  "$BENCH" --export-pytorch "$DIR" "$@"
  echo "== the same runs in PyTorch" >&2
  PYTHONWARNINGS=ignore "$TUNELAB_TORCH_VENV/bin/python" benches/pytorch_runs.py "$DIR" >&2
  exec "$BENCH" --pytorch "$DIR" "$@"
fi
exec "$BENCH" "$@"
