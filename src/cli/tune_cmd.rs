//! `tunelab tune`: the whole study, with its files.

use super::args::DataArgs;
use crate::error::Result;
use crate::fsutil;
use crate::log::{ExperimentLog, Metric};
use crate::study::{Budget, StudyConfig, run_study};
use crate::train::DeviceSpec;
use clap::Args;
use std::path::PathBuf;

/// Flags of `tunelab tune`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TuneArgs {
    #[command(flatten)]
    data: DataArgs,
    /// quick (a minute or so) or full.
    #[arg(long, default_value = "quick", value_parser = parse_budget)]
    budget: Budget,
    /// Directory for experiments.parquet, experiments.csv, curves.parquet and report.html.
    #[arg(long, default_value = "tunelab-out")]
    out: PathBuf,
    /// Seed of the split, initialisations and batch order.
    #[arg(long, default_value_t = StudyConfig::budget(Budget::Quick).seed)]
    seed: u64,
    /// Trials run at once (0: one per CPU thread).
    #[arg(long, default_value_t = StudyConfig::budget(Budget::Quick).threads)]
    threads: usize,
    /// cpu, flex, torch-cpu, cuda or cuda:N: where every trial trains.
    #[arg(long, default_value_t = StudyConfig::budget(Budget::Quick).device, value_parser = super::args::device)]
    device: DeviceSpec,
    /// Seeds per candidate (default: 5 for quick, 8 for full): a change is adopted only when
    /// it beats the current configuration beyond the noise between seeds.
    #[arg(long)]
    seeds: Option<usize>,
    /// What the steps select on: val_loss or val_accuracy.
    #[arg(long, default_value = "val_loss", value_parser = parse_metric)]
    metric: Metric,
    /// Memory a trial may use, in MiB; batch sizes that need more are skipped.
    #[arg(long)]
    memory_mib: Option<u64>,
    /// Print one JSON summary on stdout (progress goes to stderr).
    #[arg(long)]
    json: bool,
}

fn parse_metric(s: &str) -> std::result::Result<Metric, String> {
    match s {
        "val_loss" => Ok(Metric::ValLoss),
        "val_accuracy" => Ok(Metric::ValAccuracy),
        _ => Err("must be val_loss or val_accuracy".into()),
    }
}

fn parse_budget(s: &str) -> std::result::Result<Budget, String> {
    s.parse().map_err(|_| "must be quick or full".into())
}

pub(super) fn run(args: TuneArgs) -> Result<()> {
    let mut data = args.data.clone();
    data.split_seed = args.seed;
    let splits = data.load()?;
    eprintln!("{splits}");
    let mut config = StudyConfig::budget(args.budget)
        .with_seed(args.seed)
        .with_threads(args.threads)
        .with_device(args.device)
        .with_metric(args.metric)
        .with_memory_budget(args.memory_mib.map(|m| m.saturating_mul(1 << 20)));
    if let Some(seeds) = args.seeds {
        config = config.with_seeds(seeds);
    }
    config.progress_to_stderr = args.json;
    let log = ExperimentLog::with_autosave(&args.out).quiet();
    let result = run_study(&splits, &config, log)?;
    result.log.save(&args.out)?;
    let report = crate::display::study_report(&result);
    fsutil::write_atomic(args.out.join("report.html"), report.as_bytes())?;
    if args.json {
        println!("{}", result.summary_json());
    } else {
        println!("{result}");
        println!(
            "wrote {}/experiments.parquet, experiments.csv, curves.parquet, report.html",
            args.out.display()
        );
    }
    Ok(())
}
