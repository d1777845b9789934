//! Overfitting: the model fits the training set much better than new data, seen as a
//! validation loss that rises from its minimum while the training loss keeps falling, or a
//! validation loss many times the training loss. When both losses are still high and close
//! (the model underfits too), the advice takes regularisation away instead of adding it.

use super::reference::learned;
use super::underfitting::{reduce_regularisation, reduce_regularisation_actions, underfits};
use super::val_rise::{ValRise, val_rise};
use super::{Action, Finding, History, Pattern, Severity};
use crate::fmt::{lr, num, pct};

/// A rise of this fraction or more is severe: the final weights are much worse than the
/// best epoch's.
pub const OVERFIT_SEVERE_VAL_RISE: f64 = 0.5;

/// A final validation loss this many times the training loss is a generalisation gap.
pub const OVERFIT_GAP_RATIO: f64 = 3.0;

/// A gap ratio this large is a strong gap, when the gap is also at least
/// [`OVERFIT_STRONG_MIN_GAP`].
pub const OVERFIT_STRONG_GAP_RATIO: f64 = 10.0;

/// A strong gap must also be this large in absolute terms (nats): a model that drives its
/// training loss to nearly zero shows a huge ratio (0.07 against 0.0006 is 114x) even when
/// its validation loss is excellent, and that is a mild gap, not a medium one.
pub const OVERFIT_STRONG_MIN_GAP: f64 = 0.2;

/// The gap must also be at least this large in absolute terms (nats), so that 0.001
/// against 0.004, both excellent, is no gap.
pub const OVERFIT_MIN_GAP: f64 = 0.05;

/// Train accuracy above validation accuracy by at least this much (10 percentage points) is
/// the guide's second sign of overfitting, even when the losses alone do not show it.
pub const OVERFIT_ACC_GAP: f64 = 0.1;

/// Dropout suggested to a model without any (the guide's usual range).
/// The guide's dropout for each severity: mild 0.1-0.2, moderate 0.3-0.4, severe 0.5.
fn advised_dropout(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "0.1-0.2",
        Severity::Medium => "0.3-0.4",
        Severity::High => "0.5",
    }
}
/// How much to raise dropout that is already on.
const DROPOUT_STEP: f64 = 0.2;
/// No dropout beyond this is suggested: more than half the units off rarely helps an MLP.
const MAX_ADVISED_DROPOUT: f64 = 0.5;
/// Weight decay suggested to a model without any.
const ADVISED_WEIGHT_DECAY: &str = "1e-4";
/// [`ADVISED_WEIGHT_DECAY`] as a number.
const ADVISED_WEIGHT_DECAY_VALUE: f64 = 1e-4;
/// How much to raise weight decay that is already on.
const WEIGHT_DECAY_RAISE: f64 = 10.0;

/// The overfitting finding, if the validation loss rose clearly or the gap is large.
pub(super) fn overfitting(h: &History) -> Option<Finding> {
    if !learned(h) {
        return None;
    }
    let n = h.n_epochs();
    let rise = val_rise(h).filter(ValRise::is_clear);
    let gap = gap(h);
    let mut parts = Vec::new();
    let mut severity = None;
    if let Some(r) = &rise {
        parts.push(format!(
            "val loss rose {} from its minimum {} at epoch {} to {} at epoch {n}; train loss kept falling ({} to {})",
            pct(r.rise),
            num(r.min),
            r.min_index + 1,
            num(r.last),
            num(r.train_at_min),
            num(r.train_last)
        ));
        severity = Some(if r.rise >= OVERFIT_SEVERE_VAL_RISE {
            Severity::High
        } else {
            Severity::Medium
        });
    }
    if let Some((ratio, val, train)) = gap {
        parts.push(format!(
            "val loss is {}x the train loss ({} vs {})",
            num(ratio),
            num(val),
            num(train)
        ));
        let by_gap = if ratio >= OVERFIT_STRONG_GAP_RATIO && val - train >= OVERFIT_STRONG_MIN_GAP {
            Severity::Medium
        } else {
            Severity::Low
        };
        severity = Some(severity.map_or(by_gap, |s: Severity| s.max(by_gap)));
    }
    if let Some((train_acc, val_acc)) = acc_gap(h) {
        parts.push(format!(
            "train accuracy {} is {} points above val accuracy {}",
            num(train_acc),
            num((train_acc - val_acc) * 100.0),
            num(val_acc)
        ));
        severity = Some(severity.map_or(Severity::Low, |s: Severity| s.max(Severity::Low)));
    }
    let severity = severity?;
    let stop_epoch = rise.as_ref().map(|r| r.min_index + 1);
    let action = action(h, stop_epoch, severity);
    Some(
        Finding::new(Pattern::Overfitting, severity, parts.join("; "), action)
            .with_actions(actions(h, stop_epoch, severity)),
    )
}

/// The typed form of [`action`]: with a validation loss that rose, stopping at its best
/// epoch comes first (it keeps the best weights by construction); then regularisation, a
/// smaller model and more data. A model that also underfits gets its regularisation cut and
/// more capacity instead.
fn actions(h: &History, stop_epoch: Option<usize>, severity: Severity) -> Vec<Action> {
    let stop = Action::StopEarly { epoch: stop_epoch };
    if underfits(h) {
        let mut out = reduce_regularisation_actions(h);
        out.extend([stop, Action::GrowModel]);
        return out;
    }
    let dropout = h.context.dropout;
    let decay = h.context.weight_decay;
    let add_decay = Action::SetWeightDecay {
        from: decay,
        to: match decay {
            Some(w) if w > 0.0 => w * WEIGHT_DECAY_RAISE,
            _ => ADVISED_WEIGHT_DECAY_VALUE,
        },
    };
    let no_dropout = h.context.hidden_layers.is_some_and(|n| n < 2);
    let add_dropout = match dropout {
        _ if no_dropout => None,
        Some(d) if d >= MAX_ADVISED_DROPOUT => None,
        Some(d) if d > 0.0 => Some((d + DROPOUT_STEP).min(MAX_ADVISED_DROPOUT)),
        _ => Some(advised_dropout_value(severity)),
    }
    .map(|to| Action::SetDropout { from: dropout, to });
    let mut out = Vec::new();
    if stop_epoch.is_some() {
        out.push(stop.clone());
    }
    out.extend(add_dropout);
    out.push(add_decay);
    if stop_epoch.is_none() {
        out.push(stop);
    }
    out.extend([Action::ShrinkModel, Action::MoreData]);
    out
}

/// The dropout of [`advised_dropout`] as one value: the middle of the guide's range.
fn advised_dropout_value(severity: Severity) -> f64 {
    match severity {
        Severity::Low => 0.15,
        Severity::Medium => 0.35,
        Severity::High => 0.5,
    }
}

/// `(train accuracy, val accuracy)` at the last epoch, if train is ahead by
/// [`OVERFIT_ACC_GAP`] or more.
fn acc_gap(h: &History) -> Option<(f64, f64)> {
    let train = *h.train_acc.as_ref()?.last()?;
    let val = *h.val_acc.as_ref()?.last()?;
    (train.is_finite() && val.is_finite() && train - val >= OVERFIT_ACC_GAP).then_some((train, val))
}

/// `(val / train, val, train)` at the last epoch, if the gap is large.
fn gap(h: &History) -> Option<(f64, f64, f64)> {
    let train = *h.train_loss.last()?;
    let val = *h.val_loss.last()?;
    if train <= 0.0 {
        return None;
    }
    let ratio = val / train;
    (ratio >= OVERFIT_GAP_RATIO && val - train >= OVERFIT_MIN_GAP).then_some((ratio, val, train))
}

fn action(h: &History, stop_epoch: Option<usize>, severity: Severity) -> String {
    let advised = advised_dropout(severity);
    if underfits(h) {
        return underfitting_too(h, stop_epoch);
    }
    let dropout = h.context.dropout.unwrap_or(0.0);
    let decay = h.context.weight_decay.unwrap_or(0.0);
    // Hidden dropout goes between hidden layers: with fewer than two it cannot be added.
    let no_dropout = h.context.hidden_layers.is_some_and(|n| n < 2);
    let regularise = if no_dropout {
        let decay_option = if decay <= 0.0 {
            format!("add weight decay {ADVISED_WEIGHT_DECAY}")
        } else {
            format!("raise weight decay to {}", lr(decay * WEIGHT_DECAY_RAISE))
        };
        format!("{decay_option} (dropout between hidden layers needs two of them)")
    } else if dropout <= 0.0 && decay <= 0.0 {
        format!("add dropout {advised} or weight decay {ADVISED_WEIGHT_DECAY}")
    } else {
        let mut options = Vec::new();
        if dropout <= 0.0 {
            options.push(format!("add dropout {advised}"));
        } else if dropout < MAX_ADVISED_DROPOUT {
            let raised = (dropout + DROPOUT_STEP).min(MAX_ADVISED_DROPOUT);
            options.push(format!("raise dropout to {}", num(raised)));
        }
        if decay <= 0.0 {
            options.push(format!("add weight decay {ADVISED_WEIGHT_DECAY}"));
        } else {
            options.push(format!(
                "raise weight decay to {}",
                lr(decay * WEIGHT_DECAY_RAISE)
            ));
        }
        options.join(" or ")
    };
    let mut text = format!("overfitting: {regularise}");
    let known: Vec<String> = [
        h.context.dropout.map(|d| format!("dropout {}", num(d))),
        h.context
            .weight_decay
            .map(|w| format!("weight decay {}", lr(w))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !known.is_empty() {
        text.push_str(&format!(" (now {})", known.join(", ")));
    }
    match stop_epoch {
        Some(epoch) => text.push_str(&format!("; training too long: stop early at epoch {epoch}")),
        None => text.push_str("; training too long: use early stopping"),
    }
    text.push_str("; model too complex: fewer layers or neurons; not enough data: get more");
    text
}

/// The advice when the validation loss rose but both losses are still high and close: the
/// model underfits as well, and more regularisation would hold it back further.
fn underfitting_too(h: &History, stop_epoch: Option<usize>) -> String {
    let mut text = String::from("the model also underfits (both losses still high and close): ");
    match reduce_regularisation(h) {
        Some(reduce) => text.push_str(&format!("{reduce} instead of adding more")),
        None => text.push_str("do not add regularisation"),
    }
    match stop_epoch {
        Some(epoch) => text.push_str(&format!("; stop early at epoch {epoch} and add capacity")),
        None => text.push_str("; add capacity or get more training data"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    /// Val loss falls to its minimum at epoch 7, then rises steadily to epoch 20.
    fn rising_after_epoch_7() -> History {
        let train: Vec<f64> = (0..20).map(|i| 1.0 * (-0.25 * i as f64).exp()).collect();
        let val: Vec<f64> = (0..20)
            .map(|i| {
                if i <= 6 {
                    0.081 + 0.05 * (6 - i) as f64
                } else {
                    0.081 + 0.0015 * (i - 6) as f64
                }
            })
            .collect();
        History::new(train, val)
    }

    #[test]
    fn a_one_layer_model_is_told_weight_decay_not_dropout_it_cannot_have() {
        let h = rising_after_epoch_7().with_context(RunContext {
            dropout: Some(0.0),
            weight_decay: Some(0.0),
            hidden_layers: Some(1),
            ..RunContext::default()
        });
        let f = overfitting(&h).unwrap();
        assert!(
            f.action.starts_with(
                "overfitting: add weight decay 1e-4 (dropout between hidden layers needs two of them)"
            ),
            "{}",
            f.action
        );
        assert!(!f.action.contains("add dropout"), "{}", f.action);
    }

    #[test]
    fn a_val_loss_rising_after_epoch_7_is_overfitting_stop_at_7() {
        let h = rising_after_epoch_7().with_context(RunContext {
            dropout: Some(0.0),
            weight_decay: Some(0.0),
            ..RunContext::default()
        });
        let f = overfitting(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.evidence.contains(
                "val loss rose 24% from its minimum 0.081 at epoch 7 to 0.1005 at epoch 20"
            ),
            "{}",
            f.evidence
        );
        assert_eq!(
            f.action,
            "overfitting: add dropout 0.3-0.4 or weight decay 1e-4 (now dropout 0, weight decay 0); training too long: stop early at epoch 7; model too complex: fewer layers or neurons; not enough data: get more"
        );
    }

    #[test]
    fn current_regularisation_is_raised_not_added() {
        let h = rising_after_epoch_7().with_context(RunContext {
            dropout: Some(0.2),
            weight_decay: Some(1e-4),
            ..RunContext::default()
        });
        let f = overfitting(&h).unwrap();
        assert!(
            f.action
                .contains("raise dropout to 0.4 or raise weight decay to 0.001"),
            "{}",
            f.action
        );
        assert!(
            f.action.contains("(now dropout 0.2, weight decay 0.0001)"),
            "{}",
            f.action
        );
    }

    #[test]
    fn a_large_rise_is_high_and_a_gap_alone_is_low() {
        let train = vec![1.0, 0.5, 0.2, 0.1, 0.05, 0.02];
        let val = vec![1.0, 0.6, 0.4, 0.5, 0.7, 0.9];
        let f = overfitting(&History::new(train, val)).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.evidence.contains("val loss is 45x the train loss"),
            "{}",
            f.evidence
        );
        let train = vec![1.0, 0.5, 0.2, 0.1, 0.05, 0.02];
        let val = vec![1.0, 0.6, 0.3, 0.2, 0.1, 0.08];
        let f = overfitting(&History::new(train, val)).unwrap();
        assert_eq!(f.severity, Severity::Low);
        // Mild: the guide's mild dropout, and every cause it lists.
        assert!(
            f.action.starts_with("overfitting: add dropout 0.1-0.2"),
            "{}",
            f.action
        );
        assert!(
            f.action.ends_with("not enough data: get more"),
            "{}",
            f.action
        );
    }

    #[test]
    fn a_huge_ratio_over_a_tiny_gap_is_low_and_a_wide_gap_is_medium() {
        // Train loss driven to nearly zero, val loss excellent: 114x, but only 0.07 nats.
        let train = vec![1.0, 0.3, 0.05, 0.01, 0.002, 0.000_64];
        let val = vec![1.0, 0.35, 0.12, 0.08, 0.075, 0.073];
        let f = overfitting(&History::new(train.clone(), val)).unwrap();
        assert_eq!(f.severity, Severity::Low, "{}", f.evidence);
        assert!(f.evidence.contains("114.1x"), "{}", f.evidence);
        // The same ratio over a gap of 0.3 nats is a strong gap.
        let train: Vec<f64> = train.iter().map(|t| t * 4.0).collect();
        let val = vec![1.0, 0.8, 0.5, 0.4, 0.33, 0.3];
        let f = overfitting(&History::new(train, val)).unwrap();
        assert_eq!(f.severity, Severity::Medium, "{}", f.evidence);
    }

    #[test]
    fn a_noisy_or_small_rise_or_a_small_gap_is_not_overfitting() {
        let train: Vec<f64> = (0..10).map(|i| 1.0 - 0.05 * i as f64).collect();
        let noisy = vec![1.0, 0.9, 0.7, 0.9, 0.65, 0.85, 0.7, 0.9, 0.7, 0.8];
        let h = History::new(train.clone(), noisy);
        assert!(val_rise(&h).unwrap().is_candidate());
        assert!(overfitting(&h).is_none(), "the rise is within the noise");
        let flat = vec![1.0, 0.9, 0.8, 0.75, 0.72, 0.7, 0.7, 0.71, 0.71, 0.72];
        assert!(overfitting(&History::new(train, flat)).is_none());
        let tiny = History::new(vec![0.01, 0.001], vec![0.02, 0.004]);
        assert!(overfitting(&tiny).is_none());
    }

    /// Train loss falls from 2.2 to 1.5; val loss falls to 1.45 at epoch 5 and rises to 1.7,
    /// still within 25% of the train loss: a clear rise, with both losses times `scale`.
    fn rising_while_close(scale: f64, dropout: f64) -> History {
        let train: Vec<f64> = (0..10).map(|i| scale * (2.2 - 0.078 * i as f64)).collect();
        let val: Vec<f64> = [2.3, 2.0, 1.75, 1.55, 1.45, 1.5, 1.56, 1.62, 1.66, 1.7]
            .iter()
            .map(|v| scale * v)
            .collect();
        History::new(train, val).with_context(RunContext {
            dropout: Some(dropout),
            weight_decay: Some(0.0),
            n_classes: Some(10),
            ..RunContext::default()
        })
    }

    #[test]
    fn a_val_rise_while_both_losses_are_high_and_close_takes_regularisation_away() {
        let h = rising_while_close(1.0, 0.5);
        assert!(underfits(&h));
        let f = overfitting(&h).unwrap();
        assert_eq!(
            f.action,
            "the model also underfits (both losses still high and close): reduce regularisation (remove dropout 0.5 or cut it to 0.25) instead of adding more; stop early at epoch 5 and add capacity"
        );
        let f = overfitting(&rising_while_close(1.0, 0.0)).unwrap();
        assert!(
            f.action.starts_with(
                "the model also underfits (both losses still high and close): do not add regularisation"
            ),
            "{}",
            f.action
        );
        // The same shape at a low loss is plain overfitting: regularise.
        let f = overfitting(&rising_while_close(0.1, 0.2)).unwrap();
        assert!(f.action.contains("raise dropout to 0.4"), "{}", f.action);
    }

    #[test]
    fn train_accuracy_far_above_val_accuracy_is_overfitting_on_both_sides_of_the_gap() {
        // Losses close (no loss sign), accuracies apart by the gap or just under it.
        let h = |val_acc: f64| {
            let mut h = History::new(vec![0.5; 6], vec![0.52; 6]);
            h.train_acc = Some(vec![0.95; 6]);
            h.val_acc = Some(vec![val_acc; 6]);
            h
        };
        let f = overfitting(&h(0.95 - OVERFIT_ACC_GAP - 1e-9)).expect("gap at the threshold");
        assert!(
            f.evidence.contains("points above val accuracy"),
            "{}",
            f.evidence
        );
        assert!(
            f.action
                .contains("model too complex: fewer layers or neurons"),
            "{}",
            f.action
        );
        assert!(f.action.contains("training too long"), "{}", f.action);
        assert!(f.action.contains("not enough data"), "{}", f.action);
        assert!(overfitting(&h(0.95 - OVERFIT_ACC_GAP + 0.01)).is_none());
    }
}
