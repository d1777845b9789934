//! The history CSV files of a run, written and read here and nowhere else: what
//! `tunelab train --history-csv/--steps-csv` writes ([`Run::history_csv`],
//! [`Run::steps_csv`]) is what `tunelab diagnose` reads back.
//!
//! Non-finite values are written `nan`, `inf`, `-inf`. When reading, columns are found by
//! name in any order and unknown columns are ignored, so files from other tools work when
//! they use the same column names.

use super::{EpochRecord, Run, StepRecord};
use crate::csv_table::Table;
use crate::error::Result;
use crate::fmt;

/// The header of an epochs file (`train --history-csv`).
pub const EPOCHS_HEADER: &str = "epoch,train_loss,val_loss,train_acc,val_acc,lr";
/// The header of a steps file (`train --steps-csv`); only `loss` is needed to read one.
pub const STEPS_HEADER: &str = "step,loss,lr,grad_norm";

/// The columns read from an epochs file, epoch 1 first (rows in file order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EpochColumns {
    /// Training loss per epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss per epoch.
    pub val_loss: Vec<f64>,
    /// Training accuracy, when the column is present and filled.
    pub train_acc: Option<Vec<f64>>,
    /// Validation accuracy, when the column is present and filled.
    pub val_acc: Option<Vec<f64>>,
    /// Learning rate per epoch; empty when unknown.
    pub lr: Vec<f64>,
}

impl Run {
    /// The per-epoch history as CSV with the header [`EPOCHS_HEADER`].
    pub fn history_csv(&self) -> String {
        write_epochs(&self.epochs)
    }

    /// The per-step history as CSV with the header [`STEPS_HEADER`].
    pub fn steps_csv(&self) -> String {
        write_steps(&self.steps)
    }
}

fn write_epochs(epochs: &[EpochRecord]) -> String {
    let mut out = format!("{EPOCHS_HEADER}\n");
    for e in epochs {
        let values = [e.train_loss, e.val_loss, e.train_acc, e.val_acc, e.lr];
        out.push_str(&e.epoch.to_string());
        push_values(&mut out, &values);
    }
    out
}

fn write_steps(steps: &[StepRecord]) -> String {
    let mut out = format!("{STEPS_HEADER}\n");
    for s in steps {
        out.push_str(&s.step.to_string());
        push_values(&mut out, &[s.loss, s.lr, s.grad_norm]);
    }
    out
}

fn push_values(out: &mut String, values: &[f64]) {
    for v in values {
        out.push(',');
        out.push_str(&fmt::csv(*v));
    }
    out.push('\n');
}

/// Reads an epochs file (`train_loss` and `val_loss` required; the accuracy and `lr`
/// columns optional and may be left empty). `source` names the file in errors.
pub(crate) fn read_epochs(text: &str, source: &str) -> Result<EpochColumns> {
    let table = Table::read(
        text,
        source,
        &format!("the header `{EPOCHS_HEADER}`"),
        "epoch",
    )?;
    table.require(&["train_loss", "val_loss"])?;
    Ok(EpochColumns {
        train_loss: table.required_numbers("train_loss")?,
        val_loss: table.required_numbers("val_loss")?,
        train_acc: table.optional_numbers("train_acc")?,
        val_acc: table.optional_numbers("val_acc")?,
        lr: table.optional_numbers("lr")?.unwrap_or_default(),
    })
}

/// Reads the `loss` column of a steps file. `source` names the file in errors.
pub(crate) fn read_step_losses(text: &str, source: &str) -> Result<Vec<f64>> {
    let table = Table::read(
        text,
        source,
        &format!("the header `{STEPS_HEADER}`"),
        "step",
    )?;
    table.require(&["loss"])?;
    table.required_numbers("loss")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, train_loss: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss,
            val_loss: train_loss * 1.5,
            train_acc: 0.5,
            val_acc: 0.25,
            lr: 1e-3,
            seconds: 0.1,
        }
    }

    #[test]
    fn what_is_written_reads_back_with_non_finite_values() {
        let epochs = [epoch(1, 2.0), epoch(2, f64::NAN), epoch(3, f64::INFINITY)];
        let text = write_epochs(&epochs);
        assert!(text.starts_with(EPOCHS_HEADER));
        assert!(text.contains("\n2,nan,nan,0.5,0.25,0.001\n"), "{text}");
        let back = read_epochs(&text, "test").unwrap();
        assert_eq!(back.train_loss[0], 2.0);
        assert!(back.train_loss[1].is_nan());
        assert_eq!(back.val_loss[2], f64::INFINITY);
        assert_eq!(back.train_acc, Some(vec![0.5; 3]));
        assert_eq!(back.lr, vec![1e-3; 3]);
    }

    #[test]
    fn the_steps_file_the_writer_writes_is_the_one_the_reader_reads() {
        let steps: Vec<StepRecord> = (0..3)
            .map(|step| StepRecord {
                step,
                epoch: 1,
                lr: 0.01,
                loss: 2.0 / (step + 1) as f64,
                grad_norm: 1.5,
            })
            .collect();
        let text = write_steps(&steps);
        assert_eq!(text.lines().next(), Some(STEPS_HEADER));
        let losses = read_step_losses(&text, "test").unwrap();
        let expected: Vec<f64> = steps.iter().map(|s| s.loss).collect();
        assert_eq!(losses, expected);
    }
}
