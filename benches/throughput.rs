//! Measurements for scripts/bench.sh (one measurement per invocation, so that the script can
//! interleave them with PyTorch's): training steps per second of the digits baseline, and
//! the time of a 100-step LR range test.
//!
//! cargo bench --bench throughput -- train  [--device ndarray|flex|torch-cpu] [--steps N]
//! cargo bench --bench throughput -- lrfind [--device ...]
//! cargo bench --bench throughput -- trials [--threads N] [--trials K]
//!     (K independent trials of the baseline, 300 steps each, on N threads: the wall time)
//! cargo bench --bench throughput -- trials-workers --exe PATH [--threads N] [--trials K]
//!     (the same trials in N `tunelab trial-worker` processes, as `tunelab tune` trains them)
//! cargo bench --bench throughput -- export FILE.csv   (the standardised training split)
//! cargo bench --bench throughput -- scale --batch B --hidden W1,W2 [--steps N] [--device ...]
//!     (steps per second on a synthetic table of 100k rows, 64 features, 10 classes)
//! cargo bench --bench throughput -- peak [--threads N]
//!     (the machine's f32 FMA peak: independent multiply-adds on N threads)

use std::time::Instant;
use tunelab::study::TrialTrainer;
use tunelab::{
    Dataset, DeviceSpec, LrFinderConfig, OptimizerKind, SplitConfig, Splits, TrainConfig, data,
    lr_find, train,
};

// The same allocator as the `tunelab` binary (see src/main.rs), which comes with the `cli`
// feature (a default one).
#[cfg(feature = "cli")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().cloned().unwrap_or_else(|| "train".into());
    // The library's default device unless --device names another.
    let device: DeviceSpec = match arg(&args, "--device") {
        Some(name) => name.parse()?,
        None => DeviceSpec::default(),
    };
    let steps: usize = arg(&args, "--steps").map_or(Ok(600), |s| s.parse())?;
    let splits = data::digits()?.split(&SplitConfig::default())?;
    // The digits baseline: MLP 64-128-64-10, ReLU, Adam 1e-3, batch 64.
    let config = TrainConfig::new(OptimizerKind::Adam).with_device(device);
    // The baseline stopped after `n` optimizer steps (enough epochs to reach them).
    let per_epoch = splits.train.n_samples().div_ceil(config.batch_size);
    let for_steps =
        |c: TrainConfig, n: usize| c.with_epochs(n.div_ceil(per_epoch)).with_max_steps(n);
    match mode.as_str() {
        "train" => {
            let run = train(&splits, &for_steps(config, steps))?;
            let steps_per_s = run.samples_per_s / 64.0;
            // Forward + backward of a dense layer: 6 flops per weight per sample.
            let gflops = 6.0 * run.n_params as f64 * run.samples_per_s / 1e9;
            println!(
                "{{\"what\":\"train\",\"device\":\"{device}\",\"steps\":{},\"steps_per_s\":{steps_per_s:.1},\"gflops\":{gflops:.3}}}",
                run.steps.len()
            );
        }
        "lrfind" => {
            let t0 = Instant::now();
            let r = lr_find(&splits, &config, &LrFinderConfig::default())?;
            println!(
                "{{\"what\":\"lrfind\",\"device\":\"{device}\",\"steps\":{},\"seconds\":{:.4},\"recommended\":{}}}",
                r.lrs.len(),
                t0.elapsed().as_secs_f64(),
                r.recommended().map_or("null".into(), |v| format!("{v:e}"))
            );
        }
        "trials" => {
            let threads: usize = arg(&args, "--threads").map_or(Ok(0), |s| s.parse())?;
            let trials: usize = arg(&args, "--trials").map_or(Ok(4), |s| s.parse())?;
            let configs: Vec<TrainConfig> = (0..trials as u64)
                .map(|seed| for_steps(config.clone().with_seed(seed), 300))
                .collect();
            let t0 = Instant::now();
            let runs = tunelab::train_all(&splits, &configs, threads);
            let seconds = t0.elapsed().as_secs_f64();
            let mut trained = 0.0;
            for r in runs {
                trained += r?.wall_s;
            }
            println!(
                "{{\"what\":\"trials\",\"device\":\"{device}\",\"trials\":{trials},\"threads\":{threads},\"seconds\":{seconds:.4},\"trained_s\":{trained:.4}}}"
            );
        }
        "trials-workers" => {
            // The same trials as `tunelab tune` trains them: one `tunelab trial-worker` process
            // per trial that runs at once (started, and sent the data, within the timing).
            let threads: usize = arg(&args, "--threads").map_or(Ok(2), |s| s.parse())?;
            let trials: usize = arg(&args, "--trials").map_or(Ok(4), |s| s.parse())?;
            let exe = arg(&args, "--exe").ok_or("trials-workers needs --exe PATH-OF-tunelab")?;
            let configs: Vec<TrainConfig> = (0..trials as u64)
                .map(|seed| for_steps(config.clone().with_seed(seed), 300))
                .collect();
            let t0 = Instant::now();
            let trainer = tunelab::cli::workers::WorkerTrainer::new(exe.into(), &splits);
            let next = std::sync::atomic::AtomicUsize::new(0);
            let failed = std::sync::Mutex::new(Vec::new());
            // The seconds each trial trained, as the worker timed it: the rest of the wall
            // time is starting workers, sending the data and the trials, and waiting.
            let trained = std::sync::Mutex::new(Vec::new());
            std::thread::scope(|scope| {
                for _ in 0..threads.max(1) {
                    scope.spawn(|| {
                        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
                        let Ok(pool) = pool else { return };
                        while let Some(c) =
                            configs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                        {
                            match pool.install(|| trainer.train(&splits, c, false)) {
                                Ok(t) => {
                                    trained.lock().map(|mut v| v.push(t.run.wall_s)).ok();
                                }
                                Err(e) => {
                                    failed.lock().map(|mut f| f.push(e.to_string())).ok();
                                }
                            }
                        }
                    });
                }
            });
            drop(trainer);
            let seconds = t0.elapsed().as_secs_f64();
            if let Some(e) = failed.lock().ok().and_then(|f| f.first().cloned()) {
                return Err(e.into());
            }
            let trained: Vec<f64> = trained.into_inner().unwrap_or_default();
            let longest = trained.iter().copied().fold(0.0, f64::max);
            println!(
                "{{\"what\":\"trials-workers\",\"device\":\"{device}\",\"trials\":{trials},\"threads\":{threads},\"seconds\":{seconds:.4},\"trained_s\":{:.4},\"longest_trial_s\":{longest:.4}}}",
                trained.iter().sum::<f64>()
            );
        }
        "export" => {
            let path = arg(&args, "export").ok_or("export needs a file")?;
            let t = &splits.train;
            let mut out = String::new();
            for i in 0..t.n_samples() {
                let row: Vec<String> = t.row(i)?.iter().map(|v| v.to_string()).collect();
                out.push_str(&format!("{},{}\n", row.join(","), t.labels[i]));
            }
            std::fs::write(&path, out.as_bytes())?;
        }
        "scale" => {
            let batch: usize = arg(&args, "--batch").map_or(Ok(64), |s| s.parse())?;
            let hidden: Vec<usize> = arg(&args, "--hidden")
                .unwrap_or_else(|| "128,64".into())
                .split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()?;
            let rows: usize = arg(&args, "--rows").map_or(Ok(100_000), |s| s.parse())?;
            let table = synthetic_table(rows, SCALE_FEATURES, SCALE_CLASSES, 0)?;
            let splits = Splits {
                train: table,
                val: synthetic_table(1000, SCALE_FEATURES, SCALE_CLASSES, 1)?,
                test: synthetic_table(1000, SCALE_FEATURES, SCALE_CLASSES, 2)?,
                scaler: None,
                notes: Vec::new(),
            };
            let config = TrainConfig::new(OptimizerKind::Adam)
                .with_device(device)
                .with_batch_size(batch)
                .with_hidden(hidden.clone());
            let n_params = config.mlp(SCALE_FEATURES, SCALE_CLASSES).num_params();
            // About 60 GFLOP of work per measurement, 10 to 600 steps.
            let default_steps = (60e9 / (6.0 * (n_params * batch) as f64)).clamp(10.0, 600.0);
            let steps: usize =
                arg(&args, "--steps").map_or(Ok(default_steps as usize), |s| s.parse())?;
            let per_epoch = rows.div_ceil(batch);
            let run = train(
                &splits,
                &config
                    .with_epochs(steps.div_ceil(per_epoch))
                    .with_max_steps(steps),
            )?;
            let gflops = 6.0 * n_params as f64 * run.samples_per_s / 1e9;
            println!(
                "{{\"what\":\"scale\",\"device\":\"{device}\",\"batch\":{batch},\"hidden\":\"{}\",\"params\":{n_params},\"steps\":{},\"steps_per_s\":{:.2},\"gflops\":{gflops:.3}}}",
                hidden
                    .iter()
                    .map(|w| w.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                run.steps.len(),
                run.samples_per_s / batch as f64
            );
        }
        "peak" => {
            let threads: usize = arg(&args, "--threads").map_or(Ok(0), |s| s.parse())?;
            let threads = if threads == 0 {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            } else {
                threads
            };
            let (gflops, isa) = fma_peak(threads);
            println!(
                "{{\"what\":\"peak\",\"threads\":{threads},\"isa\":\"{isa}\",\"gflops\":{gflops:.1}}}"
            );
        }
        other => {
            return Err(format!(
                "unknown mode {other}: use train, lrfind, trials, scale, peak or export"
            )
            .into());
        }
    }
    Ok(())
}

const SCALE_FEATURES: usize = 64;
const SCALE_CLASSES: usize = 10;

/// A seeded table of `rows` rows: `classes` Gaussian clusters in `features` dimensions.
fn synthetic_table(
    rows: usize,
    features: usize,
    classes: usize,
    seed: u64,
) -> tunelab::Result<Dataset> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let centres: Vec<f64> = (0..classes * features)
        .map(|_| 2.0 * uniform() - 1.0)
        .collect();
    let mut values = Vec::with_capacity(rows * features);
    let mut labels = Vec::with_capacity(rows);
    for i in 0..rows {
        let class = i % classes;
        for j in 0..features {
            // Sum of four uniforms: roughly normal noise around the class centre.
            let noise = (0..4).map(|_| uniform()).sum::<f64>() - 2.0;
            values.push((centres[class * features + j] + noise) as f32);
        }
        labels.push(class);
    }
    Dataset::new(
        "synthetic",
        values,
        labels,
        (0..features).map(|j| format!("x{j}")).collect(),
        (0..classes).map(|c| c.to_string()).collect(),
    )
}

/// The f32 multiply-add peak of `threads` threads, in GFLOP/s, and the instruction set
/// that reached it (AVX-512 or AVX2 with FMA; a scalar estimate elsewhere).
fn fma_peak(threads: usize) -> (f64, &'static str) {
    let per_thread = |isa: &'static str| -> f64 {
        const ROUNDS: u64 = 20_000_000;
        let t0 = Instant::now();
        let lanes = fma_kernel(isa, ROUNDS);
        lanes as f64 * 2.0 * ROUNDS as f64 * ACCUMULATORS as f64 / t0.elapsed().as_secs_f64() / 1e9
    };
    let isa = peak_isa();
    let total: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(|| per_thread(isa))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    });
    (total, isa)
}

const ACCUMULATORS: usize = 12;

fn peak_isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            return "avx512";
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return "avx2";
        }
    }
    "scalar"
}

/// Runs `rounds` x ACCUMULATORS independent vector multiply-adds; returns the f32 lanes.
fn fma_kernel(isa: &str, rounds: u64) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        #[target_feature(enable = "avx512f")]
        fn avx512(rounds: u64) -> f32 {
            let mut acc = [_mm512_set1_ps(0.0); ACCUMULATORS];
            let (b, c) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
            for _ in 0..rounds {
                for a in acc.iter_mut() {
                    *a = _mm512_fmadd_ps(*a, b, c);
                }
            }
            acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum()
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2(rounds: u64) -> f32 {
            let mut acc = [_mm256_set1_ps(0.0); ACCUMULATORS];
            let (b, c) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
            for _ in 0..rounds {
                for a in acc.iter_mut() {
                    *a = _mm256_fmadd_ps(*a, b, c);
                }
            }
            let mut out = [0f32; 8];
            acc.iter()
                .map(|&a| {
                    // SAFETY: `out` holds the 8 lanes that are stored.
                    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), a) };
                    out.iter().sum::<f32>()
                })
                .sum()
        }
        match isa {
            // SAFETY: peak_isa() detected the instruction set at run time.
            "avx512" => {
                std::hint::black_box(unsafe { avx512(rounds) });
                return 16;
            }
            "avx2" => {
                std::hint::black_box(unsafe { avx2(rounds) });
                return 8;
            }
            _ => {}
        }
    }
    let mut acc = [0f32; ACCUMULATORS];
    for _ in 0..rounds {
        for a in acc.iter_mut() {
            *a = a.mul_add(0.999_999, 1e-7);
        }
    }
    std::hint::black_box(acc);
    1
}
