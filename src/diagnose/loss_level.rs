//! Whether a loss is still "high": the yardstick shared by the plateau, slow and
//! underfitting rules.
//!
//! Cross-entropy has a natural scale: a uniform guess over k classes scores ln(k). When k
//! is known, a loss is judged as a fraction of ln(k); otherwise by the training accuracy;
//! otherwise by an absolute value.

use super::History;
use crate::fmt::num;

/// A final training loss above this fraction of ln(classes) is still high: 0.2 × ln(10) ≈
/// 0.46 means the correct class gets about 63% probability on average, far from a trained
/// model (a digits MLP reaches < 0.05), while a good model on a hard task ends well below it.
pub const HIGH_LOSS_FRACTION_OF_CHANCE: f64 = 0.2;

/// A loss above this fraction of ln(classes) is barely better than guessing.
pub const SEVERE_LOSS_FRACTION_OF_CHANCE: f64 = 0.7;

/// Without the number of classes: a training accuracy below this is low. A model that
/// cannot fit 90% of the data it trains on is held back, whatever the task.
pub const LOW_TRAIN_ACCURACY: f64 = 0.9;

/// Without the number of classes: a training accuracy below this is barely learning.
pub const SEVERE_TRAIN_ACCURACY: f64 = 0.5;

/// Without the number of classes or accuracies: cross-entropy above this is high, since
/// the correct class then gets under e^-0.5 ≈ 61% probability on average.
pub const FALLBACK_HIGH_LOSS: f64 = 0.5;

/// How high a final training loss is.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Level {
    /// Above the "still high" line.
    pub high: bool,
    /// Barely better than guessing (only judged when classes or accuracy are known).
    pub severe: bool,
    /// The comparison in words, to go in parentheses after the loss, e.g. "43% of the chance
    /// loss ln(10) = 2.303; high above 0.4605".
    pub reason: String,
}

/// Judges the training loss `loss` of the epoch with index `epoch`.
pub(super) fn train_level(h: &History, epoch: usize, loss: f64) -> Level {
    if let (Some(k), Some(chance)) = (h.context.n_classes, h.chance_loss()) {
        let fraction = loss / chance;
        let line = HIGH_LOSS_FRACTION_OF_CHANCE * chance;
        return Level {
            high: loss > line,
            severe: fraction > SEVERE_LOSS_FRACTION_OF_CHANCE,
            reason: format!(
                "{} of the chance loss ln({k}) = {}; high above {}",
                crate::fmt::pct(fraction),
                num(chance),
                num(line)
            ),
        };
    }
    if let Some(acc) = h.train_acc.as_ref().and_then(|a| a.get(epoch).copied())
        && acc.is_finite()
    {
        return Level {
            high: acc < LOW_TRAIN_ACCURACY,
            severe: acc < SEVERE_TRAIN_ACCURACY,
            reason: format!(
                "train accuracy {}; high below {}",
                num(acc),
                num(LOW_TRAIN_ACCURACY)
            ),
        };
    }
    Level {
        high: loss > FALLBACK_HIGH_LOSS,
        severe: false,
        reason: format!(
            "high above {}, number of classes unknown",
            num(FALLBACK_HIGH_LOSS)
        ),
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
        assert!(high.high && !high.severe, "{high:?}");
        assert!(high.reason.contains("ln(10) = 2.303"), "{}", high.reason);
        assert!(train_level(&h, 1, 2.2).severe);
        assert!(!train_level(&h, 1, 0.1).high);
    }

    #[test]
    fn accuracy_then_an_absolute_line_when_classes_are_unknown() {
        let mut h = History::new(vec![0.3, 0.3], vec![0.3, 0.3]);
        assert!(!train_level(&h, 1, 0.3).high);
        assert!(train_level(&h, 1, 0.8).high);
        h.train_acc = Some(vec![0.5, 0.7]);
        let level = train_level(&h, 1, 0.3);
        assert!(level.high && !level.severe, "{level:?}");
        assert!(
            level.reason.contains("train accuracy 0.7"),
            "{}",
            level.reason
        );
    }
}
