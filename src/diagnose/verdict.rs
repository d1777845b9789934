//! [`diagnose`]: every rule applied to a history, and "healthy" when none fires.

use super::exploding::exploding;
use super::healthy::healthy;
use super::no_signal::no_signal;
use super::not_decreasing::not_decreasing;
use super::oscillating::oscillating;
use super::overfitting::overfitting;
use super::plateau::plateau;
use super::reference::default_first as factor_to_default;
use super::slow::{short_and_below_default, slow};
use super::uncertain::{MIN_EPOCHS_TO_JUDGE, noisy_val_rise, too_few_epochs};
use super::underfitting::{short_and_falling, underfitting};
use super::{Action, Diagnosis, Finding, History, Pattern, Severity};
use crate::error::{Error, Result};
use crate::fmt::{lr, num};

/// Reads the curves of a run and says what they show, with the evidence in numbers and the
/// next thing to try.
///
/// - An exploding loss (NaN, infinite, far above its start, or a recorded divergence) is
///   reported alone: everything else about the curve follows from it. It is found even in a
///   history of 0 or 1 epochs.
/// - Otherwise the history needs at least 2 epochs; with fewer than
///   [`MIN_EPOCHS_TO_JUDGE`] only "not decreasing" is judged, plus an "uncertain" finding.
/// - An oscillating loss is not also judged slow, plateaued or not decreasing: its trend
///   is unreliable.
/// - Underfitting found together with an optimisation problem (oscillating, not
///   decreasing, plateau, slow) is capped at medium: fix the LR first.
/// - Validation accuracy at chance in the second half of the run while the model learns its
///   training set is a data problem (`no_signal`): it replaces the overfitting finding, and
///   slow and plateau are not judged beside it (they would say "raise the LR", which cannot
///   help).
/// - "Healthy" is reported when no other rule fires.
///
/// Errors: mismatched curve lengths or an impossible context ([`History::validate`]), and a
/// history with fewer than 2 epochs and no sign of divergence.
pub fn diagnose(history: &History) -> Result<Diagnosis> {
    history.validate()?;
    if let Some(finding) = exploding(history) {
        return Ok(Diagnosis::new(vec![finding]));
    }
    match history.n_epochs() {
        0 => {
            return Err(Error::data(
                "history",
                "no epochs: need at least 2 epochs to judge a curve",
            ));
        }
        1 => {
            return Err(Error::data(
                "history",
                "only 1 epoch: need at least 2 epochs to judge a curve",
            ));
        }
        _ => {}
    }
    let mut findings = Vec::new();
    if history.n_epochs() < MIN_EPOCHS_TO_JUDGE {
        findings.extend(not_decreasing(history));
        if findings.is_empty() {
            findings.extend(short_and_falling(history));
        }
        if findings.is_empty() {
            findings.extend(short_and_below_default(history));
        }
        findings.extend(too_few_epochs(history));
        return Ok(default_first(history, Diagnosis::new(findings)));
    }
    let no_signal = no_signal(history);
    match oscillating(history) {
        Some(finding) => findings.push(finding),
        None => {
            findings.extend(not_decreasing(history));
            if no_signal.is_none() {
                findings.extend(plateau(history));
                findings.extend(slow(history));
            }
        }
    }
    let optimisation_problem = findings.first().map(|f| f.pattern);
    match no_signal {
        Some(finding) => findings.push(finding),
        None => findings.extend(overfitting(history)),
    }
    findings.extend(underfitting(history).map(|f| defer_to(optimisation_problem, f)));
    findings.extend(noisy_val_rise(history));
    if findings.is_empty() {
        findings.push(healthy(history));
    }
    Ok(default_first(history, Diagnosis::new(findings)))
}

/// An LR far from its optimizer's default ([`FAR_ABOVE_DEFAULT`](super::thresholds::FAR_ABOVE_DEFAULT)
/// above it, [`FAR_ABOVE_DEFAULT_ADAPTIVE`](super::thresholds::FAR_ABOVE_DEFAULT_ADAPTIVE) for
/// the adaptive optimizers, or 10x below it) is the first thing to change, whatever else the
/// curves show: the primary finding gets "back to the default" as its first action unless its
/// own first action already moves the LR that way, or is a check of the data (labels without
/// signal, unscaled features): a data problem comes before any LR.
fn default_first(h: &History, mut diagnosis: Diagnosis) -> Diagnosis {
    let (Some(factor), Some(base), Some(optimizer)) =
        (factor_to_default(h), h.base_lr(), h.context.optimizer)
    else {
        return diagnosis;
    };
    let Some(primary) = diagnosis.findings.first_mut() else {
        return diagnosis;
    };
    // The primary's own LR move stands when it goes the same way, even when it stops short
    // of the default: on the calibration half, replacing such a cut by the way back to the
    // default helped 3 more runs and hurt 3 more.
    let same_way = primary
        .actions
        .first()
        .and_then(Action::lr_factor)
        .is_some_and(|f| (f > 1.0) == (factor > 1.0));
    let data_first = primary.actions.first().is_some_and(Action::is_a_check);
    if data_first || same_way {
        return diagnosis;
    }
    let to_default = Action::scale_lr(factor, Some(base));
    let side = if factor > 1.0 { "below" } else { "above" };
    primary.evidence.push_str(&format!(
        "; the LR {} is {}x {side} {}'s default {}",
        lr(base),
        num(factor.max(1.0 / factor)),
        optimizer.name(),
        lr(optimizer.default_lr())
    ));
    primary.action = format!(
        "first {to_default}, back to the default, and diagnose again; then, if the finding stays: {}",
        primary.action
    );
    primary.actions.insert(0, to_default);
    diagnosis
}

/// Underfitting that comes with an optimisation problem (oscillating, not decreasing,
/// plateau, slow) is probably caused by it: it is capped at medium so that the LR advice comes
/// first, and its action says so.
fn defer_to(problem: Option<Pattern>, mut underfit: Finding) -> Finding {
    if let Some(problem) = problem
        && underfit.pattern == Pattern::Underfitting
    {
        underfit.severity = underfit.severity.min(Severity::Medium);
        underfit
            .action
            .push_str(&format!("; but first fix the {problem} finding"));
    }
    underfit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn ten_classes(lr: f64) -> RunContext {
        RunContext {
            lr: Some(lr),
            optimizer: None,
            dropout: Some(0.0),
            weight_decay: Some(0.0),
            n_classes: Some(10),
            diverged_at_step: None,
            ..RunContext::default()
        }
    }

    fn curves(train: Vec<f64>, val: Vec<f64>) -> History {
        History::new(train, val).with_context(ten_classes(1e-3))
    }

    #[test]
    fn an_exponential_decay_is_healthy() {
        let train: Vec<f64> = (0..20).map(|i| 1.2 * (-0.2 * i as f64).exp()).collect();
        let val: Vec<f64> = train.iter().map(|t| t * 1.2 + 0.01).collect();
        let mut h = curves(train, val);
        h.val_acc = Some((0..20).map(|i| 0.8 + 0.009 * i as f64).collect());
        let d = diagnose(&h).unwrap();
        assert_eq!(d.patterns(), vec![Pattern::Healthy], "{d}");
        let f = d.primary().unwrap();
        assert_eq!(f.severity, Severity::Low);
        assert!(
            f.evidence.contains("from 1.2 to 0.02684 in 20 epochs"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("val accuracy 0.971"), "{}", f.evidence);
        // Its val loss still fell 56% over the last 6 epochs: keep it, and train longer.
        assert_eq!(
            f.action,
            "keep this, and train longer with early stopping: it was still improving"
        );
        let flat: Vec<f64> = (0..20).map(|i| 0.05 + (-(i as f64)).exp()).collect();
        let d = diagnose(&curves(
            flat.clone(),
            flat.iter().map(|t| t * 1.2).collect(),
        ))
        .unwrap();
        assert_eq!(
            d.primary().unwrap().action,
            "keep this; try the next tuning step"
        );
    }

    #[test]
    fn a_nan_is_exploding_and_nothing_else() {
        let mut train = vec![2.0, 1.0, 0.8, 0.7, 0.6];
        train.push(f64::NAN);
        let val = train.clone();
        let d = diagnose(&curves(train, val)).unwrap();
        assert_eq!(d.patterns(), vec![Pattern::Exploding], "{d}");
        assert!(d.findings[0].action.contains("try 0.0001"), "{d}");
    }

    #[test]
    fn a_divergence_in_the_first_epoch_is_diagnosed_not_an_error() {
        let mut h = curves(vec![7.5], vec![8.0]);
        h.context.diverged_at_step = Some((3, f64::NAN));
        assert_eq!(diagnose(&h).unwrap().patterns(), vec![Pattern::Exploding]);
        let mut empty = curves(vec![], vec![]);
        empty.context.diverged_at_step = Some((0, f64::INFINITY));
        assert!(diagnose(&empty).unwrap().has(Pattern::Exploding));
    }

    #[test]
    fn too_short_histories_are_errors_or_uncertain() {
        let err = diagnose(&curves(vec![], vec![])).unwrap_err().to_string();
        assert!(err.contains("no epochs"), "{err}");
        let err = diagnose(&curves(vec![1.0], vec![1.1]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("need at least 2 epochs to judge a curve"),
            "{err}"
        );
        // Too short to judge the shapes, but the val loss still falls fast: train longer.
        let d = diagnose(&curves(vec![2.0, 1.0, 0.5], vec![2.0, 1.1, 0.6])).unwrap();
        assert_eq!(
            d.patterns(),
            vec![Pattern::Underfitting, Pattern::Uncertain],
            "{d}"
        );
        assert_eq!(
            d.first_action(),
            Some(&crate::diagnose::Action::TrainLonger { factor: 3.0 })
        );
        let settled = diagnose(&curves(vec![2.0, 1.0, 0.5], vec![2.0, 0.6, 0.59])).unwrap();
        assert_eq!(settled.patterns(), vec![Pattern::Uncertain], "{settled}");
        let d = diagnose(&curves(vec![2.3, 2.31], vec![2.3, 2.31])).unwrap();
        assert_eq!(
            d.patterns(),
            vec![Pattern::NotDecreasing, Pattern::Uncertain],
            "{d}"
        );
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        let err = diagnose(&curves(vec![1.0, 0.5, 0.3], vec![1.0, 0.5])).unwrap_err();
        assert!(err.to_string().contains("val_loss has 2 values"), "{err}");
    }

    #[test]
    fn flat_curves_near_chance_are_not_decreasing_then_underfitting() {
        let train = vec![2.30, 2.31, 2.30, 2.305, 2.30, 2.31, 2.30, 2.305];
        let val: Vec<f64> = train.iter().map(|t| t + 0.01).collect();
        let d = diagnose(&curves(train, val)).unwrap();
        assert_eq!(
            d.patterns(),
            vec![Pattern::NotDecreasing, Pattern::Underfitting],
            "{d}"
        );
        assert_eq!(d.findings[0].severity, Severity::High);
        let underfit = &d.findings[1];
        assert_eq!(
            underfit.severity,
            Severity::Medium,
            "capped: fix the LR first"
        );
        assert!(
            underfit
                .action
                .ends_with("but first fix the not_decreasing finding"),
            "{d}"
        );
    }

    #[test]
    fn close_high_curves_that_improve_well_are_high_underfitting() {
        // Falls 70% (not slow, no plateau) but ends at 86% of ln(100).
        let train: Vec<f64> = (0..10)
            .map(|i| 10.0 * (-0.3 * i as f64).exp() + 3.3)
            .collect();
        let val: Vec<f64> = train.iter().map(|t| t + 0.01).collect();
        let mut h = curves(train, val);
        h.context.n_classes = Some(100);
        let d = diagnose(&h).unwrap();
        assert_eq!(
            d.primary().map(|f| (f.pattern, f.severity)),
            Some((Pattern::Underfitting, Severity::High)),
            "{d}"
        );
    }

    #[test]
    fn rising_val_loss_after_epoch_7_is_overfitting() {
        let train: Vec<f64> = (0..20).map(|i| 1.0 * (-0.25 * i as f64).exp()).collect();
        let val: Vec<f64> = (0..20)
            .map(|i| {
                0.081
                    + if i <= 6 {
                        0.05 * (6 - i) as f64
                    } else {
                        0.0015 * (i - 6) as f64
                    }
            })
            .collect();
        let d = diagnose(&curves(train, val)).unwrap();
        assert_eq!(d.patterns(), vec![Pattern::Overfitting], "{d}");
        assert!(
            d.findings[0].action.contains("stop early at epoch 7"),
            "{d}"
        );
    }

    #[test]
    fn zig_zag_slow_and_plateau_histories_get_their_pattern_first() {
        let zig: Vec<f64> = (0..12)
            .map(|i| if i % 2 == 0 { 1.4 } else { 0.9 })
            .collect();
        let d = diagnose(&curves(zig.clone(), zig)).unwrap();
        assert_eq!(
            d.primary().map(|f| f.pattern),
            Some(Pattern::Oscillating),
            "{d}"
        );
        assert!(
            !d.has(Pattern::NotDecreasing) && !d.has(Pattern::Healthy),
            "{d}"
        );

        let slow: Vec<f64> = (0..20).map(|i| 2.2 - 0.03 * i as f64).collect();
        let val: Vec<f64> = slow.iter().map(|t| t + 0.02).collect();
        let d = diagnose(&curves(slow, val)).unwrap();
        assert!(d.has(Pattern::Slow) && d.has(Pattern::Underfitting), "{d}");
        assert!(!d.has(Pattern::Plateau), "{d}");

        let flat = vec![
            2.2, 1.6, 1.21, 1.2, 1.19, 1.2, 1.19, 1.2, 1.19, 1.19, 1.2, 1.19,
        ];
        let val: Vec<f64> = flat.iter().map(|t| t + 0.05).collect();
        let d = diagnose(&curves(flat, val)).unwrap();
        assert!(d.has(Pattern::Plateau) && !d.has(Pattern::Slow), "{d}");
    }

    #[test]
    fn findings_come_most_severe_first() {
        // Slow training (medium, found first) whose val loss rises 60% (high).
        let train: Vec<f64> = (0..20).map(|i| 2.2 - 0.03 * i as f64).collect();
        let val: Vec<f64> = (0..20)
            .map(|i| {
                if i <= 4 {
                    2.4 - 0.1 * i as f64
                } else {
                    2.0 + 0.08 * (i - 4) as f64
                }
            })
            .collect();
        let d = diagnose(&curves(train, val)).unwrap();
        assert_eq!(
            d.patterns(),
            vec![Pattern::Overfitting, Pattern::Slow],
            "{d}"
        );
        let severities: Vec<Severity> = d.findings.iter().map(|f| f.severity).collect();
        assert_eq!(severities, vec![Severity::High, Severity::Medium]);
        assert_eq!(d.to_string().lines().count(), 2, "{d}");
    }

    #[test]
    fn a_network_killed_by_a_far_too_high_lr_is_never_told_to_raise_it() {
        let train = vec![3.1, 2.5, 2.33, 2.31, 2.32, 2.31, 2.31, 2.32, 2.31, 2.31];
        let val: Vec<f64> = train.iter().map(|t| t + 0.005).collect();
        let mut h = curves(train, val);
        h.context.lr = Some(0.3);
        h.context.optimizer = Some(crate::train::OptimizerKind::Adam);
        let d = diagnose(&h).unwrap();
        assert_eq!(
            d.patterns(),
            vec![Pattern::Plateau, Pattern::Underfitting],
            "{d}"
        );
        assert_eq!(d.findings[0].severity, Severity::High);
        for f in &d.findings {
            assert!(!f.action.contains("raise"), "{d}");
            assert!(f.action.contains("try 0.03"), "{d}");
        }
    }

    #[test]
    fn an_lr_far_from_its_default_goes_back_to_it_first() {
        use crate::diagnose::Action;
        use crate::train::OptimizerKind;
        // Rising val loss after epoch 7 at an LR 100x below Adam's default.
        let train: Vec<f64> = (0..20).map(|i| 1.0 * (-0.25 * i as f64).exp()).collect();
        let val: Vec<f64> = (0..20)
            .map(|i| {
                0.081
                    + if i <= 6 {
                        0.05 * (6 - i) as f64
                    } else {
                        0.0015 * (i - 6) as f64
                    }
            })
            .collect();
        let at = |lr: f64| {
            let mut h = curves(train.clone(), val.clone());
            h.context.lr = Some(lr);
            h.context.optimizer = Some(OptimizerKind::Adam);
            diagnose(&h).unwrap()
        };
        let low = at(1e-5);
        let primary = low.primary().unwrap();
        assert_eq!(primary.pattern, Pattern::Overfitting, "{low}");
        assert_eq!(
            low.first_action(),
            Some(&Action::ScaleLr {
                factor: 100.0,
                to: Some(1e-3)
            })
        );
        assert!(
            primary.action.starts_with("first raise the LR 100x"),
            "{low}"
        );
        assert!(primary.action.contains("stop early at epoch 7"), "{low}");
        assert!(
            primary.evidence.contains("100x below adam's default"),
            "{low}"
        );
        // 20x above the default is not far enough to override the finding; 500x is.
        assert!(matches!(
            at(0.02).first_action(),
            Some(Action::StopEarly { .. })
        ));
        assert_eq!(
            at(0.5).first_action().and_then(Action::lr_factor),
            Some(0.002)
        );
        // Without the optimizer there is no default to go back to.
        let mut h = curves(train.clone(), val.clone());
        h.context.lr = Some(1e-5);
        assert!(matches!(
            diagnose(&h).unwrap().first_action(),
            Some(Action::StopEarly { .. })
        ));
        // The adaptive optimizers go back from 100x above their default, SGD from 300x.
        let with = |optimizer: OptimizerKind, lr: f64| {
            let mut h = curves(train.clone(), val.clone());
            h.context.lr = Some(lr);
            h.context.optimizer = Some(optimizer);
            diagnose(&h).unwrap().first_action().cloned()
        };
        for adaptive in [
            OptimizerKind::Adam,
            OptimizerKind::AdamW,
            OptimizerKind::RmsProp,
        ] {
            let first = with(adaptive, 0.15);
            assert_eq!(
                first.as_ref().and_then(Action::lr_factor),
                Some(1e-3 / 0.15),
                "{adaptive:?}: {first:?}"
            );
            assert!(matches!(
                with(adaptive, 0.09),
                Some(Action::StopEarly { .. })
            ));
        }
        for sgd in [OptimizerKind::Sgd, OptimizerKind::SgdMomentum] {
            assert!(matches!(with(sgd, 1.5), Some(Action::StopEarly { .. })));
            assert_eq!(
                with(sgd, 3.5).as_ref().and_then(Action::lr_factor),
                Some(1e-2 / 3.5)
            );
        }
    }

    #[test]
    fn a_short_run_below_its_default_is_slow_not_uncertain() {
        use crate::diagnose::Action;
        use crate::train::OptimizerKind;
        // Three epochs of a loss that barely moves.
        let at = |lr: f64, train: Vec<f64>| {
            let val: Vec<f64> = train.iter().map(|t| t + 0.01).collect();
            let mut h = curves(train, val);
            h.context.lr = Some(lr);
            h.context.optimizer = Some(OptimizerKind::SgdMomentum);
            diagnose(&h).unwrap()
        };
        let flatish = vec![2.0, 1.95, 1.92];
        let d = at(1e-4, flatish.clone());
        let primary = d.primary().unwrap();
        assert_eq!(primary.pattern, Pattern::Slow, "{d}");
        assert!(!d.is_uncertain(), "{d}");
        assert_eq!(
            d.first_action(),
            Some(&Action::ScaleLr {
                factor: 100.0,
                to: Some(1e-2)
            })
        );
        assert!(
            primary
                .evidence
                .contains("100x below sgd-momentum's default"),
            "{}",
            primary.evidence
        );
        // The short run's uncertainty stays beside it.
        assert!(d.has(Pattern::Uncertain), "{d}");
        // 3.3x below the default with the loss still high (83% of ln(10)): the guide's raise.
        let near = at(3e-3, flatish.clone());
        assert_eq!(near.primary().unwrap().pattern, Pattern::Slow, "{near}");
        assert_eq!(
            near.first_action(),
            Some(&Action::ScaleLr {
                factor: 3.0,
                to: Some(0.009)
            })
        );
        // At the default, or below it with the loss already low, the short run decides alone.
        assert!(at(1e-2, flatish).is_uncertain());
        assert!(at(3e-3, vec![0.22, 0.215, 0.214]).is_uncertain());
        // A loss that rose is not called slow.
        assert!(!at(1e-4, vec![1.9, 1.95, 2.0]).has(Pattern::Slow));
    }
}
