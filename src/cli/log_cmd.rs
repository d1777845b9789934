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
    #[command(allow_negative_numbers = true)]
    Show {
        /// experiments.parquet (or experiments.csv), or the folder holding it.
        file: PathBuf,
    },
    /// The best run.
    #[command(allow_negative_numbers = true)]
    Best {
        /// experiments.parquet (or experiments.csv), or the folder holding it.
        file: PathBuf,
        /// val_accuracy, val_loss or train_loss.
        #[arg(long, default_value = "val_accuracy")]
        metric: String,
    },
    /// Runs side by side, with what differs.
    #[command(allow_negative_numbers = true)]
    Compare {
        /// experiments.parquet (or experiments.csv), or the folder holding it.
        file: PathBuf,
        /// Two or more run ids (the `id` column of `log show`).
        #[arg(required = true, num_args = 2.., value_name = "RUN_ID", value_parser = run_id)]
        ids: Vec<i64>,
    },
}

/// Parses a run id.
fn run_id(s: &str) -> std::result::Result<i64, String> {
    s.parse()
        .map_err(|_| "run ids are whole numbers, as in the id column of `log show`".into())
}

pub(super) fn run(args: LogArgs) -> Result<()> {
    match args.action {
        LogAction::Show { file } => {
            let log = ExperimentLog::load(&file)?;
            crate::out::out!("{log}");
            crate::out::outln!("{} runs", log.len());
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
                    crate::out::out!("{cmp}");
                    crate::out::outln!();
                }
                None => {
                    crate::out::outln!("no run that trained (all diverged or the log is empty)")
                }
            }
        }
        LogAction::Compare { file, ids } => {
            let log = ExperimentLog::load(&file)?;
            crate::out::outln!("{}", log.compare(&ids)?);
        }
    }
    Ok(())
}
