//! The learning-rate guard shared by the rules whose usual advice is "raise the LR" (plateau,
//! slow, not decreasing, underfitting): that advice must never go to a run whose LR is
//! already far above the optimizer's default.
//!
//! Two cases:
//! - **Killed**: the LR is far above the default and the training loss is stuck at chance
//!   level, ln(classes). A too-high LR knocked the network into a state where it predicts no
//!   better than a uniform guess (dead ReLUs, saturated outputs); it looks like a plateau or
//!   a flat curve, but the cure is a lower LR.
//! - **Far above**: the LR is far above the default but the loss is not at chance level (or
//!   the number of classes is unknown). A low LR is then an unlikely cause, so the rules say
//!   they are not sure and point to a lower LR or a schedule instead of a higher LR.

use super::{Action, History};
use crate::fmt::{lr, nice_lr, num, pct};
use crate::train::OptimizerKind;

/// An LR at least this many times the optimizer's default ([`OptimizerKind::default_lr`]) is
/// far above it: one order of magnitude. The guide's defaults train every model tunelab
/// offers, and the LR finder's recommendations on its data sets stay within a few times the
/// default, so 10x is well past the range where "raise the LR" can help. Without the
/// optimizer, the largest default of the optimizers tunelab offers (1e-2, SGD's) is the
/// reference, so that the guard only speaks when the LR is far above every default.
pub const HIGH_LR_MULTIPLE: f64 = 10.0;

/// A training loss at or above this fraction of ln(classes) is at chance level: the network
/// predicts about the class frequencies. A network that learned anything on a balanced task
/// is well below it (a digits MLP at the default LR ends 10 epochs under 10% of ln(10)),
/// while one killed by its LR sits at 100% or a little above; a skewed two-class task whose
/// prior is 63/37 still scores 95% of ln(2) when it only predicts the prior.
pub const CHANCE_LEVEL_FRACTION: f64 = 0.9;

/// The loss must be at chance level in each of this many last epochs (all of them if the run
/// is shorter): stuck there, not just passing through on one bad epoch of an oscillation.
pub const CHANCE_LEVEL_EPOCHS: usize = 3;

/// The LR cut suggested when the LR is far above the default: one order of magnitude, toward
/// the default (the same step as for an exploding loss).
pub const HIGH_LR_CUT: f64 = 10.0;

/// The run's LR compared with its optimizer's default, when it is far above it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HighLr {
    /// The run's base LR.
    pub lr: f64,
    /// The default it is compared with.
    pub default: f64,
    /// The optimizer, if known.
    pub optimizer: Option<OptimizerKind>,
}

impl HighLr {
    /// `lr / default`.
    pub fn multiple(&self) -> f64 {
        self.lr / self.default
    }

    /// "the LR 0.3 is 300x adam's default 0.001".
    pub fn describe(&self) -> String {
        let reference = match self.optimizer {
            Some(o) => format!("{}'s default {}", o.name(), lr(self.default)),
            None => format!(
                "the largest default LR {} (optimizer unknown)",
                lr(self.default)
            ),
        };
        format!(
            "the LR {} is {}x {reference}",
            lr(self.lr),
            num(self.multiple())
        )
    }

    /// The LR to try next: [`HIGH_LR_CUT`] times lower.
    pub fn suggestion(&self) -> String {
        nice_lr(self.lr / HIGH_LR_CUT)
    }

    /// "reduce the LR 10x, try 0.03 (adam's default is 0.001)".
    pub fn reduce(&self) -> String {
        let default = match self.optimizer {
            Some(o) => format!("{}'s default is {}", o.name(), lr(self.default)),
            None => format!("the largest default is {}", lr(self.default)),
        };
        format!(
            "reduce the LR {}x, try {} ({default})",
            num(HIGH_LR_CUT),
            self.suggestion()
        )
    }
}

/// What the guard found.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum LrGuard {
    /// The LR is not known to be far above the default: the rule's own advice stands.
    Fine,
    /// The LR is far above the default, but the loss is not known to be at chance level.
    FarAbove(HighLr),
    /// The LR is far above the default and the loss is stuck at chance level.
    Killed {
        /// The LR and its default.
        high: HighLr,
        /// The lowest training loss of the last [`CHANCE_LEVEL_EPOCHS`] epochs.
        loss: f64,
        /// Number of classes.
        n_classes: usize,
        /// ln(n_classes).
        chance: f64,
    },
}

impl LrGuard {
    /// Evidence to append to a finding (starting with "; "), empty when the guard is fine.
    pub fn evidence(&self) -> String {
        match self {
            LrGuard::Fine => String::new(),
            LrGuard::FarAbove(high) => format!("; {}", high.describe()),
            LrGuard::Killed {
                high,
                loss,
                n_classes,
                chance,
            } => format!(
                "; the train loss stayed at chance level ({} or more in the last epochs, {} of ln({n_classes}) = {}) and {}: a too-high LR killed the network",
                num(*loss),
                pct(loss / chance),
                num(*chance),
                high.describe()
            ),
        }
    }
}

/// The guard for this history.
impl LrGuard {
    /// The typed actions of a rule whose own advice is `fine` (used when the guard is fine):
    /// a killed network gets the LR cut alone; an LR far above its default gets `far_above`
    /// (the rule's other idea) and then the cut.
    pub fn actions(&self, h: &History, far_above: Action, fine: Vec<Action>) -> Vec<Action> {
        let cut = Action::scale_lr(1.0 / HIGH_LR_CUT, h.base_lr());
        match self {
            LrGuard::Killed { .. } => vec![cut],
            LrGuard::FarAbove(_) => vec![far_above, cut],
            LrGuard::Fine => fine,
        }
    }
}

pub(super) fn lr_guard(h: &History) -> LrGuard {
    let Some(high) = high_lr(h) else {
        return LrGuard::Fine;
    };
    match (h.context.n_classes, h.chance_loss(), stuck_loss(h)) {
        (Some(n_classes), Some(chance), Some(loss)) if loss >= CHANCE_LEVEL_FRACTION * chance => {
            LrGuard::Killed {
                high,
                loss,
                n_classes,
                chance,
            }
        }
        _ => LrGuard::FarAbove(high),
    }
}

/// The run's LR and its default, if the LR is at least [`HIGH_LR_MULTIPLE`] times the default.
fn high_lr(h: &History) -> Option<HighLr> {
    let base = h.base_lr().filter(|v| v.is_finite() && *v > 0.0)?;
    let optimizer = h.context.optimizer;
    let default = match optimizer {
        Some(o) => o.default_lr(),
        None => OptimizerKind::ALL
            .iter()
            .map(|o| o.default_lr())
            .fold(f64::MIN_POSITIVE, f64::max),
    };
    let high = HighLr {
        lr: base,
        default,
        optimizer,
    };
    (high.multiple() >= HIGH_LR_MULTIPLE).then_some(high)
}

/// The lowest training loss of the last [`CHANCE_LEVEL_EPOCHS`] epochs; `None` if there are no
/// epochs or one of them is not finite.
fn stuck_loss(h: &History) -> Option<f64> {
    let n = h.n_epochs();
    let last = &h.train_loss[n.saturating_sub(CHANCE_LEVEL_EPOCHS)..];
    if last.is_empty() || last.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(last.iter().copied().fold(f64::INFINITY, f64::min))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn history(train: Vec<f64>, lr: f64, optimizer: Option<OptimizerKind>) -> History {
        History::new(train.clone(), train).with_context(RunContext {
            lr: Some(lr),
            optimizer,
            n_classes: Some(10),
            ..RunContext::default()
        })
    }

    const ADAM: Option<OptimizerKind> = Some(OptimizerKind::Adam);

    #[test]
    fn ten_times_the_default_is_far_above_and_just_under_is_not() {
        let flat = vec![1.0; 6];
        assert_eq!(
            lr_guard(&history(flat.clone(), 9.9e-3, ADAM)),
            LrGuard::Fine
        );
        let guard = lr_guard(&history(flat.clone(), 1e-2, ADAM));
        let LrGuard::FarAbove(high) = &guard else {
            panic!("{guard:?}");
        };
        assert!((high.multiple() - 10.0).abs() < 1e-9);
        assert_eq!(
            guard.evidence(),
            "; the LR 0.01 is 10x adam's default 0.001"
        );
        assert_eq!(
            high.reduce(),
            "reduce the LR 10x, try 0.001 (adam's default is 0.001)"
        );
    }

    #[test]
    fn without_the_optimizer_the_largest_default_is_the_reference() {
        let flat = vec![2.3; 6];
        assert_eq!(lr_guard(&history(flat.clone(), 0.05, None)), LrGuard::Fine);
        let guard = lr_guard(&history(flat, 0.1, None));
        assert!(matches!(guard, LrGuard::Killed { .. }), "{guard:?}");
        assert!(
            guard
                .evidence()
                .contains("10x the largest default LR 0.01 (optimizer unknown)"),
            "{}",
            guard.evidence()
        );
    }

    #[test]
    fn a_loss_stuck_at_chance_level_is_killed_just_below_it_is_not() {
        let chance = 10f64.ln();
        let at = vec![3.0, 2.5, 2.31, 2.31, CHANCE_LEVEL_FRACTION * chance, 2.31];
        let guard = lr_guard(&history(at, 0.3, ADAM));
        assert!(matches!(guard, LrGuard::Killed { .. }), "{guard:?}");
        let evidence = guard.evidence();
        assert!(evidence.contains("ln(10) = 2.303"), "{evidence}");
        assert!(
            evidence.contains("the LR 0.3 is 300x adam's default 0.001"),
            "{evidence}"
        );
        let below = vec![3.0, 2.5, 2.31, 2.31, 0.89 * chance, 2.31];
        let guard = lr_guard(&history(below, 0.3, ADAM));
        assert!(matches!(guard, LrGuard::FarAbove(_)), "{guard:?}");
    }

    #[test]
    fn only_the_last_epochs_count_and_bad_values_do_not_panic() {
        // At chance early, learned later: not killed.
        let learned = vec![2.3, 2.3, 2.3, 2.3, 1.0, 0.8, 0.7];
        let guard = lr_guard(&history(learned, 0.3, ADAM));
        assert!(matches!(guard, LrGuard::FarAbove(_)), "{guard:?}");
        let nan = vec![2.3, f64::NAN];
        assert!(matches!(
            lr_guard(&history(nan, 0.3, ADAM)),
            LrGuard::FarAbove(_)
        ));
        let empty = History::new(vec![], vec![]).with_context(RunContext {
            lr: Some(0.3),
            n_classes: Some(10),
            ..RunContext::default()
        });
        assert!(matches!(lr_guard(&empty), LrGuard::FarAbove(_)));
        let unknown_lr = History::new(vec![2.3; 5], vec![2.3; 5]);
        assert_eq!(lr_guard(&unknown_lr), LrGuard::Fine);
    }
}
