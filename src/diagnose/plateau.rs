//! Early plateau: the training loss improves at first, then stops improving early in the
//! run while it is still high. The usual cause: an LR too low to get out of a flat region
//! (for example the straight-line boundary a tanh network finds first): a higher LR, or a
//! schedule that warms up to one (one-cycle), gets out; a decaying schedule only lowers the
//! LR further. A plateau at chance level after an LR far above the optimizer's default is
//! the opposite: the LR killed the network, and the advice is to lower it
//! ([`lr_guard`](super::lr_guard)).

use super::loss_level::train_level;
use super::lr_guard::{LrGuard, lr_guard};
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::{median3, rel_change};
use crate::fmt::{lr, nice_lr, num, pct};

/// Fewest epochs to tell an early plateau: the first third must have at least two epochs.
pub const PLATEAU_MIN_EPOCHS: usize = 6;

/// The loss must have dropped at least this fraction in the first third of the run; a
/// loss that never dropped is "not decreasing" instead.
pub const PLATEAU_MIN_EARLY_DROP: f64 = 0.1;

/// Over the last two thirds the loss improves by less than this fraction: flat. A healthy
/// run still improves its training loss by far more than 5% after the first third.
pub const PLATEAU_MAX_LATE_GAIN: f64 = 0.05;

/// The LR raise suggested with a plateau: the middle of the guide's 2-5x.
pub const PLATEAU_LR_RAISE: f64 = 3.0;

/// The peak of the one-cycle schedule suggested with a plateau, as a multiple of the run's
/// LR: one-cycle spends most of its steps below its peak, so the peak must sit well above the
/// raised constant LR (on the gallery's stalled tanh network a peak of 3x still stalls, 10x
/// gets out).
pub const PLATEAU_ONE_CYCLE_PEAK: f64 = 10.0;

/// The plateau finding, if the loss went flat in the first third while still high.
pub(super) fn plateau(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    if n < PLATEAU_MIN_EPOCHS {
        return None;
    }
    let raw = &h.train_loss;
    let smooth = median3(raw);
    let third = n.div_ceil(3) - 1;
    let last = smooth[n - 1];
    let early_drop = -rel_change(smooth[0], smooth[third]);
    let late_gain = -rel_change(smooth[third], last);
    if early_drop < PLATEAU_MIN_EARLY_DROP || late_gain >= PLATEAU_MAX_LATE_GAIN {
        return None;
    }
    let level = train_level(h, n - 1, raw[n - 1]);
    if !level.high {
        return None;
    }
    let flat_from = smooth
        .iter()
        .position(|&v| v <= last * (1.0 + PLATEAU_MAX_LATE_GAIN))
        .unwrap_or(third);
    let mut evidence = format!(
        "train loss fell from {} to {} by epoch {}, then changed only {} over the next {} epochs (to {}); {} is still high ({})",
        num(raw[0]),
        num(raw[flat_from]),
        flat_from + 1,
        pct(rel_change(raw[flat_from], raw[n - 1]).abs()),
        n - 1 - flat_from,
        num(raw[n - 1]),
        num(raw[n - 1]),
        level.reason
    );
    let guard = lr_guard(h);
    evidence.push_str(&guard.evidence());
    let (severity, action) = match &guard {
        LrGuard::Killed { high, .. } => (
            Severity::High,
            format!(
                "stuck at chance level: the LR is too high, not too low: {}",
                high.reduce()
            ),
        ),
        LrGuard::FarAbove(high) => (
            Severity::Medium,
            format!(
                "early plateau: not sure of the cause, but it is not a low LR (already {}x the default): add a decaying schedule (cosine / step) or {}",
                num(high.multiple()),
                high.reduce()
            ),
        ),
        LrGuard::Fine => {
            let mut action = String::from(
                "early plateau: raise LR, or use a schedule that warms up to a higher LR first (one-cycle); a decaying schedule alone would lower an LR that is likely too low",
            );
            if let Some(base) = h.base_lr() {
                action.push_str(&format!(
                    "; e.g. try LR {} (now {}), or one-cycle with peak {}",
                    nice_lr(base * PLATEAU_LR_RAISE),
                    lr(base),
                    nice_lr(base * PLATEAU_ONE_CYCLE_PEAK)
                ));
            }
            (Severity::Medium, action)
        }
    };
    let actions = guard.actions(
        h,
        Action::AddSchedule,
        vec![
            Action::scale_lr(PLATEAU_LR_RAISE, h.base_lr()),
            Action::warm_up_schedule(PLATEAU_ONE_CYCLE_PEAK, h.base_lr()),
        ],
    );
    Some(Finding::new(Pattern::Plateau, severity, evidence, action).with_actions(actions))
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
    fn an_early_flat_plateau_while_high_is_a_plateau() {
        let train = vec![
            2.2, 1.6, 1.21, 1.2, 1.19, 1.2, 1.19, 1.2, 1.19, 1.19, 1.2, 1.19,
        ];
        let h = History::new(train.clone(), train).with_context(ten_classes(Some(1e-3)));
        let f = plateau(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.evidence.contains("fell from 2.2 to 1.21 by epoch 3"),
            "{}",
            f.evidence
        );
        assert!(
            f.evidence.contains("over the next 9 epochs (to 1.19)"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("ln(10) = 2.303"), "{}", f.evidence);
        assert!(f.action.starts_with(
            "early plateau: raise LR, or use a schedule that warms up to a higher LR first (one-cycle)"
        ));
        assert_eq!(
            f.actions,
            vec![
                Action::scale_lr(3.0, Some(1e-3)),
                Action::WarmUpSchedule { peak: Some(1e-2) }
            ]
        );
        assert!(
            f.action
                .contains("try LR 0.003 (now 0.001), or one-cycle with peak 0.01"),
            "{}",
            f.action
        );
    }

    #[test]
    fn a_plateau_at_a_low_loss_is_convergence_not_a_plateau() {
        let train = vec![1.0, 0.1, 0.05, 0.05, 0.049, 0.05, 0.049, 0.049];
        let h = History::new(train.clone(), train).with_context(ten_classes(None));
        assert!(plateau(&h).is_none());
    }

    #[test]
    fn steady_progress_or_no_early_drop_is_not_a_plateau() {
        let steady: Vec<f64> = (0..12).map(|i| 2.0 - 0.1 * i as f64).collect();
        let h = History::new(steady.clone(), steady).with_context(ten_classes(None));
        assert!(plateau(&h).is_none());
        let flat = vec![2.3; 12];
        let h = History::new(flat.clone(), flat).with_context(ten_classes(None));
        assert!(plateau(&h).is_none());
    }

    #[test]
    fn a_plateau_at_chance_level_after_a_far_too_high_lr_says_reduce() {
        let train = vec![3.0, 2.5, 2.32, 2.31, 2.31, 2.32, 2.31, 2.31, 2.31];
        let h = History::new(train.clone(), train.clone())
            .with_context(RunContext::adam_ten_classes(0.3));
        let f = plateau(&h).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert_eq!(
            f.action,
            "stuck at chance level: the LR is too high, not too low: reduce the LR 10x, try 0.03 (adam's default is 0.001)"
        );
        assert!(
            f.evidence.contains("the train loss stayed at chance level (2.31 or more in the last epochs, 100% of ln(10) = 2.303) and the LR 0.3 is 300x adam's default 0.001"),
            "{}",
            f.evidence
        );
        // Under 10x the default the same curve gets the usual advice.
        let h = History::new(train.clone(), train).with_context(RunContext::adam_ten_classes(9e-3));
        let f = plateau(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.action.contains("raise LR"), "{}", f.action);
    }

    #[test]
    fn a_plateau_below_chance_level_at_a_far_too_high_lr_is_not_raised() {
        let train = vec![
            2.2, 1.6, 1.21, 1.2, 1.19, 1.2, 1.19, 1.2, 1.19, 1.19, 1.2, 1.19,
        ];
        let h = History::new(train.clone(), train).with_context(RunContext::adam_ten_classes(0.01));
        let f = plateau(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.action.starts_with("early plateau: not sure of the cause, but it is not a low LR (already 10x the default)"),
            "{}",
            f.action
        );
        assert!(f.action.contains("try 0.001"), "{}", f.action);
        assert!(!f.action.contains("raise"), "{}", f.action);
    }
}
