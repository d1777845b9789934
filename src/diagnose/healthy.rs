//! Healthy: none of the problems the other rules look for. The finding still quotes the
//! numbers, so that the next run has something to beat.

use super::loss_level::train_level;
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::{argmin, rel_change};
use crate::fmt::{num, pct};

/// A healthy run whose val loss still fell this fraction over its last third is told to train
/// longer with early stopping.
pub const STILL_IMPROVING: f64 = 0.03;

/// The healthy finding for a history of at least 2 epochs, to report when no rule fired.
pub(super) fn healthy(h: &History) -> Finding {
    let n = h.n_epochs();
    let (first, last) = (h.train_loss[0], h.train_loss[n - 1]);
    let mut evidence = format!(
        "train loss fell {} from {} to {} in {n} epochs; val loss {}",
        pct((first - last) / first),
        num(first),
        num(last),
        num(h.val_loss[n - 1])
    );
    if let Some((i, min)) = argmin(&h.val_loss)
        && i + 1 < n
    {
        evidence.push_str(&format!(" (lowest {} at epoch {})", num(min), i + 1));
    }
    if let Some(acc) = h.val_acc.as_ref().and_then(|a| a.last()) {
        evidence.push_str(&format!("; val accuracy {}", num(*acc)));
    }
    if !train_level(h, n - 1, last).known {
        evidence.push_str(
            "; the number of classes is unknown, so the loss levels were not judged (give the classes to judge underfitting, plateau and slow)",
        );
    }
    // Still improving at the end: nothing is wrong, but the run stopped early.
    let k = (n / 3).max(1);
    let val = &h.val_loss;
    let fall = -rel_change(val[n - 1 - k], val[n - 1]);
    if n >= 2 && fall.is_finite() && fall >= STILL_IMPROVING {
        evidence.push_str(&format!(
            "; the val loss still fell {} over the last {k} epochs",
            pct(fall)
        ));
        return Finding::new(
            Pattern::Healthy,
            Severity::Low,
            evidence,
            "keep this, and train longer with early stopping: it was still improving",
        )
        .with_actions(vec![Action::StopEarly { epoch: None }, Action::Keep]);
    }
    Finding::new(
        Pattern::Healthy,
        Severity::Low,
        evidence,
        "keep this; try the next tuning step",
    )
    .with_actions(vec![Action::Keep])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_quotes_the_final_numbers() {
        let mut h = History::new(vec![1.0, 0.5, 0.25], vec![1.1, 0.5, 0.6]);
        h.val_acc = Some(vec![0.5, 0.8, 0.85]);
        let f = healthy(&h);
        assert_eq!((f.pattern, f.severity), (Pattern::Healthy, Severity::Low));
        assert_eq!(
            f.evidence,
            "train loss fell 75% from 1 to 0.25 in 3 epochs; val loss 0.6 (lowest 0.5 at epoch 2); val accuracy 0.85; the number of classes is unknown, so the loss levels were not judged (give the classes to judge underfitting, plateau and slow)"
        );
        assert_eq!(f.actions, vec![Action::Keep]);
        h.context.n_classes = Some(3);
        assert!(!healthy(&h).evidence.contains("unknown"));
        assert_eq!(f.action, "keep this; try the next tuning step");
    }
}
