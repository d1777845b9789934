//! Oscillating: the loss goes up and down a lot without going down overall. The usual
//! cause is a learning rate somewhat too high (not enough to explode).

use super::{Finding, History, Pattern, Severity};
use crate::curve::{Wiggle, block_means, wiggle};
use crate::fmt::{lr, nice_lr, num, pct};

/// Fewest points (epochs, or blocks of steps) on which to judge an oscillation.
pub const OSCILLATION_MIN_POINTS: usize = 5;

/// At least this share of the points must be a peak or a trough. A smooth curve has none,
/// pure noise about 2/3, a zig-zag all of them.
pub const OSCILLATION_MIN_TURNING: f64 = 0.5;

/// The epoch training loss must move at least this fraction of its level per epoch. It is
/// measured on the whole training set, so a 10% swing is not sampling noise.
pub const OSCILLATION_EPOCH_REL_AMPLITUDE: f64 = 0.1;

/// Block means of step losses must move at least this fraction of their level per block:
/// twice the epoch threshold, because batch losses carry sampling noise even when training
/// is fine.
pub const OSCILLATION_STEP_REL_AMPLITUDE: f64 = 0.2;

/// And at least this much in absolute terms (nats), so that a converged loss of 0.01
/// wobbling to 0.012 does not count.
pub const OSCILLATION_MIN_ABS_AMPLITUDE: f64 = 0.01;

/// "No downward trend": the net decrease is less than this share of the total distance the
/// loss travelled (1 means it only went down).
pub const OSCILLATION_MAX_TREND: f64 = 0.3;

/// The second half of the step losses is averaged into this many blocks before judging.
pub const OSCILLATION_STEP_BLOCKS: usize = 20;

/// The LR cut suggested for an oscillation: the middle of the guide's 2-5x.
pub const OSCILLATION_LR_CUT: f64 = 3.0;

/// The oscillating finding, if the epoch training loss or the step losses zig-zag.
pub(super) fn oscillating(h: &History) -> Option<Finding> {
    let evidence = epoch_oscillation(h).or_else(|| step_oscillation(h))?;
    let action = match h.base_lr() {
        Some(base) => format!(
            "oscillation: reduce LR 2-5x, try {} (now {})",
            nice_lr(base / OSCILLATION_LR_CUT),
            lr(base)
        ),
        None => "oscillation: reduce the LR 2-5x (try a third of it)".to_string(),
    };
    Some(Finding::new(
        Pattern::Oscillating,
        Severity::Medium,
        evidence,
        action,
    ))
}

fn zig_zag(xs: &[f64], min_rel_amplitude: f64) -> Option<Wiggle> {
    if xs.len() < OSCILLATION_MIN_POINTS {
        return None;
    }
    let w = wiggle(xs)?;
    let holds = w.turning >= OSCILLATION_MIN_TURNING
        && w.rel_step >= min_rel_amplitude
        && w.mean_step >= OSCILLATION_MIN_ABS_AMPLITUDE
        && w.trend < OSCILLATION_MAX_TREND;
    holds.then_some(w)
}

fn describe(w: &Wiggle, first: f64, last: f64, unit: &str) -> String {
    format!(
        "{} of the {unit}s are a peak or a trough; it moves {} ({} of its level) per {unit} on average but gets nowhere (from {} to {})",
        pct(w.turning),
        num(w.mean_step),
        pct(w.rel_step),
        num(first),
        num(last)
    )
}

fn epoch_oscillation(h: &History) -> Option<String> {
    let xs = &h.train_loss;
    let w = zig_zag(xs, OSCILLATION_EPOCH_REL_AMPLITUDE)?;
    Some(format!(
        "train loss zig-zags: {}",
        describe(&w, xs[0], xs[xs.len() - 1], "epoch")
    ))
}

fn step_oscillation(h: &History) -> Option<String> {
    let steps = h.steps()?;
    let half = &steps[steps.len() / 2..];
    let size = (half.len() / OSCILLATION_STEP_BLOCKS).max(1);
    let blocks = block_means(half, size);
    let w = zig_zag(&blocks, OSCILLATION_STEP_REL_AMPLITUDE)?;
    Some(format!(
        "step loss zig-zags in the second half of training (means of {size} steps): {}",
        describe(&w, blocks[0], blocks[blocks.len() - 1], "block")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn zig_zag_curve(n: usize, low: f64, high: f64) -> Vec<f64> {
        (0..n)
            .map(|i| if i % 2 == 0 { high } else { low })
            .collect()
    }

    #[test]
    fn a_zig_zag_epoch_curve_is_oscillating_with_a_threefold_cut() {
        let mut train = vec![2.0];
        train.extend(zig_zag_curve(11, 0.9, 1.4));
        let h = History::new(train.clone(), train).with_context(RunContext {
            lr: Some(0.01),
            ..RunContext::default()
        });
        let f = oscillating(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.evidence.starts_with("train loss zig-zags"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("from 2 to 1.4"), "{}", f.evidence);
        assert_eq!(
            f.action,
            "oscillation: reduce LR 2-5x, try 0.003 (now 0.01)"
        );
    }

    #[test]
    fn zig_zagging_step_losses_are_oscillating() {
        let mut steps = vec![2.3; 200];
        for (i, s) in steps.iter_mut().enumerate().skip(100) {
            *s = if (i / 5) % 2 == 0 { 0.6 } else { 1.4 };
        }
        let mut h = History::new(
            vec![2.0, 1.2, 1.0, 1.0, 0.95],
            vec![2.0, 1.2, 1.0, 1.0, 0.95],
        );
        h.step_loss = Some(steps);
        let f = oscillating(&h).unwrap();
        assert!(f.evidence.contains("means of 5 steps"), "{}", f.evidence);
        assert!(f.action.contains("a third"), "{}", f.action);
    }

    #[test]
    fn a_noisy_decline_or_a_converged_wobble_is_not_oscillating() {
        let noisy_decline: Vec<f64> = (0..12)
            .map(|i| 2.0 * (-0.3 * i as f64).exp() + if i % 2 == 0 { 0.02 } else { 0.0 })
            .collect();
        let h = History::new(noisy_decline.clone(), noisy_decline);
        assert!(oscillating(&h).is_none());
        let wobble: Vec<f64> = zig_zag_curve(12, 0.010, 0.012);
        let h = History::new(wobble.clone(), wobble);
        assert!(oscillating(&h).is_none(), "absolute amplitude too small");
    }

    #[test]
    fn batch_noise_around_a_falling_step_loss_is_not_oscillating() {
        let steps: Vec<f64> = (0..400)
            .map(|i| {
                2.3 * (-(i as f64) / 80.0).exp() + 0.05 + 0.02 * ((i * 7919 % 13) as f64 / 13.0)
            })
            .collect();
        let mut h = History::new(
            vec![1.0, 0.5, 0.3, 0.2, 0.15],
            vec![1.0, 0.5, 0.3, 0.2, 0.15],
        );
        h.step_loss = Some(steps);
        assert!(oscillating(&h).is_none());
    }
}
