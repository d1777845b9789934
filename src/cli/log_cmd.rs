//! `tunelab log show|best|compare FILE`.

use crate::error::{Error, Result};
use crate::log::{ExperimentLog, Metric};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Flags of `tunelab log`.
#[derive(Debug, Clone, Args)]
pub(crate) struct LogArgs {
    #[command(subcommand)]
    action: LogAction,
}

/// What to print.
#[derive(Debug, Clone, Subcommand)]
enum LogAction {
    /// Every run as a table.
    Show {
        /// experiments.parquet, or the directory holding it.
        file: PathBuf,
    },
    /// The best run.
    Best {
        /// experiments.parquet, or the directory holding it.
        file: PathBuf,
        /// val_accuracy, val_loss or train_loss.
        #[arg(long, default_value = "val_accuracy")]
        metric: String,
    },
    /// Runs side by side, with what differs.
    Compare {
        /// experiments.parquet, or the directory holding it.
        file: PathBuf,
        /// Run ids.
        #[arg(required = true, num_args = 2..)]
        ids: Vec<i64>,
    },
}

pub(super) fn run(args: LogArgs) -> Result<()> {
    match args.action {
        LogAction::Show { file } => {
            let log = ExperimentLog::load(&file)?;
            print!("{log}");
            println!("{} runs", log.len());
        }
        LogAction::Best { file, metric } => {
            let metric = match metric.as_str() {
                "val_accuracy" => Metric::ValAccuracy,
                "val_loss" => Metric::ValLoss,
                "train_loss" => Metric::TrainLoss,
                _ => {
                    return Err(Error::unknown(
                        "metric",
                        metric,
                        "val_accuracy, val_loss or train_loss",
                    ));
                }
            };
            let log = ExperimentLog::load(&file)?;
            match log.best(metric) {
                Some(best) => {
                    let cmp = log.compare(&[best.run_id])?;
                    print!("{cmp}");
                    println!();
                }
                None => println!("no run that trained (all diverged or the log is empty)"),
            }
        }
        LogAction::Compare { file, ids } => {
            let log = ExperimentLog::load(&file)?;
            println!("{}", log.compare(&ids)?);
        }
    }
    Ok(())
}
