//! Exploding: the loss became NaN or infinite, or rose far above where it started. The
//! usual cause is a learning rate that is too high.

use super::loss_level::train_level;
use super::{Finding, History, Pattern, Severity};
use crate::curve::{argmax, mean, moving_mean};
use crate::fmt::{lr, nice_lr, num};

/// An epoch's training loss above this multiple of the first epoch's (and still high, see
/// [`HIGH_LOSS_FRACTION_OF_CHANCE`](super::loss_level::HIGH_LOSS_FRACTION_OF_CHANCE)) is exploding:
/// training only ever lowers the training loss on average, so doubling it means the steps
/// overshoot.
pub const EXPLODING_RISE_FACTOR: f64 = 2.0;

/// Step losses are averaged over this many steps before looking for a rise, so that one
/// unlucky batch does not count as an explosion.
pub const EXPLODING_STEP_WINDOW: usize = 5;

/// The learning rate cut suggested for an exploding loss: one order of magnitude, the
/// smallest change that reliably moves a run from diverging to training.
pub const EXPLODING_LR_CUT: f64 = 10.0;

/// The exploding finding, if the loss blew up.
pub(super) fn exploding(h: &History) -> Option<Finding> {
    let evidence = diverged_evidence(h)
        .or_else(|| non_finite_epoch(h))
        .or_else(|| non_finite_step(h))
        .or_else(|| epoch_rise(h))
        .or_else(|| step_rise(h))?;
    let action = match h.base_lr() {
        Some(base) => format!(
            "LR {} looks too high: reduce 10x, try {}",
            lr(base),
            nice_lr(base / EXPLODING_LR_CUT)
        ),
        None => "the LR looks too high: reduce the LR 10x".to_string(),
    };
    Some(Finding::new(
        Pattern::Exploding,
        Severity::High,
        evidence,
        action,
    ))
}

fn diverged_evidence(h: &History) -> Option<String> {
    let (step, value) = h.context.diverged_at_step?;
    Some(format!(
        "training stopped at step {step} because the loss blew up (to {})",
        num(value)
    ))
}

fn non_finite_epoch(h: &History) -> Option<String> {
    for (name, curve) in [("train", &h.train_loss), ("val", &h.val_loss)] {
        if let Some(i) = curve.iter().position(|v| !v.is_finite()) {
            let before = match i {
                0 => String::new(),
                _ => format!(" (it was {} at epoch {i})", num(curve[i - 1])),
            };
            return Some(format!(
                "{name} loss became {} at epoch {}{before}",
                num(curve[i]),
                i + 1
            ));
        }
    }
    None
}

fn non_finite_step(h: &History) -> Option<String> {
    let steps = h.steps()?;
    let i = steps.iter().position(|v| !v.is_finite())?;
    Some(format!("step loss became {} at step {i}", num(steps[i])))
}

fn epoch_rise(h: &History) -> Option<String> {
    let first = *h.train_loss.first()?;
    let (i, peak) = argmax(h.train_loss.get(1..)?)?;
    let epoch = i + 1;
    if !(first > 0.0 && peak > EXPLODING_RISE_FACTOR * first) {
        return None;
    }
    if !train_level(h, epoch, peak).high {
        return None;
    }
    Some(format!(
        "train loss rose from {} at epoch 1 to {} at epoch {} ({}x its start)",
        num(first),
        num(peak),
        epoch + 1,
        num(peak / first)
    ))
}

fn step_rise(h: &History) -> Option<String> {
    let steps = h.steps()?;
    if steps.len() < 2 * EXPLODING_STEP_WINDOW {
        return None;
    }
    let start = mean(&steps[..EXPLODING_STEP_WINDOW]);
    let smooth = moving_mean(steps, EXPLODING_STEP_WINDOW);
    let (i, peak) = argmax(&smooth)?;
    if !(start > 0.0 && peak > EXPLODING_RISE_FACTOR * start) {
        return None;
    }
    Some(format!(
        "step loss (mean of {EXPLODING_STEP_WINDOW} steps) rose from {} at the start to {} around step {i} ({}x its start)",
        num(start),
        num(peak),
        num(peak / start)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn with_lr(h: History, base: f64) -> History {
        h.with_context(RunContext {
            lr: Some(base),
            ..RunContext::default()
        })
    }

    #[test]
    fn a_nan_loss_is_exploding_with_a_tenfold_cut() {
        let h = with_lr(
            History::new(vec![2.0, 1.5, f64::NAN], vec![2.0, 1.6, f64::NAN]),
            0.1,
        );
        let f = exploding(&h).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.evidence.contains("train loss became nan at epoch 3"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("1.5 at epoch 2"), "{}", f.evidence);
        assert_eq!(f.action, "LR 0.1 looks too high: reduce 10x, try 0.01");
    }

    #[test]
    fn an_infinite_val_loss_or_step_loss_is_exploding() {
        let h = History::new(vec![2.0, 1.5], vec![2.0, f64::INFINITY]);
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence.contains("val loss became inf at epoch 2"),
            "{}",
            f.evidence
        );
        assert_eq!(f.action, "the LR looks too high: reduce the LR 10x");
        let mut h = History::new(vec![2.0, 1.5], vec![2.0, 1.6]);
        h.step_loss = Some(vec![2.3, 2.2, f64::NAN]);
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence.contains("step loss became nan at step 2"),
            "{}",
            f.evidence
        );
    }

    #[test]
    fn a_recorded_divergence_is_exploding_even_with_finite_curves() {
        let mut h = with_lr(History::new(vec![2.0], vec![2.1]), 1e-2);
        h.context.diverged_at_step = Some((17, 512.0));
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence.contains("step 17") && f.evidence.contains("512"),
            "{}",
            f.evidence
        );
        assert_eq!(f.action, "LR 0.01 looks too high: reduce 10x, try 0.001");
    }

    #[test]
    fn a_loss_climbing_far_above_its_start_is_exploding() {
        let h = with_lr(
            History::new(vec![0.8, 0.6, 1.2, 2.0], vec![0.9, 0.7, 1.3, 2.1]),
            0.05,
        );
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence
                .contains("from 0.8 at epoch 1 to 2 at epoch 4 (2.5x"),
            "{}",
            f.evidence
        );
        assert!(f.action.contains("try 0.005"), "{}", f.action);
        let mut steps = vec![2.3; 10];
        steps.extend([5.0; 10]);
        let mut h = History::new(vec![1.0, 0.9], vec![1.0, 0.9]);
        h.step_loss = Some(steps);
        assert!(
            exploding(&h)
                .unwrap()
                .evidence
                .contains("step loss (mean of 5 steps) rose")
        );
    }

    #[test]
    fn a_decreasing_curve_or_a_spike_at_a_low_loss_is_not_exploding() {
        let h = History::new(vec![2.0, 1.0, 0.5, 0.3], vec![2.0, 1.1, 0.6, 0.4]);
        assert!(exploding(&h).is_none());
        let spike = History::new(vec![0.02, 0.01, 0.05, 0.01], vec![0.1; 4]);
        assert!(exploding(&spike).is_none());
        let mut one_bad_batch = History::new(vec![1.0, 0.9], vec![1.0, 0.9]);
        let mut steps = vec![2.3; 20];
        steps[10] = 6.0;
        one_bad_batch.step_loss = Some(steps);
        assert!(exploding(&one_bad_batch).is_none());
    }
}
