//! The learning-rate range test (LR finder): train for a few steps while the LR grows
//! exponentially, watch the smoothed loss, and read good learning rates off the curve.
//!
//! Unlike the finders students meet elsewhere, this one runs on copies (the model and the
//! optimizer state are untouched), can repeat over seeds to show how stable its suggestions
//! are, and says "uncertain" rather than pretend when the curve is flat or noisy.

mod budget_check;
mod config;
mod halving;
pub(crate) mod recommend;
mod result;
pub(crate) mod suggest;
mod sweep;

pub use budget_check::{
    BudgetCheck, CHECK_DECADES_BELOW, CHECK_MAX_SEEDS, CHECK_POINTS_PER_DECADE, CHECK_SEEDS,
    CHECK_STEPS_ABOVE, CHECK_TIE_SHARE, CHECK_VAL_SAMPLES, NO_SIGNAL_LOSS_SPREAD,
};
pub use config::{LrFinderConfig, MAX_SWEEP_STEPS};
pub use halving::{HALVING_NEIGHBOURS, HALVING_RUNGS};
pub use recommend::{
    FLAT_RELATIVE_DROP, MAX_DISAGREEMENT_DECADES, MIN_POINTS, NOISE_RATIO, Recommendation,
};
pub use result::{FinderCost, LrFinderResult, SuggestionSpread};
pub use suggest::Suggestion;
pub use sweep::{MAX_SEED_SPREAD_DECADES, lr_find, lr_find_with};
