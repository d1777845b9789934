//! Measurements for scripts/bench.sh (one measurement per invocation, so that the script can
//! interleave them with PyTorch's): training steps per second of the digits baseline, and
//! the time of a 100-step LR range test.
//!
//! cargo bench --bench throughput -- train  [--device cpu|torch-cpu] [--steps N]
//! cargo bench --bench throughput -- lrfind [--device ...]
//! cargo bench --bench throughput -- trials [--threads N] [--trials K]
//!     (K independent trials of the baseline, 300 steps each, on N threads: the wall time)
//! cargo bench --bench throughput -- export FILE.csv   (the standardised training split)

use std::time::Instant;
use tunelab::{
    DeviceSpec, LrFinderConfig, OptimizerKind, SplitConfig, TrainConfig, data, lr_find, train,
};

// The same allocator as the `tunelab` binary (see src/main.rs).
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
    let device: DeviceSpec = arg(&args, "--device")
        .unwrap_or_else(|| "cpu".into())
        .parse()?;
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
            for r in runs {
                r?;
            }
            println!(
                "{{\"what\":\"trials\",\"device\":\"{device}\",\"trials\":{trials},\"threads\":{threads},\"seconds\":{seconds:.4}}}"
            );
        }
        "export" => {
            let path = arg(&args, "export").ok_or("export needs a file")?;
            let t = &splits.train;
            let mut out = String::new();
            for i in 0..t.n_samples() {
                let row: Vec<String> = t.row(i).iter().map(|v| v.to_string()).collect();
                out.push_str(&format!("{},{}\n", row.join(","), t.labels[i]));
            }
            std::fs::write(&path, out.as_bytes())?;
        }
        other => return Err(format!("unknown mode {other}: use train, lrfind or export").into()),
    }
    Ok(())
}
