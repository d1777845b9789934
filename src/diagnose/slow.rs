//! Slow: the training loss goes down steadily, but only a little over the whole run, and is
//! still high. The usual cause is a learning rate that is too low, unless the LR is already
//! far above the optimizer's default ([`lr_guard`](super::lr_guard)).

use super::loss_level::train_level;
use super::lr_guard::{LrGuard, lr_guard};
use super::not_decreasing::NOT_DECREASING_TOLERANCE;
use super::reference::{below_default, far_below_default};
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::{median3, rel_change};
use crate::fmt::{lr, nice_lr, num, pct};

/// Fewest epochs to tell slow progress from a slow start.
pub const SLOW_MIN_EPOCHS: usize = 5;

/// Over the whole run the training loss fell by less than this fraction: with a good LR the
/// loss after the last epoch is well under half the loss after the first.
pub const SLOW_MAX_DECREASE: f64 = 0.5;

/// At least this share of the drop came in the second half of the run: still falling
/// steadily (a straight line gives 50%, a curve that flattened out early gives nearly 0).
pub const SLOW_MIN_LATE_SHARE: f64 = 0.3;

/// The LR raise suggested for slow progress: the middle of the guide's 2-5x.
pub const SLOW_LR_RAISE: f64 = 3.0;

/// A run too short to judge the shape of its curves (fewer than
/// [`MIN_EPOCHS_TO_JUDGE`](super::uncertain::MIN_EPOCHS_TO_JUDGE) epochs) whose loss did not
/// rise, with an LR below its optimizer's default: slow, whatever the remaining epochs would
/// show, when the LR is 10x or more below the default (the default helped every such run of
/// the diagnosis benchmark's calibration half that some change helped), or when it is below
/// the default and the loss is still high (raise it [`SLOW_LR_RAISE`]x, as for a slow curve).
/// `None` for longer runs.
pub(super) fn short_and_below_default(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    if !(2..super::uncertain::MIN_EPOCHS_TO_JUDGE).contains(&n) {
        return None;
    }
    let base = h.base_lr()?;
    let optimizer = h.context.optimizer?;
    let (first, last) = (h.train_loss[0], h.train_loss[n - 1]);
    if !(first.is_finite() && last.is_finite() && last <= first) {
        return None;
    }
    let far = far_below_default(h);
    let level = train_level(h, n - 1, last);
    if far.is_none() && !(below_default(h) && level.high) {
        return None;
    }
    let below = optimizer.default_lr() / base;
    let (evidence_tail, raise, how) = match far {
        Some(f) => (
            "the loss can only fall slowly".to_string(),
            f,
            "to the default",
        ),
        None => (
            format!("and {} is still high ({})", num(last), level.reason),
            SLOW_LR_RAISE,
            "2-5x",
        ),
    };
    let action = format!(
        "slow: raise the LR {how}, try {} (now {}), and train at least {} epochs",
        nice_lr(base * raise),
        lr(base),
        super::uncertain::MIN_EPOCHS_TO_JUDGE
    );
    Some(
        Finding::new(
            Pattern::Slow,
            Severity::Medium,
            format!(
                "only {n} epochs (train loss {} to {}), too few to judge the curve's shape, but the LR {} is {}x below {}'s default: {evidence_tail}",
                num(first),
                num(last),
                lr(base),
                num(below),
                optimizer.name()
            ),
            action,
        )
        .with_actions(vec![
            Action::scale_lr(raise, Some(base)),
            Action::TrainLonger {
                factor: (super::uncertain::MIN_EPOCHS_TO_JUDGE as f64 / n as f64).ceil(),
            },
        ]),
    )
}

/// The slow finding, if the loss falls steadily but little and is still high.
pub(super) fn slow(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    if n < SLOW_MIN_EPOCHS {
        return None;
    }
    let raw = &h.train_loss;
    let (first, last) = (raw[0], raw[n - 1]);
    let total = -rel_change(first, last);
    if !(NOT_DECREASING_TOLERANCE..SLOW_MAX_DECREASE).contains(&total) {
        return None;
    }
    let smooth = median3(raw);
    let late_share = (smooth[n / 2] - last) / (first - last);
    if late_share < SLOW_MIN_LATE_SHARE {
        return None;
    }
    let level = train_level(h, n - 1, last);
    // A loss still falling steadily with an LR far below its optimizer's default is slow
    // whatever its level: the cause is in view, and the run is far from converged.
    let below = far_below_default(h);
    if !level.high && below.is_none() {
        return None;
    }
    let mut evidence = format!(
        "train loss fell only {} in {n} epochs (from {} to {}) and is still falling steadily ({} of the drop came in the second half); {} {} ({})",
        pct(total),
        num(first),
        num(last),
        pct(late_share),
        num(last),
        if level.high {
            "is still high"
        } else {
            "is not converged"
        },
        level.reason
    );
    if let Some(below) = below {
        evidence.push_str(&format!(
            "; the LR is {}x below the optimizer's default",
            num(below)
        ));
    }
    let guard = lr_guard(h);
    evidence.push_str(&guard.evidence());
    let (severity, action) = match (&guard, h.base_lr(), below) {
        (LrGuard::Killed { high, .. }, _, _) => (
            Severity::High,
            format!(
                "stuck near chance level: the LR is too high, not too low: {}",
                high.reduce()
            ),
        ),
        (LrGuard::FarAbove(high), _, _) => (
            Severity::Medium,
            format!(
                "slow: not sure of the cause, but it is not a low LR (already {}x the default): check the model and the data, or {}",
                num(high.multiple()),
                high.reduce()
            ),
        ),
        (LrGuard::Fine, Some(base), Some(below)) => (
            Severity::Medium,
            format!(
                "slow: the LR is {}x below the optimizer's default: raise it to the default, try {} (now {})",
                num(below),
                nice_lr(base * below),
                lr(base)
            ),
        ),
        (LrGuard::Fine, Some(base), None) => (
            Severity::Medium,
            format!(
                "slow: raise LR 2-5x, try {} (now {})",
                nice_lr(base * SLOW_LR_RAISE),
                lr(base)
            ),
        ),
        (LrGuard::Fine, None, _) => (
            Severity::Medium,
            "slow: raise the LR 2-5x (try 3x)".to_string(),
        ),
    };
    // Far below the default, back to it (on the diagnosis benchmark it ended lower than a 10x
    // raise in 11 of 17 such slow runs, never higher).
    let raise = below.unwrap_or(SLOW_LR_RAISE);
    let actions = guard.actions(
        h,
        Action::CheckData,
        vec![
            Action::scale_lr(raise, h.base_lr()),
            Action::TrainLonger { factor: 3.0 },
        ],
    );
    Some(Finding::new(Pattern::Slow, severity, evidence, action).with_actions(actions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn ten_classes(lr: Option<f64>) -> RunContext {
        RunContext {
            lr,
            n_classes: Some(10),
            ..RunContext::default()
        }
    }

    #[test]
    fn a_slow_linear_decline_is_slow_with_a_threefold_raise() {
        let train: Vec<f64> = (0..20).map(|i| 2.2 - 0.03 * i as f64).collect();
        let h = History::new(train.clone(), train).with_context(ten_classes(Some(1e-3)));
        let f = slow(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.evidence
                .contains("fell only 26% in 20 epochs (from 2.2 to 1.63)"),
            "{}",
            f.evidence
        );
        assert!(
            f.evidence
                .contains("47% of the drop came in the second half"),
            "{}",
            f.evidence
        );
        assert_eq!(f.action, "slow: raise LR 2-5x, try 0.003 (now 0.001)");
    }

    #[test]
    fn fast_progress_a_flattened_curve_or_a_low_loss_is_not_slow() {
        let fast: Vec<f64> = (0..20).map(|i| 2.2 * (-0.3 * i as f64).exp()).collect();
        let h = History::new(fast.clone(), fast).with_context(ten_classes(None));
        assert!(slow(&h).is_none());
        let flattened = vec![2.2, 1.7, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6];
        let h = History::new(flattened.clone(), flattened).with_context(ten_classes(None));
        assert!(slow(&h).is_none());
        let low: Vec<f64> = (0..20).map(|i| 0.1 - 0.002 * i as f64).collect();
        let h = History::new(low.clone(), low).with_context(ten_classes(None));
        assert!(
            slow(&h).is_none(),
            "a slow decline at a low loss is fine-tuning, not slow"
        );
    }

    #[test]
    fn a_slow_crawl_at_chance_level_after_a_far_too_high_lr_says_reduce() {
        let train: Vec<f64> = (0..10).map(|i| 2.6 - 0.03 * i as f64).collect();
        let h = History::new(train.clone(), train.clone())
            .with_context(RunContext::adam_ten_classes(1.0));
        let f = slow(&h).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert_eq!(
            f.action,
            "stuck near chance level: the LR is too high, not too low: reduce the LR 10x, try 0.1 (adam's default is 0.001)"
        );
        assert!(f.evidence.contains("ln(10) = 2.303"), "{}", f.evidence);
        assert!(
            f.evidence.contains("1000x adam's default"),
            "{}",
            f.evidence
        );
        let h = History::new(train.clone(), train).with_context(RunContext::adam_ten_classes(9e-3));
        assert!(slow(&h).unwrap().action.starts_with("slow: raise LR 2-5x"));
    }

    #[test]
    fn a_slow_crawl_below_chance_level_at_a_far_too_high_lr_is_not_raised() {
        let train: Vec<f64> = (0..20).map(|i| 2.2 - 0.03 * i as f64).collect();
        let h = History::new(train.clone(), train).with_context(RunContext::adam_ten_classes(0.05));
        let f = slow(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(
            f.action,
            "slow: not sure of the cause, but it is not a low LR (already 50x the default): check the model and the data, or reduce the LR 10x, try 0.005 (adam's default is 0.001)"
        );
    }
}
