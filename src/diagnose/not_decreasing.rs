//! Not decreasing: the training loss ends where it started (or higher). Either nothing is
//! learned (LR far too low, broken data or labels, a bug), or what was learned is lost again,
//! or an LR far above the optimizer's default killed the network
//! ([`lr_guard`](super::lr_guard)).

use super::lr_guard::HIGH_LR_CUT;
use super::lr_guard::{LrGuard, lr_guard};
use super::reference::{
    below_default, data_check_first, far_below_default, nothing_learned_at_working_lr, unscaled,
};
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::argmin;
use crate::fmt::{lr, nice_lr, num, pct};

/// The last epoch's training loss must be at least this fraction below the first epoch's to
/// count as decreasing. A real epoch of learning moves cross-entropy by more than 1%;
/// smaller moves are noise.
pub const NOT_DECREASING_TOLERANCE: f64 = 0.01;

/// A minimum this fraction below the first epoch's loss, with the last epoch back above the
/// first, means the loss went down and then climbed back up.
pub const CLIMBED_BACK_DROP: f64 = 0.1;

/// A learning rate at or below this is tiny for the optimizers tunelab offers (their
/// defaults are 1e-3 and 1e-2; plain SGD at 1e-4 barely moves a digits MLP in 20 epochs).
pub const TINY_LR: f64 = 1e-4;

/// The first step's loss more than this fraction away from ln(classes) suggests a broken
/// output layer, loss or labels: a freshly initialised classifier guesses nearly uniformly.
/// It is the sanity check's tolerance ([`crate::train::INITIAL_LOSS_TOLERANCE`], 0.1, for the
/// untrained model measured directly) widened 5x: a history's first loss comes after an
/// update (or a mean over a first epoch), from any framework's initialisation.
pub const INITIAL_LOSS_TOLERANCE: f64 =
    INITIAL_LOSS_WIDENING * crate::train::INITIAL_LOSS_TOLERANCE;

/// How much wider the diagnosis's initial-loss tolerance is than the sanity check's.
pub const INITIAL_LOSS_WIDENING: f64 = 5.0;

/// The not-decreasing finding, if the last training loss is not below the first.
pub(super) fn not_decreasing(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    let first = *h.train_loss.first()?;
    let last = *h.train_loss.last()?;
    if n < 2 || last < first * (1.0 - NOT_DECREASING_TOLERANCE) {
        return None;
    }
    let mut evidence = format!(
        "train loss went from {} at epoch 1 to {} at epoch {n} ({}{})",
        num(first),
        num(last),
        if last >= first { "+" } else { "" },
        pct((last - first) / first)
    );
    let mut action = String::from("not decreasing: ");
    let mut actions = Vec::new();
    let guard = lr_guard(h);
    if let Some((i, min)) = argmin(&h.train_loss)
        && min < first * (1.0 - CLIMBED_BACK_DROP)
    {
        evidence.push_str(&format!(
            "; it reached {} at epoch {} and climbed back",
            num(min),
            i + 1
        ));
        if !matches!(guard, LrGuard::Killed { .. }) {
            actions.push(Action::AddSchedule);
            action.push_str(
                "it learned and then lost it, so the LR may be too high late in training: lower it or add a decaying schedule (cosine / step); otherwise ",
            );
        }
    }
    evidence.push_str(&guard.evidence());
    let to_default = far_below_default(h);
    match (&guard, h.base_lr(), to_default) {
        (LrGuard::Killed { high, .. }, _, _) => action.push_str(&format!(
            "stuck at chance level: the LR is too high, not too low: {}",
            high.reduce()
        )),
        (LrGuard::FarAbove(high), _, _) => action.push_str(&format!(
            "the LR is already {}x the default, so it is not too low; if anything it is too high: {}",
            num(high.multiple()),
            high.reduce()
        )),
        (LrGuard::Fine, Some(base), Some(f)) => {
            action.push_str(&format!(
                "the LR {} is {}x below the optimizer's default: raise it to the default, try {}",
                lr(base),
                num(f),
                nice_lr(base * f)
            ))
        }
        (LrGuard::Fine, Some(base), None) if base <= TINY_LR => action.push_str(&format!(
            "the LR {} is tiny: raise it 10x, try {}",
            lr(base),
            nice_lr(base * 10.0)
        )),
        (LrGuard::Fine, Some(base), None) => action.push_str(&format!(
            "check the LR {} (raise it 10x if it is tiny for this optimizer)",
            lr(base)
        )),
        (LrGuard::Fine, None, _) => action.push_str("check the LR (raise it 10x if it is tiny)"),
    }
    // The LR change first when the LR is far from its optimizer's default (back to the
    // default: one 10x step from 1000x off is not enough) or below it; with the LR at its
    // default or above, the data and the code are the likelier cause, so checking them comes
    // first (measured on the diagnosis benchmark's calibration half).
    match (&guard, to_default) {
        (LrGuard::Killed { .. } | LrGuard::FarAbove(_), _) => {
            actions.push(Action::scale_lr(1.0 / HIGH_LR_CUT, h.base_lr()));
            actions.push(Action::CheckData);
        }
        (LrGuard::Fine, Some(f)) => {
            actions.push(Action::scale_lr(f, h.base_lr()));
            actions.push(Action::CheckData);
        }
        (LrGuard::Fine, _) if h.base_lr().is_some_and(|b| b <= TINY_LR) || below_default(h) => {
            actions.push(Action::scale_lr(10.0, h.base_lr()));
            actions.push(Action::CheckData);
        }
        (LrGuard::Fine, _) => {
            actions.push(Action::CheckData);
            actions.push(Action::scale_lr(10.0, h.base_lr()));
        }
    }
    if let Some(reason) = nothing_learned_at_working_lr(h) {
        data_check_first(&mut actions);
        action.push_str(&format!("; {reason}: check the data first"));
    }
    if let Some(reason) = unscaled(h) {
        data_check_first(&mut actions);
        action.push_str(&format!("; {reason}: standardise them"));
    }
    actions.push(Action::GrowModel);
    action.push_str("; check the data and labels (features and labels shuffled together, the right target column)");
    action.push_str("; if the LR and the data are right, the model may be too simple: add capacity (a wider or deeper shape from the guide's list)");
    let (initial_evidence, sanity, off) = initial_loss_check(h);
    evidence.push_str(&initial_evidence);
    action.push_str(&sanity);
    if off {
        actions.insert(0, Action::CheckModelOutput);
    }
    Some(
        Finding::new(Pattern::NotDecreasing, Severity::High, evidence, action)
            .with_actions(actions),
    )
}

/// Evidence and advice about the first step's loss against ln(classes), and whether it was
/// far off.
fn initial_loss_check(h: &History) -> (String, String, bool) {
    let (Some(k), Some(chance)) = (h.context.n_classes, h.chance_loss()) else {
        return (
            String::new(),
            "; sanity check: the initial loss should be ≈ ln(number of classes)".into(),
            false,
        );
    };
    let sanity = format!(
        "; sanity check: the initial loss should be ≈ ln({k}) = {}",
        num(chance)
    );
    let Some(initial) = h.steps().and_then(|s| s.first().copied()) else {
        return (String::new(), sanity, false);
    };
    let off = (initial - chance).abs() / chance > INITIAL_LOSS_TOLERANCE;
    let evidence = format!(
        "; the first step's loss was {} vs ln({k}) = {}{}",
        num(initial),
        num(chance),
        if off { " (far off)" } else { "" }
    );
    let sanity = if off {
        format!(
            "{sanity}, but it was {}: check the output layer, the loss and the labels",
            num(initial)
        )
    } else {
        sanity
    };
    (evidence, sanity, off)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;
    use crate::train::OptimizerKind;

    fn context(lr: f64) -> RunContext {
        RunContext {
            lr: Some(lr),
            n_classes: Some(10),
            ..RunContext::default()
        }
    }

    #[test]
    fn a_flat_curve_at_chance_level_is_not_decreasing() {
        let train = vec![2.302, 2.303, 2.301, 2.304, 2.303, 2.302];
        let mut h = History::new(train.clone(), train).with_context(context(1e-5));
        h.step_loss = Some(vec![2.31, 2.30]);
        let f = not_decreasing(&h).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.evidence
                .contains("from 2.302 at epoch 1 to 2.302 at epoch 6"),
            "{}",
            f.evidence
        );
        assert!(
            f.evidence
                .contains("first step's loss was 2.31 vs ln(10) = 2.303"),
            "{}",
            f.evidence
        );
        assert!(
            f.action
                .contains("the LR 1e-5 is tiny: raise it 10x, try 0.0001"),
            "{}",
            f.action
        );
        assert!(f.action.contains("labels"), "{}", f.action);
        assert!(f.action.contains("≈ ln(10) = 2.303"), "{}", f.action);
        assert!(
            f.action.contains("too simple: add capacity"),
            "{}",
            f.action
        );
    }

    #[test]
    fn a_far_off_initial_loss_is_called_out() {
        let train = vec![5.0, 5.0, 5.1];
        let mut h = History::new(train.clone(), train).with_context(context(1e-3));
        h.step_loss = Some(vec![9.0]);
        let f = not_decreasing(&h).unwrap();
        assert!(f.evidence.contains("(far off)"), "{}", f.evidence);
        assert!(f.action.contains("but it was 9"), "{}", f.action);
        assert!(f.action.contains("check the LR 0.001"), "{}", f.action);
    }

    #[test]
    fn a_loss_that_fell_and_climbed_back_says_so() {
        let train = vec![1.0, 0.5, 0.4, 0.7, 1.05];
        let h = History::new(train.clone(), train);
        let f = not_decreasing(&h).unwrap();
        assert!(
            f.evidence
                .contains("reached 0.4 at epoch 3 and climbed back"),
            "{}",
            f.evidence
        );
        assert!(f.action.contains("decaying schedule"), "{}", f.action);
        assert!(f.action.contains("ln(number of classes)"), "{}", f.action);
    }

    #[test]
    fn a_decreasing_curve_is_not_flagged() {
        let h = History::new(vec![2.3, 2.2, 2.0], vec![2.3, 2.2, 2.0]);
        assert!(not_decreasing(&h).is_none());
    }

    #[test]
    fn a_flat_curve_at_chance_level_after_a_far_too_high_lr_says_reduce() {
        let train = vec![2.31, 2.32, 2.31, 2.33, 2.31, 2.32];
        let h = History::new(train.clone(), train).with_context(RunContext {
            optimizer: Some(OptimizerKind::Adam),
            ..context(0.3)
        });
        let f = not_decreasing(&h).unwrap();
        assert!(
            f.action.starts_with(
                "not decreasing: stuck at chance level: the LR is too high, not too low: reduce the LR 10x, try 0.03 (adam's default is 0.001)"
            ),
            "{}",
            f.action
        );
        assert!(!f.action.contains("raise"), "{}", f.action);
        assert!(
            f.evidence.contains("300x adam's default 0.001"),
            "{}",
            f.evidence
        );
    }

    #[test]
    fn a_far_too_high_lr_below_chance_level_is_not_raised_and_under_the_line_it_is_checked() {
        let train = vec![0.5, 0.6, 0.55, 0.6];
        let sgd = |lr: f64| RunContext {
            optimizer: Some(OptimizerKind::Sgd),
            ..context(lr)
        };
        let h = History::new(train.clone(), train.clone()).with_context(sgd(0.1));
        let f = not_decreasing(&h).unwrap();
        assert!(
            f.action.contains(
                "the LR is already 10x the default, so it is not too low; if anything it is too high: reduce the LR 10x, try 0.01 (sgd's default is 0.01)"
            ),
            "{}",
            f.action
        );
        assert!(!f.action.contains("raise"), "{}", f.action);
        let h = History::new(train.clone(), train).with_context(sgd(0.09));
        let f = not_decreasing(&h).unwrap();
        assert!(f.action.contains("check the LR 0.09"), "{}", f.action);
    }
}
