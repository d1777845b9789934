//! The history CSV files of a run, written and read here and nowhere else: what
//! `tunelab train --history-csv/--steps-csv` writes ([`Run::history_csv`],
//! [`Run::steps_csv`]) is what `tunelab diagnose` reads back.
//!
//! Non-finite values are written `nan`, `inf`, `-inf`. When reading, columns are found by
//! name in any order and unknown columns are ignored, so files from other tools work when
//! they use the same column names.

use super::{EpochRecord, Run, StepRecord};
use crate::csv_table::Table;
use crate::error::{Error, Result};
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
///
/// The file must hold one run: an `epoch` column, when present, counts 1, 2, 3, ... row by
/// row; losses are cross-entropies, so >= 0 (`nan` and `inf` stand for a diverged run);
/// accuracies lie in [0, 1] and learning rates are >= 0.
pub(crate) fn read_epochs(text: &str, source: &str) -> Result<EpochColumns> {
    let table = Table::read(
        text,
        source,
        &format!(
            "the header `{EPOCHS_HEADER}` (histories from Keras, `loss,val_loss,accuracy,val_accuracy`, and from PyTorch Lightning's CSVLogger, `epoch,step,train_loss,val_loss`, are read too)"
        ),
        "epoch",
    )?;
    table.require(&["train_loss", "val_loss"])?;
    let lines = table.line_numbers();
    if let Some(epochs) = table.optional_numbers("epoch")? {
        check_counting(source, &lines, &epochs, "epoch", 1)?;
    }
    let columns = EpochColumns {
        train_loss: table.required_numbers("train_loss")?,
        val_loss: table.required_numbers("val_loss")?,
        train_acc: table.optional_numbers("train_acc")?,
        val_acc: table.optional_numbers("val_acc")?,
        lr: table.optional_numbers("lr")?.unwrap_or_default(),
    };
    check_losses(source, &lines, &columns.train_loss, "train_loss")?;
    check_losses(source, &lines, &columns.val_loss, "val_loss")?;
    for (name, values) in [
        ("train_acc", &columns.train_acc),
        ("val_acc", &columns.val_acc),
    ] {
        if let Some(values) = values {
            check_values(
                source,
                &lines,
                values,
                name,
                |v| v.is_nan() || (0.0..=1.0).contains(&v),
                "is not in [0, 1]: accuracies are fractions (write 0.85, not 85)",
            )?;
        }
    }
    check_lr(source, &lines, &columns.lr)?;
    Ok(columns)
}

/// Checks an `lr` column, the same in an epochs file and a steps file: no negative LR.
fn check_lr(source: &str, lines: &[u64], lr: &[f64]) -> Result<()> {
    check_values(
        source,
        lines,
        lr,
        "lr",
        |v| v.is_nan() || v >= 0.0,
        "is negative: a learning rate is >= 0",
    )
}

/// Reads the `loss` column of a steps file. `source` names the file in errors. The losses
/// are checked like those of an epochs file, and a `step` column, when present, must hold
/// whole numbers that increase row by row (steps logged every k steps are fine; two runs
/// one after the other are not).
pub(crate) fn read_step_losses(text: &str, source: &str) -> Result<Vec<f64>> {
    let table = Table::read(
        text,
        source,
        &format!("the header `{STEPS_HEADER}`"),
        "step",
    )?;
    table.require(&["loss"])?;
    let lines = table.line_numbers();
    if let Some(steps) = table.optional_numbers("step")? {
        check_increasing(source, &lines, &steps)?;
    }
    let losses = table.required_numbers("loss")?;
    check_losses(source, &lines, &losses, "loss")?;
    if let Some(lr) = table.optional_numbers("lr")? {
        check_lr(source, &lines, &lr)?;
    }
    Ok(losses)
}

/// Checks that a counter column reads `first`, `first + 1`, ... row by row.
fn check_counting(
    source: &str,
    lines: &[u64],
    values: &[f64],
    name: &str,
    first: u64,
) -> Result<()> {
    for (expected, (line, &v)) in (first..).zip(lines.iter().zip(values)) {
        if v == expected as f64 {
            continue;
        }
        let what = if v.fract() != 0.0 || !v.is_finite() || v < 0.0 {
            format!("{} is not a whole {name} number", shown(v))
        } else if expected == first {
            format!("the first {name} is {}, not {first}", shown(v))
        } else {
            format!("{name} {} follows {name} {}", shown(v), expected - 1)
        };
        return Err(Error::data(
            source,
            format!(
                "line {line}, column '{name}': {what}: the {name}s of one run count {first}, {}, {}, ... \
                 (one run per file: split concatenated runs into separate files)",
                first + 1,
                first + 2
            ),
        ));
    }
    Ok(())
}

/// Checks that a `step` column holds whole numbers >= 0 that increase row by row.
fn check_increasing(source: &str, lines: &[u64], values: &[f64]) -> Result<()> {
    let mut previous: Option<f64> = None;
    for (line, &v) in lines.iter().zip(values) {
        let what = if v.fract() != 0.0 || !v.is_finite() || v < 0.0 {
            format!("{} is not a step number (a whole number >= 0)", shown(v))
        } else if let Some(p) = previous.filter(|&p| v <= p) {
            format!("step {} follows step {}", shown(v), shown(p))
        } else {
            previous = Some(v);
            continue;
        };
        return Err(Error::data(
            source,
            format!(
                "line {line}, column 'step': {what}: the steps of one run increase row by row \
                 (one run per file: split concatenated runs into separate files)"
            ),
        ));
    }
    Ok(())
}

/// A value for an error message: whole numbers without a fraction, others in their
/// shortest form (`1e300`, not three hundred digits).
fn shown(v: f64) -> String {
    match fmt::non_finite(v) {
        Some(text) => text.into(),
        None if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        None => format!("{v:?}"),
    }
}

/// Checks that losses are >= 0, with `nan` and `inf` allowed for a diverged run.
fn check_losses(source: &str, lines: &[u64], values: &[f64], name: &str) -> Result<()> {
    check_values(
        source,
        lines,
        values,
        name,
        |v| v.is_nan() || v >= 0.0,
        "is negative: a cross-entropy loss is >= 0 (nan and inf stand for a diverged run)",
    )
}

/// Checks every value with `ok`; the first that fails is an error naming its line, the
/// column, the value and `why`.
fn check_values(
    source: &str,
    lines: &[u64],
    values: &[f64],
    name: &str,
    ok: impl Fn(f64) -> bool,
    why: &str,
) -> Result<()> {
    match lines.iter().zip(values).find(|(_, v)| !ok(**v)) {
        Some((line, v)) => Err(Error::data(
            source,
            format!("line {line}, column '{name}': {} {why}", shown(*v)),
        )),
        None => Ok(()),
    }
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
    fn a_history_must_be_one_run_with_losses_that_can_be_cross_entropies() {
        let run: String = (1..=8)
            .map(|e| format!("{e},{},{},0.5,0.5,0.01\n", 1.0 / e as f64, 1.1 / e as f64))
            .collect();
        let one = format!("{EPOCHS_HEADER}\n{run}");
        assert_eq!(read_epochs(&one, "one").unwrap().train_loss.len(), 8);
        let cases = [
            (
                format!("{EPOCHS_HEADER}\n{run}{run}"),
                "line 10, column 'epoch': epoch 1 follows epoch 8: the epochs of one run count 1, 2, 3",
            ),
            (
                format!("{EPOCHS_HEADER}\n2,1,1,,,\n3,1,1,,,\n"),
                "line 2, column 'epoch': the first epoch is 2, not 1",
            ),
            (
                format!("{EPOCHS_HEADER}\n1,1,1,,,\n1.5,1,1,,,\n"),
                "line 3, column 'epoch': 1.5 is not a whole epoch number",
            ),
            (
                format!("{EPOCHS_HEADER}\n1,-9,1,,,\n"),
                "line 2, column 'train_loss': -9 is negative: a cross-entropy loss is >= 0",
            ),
            (
                format!("{EPOCHS_HEADER}\n1,1,-inf,,,\n"),
                "line 2, column 'val_loss': -inf is negative",
            ),
            (
                format!("{EPOCHS_HEADER}\n1,1,1,85,0.5,\n"),
                "line 2, column 'train_acc': 85 is not in [0, 1]",
            ),
            (
                format!("{EPOCHS_HEADER}\n1,1,1,,,-0.1\n"),
                "line 2, column 'lr': -0.1 is negative",
            ),
        ];
        for (text, expected) in cases {
            let err = read_epochs(&text, "h.csv").unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}\n{err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let nan = format!("{EPOCHS_HEADER}\n1,nan,inf,,,\n");
        assert!(
            read_epochs(&nan, "nan").is_ok(),
            "a diverged run is still a history"
        );
        let steps = read_step_losses("step,loss\n0,1\n10,0.5\n20,0.25\n", "s").unwrap();
        assert_eq!(steps, vec![1.0, 0.5, 0.25]);
        for (text, expected) in [
            (
                "step,loss\n0,1\n1,0.5\n0,1\n",
                "line 4, column 'step': step 0 follows step 1",
            ),
            (
                "step,loss\n0,1\n1,-0.5\n",
                "line 3, column 'loss': -0.5 is negative",
            ),
            ("step,loss\n-1,1\n", "-1 is not a step number"),
            (
                "step,loss,lr\n0,1,0.1\n1,0.5,-0.1\n",
                "line 3, column 'lr': -0.1 is negative",
            ),
        ] {
            let err = read_step_losses(text, "s.csv").unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}\n{err}");
        }
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
