//! The systematic tuning study as code: baseline, learning rate, architecture, batch size,
//! regularisation, fine-tuning. Each step varies one thing, selects on validation data only,
//! records every trial with its step and parent, warns when the winner is at the edge of
//! what was tried, and carries the winner forward. The test set is evaluated once, at the end.

mod config;
mod grids;
mod repeats;
mod result;
mod runner;
mod sweep;

pub use config::{Budget, StudyConfig};
pub use grids::{BATCH_SIZES, DROPOUTS, LR_GRID, WEIGHT_DECAYS};
pub use repeats::{ConfigComparison, SeedSummary, compare_configs, repeat_seeds};
pub use result::{StepResult, StudyResult};
pub use runner::run_study;
