//! How much regularisation to add, by how strongly the model overfits.

use super::dropout::{DROPOUT_BY_OVERFITTING, DropoutSite, dropout_at, dropout_for};
use super::overfitting::{MILD_MIN_GAP, MILD_RATIO, Overfitting, loss_ratio, overfitting_level};
use super::range::ValueRange;
use super::weight_decay::WeightDecayStrength;
use crate::error::Result;
use crate::fmt::{num, short, write_table};
use serde::Serialize;
use std::fmt;

/// One row of the regularisation table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegularizationRule {
    /// The strength of overfitting this row is for.
    pub level: Overfitting,
    /// Hidden-layer dropout to try ([`super::DROPOUT_BY_OVERFITTING`]).
    pub dropout: ValueRange,
    /// Weight decay values to try, from [`super::WEIGHT_DECAY_TABLE`].
    pub weight_decay: ValueRange,
    /// What else to do.
    pub actions: &'static [&'static str],
}

const fn decay(from: WeightDecayStrength, to: WeightDecayStrength) -> ValueRange {
    ValueRange::new(from.value(), to.value())
}

/// The regularisation to try by strength of overfitting, weakest first: the guide's dropout
/// for the level, and weight decay one step of the guide's scale wide (light to moderate for
/// mild overfitting, up to strong to very strong for severe).
pub const REGULARIZATION_TABLE: [RegularizationRule; 4] = {
    use WeightDecayStrength as W;
    [
        RegularizationRule {
            level: Overfitting::None,
            dropout: DROPOUT_BY_OVERFITTING[0].dropout,
            weight_decay: decay(W::None, W::None),
            actions: &[
                "no extra regularisation needed",
                "if the training loss is still high the model underfits: a larger model, more epochs or a higher learning rate, and less regularisation",
            ],
        },
        RegularizationRule {
            level: Overfitting::Mild,
            dropout: DROPOUT_BY_OVERFITTING[1].dropout,
            weight_decay: decay(W::Light, W::Moderate),
            actions: &["add light dropout or weight decay, one at a time"],
        },
        RegularizationRule {
            level: Overfitting::Moderate,
            dropout: DROPOUT_BY_OVERFITTING[2].dropout,
            weight_decay: decay(W::Moderate, W::Strong),
            actions: &[
                "add dropout and weight decay, one at a time",
                "use early stopping on the validation loss",
            ],
        },
        RegularizationRule {
            level: Overfitting::Severe,
            dropout: DROPOUT_BY_OVERFITTING[3].dropout,
            weight_decay: decay(W::Strong, W::VeryStrong),
            actions: &[
                "get more data (or augment it)",
                "use a smaller model (fewer layers or neurons)",
                "use early stopping on the validation loss",
            ],
        },
    ]
};

/// The table row for a level of overfitting.
pub fn regularization_rule(level: Overfitting) -> RegularizationRule {
    REGULARIZATION_TABLE[level as usize]
}

/// Regularisation to try for a model with the given final losses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegularizationAdvice {
    /// Final training loss.
    pub train_loss: f64,
    /// Final validation loss.
    pub val_loss: f64,
    /// `val_loss / train_loss` ([`super::loss_ratio`]).
    pub ratio: f64,
    /// `val_loss - train_loss`, in loss units.
    pub gap: f64,
    /// How strongly the model overfits ([`super::overfitting_level`]).
    pub level: Overfitting,
    /// Hidden-layer dropout probabilities to try.
    pub dropout: ValueRange,
    /// Input dropout to try together with it: lower than the hidden dropout, 0 when the model
    /// does not overfit.
    pub input_dropout: ValueRange,
    /// Weight decay values to try.
    pub weight_decay: ValueRange,
    /// What else to do.
    pub actions: Vec<String>,
}

/// Regularisation advice from the final training and validation losses: the level of
/// overfitting by the diagnosis's gap thresholds ([`super::overfitting_level`]), then the
/// row of [`REGULARIZATION_TABLE`].
///
/// Errors: a loss that is negative, NaN or infinite.
pub fn regularization_advice(train_loss: f64, val_loss: f64) -> Result<RegularizationAdvice> {
    let level = overfitting_level(train_loss, val_loss)?;
    let ratio = loss_ratio(train_loss, val_loss);
    let gap = val_loss - train_loss;
    let rule = regularization_rule(level);
    let mut actions: Vec<String> = rule.actions.iter().map(|a| a.to_string()).collect();
    let input_dropout = if level == Overfitting::None {
        dropout_for(Overfitting::None).dropout
    } else {
        let input = dropout_at(DropoutSite::Input);
        let last = dropout_at(DropoutSite::BeforeOutput);
        actions.push(format!(
            "dropout goes on the hidden layers; input dropout, if any, lower ({}); {}: {} ({})",
            input.dropout,
            last.site.name(),
            last.dropout,
            last.note
        ));
        input.dropout
    };
    if gap < 0.0 {
        actions.push(
            "validation loss below training loss: dropout during training or an easy validation set; \
             check the split before tuning on it"
                .into(),
        );
    } else if level == Overfitting::None && ratio > 1.0 && gap > 0.0 {
        actions.push(format!(
            "the validation loss is {}x the training loss, below the {}x (and {} gap) that counts as \
             overfitting; a validation loss that rises while the training loss falls, or a training \
             accuracy far above the validation accuracy, is overfitting too: tunelab diagnose reads \
             the curves",
            num(ratio),
            short(MILD_RATIO),
            short(MILD_MIN_GAP)
        ));
    }
    Ok(RegularizationAdvice {
        train_loss,
        val_loss,
        ratio,
        gap,
        level,
        dropout: rule.dropout,
        input_dropout,
        weight_decay: rule.weight_decay,
        actions,
    })
}

impl fmt::Display for RegularizationAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Overfitting: {} (train loss {}, val loss {}: {}x, gap {})",
            self.level,
            num(self.train_loss),
            num(self.val_loss),
            num(self.ratio),
            num(self.gap)
        )?;
        let rows = vec![
            vec!["dropout (hidden layers)".into(), self.dropout.to_string()],
            vec!["input dropout".into(), self.input_dropout.to_string()],
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
    use crate::advise::WEIGHT_DECAY_TABLE;

    #[test]
    fn the_table_uses_the_guides_dropout_and_weight_decay() {
        for (rule, dropout) in REGULARIZATION_TABLE.iter().zip(DROPOUT_BY_OVERFITTING) {
            assert_eq!(rule.level, dropout.level);
            assert_eq!(rule.dropout, dropout.dropout);
            assert!(
                WEIGHT_DECAY_TABLE
                    .iter()
                    .any(|w| w.weight_decay == rule.weight_decay.low)
            );
            assert!(
                WEIGHT_DECAY_TABLE
                    .iter()
                    .any(|w| w.weight_decay == rule.weight_decay.high)
            );
        }
        let text: Vec<String> = REGULARIZATION_TABLE
            .iter()
            .map(|r| format!("{} {} {}", r.level, r.dropout, r.weight_decay))
            .collect();
        assert_eq!(
            text,
            [
                "none 0 0",
                "mild 0.1-0.2 1e-5-1e-4",
                "moderate 0.3-0.4 1e-4-1e-3",
                "severe 0.5 1e-3-0.01"
            ]
        );
        for pair in REGULARIZATION_TABLE.windows(2) {
            assert!(pair[0].dropout.high < pair[1].dropout.low);
            assert!(pair[0].weight_decay.high <= pair[1].weight_decay.low);
        }
    }

    #[test]
    fn advice_takes_its_values_from_the_level() {
        let mild = regularization_advice(0.02, 0.08).unwrap();
        assert_eq!(mild.level, Overfitting::Mild);
        assert_eq!(mild.dropout, ValueRange::new(0.1, 0.2));
        assert_eq!(mild.input_dropout, ValueRange::new(0.1, 0.2));
        assert_eq!(mild.weight_decay, ValueRange::new(1e-5, 1e-4));
        let moderate = regularization_advice(0.05, 0.30).unwrap();
        assert_eq!(moderate.level, Overfitting::Moderate);
        assert_eq!(moderate.dropout, ValueRange::new(0.3, 0.4));
        assert_eq!(moderate.weight_decay, ValueRange::new(1e-4, 1e-3));
        let severe = regularization_advice(0.05, 0.60).unwrap();
        assert_eq!(severe.level, Overfitting::Severe);
        assert_eq!(severe.dropout, ValueRange::one(0.5));
        assert_eq!(severe.weight_decay, ValueRange::new(1e-3, 1e-2));
        assert!(severe.actions.iter().any(|a| a.contains("more data")));
        assert!(severe.actions.iter().any(|a| a.contains("early stopping")));
        let text = severe.to_string();
        assert!(
            text.contains("Overfitting: severe (train loss 0.05, val loss 0.6: 12x, gap 0.55)"),
            "{text}"
        );
        assert!(text.contains("0.5") && text.contains("1e-3-0.01"), "{text}");
        assert!(
            text.contains("input dropout, if any, lower (0.1-0.2)")
                && text.contains("before the output layer: 0 (never"),
            "{text}"
        );
    }

    #[test]
    fn no_overfitting_means_no_regularisation_and_says_why() {
        let twice = regularization_advice(0.1, 0.2).unwrap();
        assert_eq!(twice.level, Overfitting::None);
        assert_eq!(
            (twice.dropout, twice.input_dropout, twice.weight_decay),
            (
                ValueRange::one(0.0),
                ValueRange::one(0.0),
                ValueRange::one(0.0)
            )
        );
        assert!(
            twice
                .actions
                .iter()
                .any(|a| a.contains("2x the training loss, below the 3x")),
            "{:?}",
            twice.actions
        );
        let below = regularization_advice(0.5, 0.4).unwrap();
        assert!(below.actions.iter().any(|a| a.contains("below training")));
        assert!(regularization_advice(f64::NAN, 1.0).is_err());
        assert!(regularization_advice(1.0, -1.0).is_err());
        let json = serde_json::to_value(regularization_advice(0.05, 0.6).unwrap()).unwrap();
        assert_eq!(json["level"], "severe");
        assert_eq!(json["dropout"]["low"], 0.5);
    }
}
