#!/usr/bin/env bash
# Ground truth for tunelab's advice (a benchmark, not part of the test suite):
#  (a) the quick study against random search over the same space, with the same number of
#      training runs and with 4x as many, on test accuracy (5 split seeds x digits,
#      breast_cancer, wine);
#  (b) the LR finder against an oracle: for every embedded dataset x the five optimizers x
#      10 and 20 epochs, every LR of a quarter-decade grid (1e-4..1) is trained over
#      ORACLE_SEEDS seeds (default 9); the band is the LRs whose mean best-epoch validation
#      loss is within 10% of the best. Each suggestion and the recommendation are marked + when
#      within the band (x1.5 tolerance), with the cost of each (runs of the configuration),
#      for the full check and for the successive halving. Six cases on generated tables of
#      20k-100k rows (3-seed oracle) are added unless NO_LARGE=1. The rule was calibrated on
#      digits, wine and iris; finder_in_band_large=K/N counts the large tables and the last
#      line, finder_in_band=K/N, the held-back cases (breast_cancer, moons, spirals).
# Usage: scripts/advice-bench.sh [study|finder]   (default: both; about 20 min on 2 cores
# cold, the oracles cached under $TUNELAB_CACHE/advice-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
WHAT="${1:-all}"
echo "== building (release)" >&2
cargo build --release --quiet --example advice_bench
BENCH="$CARGO_TARGET_DIR/release/examples/advice_bench"
if [ "$WHAT" = all ] || [ "$WHAT" = study ]; then
  echo "== the quick study against random search" >&2
  "$BENCH" study --splits "${SPLIT_SEEDS:-5}"
fi
if [ "$WHAT" = all ] || [ "$WHAT" = finder ]; then
  echo "== the LR finder against the oracle" >&2
  LARGE=()
  [ "${NO_LARGE:-0}" = 1 ] && LARGE=(--no-large)
  "$BENCH" finder --oracle-seeds "${ORACLE_SEEDS:-9}" "${LARGE[@]}"
fi
