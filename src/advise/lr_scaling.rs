//! Scaling the learning rate when the batch size changes.

use crate::error::{Error, Result, Valid};
use crate::fmt::{short, write_table};
use serde::Serialize;
use std::fmt;

/// What to do with the scaled learning rates.
pub const LR_SCALING_CAVEAT: &str = "both rules are starting points, not answers: re-tune around \
     the result (e.g. x0.5, x1, x2); the square-root rule is the safer default for Adam-type \
     optimizers, the linear rule (Goyal et al. 2017) suits SGD with warm-up";

/// A learning rate moved to a new batch size by the square-root and the linear rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LrScaling {
    /// The learning rate tuned at `old_batch`.
    pub lr: f64,
    /// The batch the learning rate was tuned at.
    pub old_batch: usize,
    /// The new batch.
    pub new_batch: usize,
    /// `new_batch / old_batch`.
    pub ratio: f64,
    /// Square-root rule: `lr * sqrt(new / old)`.
    pub sqrt_rule: f64,
    /// Linear rule: `lr * new / old`.
    pub linear_rule: f64,
    /// What to do with these numbers.
    pub caveat: String,
}

/// Scales `lr`, tuned at batch `old_batch`, to batch `new_batch` by both rules.
pub fn scale_lr(lr: f64, old_batch: usize, new_batch: usize) -> Result<LrScaling> {
    Error::check(
        "lr",
        lr,
        Valid::Positive,
        "the learning rate tuned at the old batch, e.g. 1e-3",
    )?;
    for (name, batch) in [("from_batch", old_batch), ("to_batch", new_batch)] {
        Error::check(name, batch as f64, Valid::AtLeast(1.0), "a batch size")?;
    }
    let ratio = new_batch as f64 / old_batch as f64;
    Ok(LrScaling {
        lr,
        old_batch,
        new_batch,
        ratio,
        sqrt_rule: lr * ratio.sqrt(),
        linear_rule: lr * ratio,
        caveat: LR_SCALING_CAVEAT.to_string(),
    })
}

impl fmt::Display for LrScaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Learning rate {} at batch {} -> batch {} (x{})",
            short(self.lr),
            self.old_batch,
            self.new_batch,
            short(self.ratio)
        )?;
        let rows = vec![
            vec![
                "square root".into(),
                "lr * sqrt(new/old)".into(),
                short(self.sqrt_rule),
            ],
            vec![
                "linear".into(),
                "lr * new/old".into(),
                short(self.linear_rule),
            ],
        ];
        write_table(f, &["rule", "formula", "new lr"], &rows)?;
        writeln!(f, "Note: {}", self.caveat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_rules_by_hand() {
        let s = scale_lr(1e-3, 32, 128).unwrap();
        assert_eq!(s.ratio, 4.0);
        assert!((s.sqrt_rule - 2e-3).abs() < 1e-15, "{}", s.sqrt_rule);
        assert!((s.linear_rule - 4e-3).abs() < 1e-15, "{}", s.linear_rule);
        let down = scale_lr(0.1, 256, 64).unwrap();
        assert!((down.sqrt_rule - 0.05).abs() < 1e-15);
        assert!((down.linear_rule - 0.025).abs() < 1e-15);
        let same = scale_lr(3e-4, 64, 64).unwrap();
        assert_eq!((same.sqrt_rule, same.linear_rule), (3e-4, 3e-4));
        let text = s.to_string();
        assert!(text.contains("2e-3") && text.contains("4e-3"), "{text}");
    }

    #[test]
    fn bad_inputs_name_the_field() {
        for (lr, old, new, field) in [
            (0.0, 32, 64, "lr"),
            (-1e-3, 32, 64, "lr"),
            (f64::NAN, 32, 64, "lr"),
            (f64::INFINITY, 32, 64, "lr"),
            (1e-3, 0, 64, "from_batch"),
            (1e-3, 32, 0, "to_batch"),
        ] {
            let err = scale_lr(lr, old, new).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidHyperparameter { name, .. } if *name == field),
                "{field}: {err}"
            );
        }
    }
}
