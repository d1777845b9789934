//! The systematic tuning study as code: baseline, learning rate, architecture, batch size,
//! regularisation, fine-tuning. Each step varies one thing, selects on validation data only,
//! records every trial with its step and parent, warns when the winner is at the edge of
//! what was tried, and carries the winner forward. The test set is evaluated once, at the end.

mod config;
mod result;
mod runner;

pub use config::{Budget, StudyConfig};
pub use result::{StepResult, StudyResult};
pub use runner::{ARCHITECTURES, BATCH_SIZES, DROPOUTS, LR_GRID, WEIGHT_DECAYS, run_study};
