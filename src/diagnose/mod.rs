//! Curve diagnosis: from a history to findings with evidence and actions.
//!
//! Plain data in, plain data out, no tensors: build a [`History`] from a
//! [`Run`](crate::train::Run) ([`History::from_run`]), from CSV files ([`History::from_csv_files`])
//! or by hand, and [`diagnose`] it. Each rule lives in its own file with its thresholds as
//! named constants that say why they have the value they have ([`thresholds`]).
//!
//! ```
//! use tunelab::diagnose::{diagnose, History, Pattern};
//!
//! let train: Vec<f64> = (0..20).map(|i| 1.2 * (-0.2 * i as f64).exp()).collect();
//! let val: Vec<f64> = train.iter().map(|t| t * 1.2 + 0.01).collect();
//! let diagnosis = diagnose(&History::new(train, val))?;
//! assert!(diagnosis.has(Pattern::Healthy));
//! println!("{diagnosis}");
//! # Ok::<(), tunelab::Error>(())
//! ```

mod action;
mod csv_input;
mod exploding;
mod finding;
mod foreign;
mod healthy;
mod history;
mod loss_level;
mod lr_guard;
mod method;
mod no_signal;
mod not_decreasing;
mod oscillating;
mod overfitting;
mod plateau;
mod reference;
mod slow;
mod uncertain;
mod underfitting;
mod val_rise;
mod verdict;

pub use action::Action;
pub use finding::{Diagnosis, Finding, Pattern, Severity};
pub use history::{History, RunContext};
pub use method::Diagnose;
pub use reference::classes_from_initial_loss;
pub use verdict::diagnose;

/// Every threshold of the rules, each documented where it is used: what it measures and why
/// it has its value. A teacher can quote them; the rules read no other numbers.
pub mod thresholds {
    pub use super::exploding::{
        BACK_TO_DEFAULT_ABOVE, EXPLODING_LR_CUT, EXPLODING_RISE_FACTOR, EXPLODING_STEP_WINDOW,
    };
    pub use super::loss_level::{HIGH_LOSS_FRACTION_OF_CHANCE, SEVERE_LOSS_FRACTION_OF_CHANCE};
    pub use super::lr_guard::{
        CHANCE_LEVEL_EPOCHS, CHANCE_LEVEL_FRACTION, HIGH_LR_CUT, HIGH_LR_MULTIPLE,
    };
    pub use super::no_signal::{
        NO_SIGNAL_MAX_MARGIN, NO_SIGNAL_TRAIN_MARGINS, NO_SIGNAL_VAL_MARGIN,
    };
    pub use super::not_decreasing::{
        CLIMBED_BACK_DROP, INITIAL_LOSS_TOLERANCE, INITIAL_LOSS_WIDENING, NOT_DECREASING_TOLERANCE,
        TINY_LR,
    };
    pub use super::oscillating::{
        OSCILLATION_EPOCH_REL_AMPLITUDE, OSCILLATION_FAR_ABOVE_CUT, OSCILLATION_LEVEL_SHARE,
        OSCILLATION_LR_CUT, OSCILLATION_MAX_FALL_FACTOR, OSCILLATION_MAX_TREND,
        OSCILLATION_MIN_ABS_AMPLITUDE, OSCILLATION_MIN_POINTS, OSCILLATION_MIN_TURNING,
        OSCILLATION_STEP_BLOCKS, OSCILLATION_STEP_REL_AMPLITUDE,
    };
    pub use super::overfitting::{
        OVERFIT_ACC_GAP, OVERFIT_GAP_RATIO, OVERFIT_MIN_GAP, OVERFIT_SEVERE_VAL_RISE,
        OVERFIT_STRONG_GAP_RATIO, OVERFIT_STRONG_MIN_GAP,
    };
    pub use super::plateau::{
        PLATEAU_LR_RAISE, PLATEAU_MAX_LATE_GAIN, PLATEAU_MIN_EARLY_DROP, PLATEAU_MIN_EPOCHS,
    };
    pub use super::reference::{
        ABSURD_LOSS, FAR_ABOVE_DEFAULT, FAR_ABOVE_DEFAULT_ADAPTIVE, NOTHING_LEARNED_FRACTION,
        PRIOR_DIFFERS, UNSCALED_FEATURE_MAX, UNSCALED_FEATURE_RATIO, WORKING_LR_MAX_MULTIPLE,
    };
    pub use super::slow::{SLOW_LR_RAISE, SLOW_MAX_DECREASE, SLOW_MIN_EPOCHS, SLOW_MIN_LATE_SHARE};
    pub use super::uncertain::{MIN_EPOCHS_TO_JUDGE, UNCERTAIN_NOISE};
    pub use super::underfitting::UNDERFIT_MAX_GAP;
    pub use super::val_rise::{OVERFIT_NOISE_MULTIPLE, OVERFIT_VAL_RISE};
}
