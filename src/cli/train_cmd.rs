//! `tunelab train`.

use super::args::{ConfigArgs, DataArgs, same_file};
use crate::diagnose::Diagnose;
use crate::error::Result;
use crate::fmt::Num;
use crate::fsutil;
use crate::train::{EarlyStopping, EpochRecord, Run, Schedule, TrainConfig, fit, progress_line};
use clap::Args;
use std::path::PathBuf;

/// Flags of `tunelab train`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    config: ConfigArgs,
    /// Passes over the training set.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    epochs: usize,
    /// Stop after this many optimizer steps.
    #[arg(long)]
    max_steps: Option<usize>,
    /// constant, step, cosine or one-cycle.
    #[arg(long, default_value_t = TrainConfig::default().schedule.name().to_string())]
    schedule: String,
    /// Epochs of linear LR warm-up.
    #[arg(long, default_value_t = TrainConfig::default().warmup_epochs)]
    warmup_epochs: usize,
    /// Early stopping: epochs without validation improvement before stopping.
    #[arg(long)]
    patience: Option<usize>,
    /// Print one JSON object on stdout (progress goes to stderr).
    #[arg(long)]
    json: bool,
    /// Write the per-epoch history to this CSV file (`diagnose` reads it), and the run's
    /// context beside it (H.context.json for H.csv).
    #[arg(long)]
    history_csv: Option<PathBuf>,
    /// Write the per-step losses to this CSV file (`diagnose --steps` reads it).
    #[arg(long)]
    steps_csv: Option<PathBuf>,
}

impl TrainArgs {
    /// The config these flags describe; the schedule name is read here, the ranges are
    /// checked by [`fit`] when it trains.
    pub(crate) fn config(&self) -> Result<TrainConfig> {
        let mut config = self
            .config
            .config()
            .with_epochs(self.epochs)
            .with_schedule(Schedule::parse(&self.schedule, self.epochs)?)
            .with_warmup_epochs(self.warmup_epochs);
        config.max_steps = self.max_steps;
        if let Some(p) = self.patience {
            config = config.with_early_stopping(EarlyStopping::new(p));
        }
        Ok(config)
    }
}

pub(super) fn run(args: TrainArgs) -> Result<()> {
    let config = args.config()?;
    // An output must never replace an input (or the other output).
    let outputs = [
        ("--history-csv", &args.history_csv),
        ("--steps-csv", &args.steps_csv),
    ];
    for (flag, path) in outputs {
        if let Some(path) = path
            && same_file(path, std::path::Path::new(&args.data.data))
        {
            return Err(crate::error::Error::data(
                flag,
                format!(
                    "{} is the dataset given with --data: writing the history there would destroy the data; choose another file",
                    path.display()
                ),
            ));
        }
    }
    if let (Some(a), Some(b)) = (&args.history_csv, &args.steps_csv)
        && same_file(a, b)
    {
        return Err(crate::error::Error::data(
            "--steps-csv",
            format!(
                "{} is also given to --history-csv: give the two histories different files",
                b.display()
            ),
        ));
    }
    let splits = args.data.load()?;
    // One run at a time per history file: the history of one run must never end up beside
    // the steps of another.
    let _locks = outputs
        .iter()
        .filter_map(|(flag, path)| path.as_ref().map(|p| fsutil::lock_output(p, false, flag)))
        .collect::<Result<Vec<_>>>()?;
    let json = args.json;
    let mut observer = |run: &Run, e: &EpochRecord| {
        if json {
            crate::out::errln!("{}", progress_line(run, e));
        } else {
            crate::out::outln!("{}", progress_line(run, e));
        }
    };
    if !json {
        crate::out::outln!("{splits}");
        crate::out::outln!("config: {config}");
    }
    let fitted = fit(&splits, &config, &mut observer)?;
    let run = &fitted.run;
    if let Some(path) = &args.history_csv {
        fsutil::write_atomic(path, run.history_csv().as_bytes())?;
        // What the run knew (optimizer, LR, classes and their shares, batch...), for
        // `tunelab diagnose --history` to judge the curves with.
        let context = crate::diagnose::History::from_run(run).context;
        fsutil::write_atomic(
            super::diagnose_cmd::context_path(path),
            context.to_json().as_bytes(),
        )?;
    }
    if let Some(path) = &args.steps_csv {
        fsutil::write_atomic(path, run.steps_csv().as_bytes())?;
    }
    let diagnosis = run.diagnose().ok();
    if json {
        let mut value = summary_json(run);
        value["diagnosis"] = serde_json::to_value(&diagnosis).unwrap_or(serde_json::Value::Null);
        crate::out::outln!("{value}");
    } else {
        print_summary(run);
        if let Some(d) = diagnosis {
            crate::out::outln!("diagnosis:\n{d}");
        }
    }
    Ok(())
}

/// The JSON summary of a run printed by `train --json`.
pub(crate) fn summary_json(run: &Run) -> serde_json::Value {
    let epochs: Vec<serde_json::Value> = run
        .epochs
        .iter()
        .map(|e| {
            serde_json::json!({
                "epoch": e.epoch,
                "train_loss": e.train_loss,
                "val_loss": e.val_loss,
                "train_acc": e.train_acc,
                "val_acc": e.val_acc,
                "lr": e.lr,
                "seconds": e.seconds,
            })
        })
        .collect();
    let outcome = &run.outcome;
    let mut value = serde_json::json!({
        "outcome": outcome.name(),
        "epochs": epochs,
        "final": run.final_metrics(),
        "best_epoch": run.best_epoch,
        "restored_best": run.restored_best,
        "wall_s": run.wall_s,
        "samples_per_s": run.samples_per_s,
        "steps": run.steps.len(),
        "n_params": run.n_params,
        "dataset": run.dataset,
        "config": run.config,
    });
    match outcome {
        crate::train::Outcome::Diverged { step, value: v } => {
            value["diverged_step"] = serde_json::json!(step);
            value["diverged_value"] = serde_json::json!(crate::fmt::csv(*v));
        }
        crate::train::Outcome::EarlyStopped { epoch } => {
            value["stopped_epoch"] = serde_json::json!(epoch);
        }
        crate::train::Outcome::Completed => {}
    }
    value
}

fn print_summary(run: &Run) {
    crate::out::outln!("outcome: {}", run.outcome);
    if let Some(f) = run.final_metrics() {
        crate::out::outln!(
            "final: train_loss {:.4}  val_loss {:.4}  val_accuracy {:.4}{}",
            Num(f.train_loss),
            Num(f.val_loss),
            Num(f.val_accuracy),
            if run.restored_best {
                " (best epoch restored)"
            } else {
                ""
            }
        );
    }
    if let Some(b) = run.best_epoch {
        crate::out::outln!("best epoch: {b}");
    }
    crate::out::outln!(
        "{} steps, {} parameters, {:.2} s, {:.0} samples/s",
        run.steps.len(),
        run.n_params,
        run.wall_s,
        run.samples_per_s
    );
}
