//! Whether a loss is still "high": the yardstick shared by the exploding, plateau, slow and
//! underfitting rules.
//!
//! Cross-entropy has a natural scale: what a model that learned nothing but the class shares
//! scores, the prior loss ([`References::prior`]; ln(k) for k balanced classes). A loss is
//! judged as a fraction of it. Without the number of classes (or their shares) there is no
//! scale, and the level is *unknown*: no fixed accuracy or loss can know how hard a dataset
//! is, so the rules that need the level say that they cannot tell instead of guessing.

use super::History;
use super::reference::References;
use crate::fmt::{num, pct};

/// A final training loss above this fraction of the prior loss is still high: 0.2 × ln(10)
/// ≈ 0.46 means the correct class gets about 63% probability on average, far from a trained
/// model (a digits MLP reaches < 0.05), while a good model on a hard task ends well below it.
/// It is a necessary condition only: how high a loss the data allows is a question of the
/// data, which the underfitting rule answers with the causes it can see.
pub const HIGH_LOSS_FRACTION_OF_CHANCE: f64 = 0.2;

/// A loss above this fraction of the prior loss is barely better than guessing.
pub const SEVERE_LOSS_FRACTION_OF_CHANCE: f64 = 0.7;

/// How high a final training loss is.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Level {
    /// Whether there was a scale to judge it on (the number of classes or their shares).
    pub known: bool,
    /// Above the "still high" line.
    pub high: bool,
    /// Barely better than guessing.
    pub severe: bool,
    /// The loss as a fraction of the prior loss (NaN when unknown).
    pub fraction: f64,
    /// The comparison in words, to go in parentheses after the loss, e.g. "43% of the chance
    /// loss ln(10) = 2.303; high above 0.4605".
    pub reason: String,
}

/// Judges the training loss `loss` (of the epoch with index `_epoch`).
pub(super) fn train_level(h: &History, _epoch: usize, loss: f64) -> Level {
    let refs = References::of(h);
    let (Some(prior), Some(described)) = (refs.prior, refs.describe_prior(h.context.n_classes))
    else {
        return Level {
            known: false,
            high: false,
            severe: false,
            fraction: f64::NAN,
            reason: "the number of classes is unknown, so there is no scale to judge it on"
                .to_string(),
        };
    };
    let fraction = loss / prior;
    let line = HIGH_LOSS_FRACTION_OF_CHANCE * prior;
    Level {
        known: true,
        high: loss > line,
        severe: fraction > SEVERE_LOSS_FRACTION_OF_CHANCE,
        fraction,
        reason: format!("{} of {described}; high above {}", pct(fraction), num(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    #[test]
    fn chance_level_is_the_yardstick_when_classes_are_known() {
        let h = History::new(vec![1.0, 1.0], vec![1.0, 1.0]).with_context(RunContext {
            n_classes: Some(10),
            ..RunContext::default()
        });
        let high = train_level(&h, 1, 1.0);
        assert!(high.known && high.high && !high.severe, "{high:?}");
        assert!(high.reason.contains("ln(10) = 2.303"), "{}", high.reason);
        assert!(train_level(&h, 1, 2.2).severe);
        assert!(!train_level(&h, 1, 0.1).high);
    }

    #[test]
    fn skewed_shares_make_the_prior_loss_the_yardstick() {
        let h = History::new(vec![0.5, 0.5], vec![0.5, 0.5]).with_context(RunContext {
            n_classes: Some(2),
            class_shares: Some(vec![0.94, 0.06]),
            ..RunContext::default()
        });
        // Predicting 94/6 scores 0.227: a loss of 0.22 is barely better than that.
        let level = train_level(&h, 1, 0.22);
        assert!(level.severe, "{level:?}");
        assert!(
            level.reason.contains("entropy of the class shares"),
            "{}",
            level.reason
        );
    }

    #[test]
    fn without_classes_the_level_is_unknown_not_guessed() {
        let mut h = History::new(vec![0.3, 0.3], vec![0.3, 0.3]);
        h.train_acc = Some(vec![0.5, 0.7]);
        for loss in [0.3, 0.8, 5.0] {
            let level = train_level(&h, 1, loss);
            assert!(!level.known && !level.high && !level.severe, "{level:?}");
        }
        assert!(
            train_level(&h, 1, 0.3)
                .reason
                .contains("number of classes is unknown")
        );
    }
}
