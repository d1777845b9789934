//! Underfitting: training and validation loss both high and close together. The model does
//! not even fit the data it trains on: too small, too regularised, or not trained enough.

use super::loss_level::train_level;
use super::{Finding, History, Pattern, Severity};
use crate::fmt::{lr, num, pct};

/// "Close together": the final validation loss is at most this fraction above the training
/// loss. No sign that the model fits its training set better than new data, so capacity, not
/// generalisation, is what limits it.
pub const UNDERFIT_MAX_GAP: f64 = 0.25;

/// The underfitting finding, if the final losses are both high and close.
pub(super) fn underfitting(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    let train = *h.train_loss.last()?;
    let val = *h.val_loss.last()?;
    if n == 0 || val > train * (1.0 + UNDERFIT_MAX_GAP) {
        return None;
    }
    let level = train_level(h, n - 1, train);
    if !level.high {
        return None;
    }
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
    let mut action =
        String::from("underfitting: add capacity, remove regularisation, raise LR, train longer");
    let regularisation: Vec<String> = [
        h.context
            .dropout
            .filter(|d| *d > 0.0)
            .map(|d| format!("dropout {}", num(d))),
        h.context
            .weight_decay
            .filter(|w| *w > 0.0)
            .map(|w| format!("weight decay {}", lr(w))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !regularisation.is_empty() {
        action.push_str(&format!(" (now {})", regularisation.join(", ")));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

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
            "underfitting: add capacity, remove regularisation, raise LR, train longer (now dropout 0.5)"
        );
    }

    #[test]
    fn moderately_high_close_losses_are_medium() {
        let h = History::new(vec![1.5, 0.8], vec![1.5, 0.85]).with_context(ten_classes(0.0));
        let f = underfitting(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(!f.action.contains("(now"), "{}", f.action);
    }

    #[test]
    fn a_low_loss_or_a_wide_gap_is_not_underfitting() {
        let low = History::new(vec![1.0, 0.1], vec![1.0, 0.11]).with_context(ten_classes(0.0));
        assert!(underfitting(&low).is_none());
        let gap = History::new(vec![1.5, 0.6], vec![1.5, 1.2]).with_context(ten_classes(0.0));
        assert!(underfitting(&gap).is_none());
    }
}
