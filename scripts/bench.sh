#!/usr/bin/env bash
# Benchmarks, side by side and interleaved (A B A B ..., medians and min-max over ROUNDS):
#  (a) training throughput of the digits baseline: tunelab on flex (the default device) and on
#      ndarray, tunelab on libtorch CPU (TUNELAB_BENCH_TCH=1: needs the `tch` build), and
#      PyTorch eager (same model, init, batch, optimizer, data and threads); with
#      TUNELAB_BENCH_KERNELS=1 also builds with burn's CPU kernel features `simd`, `rayon`,
#      both, and `openblas-system` (Debian's libopenblas-dev, installed when missing), each on
#      ndarray and flex, interleaved in the same rounds;
#  (b) the LR range test (100 steps) on tunelab and on PyTorch;
#  (c) the quick study's wall time;
#  (d) parallel trials: 8 equal, independent trials on all cores vs one (and the whole quick
#      study on all cores vs one, which also has sequential parts), beside the same 8 trials
#      as separate processes (one per core, all started at once: the wall time of the last)
#      and in `tune`'s worker processes (`ratio_trials=`); the quick study also with
#      --trials-in threads;
#  (f) the scaling table: steps/s, GFLOP/s and % of the machine's measured f32 FMA peak of
#      tunelab (default device, flex, libtorch CPU with TUNELAB_BENCH_TCH=1) and PyTorch eager
#      (the better of 1 and all threads), batch {16, 64, 256, 1024} x hidden {128-64,
#      512-512, 2048-2048}, on a synthetic table of 100k rows, 64 features, 10 classes
#      (SCALE_ROUNDS rounds, default 3; TUNELAB_BENCH_SCALE=0 skips it);
#  (e) the notebook, when scripts/jupyter.sh has set it up: a fresh kernel's first cell
#      (`:dep`), the first cell that uses tunelab and warm cells, with the warm dependency
#      cache, for the installed (patched) kernel and for the stock evcxr_jupyter (the patch
#      off: built once beside it by scripts/build-evcxr.sh --stock-copy; TUNELAB_BENCH_STOCK=0
#      skips it); with TUNELAB_BENCH_NOTEBOOK_COLD=1 also with a cold cache (compiles every
#      dependency: about half an hour on 2 cores).
# Ends with `ratio_vs_pytorch=X.XX` (tunelab's default device, flex, steps/s over PyTorch
# steps/s, PyTorch at the better of 1 thread and all threads).
# Usage: scripts/bench.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# The builds below use the stock burn-autodiff, as the test suite and the main job do;
# TUNELAB_BENCH_PATCHED_AUTODIFF=1 benches tunelab's opt-in patch (one graph locator per thread).
if [ "${TUNELAB_BENCH_PATCHED_AUTODIFF:-0}" = 1 ]; then
  bash scripts/patch-burn.sh
else
  bash scripts/patch-burn.sh --off
fi
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
# One build (the default features) serves flex and ndarray (the device is chosen at run time);
# the CLI (for the study) comes from the same build, on its default device (flex).
echo "== building (release, default features)" >&2
cargo build --release --quiet --bin tunelab >&2
BENCH=$(bench_exe)
# Optional: the CPU kernel features, one build each.
declare -A KBENCH
KERNEL_SETS=""
if [ -n "${TUNELAB_BENCH_KERNELS:-}" ]; then
  KERNEL_SETS="simd rayon simd,rayon openblas-system"
  if [ ! -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] && [ ! -e /usr/lib/libopenblas.so ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
    echo "== installing Debian's libopenblas-dev (for the openblas-system build)" >&2
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenblas-dev >/dev/null; } >&2 \
      || { echo "   (could not install libopenblas-dev: the openblas-system build is skipped)" >&2; KERNEL_SETS="simd rayon simd,rayon"; }
  fi
  for k in $KERNEL_SETS; do
    echo "== building the bench with --features $k" >&2
    KBENCH[$k]=$(bench_exe --features "$k")
  done
fi
TUNELAB="$CARGO_TARGET_DIR/release/tunelab"

# PyTorch from PyPI: its Python module links the CUDA libraries even on the CPU, so the
# reference runs in the full wheel set (`setup-libtorch.sh --cuda`, ~4 GB, cached).
eval "$(bash scripts/setup-libtorch.sh --cuda)" >&2
PY="$TUNELAB_TORCH_VENV/bin/python"
export PYTHONWARNINGS=ignore  # torch warns that numpy is missing; the reference needs no numpy
# The libtorch build of tunelab uses the CPU-only layout.
eval "$(bash scripts/setup-libtorch.sh)" >&2
TCH_BENCH=""
if [ -n "${TUNELAB_BENCH_TCH:-}" ]; then
  TCH_BENCH=$(bench_exe --features tch)
fi
"$BENCH" export "$WORK/train.csv" >/dev/null

json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }
# Runs a measurement, then prints one field of its last JSON line. The parser starts only after
# the measured command has exited: started beside it in a pipe, it took a core from it for the
# first 0.1 s (the pyenv shim and Python's start-up): on the 8 parallel trials on 2 threads, a
# 0.4-s run, that alone read as 1.4x instead of 1.7x.
measured() { local key=$1; shift; "$@" >"$WORK/measured.json" && json "$key" <"$WORK/measured.json"; }
declare -A R
add() { R[$1]="${R[$1]:-} $2"; }
# The same 8 trials as separate processes, one per core (--threads 1 each, the trials shared
# out as evenly as they go), all started at once: the largest of their own timings (each leaves
# out its process start, as the in-process figure does).
trials_processes() {
  local i n
  rm -f "$WORK"/tp.*
  for i in $(seq 0 $((THREADS - 1))); do
    n=$(( 8 / THREADS + (i < 8 % THREADS ? 1 : 0) ))
    [ "$n" -gt 0 ] && "$BENCH" trials --trials "$n" --threads 1 >"$WORK/tp.$i" &
  done
  wait
  cat "$WORK"/tp.* | python3 -c "import json, sys; print(max(json.loads(l)['seconds'] for l in sys.stdin))"
}
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS" >&2
  add nd_train "$(measured steps_per_s "$BENCH" train --device ndarray)"
  add flex_train "$(measured steps_per_s "$BENCH" train --device flex)"
  for k in $KERNEL_SETS; do
    add "k_nd_$k" "$(measured steps_per_s "${KBENCH[$k]}" train --device ndarray)"
    add "k_flex_$k" "$(measured steps_per_s "${KBENCH[$k]}" train --device flex)"
  done
  add pt_train "$(measured steps_per_s "$PY" benches/pytorch_baseline.py train "$WORK/train.csv" --threads "$THREADS")"
  add pt_train1 "$(measured steps_per_s "$PY" benches/pytorch_baseline.py train "$WORK/train.csv" --threads 1)"
  [ -n "$TCH_BENCH" ] && add tch_train "$(measured steps_per_s "$TCH_BENCH" train --device torch-cpu)"
  add nd_lr "$(measured seconds "$BENCH" lrfind)"
  add flex_lr "$(measured seconds "$BENCH" lrfind --device flex)"
  add pt_lr "$(measured seconds "$PY" benches/pytorch_baseline.py lrfind "$WORK/train.csv" --threads "$THREADS")"
  add study "$( { /usr/bin/time -f %e "$TUNELAB" tune --data digits --budget quick --out "$WORK/study" --overwrite --threads 0 >/dev/null 2>"$WORK/err"; } 2>&1; tail -n 1 "$WORK/err")"
  add study1 "$( { /usr/bin/time -f %e "$TUNELAB" tune --data digits --budget quick --out "$WORK/study1" --overwrite --threads 1 >/dev/null 2>"$WORK/err1"; } 2>&1; tail -n 1 "$WORK/err1")"
  add studyt "$( { /usr/bin/time -f %e "$TUNELAB" tune --data digits --budget quick --out "$WORK/studyt" --overwrite --threads 0 --trials-in threads >/dev/null 2>"$WORK/errt"; } 2>&1; tail -n 1 "$WORK/errt")"
  add trials "$(measured seconds "$BENCH" trials --trials 8 --threads "$THREADS")"
  add trials1 "$(measured seconds "$BENCH" trials --trials 8 --threads 1)"
  add trialsp "$(trials_processes)"
  add trialsw "$(measured seconds "$BENCH" trials-workers --exe "$TUNELAB" --trials 8 --threads "$THREADS")"
done
# Every series, one line each (name, then the values), for the kernel rows below.
for key in "${!R[@]}"; do echo "$key ${R[$key]}"; done >"$WORK/series.txt"
GFLOPS=$(measured gflops "$BENCH" train --device ndarray)
FLEX_GFLOPS=$(measured gflops "$BENCH" train --device flex)
PEAK=$(measured gflops "$BENCH" peak)
PEAK_ISA=$(measured isa "$BENCH" peak --threads 1)

# (f) The scaling table: one line of JSON per measurement, interleaved by round, each with the
# peak resident memory of its process (rss_kb, from /usr/bin/time, added after it exited).
SCALE="$WORK/scale.jsonl"
with_rss() {
  /usr/bin/time -f %M -o "$WORK/rss" "$@" >"$WORK/scale-one.json" || return 0
  python3 - "$WORK/scale-one.json" "$WORK/rss" >>"$SCALE" <<'RSS'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
r["rss_kb"] = int(open(sys.argv[2]).read().split()[-1])
print(json.dumps(r))
RSS
}
: >"$SCALE"
if [ "${TUNELAB_BENCH_SCALE:-1}" != 0 ]; then
  for round in $(seq 1 "${SCALE_ROUNDS:-3}"); do
    echo "== scaling table, round $round/${SCALE_ROUNDS:-3}" >&2
    for hidden in 128,64 512,512 2048,2048; do
      for batch in 16 64 256 1024; do
        # The same number of steps everywhere: about 60 GFLOP of work, 10 to 600 steps.
        steps=$(python3 -c "w=[64,*map(int,'$hidden'.split(',')),10]; p=sum(a*b+b for a,b in zip(w,w[1:])); print(int(min(600,max(10,60e9/(6*p*$batch)))))")
        for dev in ndarray flex; do
          with_rss "$BENCH" scale --device "$dev" --batch "$batch" --hidden "$hidden" --steps "$steps"
        done
        if [ -n "$TCH_BENCH" ]; then
          TUNELAB_TORCH_THREADS="$THREADS" with_rss "$TCH_BENCH" scale --device torch-cpu --batch "$batch" --hidden "$hidden" --steps "$steps"
        fi
        for t in 1 "$THREADS"; do
          with_rss "$PY" benches/pytorch_baseline.py scale - --batch "$batch" --hidden "$hidden" --steps "$steps" --threads "$t"
        done
      done
    done
  done
fi

# (e) The notebook, through the real kernel (set up by scripts/jupyter.sh).
NB_WARM="" NB_COLD="" NB_STOCK=""
JPY="$TUNELAB_CACHE/venv/bin/python"
if [ -x "$JPY" ] && [ -f "$TUNELAB_CACHE/venv/share/jupyter/kernels/rust/kernel.json" ]; then
  echo "== notebook: fresh kernel, warm dependency cache" >&2
  # Registers the kernel for this checkout (its start-up file names this checkout's backends
  # crate) and brings its cache up to date (tunelab itself recompiles).
  bash scripts/jupyter.sh --setup >/dev/null 2>&1 || true
  NB_WARM=$("$JPY" scripts/notebook_timing.py . --label patched 2>/dev/null | tail -n 1) || NB_WARM=""
  if [ "${TUNELAB_BENCH_STOCK:-1}" != 0 ]; then
    echo "== notebook: the same with the stock kernel (the patch off)" >&2
    STOCK_EXE=$(bash scripts/build-evcxr.sh --stock-copy 2>/dev/null | tail -n 1) || STOCK_EXE=""
    if [ -x "$STOCK_EXE" ]; then
      NB_STOCK=$("$JPY" scripts/notebook_timing.py . --kernel-exe "$STOCK_EXE" --label stock 2>/dev/null | tail -n 1) || NB_STOCK=""
    fi
  fi
  if [ -n "${TUNELAB_BENCH_NOTEBOOK_COLD:-}" ]; then
    echo "== notebook: fresh kernel, cold dependency cache (compiles every dependency)" >&2
    NB_COLD=$("$JPY" scripts/notebook_timing.py . --cold 2>/dev/null | tail -n 1) || NB_COLD=""
  fi
else
  echo "== notebook: not set up (run scripts/jupyter.sh --setup), skipped" >&2
fi

# The raw measurements stay after the run (the work folder does not): the report below can be
# rerun from them, and nothing measured is lost if it fails.
mkdir -p "$TUNELAB_CACHE/bench-last" && cp "$WORK/series.txt" "$SCALE" "$TUNELAB_CACHE/bench-last/" 2>/dev/null || true
python3 - "$THREADS" "$GFLOPS" "$FLEX_GFLOPS" "$NB_WARM" "$NB_COLD" "$PEAK" "$PEAK_ISA" "$SCALE" "$WORK/series.txt" "$NB_STOCK" <<PY
import json, statistics, sys
threads, gflops, flex_gflops = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
notebooks = [json.loads(a) for a in sys.argv[4:6] + sys.argv[10:11] if a.strip()]
peak, peak_isa = float(sys.argv[6]), sys.argv[7]
scale = [json.loads(l) for l in open(sys.argv[8]) if l.strip()]
r = {k: [float(x) for x in v.split()] for k, v in {
    "nd_train": "${R[nd_train]}", "flex_train": "${R[flex_train]}", "pt_train": "${R[pt_train]}", "pt_train1": "${R[pt_train1]}",
    "tch_train": "${R[tch_train]:-}",
    "nd_lr": "${R[nd_lr]}", "flex_lr": "${R[flex_lr]}", "pt_lr": "${R[pt_lr]}",
    "study": "${R[study]}", "study1": "${R[study1]}", "trials": "${R[trials]}", "trials1": "${R[trials1]}", "trialsp": "${R[trialsp]:-}", "trialsw": "${R[trialsw]:-}", "studyt": "${R[studyt]:-}",
}.items() if v.strip()}
def row(name, key, unit):
    v = r.get(key)
    if not v:
        print(f"{name:<44} {'(not run)':>12}")
        return None
    m = statistics.median(v)
    print(f"{name:<44} {m:>12.3f} {unit:<8} (min {min(v):.3f}, max {max(v):.3f}, n={len(v)})")
    return m
series = dict((l.split()[0], [float(x) for x in l.split()[1:]]) for l in open(sys.argv[9]) if l.split())
r.update({k: v for k, v in series.items() if k.startswith("k_") and v})
print(f"benchmark: digits MLP 64-128-64-10, Adam 1e-3, batch 64, {threads} threads")
fx = row("train: tunelab flex (the default device)", "flex_train", "steps/s")
nd = row("train: tunelab ndarray", "nd_train", "steps/s")
pt_n = row(f"train: PyTorch eager, {threads} threads", "pt_train", "steps/s")
pt_1 = row("train: PyTorch eager, 1 thread", "pt_train1", "steps/s")
pt = max(pt_n, pt_1)  # compare with PyTorch at its better thread count
row("train: tunelab libtorch CPU", "tch_train", "steps/s")
kernel_rows = sorted({k.split("_", 2)[2] for k in r if k.startswith("k_")})
for k in kernel_rows:
    for dev, name in (("nd", "ndarray"), ("flex", "flex")):
        m = row(f"train: {name}, --features {k}", f"k_{dev}_{k}", "steps/s")
        if m and pt:
            print(f"{'  over PyTorch eager':<44} {m / pt:>12.2f} x")
row("lr finder 100 steps: tunelab ndarray", "nd_lr", "s")
row("lr finder 100 steps: tunelab flex", "flex_lr", "s")
row("lr finder 100 steps: PyTorch eager", "pt_lr", "s")
s_all = row("quick study: all threads (worker processes)", "study", "s")
s_thr = row("quick study: all threads, --trials-in threads", "studyt", "s")
s_one = row("quick study: one thread", "study1", "s")
t_all = row(f"8 parallel trials: {threads} threads", "trials", "s")
t_one = row("8 parallel trials: one thread", "trials1", "s")
t_proc = row(f"8 parallel trials: {threads} processes", "trialsp", "s")
t_work = row(f"8 parallel trials: tune's {threads} worker processes", "trialsw", "s")
print(f"{'machine f32 FMA peak (measured, ' + peak_isa + ')':<44} {peak:>12.1f} GFLOP/s  ({threads} threads)")
for name, g in (("ndarray", gflops), ("flex", flex_gflops)):
    print(f"{'tunelab ' + name + ' GFLOP/s (6 x params x samples/s)':<44} {g:>12.3f}          ({100 * g / peak:.1f}% of peak)")
if t_all and t_one:
    print(f"{'parallel trials speed-up (8 equal trials)':<44} {t_one / t_all:>12.2f} x")
if t_proc and t_one:
    print(f"{'  the same as separate processes':<44} {t_one / t_proc:>12.2f} x")
if t_work and t_one:
    label = "  in tune's worker processes"
    print(f"{label:<44} {t_one / t_work:>12.2f} x")
    print(f"ratio_trials={t_one / t_work:.2f}")
if s_all and s_one:
    print(f"{'quick study speed-up, all threads vs one':<44} {s_one / s_all:>12.2f} x")
if s_thr and s_one:
    print(f"{'  with --trials-in threads':<44} {s_one / s_thr:>12.2f} x")
if nd and pt:
    print(f"{'ndarray over PyTorch eager':<44} {nd / pt:>12.2f} x")
if scale:
    engines = [("tunelab default (flex)", lambda r: r.get("device") == "flex"),
               ("tunelab ndarray", lambda r: r.get("device") in ("ndarray", "cpu")),
               ("tunelab libtorch CPU", lambda r: r.get("device") == "torch-cpu"),
               ("PyTorch eager", lambda r: r.get("device") == "pytorch-eager")]
    print(f"scaling: MLP 64-W1-W2-10, Adam, synthetic table 100k rows x 64 features, 10 classes; "
          f"steps/s median (GFLOP/s, % of the {peak:.0f} GFLOP/s peak); PyTorch: better of 1 and {threads} threads")
    cells = [(h, b) for h in ("128,64", "512,512", "2048,2048") for b in (16, 64, 256, 1024)]
    names = [n for n, pick in engines if any(pick(r) for r in scale)]
    print(f"{'hidden':<10} {'batch':>5}  " + "  ".join(f"{n:>30}" for n in names) + f"  {'default/PyTorch':>15}  {'peak RSS MB default/PyTorch':>28}")
    crossover = {}
    ratio_large = None
    for h, b in cells:
        out, best, rss = [], {}, {}
        for n, pick in engines:
            if n not in names:
                continue
            rs = [r for r in scale if pick(r) and r["hidden"] == h and r["batch"] == b]
            if n == "PyTorch eager":  # the better thread count, by its median
                by_t = {}
                for r in rs:
                    by_t.setdefault(r.get("threads"), []).append(r)
                rs = max(by_t.values(), key=lambda v: statistics.median(x["steps_per_s"] for x in v), default=[])
            if not rs:
                out.append(f"{'-':>30}")
                continue
            sps = statistics.median(r["steps_per_s"] for r in rs)
            g = statistics.median(r["gflops"] for r in rs)
            best[n] = sps
            kb = [r["rss_kb"] for r in rs if "rss_kb" in r]
            if kb:
                rss[n] = statistics.median(kb) / 1024
            out.append(f"{sps:>10.1f} ({g:>6.1f}, {100 * g / peak:>4.1f}%)".rjust(30))
        d, p = best.get("tunelab default (flex)"), best.get("PyTorch eager")
        ratio = d / p if d and p else float("nan")
        if ratio < 1 and h not in crossover:
            crossover[h] = b
        if (h, b) == ("2048,2048", 1024):
            ratio_large = ratio
        mem = f"{rss.get('tunelab default (flex)', float('nan')):.0f} / {rss.get('PyTorch eager', float('nan')):.0f}"
        print(f"{h:<10} {b:>5}  " + "  ".join(out) + f"  {ratio:>15.2f}  {mem:>28}")
    for h in ("128,64", "512,512", "2048,2048"):
        at = f"batch {crossover[h]}" if h in crossover else "(not in the table)"
        print(f"{'PyTorch overtakes the default, hidden ' + h:<44} {at:>12}")
if not notebooks:
    print(f"{'notebook':<44} {'(not set up)':>12}")
for nb in notebooks:
    c = nb.get("kernel", "installed") + " kernel/" + nb["cache"]
    print(f"{'notebook, ' + c + ' cache: kernel start':<52} {nb['kernel_start_s']:>12.1f} s")
    print(f"{'notebook, ' + c + ' cache: first cell (:dep)':<52} {nb['dep_cell_s']:>12.1f} s")
    print(f"{'notebook, ' + c + ' cache: first cell using tunelab':<52} {nb['first_use_cell_s']:>12.1f} s")
    print(f"{'notebook, ' + c + ' cache: start to first answer':<52} {nb['first_answer_s']:>12.1f} s")
    print(f"{'notebook, ' + c + ' cache: warm cell':<52} {nb['warm_cell_median_s']:>12.2f} s        (max {nb['warm_cell_max_s']:.2f}, n={len(nb['warm_cells'])})")
    print(f"{'notebook, ' + c + ' cache: warm cell ending in a number':<52} {nb['plain_value_cell_median_s']:>12.2f} s        (stock evcxr compiles it twice)")
print(f"ratio_vs_pytorch={fx / pt:.2f}")  # default device (flex) over the faster PyTorch setting
if scale and ratio_large is not None:
    print(f"ratio_large={ratio_large:.2f}")  # the same at hidden 2048-2048, batch 1024
PY
