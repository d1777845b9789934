//! The yardsticks a run gives for judging its own curves: where an untrained model starts,
//! what predicting the class shares scores, and the accuracy of always answering the
//! majority class. The rules judge "high", "exploded" and "at chance" against these rather
//! than against fixed numbers, so that a two-class credit table and ten-class digits are
//! read on their own scales.

use super::History;

/// A cross-entropy above this is exploded whatever the task: a uniform guess over 10,000
/// classes scores ln(10^4) = 9.2, and twice that is not where any classifier starts.
pub const ABSURD_LOSS: f64 = 18.4;

/// The prior loss is used in place of ln(classes) once the class shares make it differ by
/// more than this fraction: near-balanced data (digits: 2.302 against 2.303) keeps the
/// familiar chance loss.
pub const PRIOR_DIFFERS: f64 = 0.02;

/// Features whose standard deviations differ by this factor or more are on very different
/// scales: no single LR suits all their weights, and standardising them is the first fix.
pub const UNSCALED_FEATURE_RATIO: f64 = 100.0;

/// A feature whose standard deviation is this or more is far from standardised, whatever the
/// others: the initialisation of the first layer assumes inputs of about unit size, so such
/// a feature makes its outputs a hundred times larger and any LR that suits the other
/// weights too high for its own. (Raw pixel values 0-16 have standard deviations under 10.)
pub const UNSCALED_FEATURE_MAX: f64 = 100.0;

/// What shows the run's features unscaled, in words, when their scale ratio is
/// [`UNSCALED_FEATURE_RATIO`] or more or a feature's standard deviation is
/// [`UNSCALED_FEATURE_MAX`] or more: "the features are on very different scales (standard
/// deviations 400x apart)" or "the features are not standardised (one has a standard
/// deviation of 850)".
pub(super) fn unscaled(h: &History) -> Option<String> {
    let c = &h.context;
    if let Some(ratio) = c
        .feature_scale_ratio
        .filter(|r| r.is_finite() && *r >= UNSCALED_FEATURE_RATIO)
    {
        return Some(format!(
            "the features are on very different scales (standard deviations {}x apart)",
            crate::fmt::num(ratio)
        ));
    }
    c.feature_scale_max
        .filter(|m| m.is_finite() && *m >= UNSCALED_FEATURE_MAX)
        .map(|m| {
            format!(
                "the features are not standardised (one has a standard deviation of {})",
                crate::fmt::num(m)
            )
        })
}

/// The LR factor that brings the run's LR back to its optimizer's default, when the LR is
/// known and at least [`HIGH_LR_MULTIPLE`](super::lr_guard::HIGH_LR_MULTIPLE) times off it
/// (either way): a step of 10x from 1000x off still leaves it 100x off.
pub(super) fn back_to_default(h: &History) -> Option<f64> {
    let base = h.base_lr().filter(|v| v.is_finite() && *v > 0.0)?;
    let default = h.context.optimizer?.default_lr();
    let off = (base / default).max(default / base);
    (off >= super::lr_guard::HIGH_LR_MULTIPLE).then_some(default / base)
}

/// An LR at least this many times above its optimizer's default goes back to the default
/// before any other change, whatever its curves show: on the diagnosis benchmark's
/// calibration half, the default helped 27 of the 30 runs this far above it that some change
/// helped, while runs 10-30x above it were hurt by the default as often as helped (a default
/// is a safe start, not the best LR). Below the default, [`HIGH_LR_MULTIPLE`](super::lr_guard::HIGH_LR_MULTIPLE) (10x) is
/// already far: the default helped 35 of 35 such runs there. For the adaptive optimizers
/// the line is lower, [`FAR_ABOVE_DEFAULT_ADAPTIVE`].
pub const FAR_ABOVE_DEFAULT: f64 = 300.0;

/// [`FAR_ABOVE_DEFAULT`] for Adam, AdamW and RMSprop
/// ([`OptimizerKind::is_adaptive`](crate::OptimizerKind::is_adaptive)): their step moves every
/// weight by about the LR, so 100x their default (0.1) already moves each weight by more than
/// its initial size in a few steps, where SGD's step shrinks with the gradient. On the
/// calibration half, the default helped all 5 adaptive runs 100-300x above it that some change
/// helped (SGD runs there: 0 of 3), and 3 of the 7 at 30-100x.
pub const FAR_ABOVE_DEFAULT_ADAPTIVE: f64 = 100.0;

/// The LR factor back to the optimizer's default when the run's LR is so far from it that
/// the default comes before any other change: 10x or more below it, or
/// [`FAR_ABOVE_DEFAULT`] ([`FAR_ABOVE_DEFAULT_ADAPTIVE`]) or more above it.
pub(super) fn default_first(h: &History) -> Option<f64> {
    let far_above = match h.context.optimizer {
        Some(o) if o.is_adaptive() => FAR_ABOVE_DEFAULT_ADAPTIVE,
        _ => FAR_ABOVE_DEFAULT,
    };
    back_to_default(h).filter(|f| *f > 1.0 || 1.0 / f >= far_above)
}

/// How many times below its optimizer's default the run's LR is, when it is at least
/// [`HIGH_LR_MULTIPLE`](super::lr_guard::HIGH_LR_MULTIPLE) times below it: the factor of
/// [`back_to_default`] when that raises the LR.
pub(super) fn far_below_default(h: &History) -> Option<f64> {
    back_to_default(h).filter(|f| *f > 1.0)
}

/// Whether the run's LR is below its optimizer's default (both known).
pub(super) fn below_default(h: &History) -> bool {
    match (h.base_lr(), h.context.optimizer) {
        (Some(lr), Some(o)) => lr < o.default_lr(),
        _ => false,
    }
}

/// A validation loss that never got below this fraction of the prior loss (what predicting
/// the class shares scores) learned nothing that carries over to new rows.
pub const NOTHING_LEARNED_FRACTION: f64 = 0.98;

/// An LR from its optimizer's default up to this many times the default is one at which the
/// optimizer learns on ordinary data; see `nothing_learned_at_working_lr`.
pub const WORKING_LR_MAX_MULTIPLE: f64 = 30.0;

/// What shows that a run learned nothing at an LR where its optimizer learns, in words: at
/// least [`MIN_EPOCHS_TO_JUDGE`](super::uncertain::MIN_EPOCHS_TO_JUDGE) epochs, the LR from
/// the optimizer's default to [`WORKING_LR_MAX_MULTIPLE`] times it (both known), and a
/// validation loss that never got below [`NOTHING_LEARNED_FRACTION`] of the prior loss.
///
/// Such a run is more often broken data (labels that carry no signal) than a wrong LR or a
/// small model: on the diagnosis benchmark's calibration half, the repaired labels helped
/// both underfitting and not-decreasing runs that matched it where some change helped (an LR
/// cut or a larger model helped neither), and no run of clean data that matched had a helpful
/// change that a data check displaced. From files alone (optimizer unknown) it never fires.
pub(super) fn nothing_learned_at_working_lr(h: &History) -> Option<String> {
    let n = h.n_epochs();
    if n < super::uncertain::MIN_EPOCHS_TO_JUDGE {
        return None;
    }
    let base = h.base_lr().filter(|v| v.is_finite() && *v > 0.0)?;
    let default = h.context.optimizer?.default_lr();
    let multiple = base / default;
    if !(1.0..=WORKING_LR_MAX_MULTIPLE).contains(&multiple) {
        return None;
    }
    let refs = References::of(h);
    let prior = refs.prior.filter(|p| p.is_finite() && *p > 0.0)?;
    let best = h
        .val_loss
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    if !(best.is_finite() && best >= NOTHING_LEARNED_FRACTION * prior) {
        return None;
    }
    Some(format!(
        "at an LR {}x its optimizer's default, where it learns on ordinary data, the val loss never got below {} in {n} epochs, against {}: the labels may carry no signal about the features",
        crate::fmt::num(crate::fmt::round_significant(multiple, 2)),
        crate::fmt::num(best),
        refs.describe_prior(h.context.n_classes)
            .unwrap_or_else(|| format!("the prior loss {}", crate::fmt::num(prior)))
    ))
}

/// Puts the data check first among `actions` (adding it when missing): for a run that
/// [`nothing_learned_at_working_lr`] describes, or whose features are [`unscaled`].
pub(super) fn data_check_first(actions: &mut Vec<super::Action>) {
    actions.retain(|a| *a != super::Action::CheckData);
    actions.insert(0, super::Action::CheckData);
}

/// The references of one history.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct References {
    /// ln(classes): the loss of a uniform guess.
    pub chance: Option<f64>,
    /// The loss of predicting the class shares (their entropy); ln(classes) when the shares
    /// are unknown or nearly balanced. A model that learned nothing but the shares scores it.
    pub prior: Option<f64>,
    /// Whether `prior` comes from the class shares (not ln(classes)).
    pub prior_from_shares: bool,
    /// The accuracy of always answering the most frequent class (1/classes when the shares
    /// are unknown).
    pub majority: Option<f64>,
    /// The loss of the first optimizer step, before any update: where this model started.
    pub initial: Option<f64>,
}

impl References {
    /// The references of `h`.
    pub fn of(h: &History) -> Self {
        let k = h.context.n_classes.filter(|&k| k >= 2);
        let chance = k.map(|k| (k as f64).ln());
        let shares = h
            .context
            .class_shares
            .as_deref()
            .filter(|s| s.len() >= 2 && s.iter().all(|v| v.is_finite() && *v >= 0.0));
        let entropy = shares.map(|s| {
            let total: f64 = s.iter().sum();
            s.iter()
                .filter(|&&v| v > 0.0)
                .map(|&v| {
                    let p = v / total;
                    -p * p.ln()
                })
                .sum::<f64>()
        });
        let (prior, prior_from_shares) = match (entropy, chance) {
            (Some(e), Some(c)) if (c - e).abs() > PRIOR_DIFFERS * c => (Some(e), true),
            (Some(e), None) => (Some(e), true),
            (_, c) => (c, false),
        };
        let majority = shares
            .map(|s| {
                let total: f64 = s.iter().sum();
                s.iter().copied().fold(0.0, f64::max) / total
            })
            .or(k.map(|k| 1.0 / k as f64));
        let initial = h
            .steps()
            .and_then(|s| s.first().copied())
            .filter(|v| v.is_finite());
        References {
            chance,
            prior,
            prior_from_shares,
            majority,
            initial,
        }
    }

    /// "the prior loss 0.611 (entropy of the class shares)" or "the chance loss ln(10) =
    /// 2.303", for evidence.
    pub fn describe_prior(&self, n_classes: Option<usize>) -> Option<String> {
        let prior = self.prior?;
        Some(if self.prior_from_shares {
            format!(
                "the prior loss {} (entropy of the class shares)",
                crate::fmt::num(prior)
            )
        } else {
            format!(
                "the chance loss ln({}) = {}",
                n_classes.unwrap_or(0),
                crate::fmt::num(prior)
            )
        })
    }
}

/// Whether the model learned anything beyond the class shares: its training loss in the last
/// epochs got below [`CHANCE_LEVEL_FRACTION`](super::lr_guard::CHANCE_LEVEL_FRACTION) of the
/// prior loss. A network pinned at the prior (dead units after a far too high LR, or nothing
/// learnable) only shows noise in its validation curve, which is no overfitting. `true` when
/// there is no prior to compare with.
pub(super) fn learned(h: &History) -> bool {
    let Some(prior) = References::of(h).prior else {
        return true;
    };
    let n = h.n_epochs();
    let last = &h.train_loss[n.saturating_sub(super::lr_guard::CHANCE_LEVEL_EPOCHS)..];
    last.iter()
        .any(|&v| v.is_finite() && v < super::lr_guard::CHANCE_LEVEL_FRACTION * prior)
}

/// The class count whose chance loss ln(k) is the first step's loss, when that loss is within
/// a fifth of ln(k) of it: a freshly initialised classifier guesses about uniformly. `None`
/// when the first loss is unknown or no count from 2 to 1000 fits.
pub fn classes_from_initial_loss(initial: f64) -> Option<usize> {
    if !initial.is_finite() || initial <= 0.0 {
        return None;
    }
    let k = initial.exp().round();
    if !(2.0..=1000.0).contains(&k) {
        return None;
    }
    let chance = k.ln();
    ((initial - chance).abs() <= 0.2 * chance).then_some(k as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn with(context: RunContext, steps: Option<Vec<f64>>) -> History {
        let mut h = History::new(vec![1.0, 0.9], vec![1.0, 0.95]).with_context(context);
        h.step_loss = steps;
        h
    }

    #[test]
    fn the_prior_is_the_entropy_of_skewed_shares_and_ln_k_when_balanced() {
        let skewed = References::of(&with(
            RunContext {
                n_classes: Some(2),
                class_shares: Some(vec![0.7, 0.3]),
                ..RunContext::default()
            },
            None,
        ));
        let entropy = -(0.7f64 * 0.7f64.ln() + 0.3 * 0.3f64.ln());
        assert!((skewed.prior.unwrap() - entropy).abs() < 1e-12);
        assert!(skewed.prior_from_shares);
        assert_eq!(skewed.majority, Some(0.7));
        assert!(
            skewed
                .describe_prior(Some(2))
                .unwrap()
                .contains("0.6109 (entropy of the class shares)")
        );
        let near_balanced = References::of(&with(
            RunContext {
                n_classes: Some(10),
                class_shares: Some(vec![0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.11, 0.09]),
                ..RunContext::default()
            },
            None,
        ));
        assert!((near_balanced.prior.unwrap() - 10f64.ln()).abs() < 1e-12);
        assert_eq!(
            near_balanced.describe_prior(Some(10)).unwrap(),
            "the chance loss ln(10) = 2.303"
        );
        assert!((near_balanced.majority.unwrap() - 0.11).abs() < 1e-12);
    }

    #[test]
    fn the_initial_loss_is_the_first_steps() {
        let r = References::of(&with(
            RunContext {
                n_classes: Some(2),
                ..RunContext::default()
            },
            Some(vec![0.8, 1e5, 1e5]),
        ));
        assert_eq!(r.initial, Some(0.8));
        assert_eq!(r.majority, Some(0.5));
        let r = References::of(&with(RunContext::default(), None));
        assert_eq!((r.initial, r.prior, r.majority), (None, None, None));
    }

    #[test]
    fn the_class_count_is_read_off_a_first_loss_near_ln_k() {
        assert_eq!(classes_from_initial_loss(0.70), Some(2));
        assert_eq!(classes_from_initial_loss(2.35), Some(10));
        assert_eq!(classes_from_initial_loss(1.12), Some(3));
        assert_eq!(classes_from_initial_loss(0.05), None);
        assert_eq!(classes_from_initial_loss(f64::NAN), None);
        assert_eq!(classes_from_initial_loss(40.0), None);
    }

    #[test]
    fn nothing_learned_needs_a_working_lr_enough_epochs_and_a_val_loss_at_the_prior() {
        let ln10 = 10f64.ln();
        let run = |lr: f64, optimizer: Option<crate::OptimizerKind>, epochs: usize, val: f64| {
            History::new(vec![ln10; epochs], vec![val; epochs]).with_context(RunContext {
                lr: Some(lr),
                optimizer,
                n_classes: Some(10),
                ..RunContext::default()
            })
        };
        let adam = Some(crate::OptimizerKind::Adam);
        let sgd = Some(crate::OptimizerKind::Sgd);
        let at_prior = 0.99 * ln10;
        // From the default up to 30x it, 5 epochs and more, the val loss never below 0.98 ln(10).
        for h in [
            run(1e-3, adam, 5, at_prior),
            run(3e-2, adam, 10, ln10),
            run(0.3, sgd, 8, at_prior),
        ] {
            let why = nothing_learned_at_working_lr(&h);
            assert!(
                why.as_deref()
                    .is_some_and(|w| w.contains("labels may carry no signal")),
                "{h:?}: {why:?}"
            );
        }
        // Below the default, far above it, too short, learned something, optimizer unknown.
        for h in [
            run(0.9e-3, adam, 10, at_prior),
            run(3.1e-2, adam, 10, at_prior),
            run(1e-3, adam, 4, at_prior),
            run(1e-3, adam, 10, 0.97 * ln10),
            run(1e-3, None, 10, at_prior),
        ] {
            assert_eq!(nothing_learned_at_working_lr(&h), None, "{h:?}");
        }
        let mut actions = vec![
            crate::diagnose::Action::GrowModel,
            crate::diagnose::Action::CheckData,
        ];
        data_check_first(&mut actions);
        assert_eq!(
            actions,
            [
                crate::diagnose::Action::CheckData,
                crate::diagnose::Action::GrowModel
            ]
        );
    }
}
