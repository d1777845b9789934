#!/usr/bin/env bash
# Benchmarks, side by side and interleaved (A B A B ..., medians and min-max over ROUNDS):
#  (a) training throughput of the digits baseline: tunelab-ndarray, tunelab-libtorch CPU
#      (when the libtorch environment exists), PyTorch eager (same model, init, batch,
#      optimizer, data and threads);
#  (b) the LR range test (100 steps) on tunelab and on PyTorch;
#  (c) the quick study's wall time; (d) parallel trials: all cores vs one;
#  (e) the notebook: first-cell time with a warm cache, and a warm cell's latency
#      (when scripts/jupyter.sh has been run).
# Ends with `ratio_vs_pytorch=X.XX` (tunelab-ndarray steps/s over PyTorch steps/s, PyTorch at
# the better of 1 thread and all threads).
# Usage: scripts/bench.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
ROUNDS="${1:-5}"
THREADS=$(nproc)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The bench executable that cargo built with the given features.
bench_exe() {
  cargo build --release --quiet --bench throughput --message-format=json "$@" |
    python3 -c "import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get('reason') == 'compiler-artifact' and m['target']['name'] == 'throughput' and m.get('executable'):
        print(m['executable'])" | tail -n 1
}
echo "== building (release)" >&2
cargo build --release --quiet --bin tunelab >&2
BENCH=$(bench_exe)
TUNELAB="$CARGO_TARGET_DIR/release/tunelab"

# PyTorch from PyPI: its Python module links the CUDA libraries even on the CPU, so the
# reference runs in the full wheel set (`setup-libtorch.sh --cuda`, ~4 GB, cached).
eval "$(bash scripts/setup-libtorch.sh --cuda)" >&2
PY="$TUNELAB_TORCH_VENV/bin/python"
# The libtorch build of tunelab uses the CPU-only layout.
eval "$(bash scripts/setup-libtorch.sh)" >&2
TCH_BENCH=""
if [ -n "${TUNELAB_BENCH_TCH:-}" ]; then
  TCH_BENCH=$(bench_exe --features tch)
fi
"$BENCH" export "$WORK/train.csv" >/dev/null

json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }
declare -A R
add() { R[$1]="${R[$1]:-} $2"; }
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS" >&2
  add nd_train "$(RAYON_NUM_THREADS=$THREADS "$BENCH" train | json steps_per_s)"
  add pt_train "$("$PY" benches/pytorch_baseline.py train "$WORK/train.csv" --threads "$THREADS" | json steps_per_s)"
  add pt_train1 "$("$PY" benches/pytorch_baseline.py train "$WORK/train.csv" --threads 1 | json steps_per_s)"
  [ -n "$TCH_BENCH" ] && add tch_train "$("$TCH_BENCH" train --device torch-cpu | json steps_per_s)"
  add nd_lr "$("$BENCH" lrfind | json seconds)"
  add pt_lr "$("$PY" benches/pytorch_baseline.py lrfind "$WORK/train.csv" --threads "$THREADS" | json seconds)"
  add study "$( { /usr/bin/time -f %e "$TUNELAB" tune --data digits --budget quick --out "$WORK/study" --threads 0 >/dev/null 2>"$WORK/err"; } 2>&1; tail -n 1 "$WORK/err")"
  add study1 "$( { /usr/bin/time -f %e "$TUNELAB" tune --data digits --budget quick --out "$WORK/study1" --threads 1 >/dev/null 2>"$WORK/err1"; } 2>&1; tail -n 1 "$WORK/err1")"
done
GFLOPS=$("$BENCH" train | json gflops)

python3 - "$THREADS" "$GFLOPS" <<PY
import statistics, sys
threads, gflops = sys.argv[1], float(sys.argv[2])
r = {k: [float(x) for x in v.split()] for k, v in {
    "nd_train": "${R[nd_train]}", "pt_train": "${R[pt_train]}", "pt_train1": "${R[pt_train1]}",
    "tch_train": "${R[tch_train]:-}",
    "nd_lr": "${R[nd_lr]}", "pt_lr": "${R[pt_lr]}", "study": "${R[study]}", "study1": "${R[study1]}",
}.items() if v.strip()}
def row(name, key, unit):
    v = r.get(key)
    if not v:
        print(f"{name:<44} {'(not run)':>12}")
        return None
    m = statistics.median(v)
    print(f"{name:<44} {m:>12.3f} {unit:<8} (min {min(v):.3f}, max {max(v):.3f}, n={len(v)})")
    return m
print(f"benchmark: digits MLP 64-128-64-10, Adam 1e-3, batch 64, {threads} threads")
nd = row("train: tunelab ndarray", "nd_train", "steps/s")
pt_n = row(f"train: PyTorch eager, {threads} threads", "pt_train", "steps/s")
pt_1 = row("train: PyTorch eager, 1 thread", "pt_train1", "steps/s")
pt = max(pt_n, pt_1)  # compare with PyTorch at its better thread count
row("train: tunelab libtorch CPU", "tch_train", "steps/s")
row("lr finder 100 steps: tunelab ndarray", "nd_lr", "s")
row("lr finder 100 steps: PyTorch eager", "pt_lr", "s")
s_all = row("quick study: all threads", "study", "s")
s_one = row("quick study: one thread", "study1", "s")
peak = 2 * 2 * 8 * 2.5 * int(threads)  # 2 FMA units x 8 f32 lanes x 2 flops x ~2.5 GHz per core
print(f"{'tunelab ndarray GFLOP/s (6 x params x samples/s)':<44} {gflops:>12.3f}          ({100 * gflops / peak:.1f}% of a ~{peak:.0f} GFLOP/s AVX2 peak)")
if s_all and s_one:
    print(f"{'parallel trials speed-up':<44} {s_one / s_all:>12.2f} x")
print(f"ratio_vs_pytorch={nd / pt:.2f}")  # over the faster PyTorch setting
PY
