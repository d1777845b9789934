//! Uncertain: the history is too short or too noisy to tell, and the finding says why.

use super::val_rise::val_rise;
use super::{Action, Finding, History, Pattern, Severity};
use crate::fmt::{num, pct};

/// Fewer epochs than this are too few to judge the shape of a curve (plateau, slow,
/// oscillation, overfitting): a curve's first epochs are nearly always steep.
pub const MIN_EPOCHS_TO_JUDGE: usize = 5;

/// A validation loss that moves more than this fraction of its level per epoch on its own
/// is noisy, and the uncertain finding suggests a larger validation split: a few hundred
/// validation samples already wobble by a few percent.
pub const UNCERTAIN_NOISE: f64 = 0.05;

/// The uncertain finding for a history shorter than [`MIN_EPOCHS_TO_JUDGE`].
pub(super) fn too_few_epochs(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    if n >= MIN_EPOCHS_TO_JUDGE {
        return None;
    }
    Some(Finding::new(
        Pattern::Uncertain,
        Severity::Low,
        format!(
            "only {n} epochs (train loss {} to {}): too few to tell a plateau from slow progress or a trend from noise",
            num(h.train_loss.first().copied().unwrap_or(f64::NAN)),
            num(h.train_loss.last().copied().unwrap_or(f64::NAN)),
        ),
        format!("not sure: train for at least {MIN_EPOCHS_TO_JUDGE} epochs and diagnose again"),
    )
    .with_actions(vec![Action::TrainLonger {
        factor: (MIN_EPOCHS_TO_JUDGE as f64 / n.max(1) as f64).ceil(),
    }]))
}

/// The uncertain finding for a validation loss that rose, but not clearly above its noise.
pub(super) fn noisy_val_rise(h: &History) -> Option<Finding> {
    let r = val_rise(h)?;
    if !r.is_candidate() || r.is_clear() {
        return None;
    }
    let mut action =
        String::from("not sure: train a few more epochs to see whether the val loss keeps rising");
    if r.noise >= UNCERTAIN_NOISE {
        action.push_str(", or use a larger validation split to make the val loss steadier");
    }
    Some(Finding::new(
        Pattern::Uncertain,
        Severity::Low,
        format!(
            "val loss rose {} from its minimum {} at epoch {} to {}, but it moves {} per epoch on its own: maybe overfitting, maybe noise",
            pct(r.rise),
            num(r.min),
            r.min_index + 1,
            num(r.last),
            pct(r.noise)
        ),
        action,
    )
    .with_actions(vec![Action::TrainLonger { factor: 1.5 }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_epochs_are_uncertain_and_say_why() {
        let h = History::new(vec![2.0, 1.5, 1.2], vec![2.0, 1.6, 1.3]);
        let f = too_few_epochs(&h).unwrap();
        assert_eq!((f.pattern, f.severity), (Pattern::Uncertain, Severity::Low));
        assert!(
            f.evidence
                .starts_with("only 3 epochs (train loss 2 to 1.2)"),
            "{}",
            f.evidence
        );
        assert!(f.action.contains("at least 5 epochs"), "{}", f.action);
        let long = History::new(vec![1.0; 5], vec![1.0; 5]);
        assert!(too_few_epochs(&long).is_none());
    }

    #[test]
    fn a_rise_within_the_noise_is_uncertain() {
        let train: Vec<f64> = (0..10).map(|i| 1.0 - 0.05 * i as f64).collect();
        let val = vec![1.0, 0.9, 0.7, 0.9, 0.65, 0.85, 0.7, 0.9, 0.7, 0.8];
        let f = noisy_val_rise(&History::new(train.clone(), val)).unwrap();
        assert!(
            f.evidence
                .contains("rose 23% from its minimum 0.65 at epoch 5"),
            "{}",
            f.evidence
        );
        assert!(f.action.contains("larger validation split"), "{}", f.action);
        let smooth: Vec<f64> = (0..10)
            .map(|i| 0.5 + 0.02 * (i as f64 - 4.0).powi(2))
            .collect();
        assert!(
            noisy_val_rise(&History::new(train, smooth)).is_none(),
            "a clear rise"
        );
    }
}
