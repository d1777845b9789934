//! `tunelab tune`: the whole study, with its files.

use super::args::{DataArgs, same_file};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::log::{
    CURVES_FILE, ExperimentLog, Metric, REPORT_FILE, RUNS_CSV_FILE, RUNS_FILE, study_files_in,
};
use crate::study::{
    Budget, InProcess, StudyConfig, TrialTrainer, print_study_progress, run_study_with,
};
use crate::train::DeviceSpec;
use clap::Args;
use std::path::{Path, PathBuf};

/// Flags of `tunelab tune`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TuneArgs {
    #[command(flatten)]
    data: DataArgs,
    /// quick (a minute or so) or full.
    #[arg(long, default_value = "quick", value_parser = parse_budget)]
    budget: Budget,
    /// Folder for experiments.parquet, experiments.csv, curves.parquet and report.html
    /// (created if missing). A folder that holds an earlier study is refused unless
    /// --overwrite is given.
    #[arg(long, default_value = "tunelab-out")]
    out: PathBuf,
    /// Replace the earlier study in the --out folder. It stays complete until the new study
    /// has finished; then its files are all replaced together.
    #[arg(long)]
    overwrite: bool,
    /// Seed of the split, initialisations and batch order.
    #[arg(long, default_value_t = StudyConfig::budget(Budget::Quick).seed)]
    seed: u64,
    /// Trials run at once (0: one per CPU thread).
    #[arg(long, default_value_t = StudyConfig::budget(Budget::Quick).threads)]
    threads: usize,
    /// Where trials that run at once train: processes (a tunelab worker process each, the
    /// faster) or threads (of this process, as the library does). The study is the same.
    #[arg(long, default_value = "processes", value_parser = parse_trials_in)]
    trials_in: TrialsIn,
    /// flex (the default CPU backend), ndarray (or cpu), torch-cpu, cuda or cuda:N: where every
    /// trial trains.
    #[arg(long, default_value_t = StudyConfig::budget(Budget::Quick).device, value_parser = super::args::device)]
    device: DeviceSpec,
    /// Seeds per candidate (default: 5 for quick, 8 for full): a change is adopted only when
    /// it beats the current configuration beyond the noise between seeds.
    #[arg(long)]
    seeds: Option<usize>,
    /// What the steps select on: val_loss or val_accuracy.
    #[arg(long, default_value = "val_loss", value_parser = parse_metric)]
    metric: Metric,
    /// Memory a trial may use, in MiB (at least 1); shapes and batch sizes that need more are
    /// skipped, and a baseline that needs more is refused.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
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

/// Where `tune`'s parallel trials train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrialsIn {
    /// Worker processes (`tunelab trial-worker`).
    Processes,
    /// Threads of this process.
    Threads,
}

fn parse_trials_in(s: &str) -> std::result::Result<TrialsIn, String> {
    match s {
        "processes" => Ok(TrialsIn::Processes),
        "threads" => Ok(TrialsIn::Threads),
        _ => Err("must be processes or threads".into()),
    }
}

fn parse_budget(s: &str) -> std::result::Result<Budget, String> {
    s.parse().map_err(|_| "must be quick or full".into())
}

/// Checks that `--out` can take the study: a folder (or a path to create one at) that holds
/// no earlier study unless `overwrite`. Completes an interrupted save of the folder first.
fn check_out(out: &Path, overwrite: bool) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::data(
            "--out",
            format!(
                "{} is a file, and --out needs a folder: give a folder name (it is created if missing)",
                out.display()
            ),
        ));
    }
    if !out.is_dir() {
        return Ok(());
    }
    fsutil::finish_replace(out)?;
    let earlier = study_files_in(out);
    if !earlier.is_empty() && !overwrite {
        return Err(Error::data(
            "--out",
            format!(
                "the folder {} holds an earlier study ({}): pass --overwrite to replace it, or give another --out folder",
                out.display(),
                earlier.join(", ")
            ),
        ));
    }
    Ok(())
}

pub(super) fn run(args: TuneArgs) -> Result<()> {
    // The study's files must never replace the data it learns from.
    let data_path = Path::new(&args.data.data);
    for name in [RUNS_FILE, CURVES_FILE, RUNS_CSV_FILE, REPORT_FILE] {
        if data_path.is_file() && same_file(data_path, &args.out.join(name)) {
            return Err(Error::data(
                "--data",
                format!(
                    "{} is a file the study writes into --out {}: writing the study would destroy the data; give another --out folder",
                    data_path.display(),
                    args.out.display()
                ),
            ));
        }
    }
    check_out(&args.out, args.overwrite)?;
    let mut data = args.data.clone();
    data.split_seed = args.seed;
    let splits = data.load()?;
    // One study at a time per folder: a second tune on the same --out is refused while this
    // one runs (checked again under the lock: the other may have finished meanwhile).
    let _lock = fsutil::lock_output(&args.out, true, "--out")?;
    check_out(&args.out, args.overwrite)?;
    crate::out::errln!("{splits}");
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
    // The runs are saved as they finish under staged names, beside the earlier study; the
    // new files replace the earlier ones together at the end.
    let log = ExperimentLog::with_staged_autosave(&args.out).quiet();
    // Trials that run at once train in worker processes (faster than threads on the stock
    // burn-autodiff), unless asked otherwise or only one runs at a time.
    let workers = (args.trials_in == TrialsIn::Processes
        && crate::parallel::resolved_threads(args.threads) > 1)
        .then(|| std::env::current_exe().ok())
        .flatten()
        .map(|exe| super::workers::WorkerTrainer::new(exe, &splits));
    let trainer: &dyn TrialTrainer = match &workers {
        Some(w) => {
            crate::out::errln!(
                "trials that run at once train in worker processes (--trials-in threads: in this process)"
            );
            w
        }
        None => &InProcess,
    };
    let progress = |line: &str| print_study_progress(&config, line);
    let saved = run_study_with(&splits, &config, log, trainer, &progress).and_then(|result| {
        let report = crate::display::study_report(&result);
        result
            .log
            .save_with(&args.out, &[(REPORT_FILE, report.as_bytes())])?;
        Ok(result)
    });
    let result = match saved {
        Ok(result) => result,
        Err(e) => {
            // A failed study (a full disk, a training error) leaves the earlier one as it
            // was and takes its staged files with it.
            fsutil::discard_staged(
                &args.out,
                &[RUNS_FILE, CURVES_FILE, RUNS_CSV_FILE, REPORT_FILE],
            );
            return Err(e);
        }
    };
    if args.json {
        crate::out::outln!("{}", result.summary_json());
    } else {
        crate::out::outln!("{result}");
        crate::out::outln!(
            "wrote {}/experiments.parquet, experiments.csv, curves.parquet, report.html",
            args.out.display()
        );
    }
    Ok(())
}
