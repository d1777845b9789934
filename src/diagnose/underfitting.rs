//! Underfitting: training and validation loss both high and close together. The model does
//! not even fit the data it trains on: too small, too regularised, not trained enough, or
//! knocked out by an LR far above the optimizer's default.

use super::loss_level::{Level, train_level};
use super::lr_guard::{CHANCE_LEVEL_FRACTION, HIGH_LR_CUT, LrGuard, lr_guard};
use super::reference::{
    References, below_default, data_check_first, far_below_default, nothing_learned_at_working_lr,
};
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::{median3, rel_change};
use crate::fmt::{lr, num, pct};

/// "Close together": the final validation loss is at most this fraction above the training
/// loss. No sign that the model fits its training set better than new data, so capacity, not
/// generalisation, is what limits it.
pub const UNDERFIT_MAX_GAP: f64 = 0.25;

/// Dropout in use is cut to this fraction of itself when it is not removed outright.
const DROPOUT_KEEP: f64 = 0.5;
/// Weight decay in use is cut by this factor when it is not removed outright.
const WEIGHT_DECAY_CUT: f64 = 10.0;

/// The train loss must still fall at least this fraction over the last third of the epochs
/// (median-smoothed) for "not trained enough" to be a cause in view: a converged curve moves
/// by a percent or two there.
pub const UNDERFIT_STILL_FALLING: f64 = 0.05;

/// Dropout from this up, or weight decay from [`STRONG_WEIGHT_DECAY`] up, is regularisation
/// strong enough to hold a model back: a cause in view.
pub const STRONG_DROPOUT: f64 = 0.2;

/// See [`STRONG_DROPOUT`]: the guide's "strong" weight decay.
pub const STRONG_WEIGHT_DECAY: f64 = 1e-3;

/// The underfitting finding, if the final losses are both high and close.
///
/// "High" has no fixed line that knows how hard a dataset is, so the finding is only made
/// when a cause is in view: the loss still at the prior (nothing learned), an LR far from its
/// optimizer's default, no hidden layer, strong regularisation, a hidden layer narrower than
/// the number of classes, or a loss still falling at the end. Otherwise one run cannot tell a
/// model that is too small from data that allows no better, and the finding is *uncertain*,
/// with the comparison that settles it.
///
/// Its advice never adds regularisation: regularisation in use (dropout, weight decay) is
/// the first thing to take away, and the LR is only suggested higher when it is not already
/// far above the optimizer's default ([`lr_guard`](super::lr_guard)).
pub(super) fn underfitting(h: &History) -> Option<Finding> {
    if let Some(f) = majority_only(h) {
        return Some(f);
    }
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
    let Some(cause) = cause_in_view(h, &level, &guard) else {
        return Some(uncertain(evidence));
    };
    evidence.push_str(&format!("; {cause}"));
    let reduce = reduce_regularisation(h);
    let mut actions = Vec::new();
    let mut action = match &guard {
        LrGuard::Killed { high, .. } => {
            actions.push(Action::scale_lr(1.0 / HIGH_LR_CUT, h.base_lr()));
            actions.extend(reduce_regularisation_actions(h));
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
            actions.extend(reduce_regularisation_actions(h));
            match &reduce {
                Some(reduce) => options.push(reduce.clone()),
                None if h.context.dropout.is_none() || h.context.weight_decay.is_none() => {
                    options.push("remove regularisation".to_string());
                }
                None => {}
            }
            options.push("add capacity".to_string());
            actions.push(Action::GrowModel);
            match &guard {
                LrGuard::FarAbove(high) => {
                    actions.push(Action::TrainLonger { factor: 3.0 });
                    options.push(format!(
                        "train longer (not the LR: it is already {}x the default)",
                        num(high.multiple())
                    ))
                }
                _ => {
                    // Far below the default, back to it, as for a slow curve.
                    let raise = far_below_default(h).unwrap_or(3.0);
                    actions.push(Action::scale_lr(raise, h.base_lr()));
                    actions.push(Action::TrainLonger { factor: 3.0 });
                    options.push("raise LR, train longer".to_string())
                }
            }
            order_for_underfitting(h, &mut actions);
            format!("underfitting: {}", options.join(", "))
        }
    };
    if let Some(reason) = nothing_learned_at_working_lr(h) {
        data_check_first(&mut actions);
        action.push_str(&format!("; but first: {reason}: check the data and labels (features and labels shuffled together, the right target column)"));
    }
    let severity = if level.severe {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(Finding::new(Pattern::Underfitting, severity, evidence, action).with_actions(actions))
}

/// A run too short to judge the shape of its curves whose validation loss still fell by
/// [`UNDERFIT_STILL_FALLING`] or more in its last epoch: not trained enough, whatever else
/// the curves will show. `None` for longer runs.
pub(super) fn short_and_falling(h: &History) -> Option<Finding> {
    let n = h.n_epochs();
    if !(2..super::uncertain::MIN_EPOCHS_TO_JUDGE).contains(&n) {
        return None;
    }
    let (before, last) = (h.val_loss[n - 2], h.val_loss[n - 1]);
    let fall = -rel_change(before, last);
    if !(fall.is_finite() && fall >= UNDERFIT_STILL_FALLING) {
        return None;
    }
    Some(
        Finding::new(
            Pattern::Underfitting,
            Severity::Medium,
            format!(
                "only {n} epochs, and the val loss still fell {} in the last one (from {} to {}): not trained enough",
                pct(fall),
                num(before),
                num(last)
            ),
            "underfitting: train longer (3x the epochs), then diagnose the curves again",
        )
        .with_actions(vec![Action::TrainLonger { factor: 3.0 }]),
    )
}

/// The order the benchmark's calibration half supports: strong regularisation taken away
/// first; then an LR below its optimizer's default raised; then more epochs for a loss still
/// falling; then a larger model; weak regularisation last.
fn order_for_underfitting(h: &History, actions: &mut [Action]) {
    let strong = |a: &Action| match a {
        Action::SetDropout { from: Some(d), .. } => *d >= STRONG_DROPOUT_FIRST,
        Action::SetWeightDecay { from: Some(w), .. } => *w >= STRONG_WEIGHT_DECAY_FIRST,
        _ => false,
    };
    let below = below_default(h);
    let falling = still_falling(h).is_some();
    let rank = |a: &Action| match a {
        a if strong(a) => 0,
        Action::ScaleLr { factor, .. } if below && *factor > 1.0 => 1,
        Action::TrainLonger { .. } if falling => 2,
        Action::GrowModel => 3,
        Action::ScaleLr { .. } | Action::TrainLonger { .. } => 4,
        _ => 5,
    };
    actions.sort_by_key(rank);
}

/// Dropout from this up is taken away before anything else is tried. On the diagnosis
/// benchmark's calibration half, halving a dropout of 0.5 helped none of the 8 runs that had
/// it, 0.7 helped 3 of 17, 0.9 helped 4 of 11: below this line the LR and the epochs come
/// first, and dropout is still on the list.
pub const STRONG_DROPOUT_FIRST: f64 = 0.8;
/// Weight decay from this up is taken away before anything else is tried. 1e-2 is PyTorch's
/// default for AdamW and is not blamed first: on the diagnosis benchmark's calibration half,
/// cutting 1e-1 helped both underfitting runs where it was tried, cutting 1e-2 neither.
pub const STRONG_WEIGHT_DECAY_FIRST: f64 = 1e-1;

/// What in the run explains high, close losses, in words; `None` when nothing does.
fn cause_in_view(h: &History, level: &Level, guard: &LrGuard) -> Option<String> {
    match guard {
        LrGuard::Killed { .. } => return Some("the LR is far above its default".into()),
        LrGuard::FarAbove(high) => {
            return Some(format!(
                "the LR is {}x its default, too high for the loss to settle low",
                num(high.multiple())
            ));
        }
        LrGuard::Fine => {}
    }
    if level.fraction >= CHANCE_LEVEL_FRACTION {
        return Some("the model learned almost nothing beyond the class shares".into());
    }
    let c = &h.context;
    if c.hidden_layers == Some(0) {
        return Some("a linear model (no hidden layer) can only draw straight boundaries".into());
    }
    if let Some(d) = c.dropout.filter(|&d| d >= STRONG_DROPOUT) {
        return Some(format!("dropout {} holds it back", num(d)));
    }
    if let Some(w) = c.weight_decay.filter(|&w| w >= STRONG_WEIGHT_DECAY) {
        return Some(format!("weight decay {} holds it back", lr(w)));
    }
    if let (Some(width), Some(k)) = (c.narrowest_hidden, c.n_classes)
        && width < k
    {
        return Some(format!(
            "a hidden layer of {width} units is narrower than the {k} classes"
        ));
    }
    if let Some(fall) = still_falling(h) {
        return Some(format!(
            "the train loss was still falling ({} over the last third of the epochs): not trained enough",
            pct(fall)
        ));
    }
    if let Some(below) = far_below_default(h) {
        return Some(format!(
            "the LR is {}x below its optimizer's default",
            num(below)
        ));
    }
    None
}

/// How much the median-smoothed train loss fell over the last third of the epochs, when that
/// is at least [`UNDERFIT_STILL_FALLING`].
fn still_falling(h: &History) -> Option<f64> {
    let n = h.n_epochs();
    if n < 2 {
        return None;
    }
    let smooth = median3(&h.train_loss);
    let k = (n / 3).max(1);
    let fall = -rel_change(smooth[n - 1 - k], smooth[n - 1]);
    (fall >= UNDERFIT_STILL_FALLING).then_some(fall)
}

/// High, close losses with no cause in view: a too-small model or hard data, which one run
/// cannot tell apart.
fn uncertain(evidence: String) -> Finding {
    Finding::new(
        Pattern::Uncertain,
        Severity::Low,
        format!(
            "{evidence}; no cause in view (no strong regularisation, no narrow layer, the loss has settled, the LR is not far off its default): maybe underfitting, maybe as well as this data allows"
        ),
        "not sure: train one size larger (wider or deeper) for the same epochs and compare the val loss over seeds; grow the model only if the larger one ends lower",
    )
    .with_actions(vec![Action::GrowModel])
}

/// A model that does no better than always answering the most frequent class: its accuracy
/// stays at the majority class's share (known from the class shares), or stays exactly the
/// same in every late epoch (it answers one class for every row).
fn majority_only(h: &History) -> Option<Finding> {
    let (train_acc, val_acc) = (h.train_acc.as_ref()?, h.val_acc.as_ref()?);
    let n = h.n_epochs();
    if n < 3 || train_acc.len() != n || val_acc.len() != n {
        return None;
    }
    let late = n / 2;
    let refs = References::of(h);
    let shares_known = refs.prior_from_shares;
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let (val_late, train_last) = (mean(&val_acc[late..]), train_acc[n - 1]);
    let frozen = |xs: &[f64]| {
        let tail = &xs[n - 3..];
        tail.iter()
            .all(|v| v.is_finite() && (v - tail[0]).abs() < 1e-9)
    };
    let why = match refs.majority {
        Some(m) if shares_known && m >= MAJORITY_MIN_SHARE => {
            let margin = (MAJORITY_MARGIN * (1.0 - m)).max(1e-9);
            (val_late <= m + margin && train_last <= m + margin).then(|| {
                format!(
                    "val accuracy averaged {} over epochs {} to {n} and train accuracy ended at {}, while always answering the majority class scores {}",
                    num(val_late),
                    late + 1,
                    num(train_last),
                    num(m)
                )
            })?
        }
        _ if frozen(val_acc)
            && frozen(train_acc)
            && val_acc[n - 1] >= MAJORITY_MIN_SHARE
            && at_share_entropy(h.train_loss[n - 1], train_acc[n - 1], h.context.n_classes) =>
        {
            format!(
                "train and val accuracy stay exactly at {} and {} over the last 3 epochs: the model answers one class for every row",
                num(train_acc[n - 1]),
                num(val_acc[n - 1])
            )
        }
        _ => return None,
    };
    let guard = lr_guard(h);
    let mut actions = Vec::new();
    let lr_advice = match &guard {
        LrGuard::Killed { high, .. } | LrGuard::FarAbove(high) => {
            actions.push(Action::scale_lr(1.0 / HIGH_LR_CUT, h.base_lr()));
            high.reduce()
        }
        LrGuard::Fine => {
            actions.push(Action::TrainLonger { factor: 3.0 });
            actions.push(Action::scale_lr(3.0, h.base_lr()));
            "train longer or raise the LR 2-5x".to_string()
        }
    };
    actions.extend([Action::GrowModel, Action::CheckData]);
    Some(
        Finding::new(
            Pattern::Underfitting,
            Severity::High,
            format!("{why}: accuracy hides it, the model learned nothing useful{}", guard.evidence()),
            format!(
                "no better than the majority class: {lr_advice}; then add capacity; check that the features carry information about the labels; judge it by the loss or a balanced metric, not by accuracy"
            ),
        )
        .with_actions(actions),
    )
}

/// Whether `loss` is what predicting the class shares scores when the largest share is
/// `acc` (within a tenth): the entropy of `acc` for that class and the rest spread over the
/// other classes. A model whose accuracy is frozen but whose loss is far below this has
/// learned something (a tiny LR moves the loss before the answers).
fn at_share_entropy(loss: f64, acc: f64, n_classes: Option<usize>) -> bool {
    if !(0.0..1.0).contains(&acc) || !loss.is_finite() {
        return false;
    }
    let others = n_classes.unwrap_or(2).max(2) as f64 - 1.0;
    let rest = 1.0 - acc;
    let entropy = -acc * acc.ln()
        - if rest > 0.0 {
            rest * (rest / others).ln()
        } else {
            0.0
        };
    (loss - entropy).abs() <= 0.1 * entropy
}

/// The majority-class check needs a majority of at least this share: on balanced data
/// "always one class" is chance, which the no-signal and not-decreasing rules judge.
pub const MAJORITY_MIN_SHARE: f64 = 0.6;

/// Accuracy within this fraction of the headroom above the majority share (1 - share) counts
/// as "at the majority": 94% majority, 0.6% margin.
pub const MAJORITY_MARGIN: f64 = 0.1;

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

/// The typed form of [`reduce_regularisation`]: dropout in use cut to half, weight decay in
/// use cut 10x (the sentence also offers removing them).
pub(super) fn reduce_regularisation_actions(h: &History) -> Vec<Action> {
    let c = &h.context;
    let mut out = Vec::new();
    if let Some(d) = c.dropout.filter(|d| *d > 0.0) {
        out.push(Action::SetDropout {
            from: Some(d),
            to: d * DROPOUT_KEEP,
        });
    }
    if let Some(w) = c.weight_decay.filter(|w| *w > 0.0) {
        out.push(Action::SetWeightDecay {
            from: Some(w),
            to: w / WEIGHT_DECAY_CUT,
        });
    }
    out
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
        // Regularisation unknown: taking it away is one of the options.
        let mut unknown = History::new(vec![1.5, 0.8], vec![1.5, 0.85]);
        unknown.context.n_classes = Some(10);
        let f = underfitting(&unknown).unwrap();
        assert!(f.action.contains("remove regularisation"), "{}", f.action);
        // Classes unknown: no scale, so no claim.
        assert!(underfitting(&History::new(vec![1.5, 0.8], vec![1.5, 0.85])).is_none());
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
    fn only_weight_decay_from_0_1_is_taken_away_first_and_a_far_low_lr_goes_to_the_default() {
        let at = |wd: f64, lr: f64| {
            let mut h = History::new(vec![1.5, 0.8], vec![1.5, 0.85]).with_context(RunContext {
                lr: Some(lr),
                optimizer: Some(OptimizerKind::AdamW),
                ..ten_classes(0.0)
            });
            h.context.weight_decay = Some(wd);
            underfitting(&h).unwrap().actions
        };
        // AdamW's own default 1e-2 is not the first suspect: the LR below the default is.
        assert_eq!(at(1e-2, 3e-4)[0], Action::scale_lr(3.0, Some(3e-4)));
        assert!(at(1e-2, 3e-4).contains(&Action::SetWeightDecay {
            from: Some(1e-2),
            to: 1e-3
        }));
        assert_eq!(
            at(1e-1, 3e-4)[0],
            Action::SetWeightDecay {
                from: Some(1e-1),
                to: 1e-2
            }
        );
        // 10x or more below the default: back to it, not 3x.
        assert_eq!(at(0.0, 2e-5)[0], Action::scale_lr(50.0, Some(2e-5)));
        // Dropout: 0.9 is taken away first, 0.7 after the LR.
        let with_dropout = |d: f64| {
            let mut h = History::new(vec![1.5, 0.8], vec![1.5, 0.85]).with_context(RunContext {
                lr: Some(3e-4),
                optimizer: Some(OptimizerKind::Adam),
                hidden_layers: Some(2),
                ..ten_classes(d)
            });
            h.context.weight_decay = Some(0.0);
            underfitting(&h).unwrap().actions
        };
        assert_eq!(
            with_dropout(0.9)[0],
            Action::SetDropout {
                from: Some(0.9),
                to: 0.45
            }
        );
        assert_eq!(with_dropout(0.7)[0], Action::scale_lr(3.0, Some(3e-4)));
    }

    #[test]
    fn a_low_loss_or_a_wide_gap_is_not_underfitting() {
        let low = History::new(vec![1.0, 0.1], vec![1.0, 0.11]).with_context(ten_classes(0.0));
        assert!(underfitting(&low).is_none());
        let gap = History::new(vec![1.5, 0.6], vec![1.5, 1.2]).with_context(ten_classes(0.0));
        assert!(underfitting(&gap).is_none());
    }
}
