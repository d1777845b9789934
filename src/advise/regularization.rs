//! How much regularisation to add, by how strongly the model overfits.

use crate::error::{Error, Result, Valid};
use crate::fmt::{short, write_table};
use serde::Serialize;
use std::fmt;

/// Relative gap `(val_loss - train_loss) / train_loss` from which overfitting counts as mild.
pub const MILD_GAP: f64 = 0.10;
/// Relative gap from which overfitting counts as moderate.
pub const MODERATE_GAP: f64 = 0.30;
/// Relative gap from which overfitting counts as strong (validation loss about double).
pub const STRONG_GAP: f64 = 1.00;

/// How strongly a model overfits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overfitting {
    /// Validation loss within [`MILD_GAP`] of the training loss.
    None,
    /// Gap from [`MILD_GAP`] to [`MODERATE_GAP`].
    Mild,
    /// Gap from [`MODERATE_GAP`] to [`STRONG_GAP`].
    Moderate,
    /// Gap of [`STRONG_GAP`] or more.
    Strong,
}

impl Overfitting {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Overfitting::None => "none",
            Overfitting::Mild => "mild",
            Overfitting::Moderate => "moderate",
            Overfitting::Strong => "strong",
        }
    }
}

/// A closed range of values to try, `low..=high`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ValueRange {
    /// The low end.
    pub low: f64,
    /// The high end.
    pub high: f64,
}

impl fmt::Display for ValueRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            f.write_str(&short(self.low))
        } else {
            write!(f, "{}-{}", short(self.low), short(self.high))
        }
    }
}

/// One row of the regularisation table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegularizationRule {
    /// The strength of overfitting this row is for.
    pub level: Overfitting,
    /// The smallest relative gap of this level.
    pub min_gap: f64,
    /// Dropout probabilities to try.
    pub dropout: ValueRange,
    /// Weight decay values to try.
    pub weight_decay: ValueRange,
    /// What else to do.
    pub actions: &'static [&'static str],
}

const fn range(low: f64, high: f64) -> ValueRange {
    ValueRange { low, high }
}

/// The tuning guide's regularisation by strength of overfitting, weakest first.
pub const REGULARIZATION_TABLE: [RegularizationRule; 4] = [
    RegularizationRule {
        level: Overfitting::None,
        min_gap: f64::NEG_INFINITY,
        dropout: range(0.0, 0.0),
        weight_decay: range(0.0, 0.0),
        actions: &[
            "no extra regularisation needed",
            "if the training loss is still high the model underfits: a larger model, more epochs or a higher learning rate",
        ],
    },
    RegularizationRule {
        level: Overfitting::Mild,
        min_gap: MILD_GAP,
        dropout: range(0.1, 0.2),
        weight_decay: range(1e-5, 1e-4),
        actions: &["add light dropout or weight decay, one at a time"],
    },
    RegularizationRule {
        level: Overfitting::Moderate,
        min_gap: MODERATE_GAP,
        dropout: range(0.2, 0.3),
        weight_decay: range(1e-4, 1e-4),
        actions: &[
            "add dropout and weight decay",
            "use early stopping on the validation loss",
        ],
    },
    RegularizationRule {
        level: Overfitting::Strong,
        min_gap: STRONG_GAP,
        dropout: range(0.3, 0.5),
        weight_decay: range(1e-4, 1e-3),
        actions: &[
            "get more data (or augment it)",
            "use a smaller model",
            "use early stopping on the validation loss",
        ],
    },
];

/// Regularisation to try for a model with the given final losses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegularizationAdvice {
    /// Final training loss.
    pub train_loss: f64,
    /// Final validation loss.
    pub val_loss: f64,
    /// `(val_loss - train_loss) / train_loss` (infinite when the training loss is 0 and the
    /// validation loss is not).
    pub gap: f64,
    /// How strongly the model overfits.
    pub level: Overfitting,
    /// Dropout probabilities to try.
    pub dropout: ValueRange,
    /// Weight decay values to try.
    pub weight_decay: ValueRange,
    /// What else to do.
    pub actions: Vec<String>,
}

/// The table row for a relative gap.
pub fn regularization_rule(gap: f64) -> RegularizationRule {
    REGULARIZATION_TABLE
        .iter()
        .rev()
        .copied()
        .find(|r| gap >= r.min_gap)
        .unwrap_or(REGULARIZATION_TABLE[0])
}

/// Regularisation advice from the final training and validation losses (see
/// [`REGULARIZATION_TABLE`] and the gap thresholds [`MILD_GAP`], [`MODERATE_GAP`],
/// [`STRONG_GAP`]).
pub fn regularization_advice(train_loss: f64, val_loss: f64) -> Result<RegularizationAdvice> {
    for (name, v) in [("train_loss", train_loss), ("val_loss", val_loss)] {
        Error::check(
            name,
            v,
            Valid::NonNegative,
            "a run that diverged needs a lower learning rate first",
        )?;
    }
    let gap = if train_loss > 0.0 {
        (val_loss - train_loss) / train_loss
    } else if val_loss > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let rule = regularization_rule(gap);
    let mut actions: Vec<String> = rule.actions.iter().map(|a| a.to_string()).collect();
    if gap < 0.0 {
        actions.push(
            "validation loss below training loss: dropout during training or an easy validation set; \
             check the split before tuning on it"
                .into(),
        );
    }
    Ok(RegularizationAdvice {
        train_loss,
        val_loss,
        gap,
        level: rule.level,
        dropout: rule.dropout,
        weight_decay: rule.weight_decay,
        actions,
    })
}

impl fmt::Display for RegularizationAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Overfitting: {} (train loss {}, val loss {}, gap {})",
            self.level.name(),
            short(self.train_loss),
            short(self.val_loss),
            if self.gap.is_finite() {
                format!("{:+.0}%", self.gap * 100.0)
            } else {
                "infinite".into()
            }
        )?;
        let rows = vec![
            vec!["dropout".into(), self.dropout.to_string()],
            vec!["weight decay".into(), self.weight_decay.to_string()],
        ];
        write_table(f, &["try", "values"], &rows)?;
        for a in &self.actions {
            writeln!(f, "- {a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(train: f64, val: f64) -> Overfitting {
        regularization_advice(train, val).unwrap().level
    }

    #[test]
    fn levels_by_gap_at_the_boundaries() {
        assert_eq!(level(1.0, 1.0), Overfitting::None);
        assert_eq!(level(1.0, 1.09), Overfitting::None);
        assert_eq!(level(1.0, 1.1), Overfitting::Mild);
        assert_eq!(level(1.0, 1.29), Overfitting::Mild);
        assert_eq!(level(1.0, 1.3), Overfitting::Moderate);
        assert_eq!(level(1.0, 1.99), Overfitting::Moderate);
        assert_eq!(level(1.0, 2.0), Overfitting::Strong);
        assert_eq!(level(0.0, 0.1), Overfitting::Strong);
        assert_eq!(level(0.0, 0.0), Overfitting::None);
        assert_eq!(level(0.5, 0.4), Overfitting::None);
    }

    #[test]
    fn ranges_come_from_the_table() {
        let mild = regularization_advice(0.20, 0.25).unwrap();
        assert_eq!(mild.dropout, range(0.1, 0.2));
        assert_eq!(mild.weight_decay, range(1e-5, 1e-4));
        let strong = regularization_advice(0.05, 0.60).unwrap();
        assert_eq!(strong.dropout, range(0.3, 0.5));
        assert!(strong.actions.iter().any(|a| a.contains("more data")));
        assert!(strong.actions.iter().any(|a| a.contains("early stopping")));
        let text = strong.to_string();
        assert!(
            text.contains("strong") && text.contains("0.3-0.5") && text.contains("1e-4-1e-3"),
            "{text}"
        );
        let below = regularization_advice(0.5, 0.4).unwrap();
        assert!(below.actions.iter().any(|a| a.contains("below training")));
    }

    #[test]
    fn table_is_ordered_and_bad_losses_are_errors() {
        for pair in REGULARIZATION_TABLE.windows(2) {
            assert!(pair[0].min_gap < pair[1].min_gap);
            assert!(pair[0].dropout.high <= pair[1].dropout.high);
        }
        assert!(regularization_advice(f64::NAN, 1.0).is_err());
        assert!(regularization_advice(1.0, -1.0).is_err());
        assert!(regularization_advice(1.0, f64::INFINITY).is_err());
    }
}
