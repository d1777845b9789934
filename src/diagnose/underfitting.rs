//! Underfitting: training and validation loss both high and close together. The model does
//! not even fit the data it trains on: too small, too regularised, not trained enough, or
//! knocked out by an LR far above the optimizer's default.

use super::loss_level::{Level, train_level};
use super::lr_guard::{LrGuard, lr_guard};
use super::{Finding, History, Pattern, Severity};
use crate::fmt::{lr, num, pct};

/// "Close together": the final validation loss is at most this fraction above the training
/// loss. No sign that the model fits its training set better than new data, so capacity, not
/// generalisation, is what limits it.
pub const UNDERFIT_MAX_GAP: f64 = 0.25;

/// Dropout in use is cut to this fraction of itself when it is not removed outright.
const DROPOUT_KEEP: f64 = 0.5;
/// Weight decay in use is cut by this factor when it is not removed outright.
const WEIGHT_DECAY_CUT: f64 = 10.0;

/// The underfitting finding, if the final losses are both high and close.
///
/// Its advice never adds regularisation: regularisation in use (dropout, weight decay) is
/// the first thing to take away, and the LR is only suggested higher when it is not already
/// far above the optimizer's default ([`lr_guard`](super::lr_guard)).
pub(super) fn underfitting(h: &History) -> Option<Finding> {
    let (train, val, level) = high_and_close(h)?;
    let n = h.n_epochs();
    let mut evidence = format!(
        "train loss {} and val loss {} are both high and close ({} apart) at epoch {n} ({})",
        num(train),
        num(val),
        pct((val - train).abs() / train),
        level.reason
    );
    if let Some(acc) = h.val_acc.as_ref().and_then(|a| a.last()) {
        evidence.push_str(&format!("; val accuracy {}", num(*acc)));
    }
    let guard = lr_guard(h);
    evidence.push_str(&guard.evidence());
    let reduce = reduce_regularisation(h);
    let action = match &guard {
        LrGuard::Killed { high, .. } => {
            let mut action = format!(
                "underfitting: the too-high LR, not the model, is the likely cause: {}, then judge the model again",
                high.reduce()
            );
            if let Some(reduce) = &reduce {
                action.push_str(&format!("; also {reduce}"));
            }
            action
        }
        LrGuard::Fine | LrGuard::FarAbove(_) => {
            let mut options = Vec::new();
            match &reduce {
                Some(reduce) => options.push(reduce.clone()),
                None if h.context.dropout.is_none() || h.context.weight_decay.is_none() => {
                    options.push("remove regularisation".to_string());
                }
                None => {}
            }
            options.push("add capacity".to_string());
            match &guard {
                LrGuard::FarAbove(high) => options.push(format!(
                    "train longer (not the LR: it is already {}x the default)",
                    num(high.multiple())
                )),
                _ => options.push("raise LR, train longer".to_string()),
            }
            format!("underfitting: {}", options.join(", "))
        }
    };
    let severity = if level.severe {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(Finding::new(
        Pattern::Underfitting,
        severity,
        evidence,
        action,
    ))
}

/// Whether the model underfits: the final training and validation losses are both high and
/// close together.
pub(super) fn underfits(h: &History) -> bool {
    high_and_close(h).is_some()
}

/// The final training and validation losses and the training loss's level, if both are high
/// and close.
fn high_and_close(h: &History) -> Option<(f64, f64, Level)> {
    let n = h.n_epochs();
    let train = *h.train_loss.last()?;
    let val = *h.val_loss.last()?;
    if n == 0 || val > train * (1.0 + UNDERFIT_MAX_GAP) {
        return None;
    }
    let level = train_level(h, n - 1, train);
    level.high.then_some((train, val, level))
}

/// How to take away the regularisation the run uses, e.g. "reduce regularisation (remove
/// dropout 0.5 or cut it to 0.25)"; `None` if it uses none or it is unknown.
pub(super) fn reduce_regularisation(h: &History) -> Option<String> {
    let parts: Vec<String> = [
        h.context.dropout.filter(|d| *d > 0.0).map(|d| {
            format!(
                "remove dropout {} or cut it to {}",
                num(d),
                num(d * DROPOUT_KEEP)
            )
        }),
        h.context.weight_decay.filter(|w| *w > 0.0).map(|w| {
            format!(
                "remove weight decay {} or cut it to {}",
                lr(w),
                lr(w / WEIGHT_DECAY_CUT)
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| format!("reduce regularisation ({})", parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;
    use crate::train::OptimizerKind;

    fn ten_classes(dropout: f64) -> RunContext {
        RunContext {
            n_classes: Some(10),
            dropout: Some(dropout),
            weight_decay: Some(0.0),
            ..RunContext::default()
        }
    }

    #[test]
    fn flat_curves_near_chance_are_severe_underfitting() {
        let train = vec![2.30, 2.25, 2.2, 2.15, 2.1, 2.05];
        let val = vec![2.31, 2.26, 2.21, 2.16, 2.11, 2.07];
        let mut h = History::new(train, val).with_context(ten_classes(0.5));
        h.val_acc = Some(vec![0.1, 0.12, 0.14, 0.15, 0.16, 0.18]);
        let f = underfitting(&h).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.evidence.contains("train loss 2.05 and val loss 2.07"),
            "{}",
            f.evidence
        );
        assert!(
            f.evidence.contains("89% of the chance loss ln(10) = 2.303"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("val accuracy 0.18"), "{}", f.evidence);
        assert_eq!(
            f.action,
            "underfitting: reduce regularisation (remove dropout 0.5 or cut it to 0.25), add capacity, raise LR, train longer"
        );
    }

    #[test]
    fn moderately_high_close_losses_are_medium() {
        let h = History::new(vec![1.5, 0.8], vec![1.5, 0.85]).with_context(ten_classes(0.0));
        let f = underfitting(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(
            f.action,
            "underfitting: add capacity, raise LR, train longer"
        );
    }

    #[test]
    fn regularisation_in_use_is_taken_away_and_unknown_regularisation_is_named() {
        let mut h = History::new(vec![1.5, 0.8], vec![1.5, 0.85]).with_context(ten_classes(0.0));
        h.context.weight_decay = Some(1e-4);
        let f = underfitting(&h).unwrap();
        assert!(
            f.action.starts_with(
                "underfitting: reduce regularisation (remove weight decay 0.0001 or cut it to 1e-5)"
            ),
            "{}",
            f.action
        );
        h.context.dropout = Some(0.3);
        let f = underfitting(&h).unwrap();
        assert!(
            f.action.contains(
                "(remove dropout 0.3 or cut it to 0.15; remove weight decay 0.0001 or cut it to 1e-5)"
            ),
            "{}",
            f.action
        );
        assert!(underfits(&h));
        let unknown = History::new(vec![1.5, 0.8], vec![1.5, 0.85]);
        let f = underfitting(&unknown).unwrap();
        assert!(f.action.contains("remove regularisation"), "{}", f.action);
    }

    #[test]
    fn an_lr_far_above_the_default_is_never_raised() {
        let at_chance = History::new(vec![2.4, 2.31, 2.31, 2.31], vec![2.4, 2.31, 2.31, 2.32])
            .with_context(RunContext {
                lr: Some(0.3),
                optimizer: Some(OptimizerKind::Adam),
                ..ten_classes(0.0)
            });
        let f = underfitting(&at_chance).unwrap();
        assert!(
            f.action.contains("the too-high LR, not the model, is the likely cause: reduce the LR 10x, try 0.03 (adam's default is 0.001)"),
            "{}",
            f.action
        );
        assert!(
            f.evidence
                .contains("the LR 0.3 is 300x adam's default 0.001"),
            "{}",
            f.evidence
        );
        assert!(!f.action.contains("raise"), "{}", f.action);

        // Far above the default but not at chance level: no raise, and it says why.
        let mut high = History::new(vec![1.5, 0.8], vec![1.5, 0.85]).with_context(RunContext {
            lr: Some(0.03),
            optimizer: Some(OptimizerKind::Adam),
            ..ten_classes(0.0)
        });
        let f = underfitting(&high).unwrap();
        assert_eq!(
            f.action,
            "underfitting: add capacity, train longer (not the LR: it is already 30x the default)"
        );
        // Just under the line the usual advice stands.
        high.context.lr = Some(9e-3);
        assert!(underfitting(&high).unwrap().action.contains("raise LR"));
    }

    #[test]
    fn a_low_loss_or_a_wide_gap_is_not_underfitting() {
        let low = History::new(vec![1.0, 0.1], vec![1.0, 0.11]).with_context(ten_classes(0.0));
        assert!(underfitting(&low).is_none());
        let gap = History::new(vec![1.5, 0.6], vec![1.5, 1.2]).with_context(ten_classes(0.0));
        assert!(underfitting(&gap).is_none());
    }
}
