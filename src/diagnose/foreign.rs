//! Histories written by other frameworks, recognised by their column names and rewritten as
//! tunelab's epochs CSV ([`EPOCHS_HEADER`]) before reading:
//!
//! - **Keras**: `History.history` saved as CSV (`pd.DataFrame(h.history).to_csv()`) or
//!   `CSVLogger`: `loss`, `val_loss`, optionally `accuracy`/`acc`, `val_accuracy`/`val_acc`,
//!   `lr`/`learning_rate`, and an `epoch` column counting from 0 (or a pandas index).
//! - **PyTorch Lightning**'s `CSVLogger` (`metrics.csv`): `epoch` and `step` columns, rows
//!   that each fill only some metrics (training and validation are logged apart), metric
//!   names chosen by the user: `train_loss` or `train_loss_epoch`, `val_loss`, `train_acc`,
//!   `val_acc`, `lr-Adam`... The last value of each metric within an epoch is that epoch's.

use crate::error::{Error, Result};
use crate::train::EPOCHS_HEADER;
use std::borrow::Cow;

/// The formats recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// tunelab's own columns.
    Tunelab,
    /// Keras's `loss,val_loss,...`.
    Keras,
    /// PyTorch Lightning's `CSVLogger`.
    Lightning,
}

impl Format {
    /// The name shown to the user.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Tunelab => "tunelab",
            Format::Keras => "Keras",
            Format::Lightning => "PyTorch Lightning (CSVLogger)",
        }
    }
}

/// The text as tunelab's epochs CSV, with the format it was in. tunelab's own text, and text
/// in no format recognised here, is returned as it is (tunelab's reader then names the
/// columns it misses).
pub(crate) fn normalise<'a>(text: &'a str, source: &str) -> Result<(Cow<'a, str>, Format)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(_) => return Ok((Cow::Borrowed(text), Format::Tunelab)),
    };
    let has = |name: &str| headers.iter().any(|h| h == name);
    let format = if has("train_loss") && has("val_loss") && !has("step") {
        Format::Tunelab
    } else if has("epoch")
        && has("step")
        && (has("train_loss") || has("train_loss_epoch"))
        && (has("val_loss") || has("val_loss_epoch"))
    {
        Format::Lightning
    } else if has("loss") && has("val_loss") {
        Format::Keras
    } else {
        // Not a foreign format: read as tunelab's, whose reader names the missing columns.
        Format::Tunelab
    };
    if format == Format::Tunelab {
        return Ok((Cow::Borrowed(text), format));
    }
    let pick = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n))
    };
    let lr_column = pick(&["lr", "learning_rate"]).or_else(|| {
        headers
            .iter()
            .position(|h| h.starts_with("lr-") || h.starts_with("lr_"))
    });
    let columns = match format {
        Format::Keras => [
            pick(&["loss"]),
            pick(&["val_loss"]),
            pick(&["accuracy", "acc"]),
            pick(&["val_accuracy", "val_acc"]),
            lr_column,
        ],
        _ => [
            pick(&["train_loss_epoch", "train_loss"]),
            pick(&["val_loss_epoch", "val_loss"]),
            pick(&["train_acc_epoch", "train_acc", "train_accuracy"]),
            pick(&["val_acc_epoch", "val_acc", "val_accuracy"]),
            lr_column,
        ],
    };
    let epoch_column = pick(&["epoch"]);
    // One row of values per epoch, in the order the epochs first appear.
    let mut epochs: Vec<(String, [String; 5])> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| Error::data(source, format!("row {} is unreadable: {e}", i + 1)))?;
        let key = match (format, epoch_column) {
            (Format::Lightning, Some(c)) => record.get(c).unwrap_or("").to_string(),
            _ => i.to_string(),
        };
        if key.is_empty() {
            continue;
        }
        let index = match epochs.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                epochs.push((key, Default::default()));
                epochs.len() - 1
            }
        };
        for (slot, column) in epochs[index].1.iter_mut().zip(columns) {
            if let Some(value) = column.and_then(|c| record.get(c)).filter(|v| !v.is_empty()) {
                *slot = value.to_string();
            }
        }
    }
    let mut out = format!("{EPOCHS_HEADER}\n");
    let mut written = 0;
    for (_, values) in &epochs {
        // Lightning logs a last validation pass (or a sanity check) without its training
        // half, or the reverse: an epoch without both losses is left out.
        if format == Format::Lightning && (values[0].is_empty() || values[1].is_empty()) {
            continue;
        }
        written += 1;
        out.push_str(&format!("{written},{}\n", values.join(",")));
    }
    Ok((Cow::Owned(out), format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_columns_are_renamed_and_epochs_counted_from_1() {
        let keras =
            "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,0.9,0.55,0.85\n1,0.7,0.6,0.68,0.62\n";
        let (text, format) = normalise(keras, "h.csv").unwrap();
        assert_eq!(format, Format::Keras);
        assert_eq!(
            text,
            format!("{EPOCHS_HEADER}\n1,0.9,0.85,0.5,0.55,\n2,0.6,0.62,0.7,0.68,\n")
        );
        let pandas = ",loss,val_loss,acc,val_acc,lr\n0,0.9,0.85,0.5,0.55,0.001\n";
        let (text, _) = normalise(pandas, "h.csv").unwrap();
        assert!(text.ends_with("1,0.9,0.85,0.5,0.55,0.001\n"), "{text}");
    }

    #[test]
    fn lightning_rows_are_gathered_per_epoch() {
        let lightning = "epoch,step,train_loss_step,train_loss_epoch,val_loss,val_acc,lr-Adam\n\
             0,9,0.8,,,,0.001\n0,19,0.7,,,,0.001\n0,19,,,0.72,0.6,\n0,19,,0.75,,,\n\
             1,29,0.5,,,,0.001\n1,39,,,0.55,0.7,\n1,39,,0.52,,,\n";
        let (text, format) = normalise(lightning, "metrics.csv").unwrap();
        assert_eq!(format, Format::Lightning);
        assert_eq!(
            text,
            format!("{EPOCHS_HEADER}\n1,0.75,0.72,,0.6,0.001\n2,0.52,0.55,,0.7,0.001\n")
        );
    }

    #[test]
    fn tunelab_text_and_unknown_columns_are_left_to_tunelabs_reader() {
        let own = format!("{EPOCHS_HEADER}\n1,1,1,,,\n");
        let (text, format) = normalise(&own, "h").unwrap();
        assert_eq!((text.as_ref(), format), (own.as_str(), Format::Tunelab));
        assert!(
            matches!(text, Cow::Borrowed(_)),
            "tunelab's own text is not copied"
        );
        let other = "a,b\n1,2\n";
        let (text, format) = normalise(other, "h").unwrap();
        assert_eq!((text.as_ref(), format), (other, Format::Tunelab));
    }
}
