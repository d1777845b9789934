//! Reading a [`History`] from the CSV files that `tunelab train --history-csv` and `--steps-csv` (and
//! [`Run::history_csv`](crate::train::Run::history_csv) / [`Run::steps_csv`](crate::train::Run::steps_csv))
//! write, or that any other tool writes with the same column names.
//!
//! Columns are found by name, in any order; unknown columns are ignored. Epochs are taken in
//! row order and numbered from 1.

use super::History;
use super::foreign::{Format, normalise};
use crate::error::Result;
use crate::train::history_csv::{EpochColumns, read_epochs, read_step_losses};
use std::path::Path;

impl History {
    /// Parses the text of an epochs CSV (header [`EPOCHS_HEADER`](crate::train::EPOCHS_HEADER);
    /// `train_loss` and `val_loss` required; `nan`/`inf` allowed; the accuracy and `lr`
    /// columns optional and may be left empty; histories from Keras and PyTorch Lightning's
    /// CSVLogger are recognised by their column names) and, optionally, of a steps CSV
    /// (header [`STEPS_HEADER`](crate::train::STEPS_HEADER), `loss` required).
    pub fn from_csv_str(epochs_csv: &str, steps_csv: Option<&str>) -> Result<History> {
        let (mut history, _) = read(epochs_csv, "the epochs CSV")?;
        if let Some(text) = steps_csv {
            history.step_loss = Some(read_step_losses(text, "the steps CSV")?);
        }
        Ok(history)
    }

    /// Reads an epochs CSV file and, optionally, a steps CSV file; see
    /// [`History::from_csv_str`].
    pub fn from_csv_files(epochs: &Path, steps: Option<&Path>) -> Result<History> {
        Self::from_csv_files_in_format(epochs, steps).map(|(h, _)| h)
    }

    /// [`History::from_csv_files`], with the format the epochs file was recognised as:
    /// `tunelab`, `Keras` or `PyTorch Lightning (CSVLogger)`.
    pub fn from_csv_files_in_format(
        epochs: &Path,
        steps: Option<&Path>,
    ) -> Result<(History, &'static str)> {
        let text = crate::fsutil::read_input_text(epochs)?;
        let (mut history, format) = read(&text, &epochs.display().to_string())?;
        if let Some(path) = steps {
            let text = crate::fsutil::read_input_text(path)?;
            history.step_loss = Some(read_step_losses(&text, &path.display().to_string())?);
        }
        Ok((history, format.name()))
    }

    /// Sets the number of classes from the first step's loss (≈ ln(classes) for an untrained
    /// classifier, [`classes_from_initial_loss`](super::classes_from_initial_loss)) when it is
    /// not known, and marks it inferred. Returns the count it set.
    pub fn infer_classes(&mut self) -> Option<usize> {
        if self.context.n_classes.is_some() {
            return None;
        }
        let first = self.steps()?.first().copied()?;
        let k = super::classes_from_initial_loss(first)?;
        self.context.n_classes = Some(k);
        self.context.classes_inferred = true;
        Some(k)
    }
}

/// The history in an epochs CSV, and the format it was written in.
fn read(text: &str, source: &str) -> Result<(History, Format)> {
    let (text, format) = normalise(text, source)?;
    Ok((from_columns(read_epochs(&text, source)?), format))
}

fn from_columns(c: EpochColumns) -> History {
    History {
        train_loss: c.train_loss,
        val_loss: c.val_loss,
        train_acc: c.train_acc,
        val_acc: c.val_acc,
        lr: c.lr,
        ..History::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::EPOCHS_HEADER;

    const GOOD: &str = "epoch,train_loss,val_loss,train_acc,val_acc,lr\n\
                        1,2.0,2.1,0.3,0.25,0.01\n\
                        2,nan,inf,0.5,0.45,0.01\n\
                        3,inf,NaN,0.6,0.55,0.005\n";

    #[test]
    fn reads_a_good_file_with_non_finite_values() {
        let h = History::from_csv_str(GOOD, None).unwrap();
        assert_eq!(h.train_loss[0], 2.0);
        assert!(h.train_loss[1].is_nan());
        assert_eq!(h.train_loss[2], f64::INFINITY);
        assert_eq!(h.val_loss[1], f64::INFINITY);
        assert!(h.val_loss[2].is_nan());
        assert_eq!(h.train_acc, Some(vec![0.3, 0.5, 0.6]));
        assert_eq!(h.val_acc, Some(vec![0.25, 0.45, 0.55]));
        assert_eq!(h.lr, vec![0.01, 0.01, 0.005]);
        assert_eq!(h.step_loss, None);
        h.validate().unwrap();
    }

    #[test]
    fn empty_accuracy_columns_and_reordered_columns_are_fine() {
        let text = "val_loss,epoch,train_loss,train_acc,val_acc,lr\n1.5,1,1.0,,,\n1.2,2,0.8,,,\n";
        let h = History::from_csv_str(
            text,
            Some("step,loss,lr,grad_norm\n0,2.3,0.1,1\n1,2.0,0.1,1\n"),
        )
        .unwrap();
        assert_eq!(h.train_loss, vec![1.0, 0.8]);
        assert_eq!(h.val_loss, vec![1.5, 1.2]);
        assert_eq!(h.train_acc, None);
        assert_eq!(h.val_acc, None);
        assert!(h.lr.is_empty());
        assert_eq!(h.step_loss, Some(vec![2.3, 2.0]));
        let minimal = History::from_csv_str("train_loss,val_loss\n1,2\n0.5,1\n", None).unwrap();
        assert_eq!(minimal.n_epochs(), 2);
    }

    #[test]
    fn the_runs_own_csv_round_trips() {
        let text = "epoch,train_loss,val_loss,train_acc,val_acc,lr\n1,0.5,0.6,0.8,0.75,0.001\n2,0.25,0.3,0.9,0.85,0.001\n";
        let h = History::from_csv_str(text, None).unwrap();
        assert_eq!(h.train_loss, vec![0.5, 0.25]);
        assert_eq!(h.base_lr(), Some(0.001));
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let cases = [
            ("", "the file is empty"),
            ("   \n", "the file is empty"),
            (EPOCHS_HEADER, "no data rows"),
            ("epoch,train_loss\n1,0.5\n", "missing column 'val_loss'"),
            (
                "epoch,acc\n1,0.5\n",
                "missing columns 'train_loss', 'val_loss'",
            ),
            (
                "train_loss,val_loss\n1,2\n0.5,abc\n",
                "line 3, column 'val_loss': 'abc' is not a number",
            ),
            (
                "train_loss,val_loss\n1,2\n0.5\n",
                "line 3 has 1 cells but the header has 2",
            ),
            (
                "train_loss,val_loss\n1,2\n,1\n",
                "line 3, column 'train_loss': the cell is empty",
            ),
            (
                "train_loss,val_loss,train_acc\n1,2,0.5\n0.5,1,\n",
                "line 3, column 'train_acc': the cell is empty but other rows",
            ),
            (
                "train_loss,val_loss,train_loss\n1,2,3\n",
                "column 'train_loss' appears twice",
            ),
        ];
        for (text, expected) in cases {
            let err = History::from_csv_str(text, None).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(err.contains("the epochs CSV"), "{err}");
        }
        let err = History::from_csv_str(GOOD, Some("step,lr\n0,0.1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the steps CSV") && err.contains("missing column 'loss'"),
            "{err}"
        );
    }

    #[test]
    fn files_are_read_and_a_missing_file_is_an_io_error() {
        let dir = std::env::temp_dir().join(format!("tunelab-diagnose-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let epochs = dir.join("EPOCHS.csv");
        let steps = dir.join("STEPS.csv");
        std::fs::write(&epochs, GOOD).unwrap();
        std::fs::write(&steps, "step,loss,lr\n0,2.3,0.01\n").unwrap();
        let h = History::from_csv_files(&epochs, Some(&steps)).unwrap();
        assert_eq!(h.n_epochs(), 3);
        assert_eq!(h.step_loss, Some(vec![2.3]));
        let bad = dir.join("BAD.csv");
        std::fs::write(&bad, "train_loss\n1\n").unwrap();
        let err = History::from_csv_files(&bad, None).unwrap_err().to_string();
        assert!(
            err.contains("BAD.csv") && err.contains("'val_loss'"),
            "{err}"
        );
        let missing = History::from_csv_files(&dir.join("nope.csv"), None).unwrap_err();
        assert!(
            matches!(missing, crate::error::Error::Io { .. }),
            "{missing}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
