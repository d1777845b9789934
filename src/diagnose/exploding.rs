//! Exploding: the loss became NaN or infinite, or rose far above where it started. The
//! usual cause is a learning rate that is too high.

use super::loss_level::train_level;
use super::oscillating::unshuffled;
use super::reference::{ABSURD_LOSS, References, back_to_default, unscaled};
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::{argmax, moving_median};
use crate::fmt::{lr, nice_lr, num};

/// A training loss above this multiple of where the run started (the first step's loss or
/// the prior loss, else the first epoch's; and still high, see
/// [`HIGH_LOSS_FRACTION_OF_CHANCE`](super::loss_level::HIGH_LOSS_FRACTION_OF_CHANCE)) is
/// exploding: training only ever lowers the training loss on average, so doubling it means
/// the steps overshoot.
pub const EXPLODING_RISE_FACTOR: f64 = 2.0;

/// The step losses' median over this many steps is what must rise, so that one unlucky
/// batch does not count as an explosion.
pub const EXPLODING_STEP_WINDOW: usize = 5;

/// With small batches the step-loss median covers at least this many samples: with a batch
/// of 2 one confidently wrong pair scores 10 nats, and a few of them in 5 steps are noise,
/// not an explosion.
pub const STEP_WINDOW_SAMPLES: usize = 64;

/// Without the number of classes, a peak of at most this cross-entropy is still low (the
/// correct class keeps e^-0.5 ≈ 61% probability on average): no explosion.
pub const LOW_PEAK_LOSS: f64 = 0.5;

/// An exploding run's LR at least this many times its optimizer's default goes back to the
/// default instead of down 10x.
pub const BACK_TO_DEFAULT_ABOVE: f64 = 100.0;

/// The learning rate cut suggested for an exploding loss: one order of magnitude, the
/// smallest change that reliably moves a run from diverging to training.
pub const EXPLODING_LR_CUT: f64 = 10.0;

/// Step losses that end on this multiple of where the run started (the first step's loss or
/// the prior loss) end on a blow-up: the loss at which tunelab's trainer stops a run
/// ([`EXPLODED_LOSS_FACTOR`](crate::train::EXPLODED_LOSS_FACTOR)), read back from its files,
/// where the run's own record of the stop is not.
pub const ENDED_ON_A_BLOW_UP: f64 = crate::train::EXPLODED_LOSS_FACTOR;

/// The exploding finding, if the loss blew up.
pub(super) fn exploding(h: &History) -> Option<Finding> {
    let blown_up = diverged_evidence(h)
        .or_else(|| non_finite_epoch(h))
        .or_else(|| non_finite_step(h))
        .or_else(|| ended_on_a_blow_up(h));
    // Class-sorted batches make the loss jump at every class boundary: that is the data's
    // order, found by the oscillation rule, not an LR to cut.
    let evidence = match blown_up {
        Some(e) => e,
        None if unshuffled(h).is_some() => return None,
        None => epoch_rise(h).or_else(|| step_rise(h))?,
    };
    // 100x or more above the optimizer's default, one 10x cut still explodes: back to the
    // default (on the diagnosis benchmark it ended lower than the 10x cut in 40 of 58 such
    // runs, the 10x cut in 12; below 100x the 10x cut did as well or better).
    let factor = back_to_default(h)
        .filter(|f| *f <= 1.0 / BACK_TO_DEFAULT_ABOVE)
        .unwrap_or(1.0 / EXPLODING_LR_CUT);
    let mut action = match h.base_lr() {
        Some(base) if factor < 1.0 / EXPLODING_LR_CUT => format!(
            "LR {} looks too high: it is {}x its optimizer's default, so a 10x cut would still be far above it: go back to the default, try {}",
            lr(base),
            num(1.0 / factor),
            nice_lr(base * factor)
        ),
        Some(base) => format!(
            "LR {} looks too high: reduce 10x, try {}",
            lr(base),
            nice_lr(base / EXPLODING_LR_CUT)
        ),
        None => "the LR looks too high: reduce the LR 10x".to_string(),
    };
    let mut actions = vec![Action::scale_lr(factor, h.base_lr())];
    if let Some(reason) = unscaled(h) {
        if factor < 1.0 / EXPLODING_LR_CUT {
            // So far above the default, standardised features blow up too (on the diagnosis
            // benchmark's calibration half the repaired data alone helped 1 of 3 such runs,
            // the default 2): the LR first, then the features.
            action = format!("{action}; and standardise the features: {reason}");
            actions.push(Action::CheckData);
        } else {
            action =
                format!("{reason}: standardise them first; then, if it still blows up: {action}");
            actions.insert(0, Action::CheckData);
        }
    }
    Some(Finding::new(Pattern::Exploding, Severity::High, evidence, action).with_actions(actions))
}

fn diverged_evidence(h: &History) -> Option<String> {
    let (step, value) = h.context.diverged_at_step?;
    Some(format!(
        "training stopped at step {step} because the loss blew up (to {})",
        num(value)
    ))
}

fn non_finite_epoch(h: &History) -> Option<String> {
    for (name, curve) in [("train", &h.train_loss), ("val", &h.val_loss)] {
        if let Some(i) = curve.iter().position(|v| !v.is_finite()) {
            let before = match i {
                0 => String::new(),
                _ => format!(" (it was {} at epoch {i})", num(curve[i - 1])),
            };
            return Some(format!(
                "{name} loss became {} at epoch {}{before}",
                num(curve[i]),
                i + 1
            ));
        }
    }
    None
}

fn non_finite_step(h: &History) -> Option<String> {
    let steps = h.steps()?;
    let i = steps.iter().position(|v| !v.is_finite())?;
    Some(format!("step loss became {} at step {i}", num(steps[i])))
}

/// A last step's loss [`ENDED_ON_A_BLOW_UP`] or more times the run's start: the step the run
/// stopped at. A run stopped in its first epoch has one evaluated epoch, taken after the
/// step that blew up and often unremarkable, so its steps are what shows it; and one step
/// that far above the start is no batch's noise.
fn ended_on_a_blow_up(h: &History) -> Option<String> {
    let steps = h.steps()?;
    let (&last, before) = steps.split_last()?;
    if before.is_empty() || !last.is_finite() {
        return None;
    }
    let start = start_of(h).filter(|s| s.own)?;
    (start.value > 0.0 && last >= ENDED_ON_A_BLOW_UP * start.value).then(|| {
        format!(
            "the last step's loss is {} at step {}, {}x {}: the run ended on a blow-up",
            num(last),
            before.len(),
            num(last / start.value),
            start.from
        )
    })
}

/// Where the training loss started, for judging a rise: the run's own start (the larger of
/// the first step's loss and the prior loss) when known, in words; else the first epoch's
/// loss, which a loss that blew up within the first epoch has already left.
fn start_of(h: &History) -> Option<Start> {
    let refs = References::of(h);
    let own = |value: f64, from: String| Start {
        value,
        from,
        own: true,
    };
    match (refs.initial, refs.prior) {
        (Some(a), Some(b)) if b > a => Some(own(b, refs.describe_prior(h.context.n_classes)?)),
        (Some(a), _) => Some(own(a, format!("the first step's loss {}", num(a)))),
        (None, Some(b)) => Some(own(b, refs.describe_prior(h.context.n_classes)?)),
        (None, None) => {
            let first = *h.train_loss.first()?;
            Some(Start {
                value: first,
                from: format!("{} at epoch 1", num(first)),
                own: false,
            })
        }
    }
}

/// Where a run started, for judging a rise.
struct Start {
    /// The loss.
    value: f64,
    /// What it is, in words.
    from: String,
    /// Whether it is the run's own start (first step or prior), not its first epoch.
    own: bool,
}

fn epoch_rise(h: &History) -> Option<String> {
    let Start {
        value: start,
        from,
        own,
    } = start_of(h)?;
    // With the run's own start known, epoch 1 is judged too: a loss that blew up at the
    // second step has a first epoch far above it.
    let skip = usize::from(!own);
    let (i, peak) = argmax(h.train_loss.get(skip..)?)?;
    let epoch = i + skip;
    let absurd = peak > ABSURD_LOSS;
    let rose = start > 0.0 && peak > EXPLODING_RISE_FACTOR * start;
    if !(absurd || rose) {
        return None;
    }
    // A rise to a loss that is still low (a spike at 0.01) is no explosion; without a scale,
    // a peak under LOW_PEAK_LOSS is low for any number of classes.
    let level = train_level(h, epoch, peak);
    let low = if level.known {
        !level.high
    } else {
        peak <= LOW_PEAK_LOSS
    };
    if !absurd && low {
        return None;
    }
    // A first epoch far above the start that the run then trains down from is a slow start
    // (or a badly scaled output layer), not a blow-up: at epoch 1 the loss must stay up.
    let last = *h.train_loss.last()?;
    if epoch == 0 && !absurd && last <= EXPLODING_RISE_FACTOR * start {
        return None;
    }
    let against = if !rose {
        format!(
            "above {} nats, where no classifier starts",
            num(ABSURD_LOSS)
        )
    } else {
        format!("{}x {from}", num(peak / start))
    };
    Some(format!(
        "train loss reached {} at epoch {} ({against})",
        num(peak),
        epoch + 1,
    ))
}

/// The window of the step-loss median: [`EXPLODING_STEP_WINDOW`] steps, or enough steps to
/// cover [`STEP_WINDOW_SAMPLES`] samples when the batch is small, so that a few unlucky
/// batches of 2 samples do not count as an explosion.
fn step_window(h: &History) -> usize {
    let by_samples = h
        .context
        .batch_size
        .filter(|&b| b > 0)
        .map_or(0, |b| STEP_WINDOW_SAMPLES.div_ceil(b));
    EXPLODING_STEP_WINDOW.max(by_samples)
}

fn step_rise(h: &History) -> Option<String> {
    let steps = h.steps()?;
    let window = step_window(h);
    if steps.len() < 2 * window {
        return None;
    }
    let smooth = moving_median(steps, window);
    let (start, from) = match start_of(h).filter(|s| s.own) {
        Some(s) => (s.value, s.from),
        None => {
            let first = *smooth.first()?;
            (first, format!("{} at the start", num(first)))
        }
    };
    let (i, peak) = argmax(&smooth)?;
    if !(start > 0.0 && peak > EXPLODING_RISE_FACTOR * start) {
        return None;
    }
    // A blow-up within the first epoch that the run came back from is left to the other
    // rules: they tell a network knocked out at chance level (cut the LR) from one that
    // recovered.
    let per_epoch = steps.len() / h.n_epochs().max(1);
    let end = *smooth.last()?;
    if i + window <= per_epoch && end <= EXPLODING_RISE_FACTOR * start {
        return None;
    }
    Some(format!(
        "step loss (median of {window} steps) rose to {} around step {} ({}x {from})",
        num(peak),
        i + window / 2,
        num(peak / start)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn with_lr(h: History, base: f64) -> History {
        h.with_context(RunContext {
            lr: Some(base),
            ..RunContext::default()
        })
    }

    #[test]
    fn steps_that_end_on_a_hundredfold_loss_are_exploding_even_with_one_epoch() {
        // A run stopped at its second step: its one epoch, evaluated after the step that
        // blew up, looks fine; its steps do not.
        let stopped = |last: f64| {
            let mut h = History::new(vec![0.70], vec![0.61]).with_context(RunContext {
                lr: Some(0.12),
                optimizer: Some(crate::train::OptimizerKind::RmsProp),
                ..RunContext::default()
            });
            h.step_loss = Some(vec![0.947, last]);
            h
        };
        let f = exploding(&stopped(315.5)).unwrap();
        assert!(
            f.evidence.contains(
                "the last step's loss is 315.5 at step 1, 333.2x the first step's loss 0.947"
            ),
            "{}",
            f.evidence
        );
        assert!(crate::diagnose::diagnose(&stopped(315.5)).is_ok());
        // 99x is not the stop, and one step is no run.
        assert!(exploding(&stopped(0.947 * 99.0)).is_none());
        let mut one = stopped(315.5);
        one.step_loss = Some(vec![315.5]);
        assert!(ended_on_a_blow_up(&one).is_none());
        // A spike the run went on from is left to the other rules.
        let mut on = stopped(315.5);
        on.step_loss = Some(vec![0.947, 315.5, 0.9, 0.8]);
        assert!(ended_on_a_blow_up(&on).is_none());
    }

    #[test]
    fn far_above_the_default_goes_back_to_it_and_unscaled_features_come_first() {
        let mut h =
            History::new(vec![2.0, f64::NAN], vec![2.0, f64::NAN]).with_context(RunContext {
                lr: Some(0.5),
                optimizer: Some(crate::train::OptimizerKind::Adam),
                ..RunContext::default()
            });
        let f = exploding(&h).unwrap();
        assert_eq!(
            f.actions,
            vec![Action::ScaleLr {
                factor: 0.002,
                to: Some(0.001)
            }]
        );
        assert!(
            f.action.contains("go back to the default, try 0.001"),
            "{}",
            f.action
        );
        // Unscaled features, named first within 100x of the default ...
        h.context.feature_scale_ratio = Some(400.0);
        let f = exploding(&h).unwrap();
        assert_eq!(f.actions[0].lr_factor(), Some(0.002), "500x: the LR first");
        assert_eq!(f.actions[1], Action::CheckData);
        assert!(
            f.action.ends_with(
                "and standardise the features: the features are on very different scales (standard deviations 400x apart)"
            ),
            "{}",
            f.action
        );
        h.context.lr = Some(5e-3);
        let f = exploding(&h).unwrap();
        assert_eq!(f.actions[0], Action::CheckData);
        assert_eq!(f.actions[1].lr_factor(), Some(0.1));
        assert!(
            f.action.starts_with(
                "the features are on very different scales (standard deviations 400x apart)"
            ),
            "{}",
            f.action
        );
        // ... and a single huge feature is unscaled too, whatever the ratio.
        h.context.feature_scale_ratio = Some(3.0);
        assert_eq!(exploding(&h).unwrap().actions[0].lr_factor(), Some(0.1));
        h.context.feature_scale_max = Some(850.0);
        let f = exploding(&h).unwrap();
        assert_eq!(f.actions[0], Action::CheckData);
        assert!(
            f.action.starts_with(
                "the features are not standardised (one has a standard deviation of 850)"
            ),
            "{}",
            f.action
        );
        h.context.feature_scale_max = Some(60.0);
        assert_eq!(exploding(&h).unwrap().actions[0].lr_factor(), Some(0.1));
    }

    #[test]
    fn a_nan_loss_is_exploding_with_a_tenfold_cut() {
        let h = with_lr(
            History::new(vec![2.0, 1.5, f64::NAN], vec![2.0, 1.6, f64::NAN]),
            0.1,
        );
        let f = exploding(&h).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.evidence.contains("train loss became nan at epoch 3"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("1.5 at epoch 2"), "{}", f.evidence);
        assert_eq!(f.action, "LR 0.1 looks too high: reduce 10x, try 0.01");
    }

    #[test]
    fn an_infinite_val_loss_or_step_loss_is_exploding() {
        let h = History::new(vec![2.0, 1.5], vec![2.0, f64::INFINITY]);
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence.contains("val loss became inf at epoch 2"),
            "{}",
            f.evidence
        );
        assert_eq!(f.action, "the LR looks too high: reduce the LR 10x");
        let mut h = History::new(vec![2.0, 1.5], vec![2.0, 1.6]);
        h.step_loss = Some(vec![2.3, 2.2, f64::NAN]);
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence.contains("step loss became nan at step 2"),
            "{}",
            f.evidence
        );
    }

    #[test]
    fn a_recorded_divergence_is_exploding_even_with_finite_curves() {
        let mut h = with_lr(History::new(vec![2.0], vec![2.1]), 1e-2);
        h.context.diverged_at_step = Some((17, 512.0));
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence.contains("step 17") && f.evidence.contains("512"),
            "{}",
            f.evidence
        );
        assert_eq!(f.action, "LR 0.01 looks too high: reduce 10x, try 0.001");
    }

    #[test]
    fn a_loss_climbing_far_above_its_start_is_exploding() {
        let h = with_lr(
            History::new(vec![0.8, 0.6, 1.2, 2.0], vec![0.9, 0.7, 1.3, 2.1]),
            0.05,
        );
        let f = exploding(&h).unwrap();
        assert!(
            f.evidence
                .contains("train loss reached 2 at epoch 4 (2.5x 0.8 at epoch 1)"),
            "{}",
            f.evidence
        );
        assert!(f.action.contains("try 0.005"), "{}", f.action);
        let mut steps = vec![2.3; 10];
        steps.extend([5.0; 10]);
        let mut h = History::new(vec![1.0, 0.9], vec![1.0, 0.9]);
        h.step_loss = Some(steps);
        assert!(
            exploding(&h)
                .unwrap()
                .evidence
                .contains("step loss (median of 5 steps) rose to 5")
        );
    }

    #[test]
    fn a_decreasing_curve_or_a_spike_at_a_low_loss_is_not_exploding() {
        let h = History::new(vec![2.0, 1.0, 0.5, 0.3], vec![2.0, 1.1, 0.6, 0.4]);
        assert!(exploding(&h).is_none());
        let spike = History::new(vec![0.02, 0.01, 0.05, 0.01], vec![0.1; 4]);
        assert!(exploding(&spike).is_none());
        let mut one_bad_batch = History::new(vec![1.0, 0.9], vec![1.0, 0.9]);
        let mut steps = vec![2.3; 20];
        steps[10] = 6.0;
        one_bad_batch.step_loss = Some(steps);
        assert!(exploding(&one_bad_batch).is_none());
    }
}
