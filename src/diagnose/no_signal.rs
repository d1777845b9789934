//! No signal: the model learns its training set while validation accuracy never leaves
//! chance. Nothing it learns carries over to new data, which points at the data (labels out of
//! step with the features, different preprocessing for the two parts, features without
//! information), not at the learning rate or the model: no change of the LR, no regularisation
//! and no other shape can fix it.

use super::lr_guard::CHANCE_LEVEL_FRACTION;
use super::reference::References;
use super::{Action, Finding, History, Pattern, Severity};
use crate::fmt::num;

/// Validation accuracy counts as "at chance" when its mean over the second half of the epochs
/// exceeds chance (1/k for k classes) by at most this fraction of chance, capped at
/// [`NO_SIGNAL_MAX_MARGIN`]: 0.15 for 10 classes, 0.43 for 3, 0.6 for 2. The mean, not the
/// largest value: a few hundred validation samples at chance scatter by a couple of points
/// from epoch to epoch. A real model of digits is above 0.5 after one epoch.
pub const NO_SIGNAL_VAL_MARGIN: f64 = 0.5;
/// The cap of the margin above chance, in accuracy points (binary problems: 0.5 + 0.1).
pub const NO_SIGNAL_MAX_MARGIN: f64 = 0.1;
/// The model is learning its training set when its final train accuracy is at least this many
/// margins above chance (0.2 for 10 classes, 0.7 for 2): a network knocked out at chance level,
/// which learns nothing at all, is left to the other rules.
pub const NO_SIGNAL_TRAIN_MARGINS: f64 = 2.0;

/// The finding, when the history has accuracies and a class count, and validation accuracy
/// stayed at chance through the second half of the epochs (on average) while train accuracy
/// rose well above it. (Labels only partly out of step can show a little signal in the first
/// epochs, which memorising the rest then wipes out.)
pub(super) fn no_signal(h: &History) -> Option<Finding> {
    let k = h.context.n_classes.filter(|&k| k >= 2)?;
    let (train_acc, val_acc) = (h.train_acc.as_ref()?, h.val_acc.as_ref()?);
    // "Chance" is the accuracy of always answering the majority class: 1/k when the classes
    // are balanced, more on skewed data.
    let chance = References::of(h)
        .majority
        .unwrap_or(1.0 / k as f64)
        .max(1.0 / k as f64);
    let margin = (NO_SIGNAL_VAL_MARGIN / k as f64)
        .min(NO_SIGNAL_MAX_MARGIN)
        .min(NO_SIGNAL_VAL_MARGIN * (1.0 - chance));
    let late = &val_acc[val_acc.len() / 2..];
    let mean_val = late.iter().sum::<f64>() / late.len() as f64;
    let final_train = *train_acc.last()?;
    if !(mean_val <= chance + margin && final_train >= chance + NO_SIGNAL_TRAIN_MARGINS * margin) {
        return None;
    }
    // Learning the training set also shows in its loss: below chance level
    // ([`CHANCE_LEVEL_FRACTION`] of the prior loss). A network that barely moves (an LR far
    // too low) can pass the accuracy margins on a lucky few rows while it learns nothing.
    let references = References::of(h);
    let prior = references.prior.or(references.chance)?;
    let last_train_loss = *h.train_loss.last()?;
    if last_train_loss.is_nan() || last_train_loss >= CHANCE_LEVEL_FRACTION * prior {
        return None;
    }
    Some(
        Finding::new(
            Pattern::Overfitting,
            Severity::High,
            format!(
                "val accuracy averaged {} over epochs {} to {} ({} is {}) while \
             train accuracy reached {}: the model learns the training set, and nothing of it \
             carries over to new data",
                num(mean_val),
                val_acc.len() / 2 + 1,
                h.n_epochs(),
                if chance - 1.0 / k as f64 > 0.01 {
                    "always answering the majority class".to_string()
                } else {
                    format!("chance with {k} classes")
                },
                num(chance),
                num(final_train)
            ),
            "check the data before tuning anything: are the labels still in step with the features \
         (rows reordered, or labels shuffled or sorted apart from the features)? do the train and \
         validation parts get the same preprocessing? do the features carry any information? No \
         change of the LR, no regularisation and no other model can fix this",
        )
        .with_actions(vec![Action::CheckData]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn history(train_acc: Vec<f64>, val_acc: Vec<f64>, k: usize) -> History {
        let n = train_acc.len();
        // Train loss falling from ln(k) by 2.2% of it per epoch, val loss rising.
        let chance = (k as f64).ln();
        let train_loss: Vec<f64> = (0..n).map(|i| chance * (1.0 - 0.022 * i as f64)).collect();
        let val_loss: Vec<f64> = (0..n).map(|i| chance * (1.0 + 0.01 * i as f64)).collect();
        let mut h = History::new(train_loss, val_loss).with_context(RunContext {
            n_classes: Some(k),
            ..RunContext::default()
        });
        h.train_acc = Some(train_acc);
        h.val_acc = Some(val_acc);
        h
    }

    #[test]
    fn memorised_labels_with_val_accuracy_at_chance_are_a_data_finding() {
        let train: Vec<f64> = (0..15).map(|i| 0.1 + 0.02 * i as f64).collect();
        let val = vec![
            0.1, 0.09, 0.11, 0.1, 0.12, 0.08, 0.1, 0.1, 0.09, 0.11, 0.1, 0.1, 0.1, 0.1, 0.1,
        ];
        let f = no_signal(&history(train, val, 10)).expect("fires");
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.evidence.contains("chance with 10 classes is 0.1"),
            "{}",
            f.evidence
        );
        assert!(
            f.action.contains("labels still in step with the features"),
            "{}",
            f.action
        );
    }

    #[test]
    fn a_model_that_generalises_or_learns_nothing_is_left_to_the_other_rules() {
        // Val accuracy well above chance in the second half: a real signal.
        let train: Vec<f64> = (0..10).map(|i| 0.1 + 0.05 * i as f64).collect();
        let mut val = vec![0.1; 10];
        val[7] = 0.3;
        val[8] = 0.3;
        val[9] = 0.3;
        assert!(no_signal(&history(train.clone(), val.clone(), 10)).is_none());
        // One noisy epoch at 0.17 among chance-level ones does not hide the finding.
        val[7] = 0.1;
        val[8] = 0.1;
        val[9] = 0.17;
        assert!(no_signal(&history(train.clone(), val.clone(), 10)).is_some());
        // A little signal in the first epochs only, then chance: fires.
        val[9] = 0.1;
        val[0] = 0.3;
        assert!(no_signal(&history(train.clone(), val, 10)).is_some());
        // Train accuracy at chance too: a knocked-out network, not a data bug.
        assert!(no_signal(&history(vec![0.1; 10], vec![0.1; 10], 10)).is_none());
        // Binary: 0.55 is within the margin, 0.65 train is not enough learning.
        assert!(no_signal(&history(vec![0.65; 10], vec![0.55; 10], 2)).is_none());
        assert!(no_signal(&history(vec![0.9; 10], vec![0.55; 10], 2)).is_some());
        // Accuracies that pass, but a train loss still at chance level (95% of ln(10)): an LR
        // far too low, learning nothing; left to the other rules.
        let mut barely = history(train.clone(), vec![0.1; 10], 10);
        assert!(no_signal(&barely).is_some());
        let stuck = 0.95 * 10f64.ln();
        barely.train_loss = vec![stuck; 10];
        assert!(no_signal(&barely).is_none());
        // No class count or accuracies: nothing to judge.
        let mut h = history(train, vec![0.1; 10], 10);
        h.context.n_classes = None;
        assert!(no_signal(&h).is_none());
    }
}
