//! How strongly a model overfits, from its final training and validation losses.
//!
//! The levels use the diagnosis's own gap rule, so that `tunelab advise regularization` and
//! `tunelab diagnose` never disagree on whether final losses show overfitting: the diagnosis
//! reports a generalisation gap when the validation loss is at least
//! `diagnose::thresholds::OVERFIT_GAP_RATIO` (3) times the training loss *and* at least
//! `OVERFIT_MIN_GAP` (0.05) above it, and calls the gap strong from `OVERFIT_STRONG_GAP_RATIO`
//! (10x) and `OVERFIT_STRONG_MIN_GAP` (0.2). The constants below are those constants (the
//! advice reads the diagnosis's thresholds; the diagnosis knows nothing of the advice). The
//! advice has one more level between the two, moderate, which is its own.
//!
//! One difference: with a training loss of exactly 0 the diagnosis reports no gap (its
//! ratio is undefined), while the advice takes the ratio as infinite and judges by the gap.
//!
//! Final losses show only the gap. The diagnosis also calls overfitting what final losses
//! cannot show: a validation loss that rises while the training loss falls, and a training
//! accuracy far above the validation accuracy (`OVERFIT_ACC_GAP`).

use crate::diagnose::thresholds;
use crate::error::{Error, Result, Valid};
use serde::Serialize;

/// `val_loss / train_loss` from which final losses show overfitting (mild); the same number
/// as the diagnosis's `OVERFIT_GAP_RATIO`.
pub const MILD_RATIO: f64 = thresholds::OVERFIT_GAP_RATIO;
/// `val_loss - train_loss` (loss units, nats) that mild overfitting also needs, so that two
/// excellent losses (0.001 against 0.004) are no gap; the diagnosis's `OVERFIT_MIN_GAP`.
pub const MILD_MIN_GAP: f64 = thresholds::OVERFIT_MIN_GAP;
/// Ratio from which overfitting is moderate: the advice's own level, about the geometric
/// middle of [`MILD_RATIO`] and [`SEVERE_RATIO`] (sqrt(3 x 10) = 5.5, rounded down).
pub const MODERATE_RATIO: f64 = 5.0;
/// Gap that moderate overfitting also needs: the geometric middle of [`MILD_MIN_GAP`] and
/// [`SEVERE_MIN_GAP`] (sqrt(0.05 x 0.2) = 0.1).
pub const MODERATE_MIN_GAP: f64 = 0.1;
/// Ratio from which overfitting is severe; the diagnosis's `OVERFIT_STRONG_GAP_RATIO`.
pub const SEVERE_RATIO: f64 = thresholds::OVERFIT_STRONG_GAP_RATIO;
/// Gap that severe overfitting also needs (a 100x ratio over 0.07 nats is mild); the
/// diagnosis's `OVERFIT_STRONG_MIN_GAP`.
pub const SEVERE_MIN_GAP: f64 = thresholds::OVERFIT_STRONG_MIN_GAP;

/// How strongly a model overfits, in the guide's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overfitting {
    /// No overfitting the final losses can show: below [`MILD_RATIO`] or [`MILD_MIN_GAP`].
    None,
    /// From [`MILD_RATIO`] and [`MILD_MIN_GAP`]: the diagnosis's low-severity gap.
    Mild,
    /// From [`MODERATE_RATIO`] and [`MODERATE_MIN_GAP`]: still a low-severity gap for the
    /// diagnosis.
    Moderate,
    /// From [`SEVERE_RATIO`] and [`SEVERE_MIN_GAP`]: the diagnosis's strong gap.
    Severe,
}

impl Overfitting {
    /// Every level, weakest first.
    pub const ALL: [Overfitting; 4] = [
        Overfitting::None,
        Overfitting::Mild,
        Overfitting::Moderate,
        Overfitting::Severe,
    ];

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Overfitting::None => "none",
            Overfitting::Mild => "mild",
            Overfitting::Moderate => "moderate",
            Overfitting::Severe => "severe",
        }
    }

    /// The `(ratio, gap)` a pair of losses must reach for this level (both of them).
    pub fn thresholds(self) -> (f64, f64) {
        match self {
            Overfitting::None => (f64::NEG_INFINITY, f64::NEG_INFINITY),
            Overfitting::Mild => (MILD_RATIO, MILD_MIN_GAP),
            Overfitting::Moderate => (MODERATE_RATIO, MODERATE_MIN_GAP),
            Overfitting::Severe => (SEVERE_RATIO, SEVERE_MIN_GAP),
        }
    }

    /// The level of a `val / train` ratio and a `val - train` gap: the strongest level whose
    /// thresholds both are reached.
    pub fn of(ratio: f64, gap: f64) -> Overfitting {
        Overfitting::ALL
            .into_iter()
            .rev()
            .find(|level| {
                let (min_ratio, min_gap) = level.thresholds();
                ratio >= min_ratio && gap >= min_gap
            })
            .unwrap_or(Overfitting::None)
    }
}

impl std::fmt::Display for Overfitting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `val_loss / train_loss`, the quotient the diagnosis uses; infinite when the training loss
/// is 0 and the validation loss is not, 1 when both are 0.
pub fn loss_ratio(train_loss: f64, val_loss: f64) -> f64 {
    if train_loss > 0.0 {
        val_loss / train_loss
    } else if val_loss > 0.0 {
        f64::INFINITY
    } else {
        1.0
    }
}

/// How strongly a model with these final losses overfits (see the module's thresholds).
///
/// Errors: a loss that is negative, NaN or infinite (a diverged run needs a lower learning
/// rate before any regularisation).
pub fn overfitting_level(train_loss: f64, val_loss: f64) -> Result<Overfitting> {
    for (name, v) in [("train_loss", train_loss), ("val_loss", val_loss)] {
        Error::check(
            name,
            v,
            Valid::NonNegative,
            "a run that diverged needs a lower learning rate first",
        )?;
    }
    Ok(Overfitting::of(
        loss_ratio(train_loss, val_loss),
        val_loss - train_loss,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::{History, Pattern, Severity, diagnose};

    fn level(train: f64, val: f64) -> Overfitting {
        overfitting_level(train, val).unwrap()
    }

    #[test]
    fn the_levels_rise_in_both_ratio_and_gap() {
        for pair in Overfitting::ALL.windows(2) {
            let (low, high) = (pair[0].thresholds(), pair[1].thresholds());
            assert!(low.0 < high.0 && low.1 < high.1, "{pair:?}");
        }
        assert_eq!(Overfitting::Moderate.thresholds(), (5.0, 0.1));
    }

    #[test]
    fn each_ratio_threshold_from_both_sides() {
        // Gaps far above every minimum: only the ratio decides. 0.25 is exact in binary.
        assert_eq!(level(0.25, 0.74), Overfitting::None);
        assert_eq!(level(0.25, 0.75), Overfitting::Mild);
        assert_eq!(level(0.25, 1.24), Overfitting::Mild);
        assert_eq!(level(0.25, 1.25), Overfitting::Moderate);
        assert_eq!(level(0.25, 2.49), Overfitting::Moderate);
        assert_eq!(level(0.25, 2.5), Overfitting::Severe);
    }

    #[test]
    fn each_gap_threshold_from_both_sides() {
        // Ratios far above every minimum: only the gap decides.
        assert_eq!(level(0.001, 0.049), Overfitting::None);
        assert_eq!(level(0.001, 0.052), Overfitting::Mild);
        assert_eq!(level(0.001, 0.099), Overfitting::Mild);
        assert_eq!(level(0.001, 0.102), Overfitting::Moderate);
        assert_eq!(level(0.001, 0.199), Overfitting::Moderate);
        assert_eq!(level(0.001, 0.202), Overfitting::Severe);
    }

    #[test]
    fn twice_the_training_loss_is_not_overfitting_and_edge_cases() {
        assert_eq!(level(1.0, 2.0), Overfitting::None);
        assert_eq!(level(0.1, 0.25), Overfitting::None);
        assert_eq!(
            level(0.0006, 0.07),
            Overfitting::Mild,
            "114x over 0.07 nats"
        );
        assert_eq!(level(0.5, 0.4), Overfitting::None);
        assert_eq!(level(0.0, 0.0), Overfitting::None);
        assert_eq!(level(0.0, 0.03), Overfitting::None);
        assert_eq!(level(0.0, 0.5), Overfitting::Severe);
        assert!(overfitting_level(f64::NAN, 1.0).is_err());
        assert!(overfitting_level(1.0, -1.0).is_err());
        assert!(overfitting_level(1.0, f64::INFINITY).is_err());
    }

    /// Ten epochs whose losses fall smoothly (no rise, no oscillation) from 2.5 to the given
    /// final values, so that only the final gap can be overfitting.
    fn smooth_history(train: f64, val: f64) -> History {
        let fall = |last: f64| -> Vec<f64> {
            (0..10)
                .map(|i| last + (2.5 - last) * 0.6f64.powi(i))
                .chain(std::iter::once(last))
                .collect()
        };
        History::new(fall(train), fall(val))
    }

    #[test]
    fn advice_and_diagnosis_agree_on_overfitting_for_the_same_losses() {
        let trains = [0.001, 0.01, 0.02, 0.05, 0.1, 0.3, 0.7];
        let ratios = [1.0, 1.5, 2.0, 2.9, 3.1, 4.0, 5.5, 9.0, 11.0, 30.0, 200.0];
        let mut seen = [false; 4];
        for train in trains {
            for ratio in ratios {
                let val = train * ratio;
                if val >= 2.4 {
                    continue;
                }
                let advice = level(train, val);
                let diagnosis = diagnose(&smooth_history(train, val)).unwrap();
                let finding = diagnosis
                    .findings
                    .iter()
                    .find(|f| f.pattern == Pattern::Overfitting);
                assert_eq!(
                    finding.is_some(),
                    advice != Overfitting::None,
                    "train {train}, val {val}: advice {advice}, diagnosis {diagnosis}"
                );
                if let Some(f) = finding {
                    let strong = f.severity >= Severity::Medium;
                    assert_eq!(
                        strong,
                        advice == Overfitting::Severe,
                        "train {train}, val {val}"
                    );
                }
                seen[advice as usize] = true;
            }
        }
        assert_eq!(seen, [true; 4], "the grid covers every level");
    }
}
