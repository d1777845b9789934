//! The systematic tuning study as code: baseline, learning rate, architecture, batch size,
//! regularisation, fine-tuning. Each step varies one thing and says why it tries what it
//! tries, selects on validation data only, trains every value over the same seeds and adopts
//! a change only when it beats the current configuration beyond seed noise (the 95%
//! t-interval of the per-seed differences excludes zero), records every run with its step and
//! parent, and warns when the best value is at the edge of what was tried. The winner is
//! diagnosed at the end, with an account of what the study did about each finding. The test
//! set is looked at once, at the end.

mod config;
mod grids;
mod repeats;
mod result;
mod runner;
mod sweep;
mod trainer;

pub use config::{Budget, StudyConfig};
pub use grids::{BATCH_SIZES, DROPOUTS, INPUT_DROPOUTS, LR_GRID, WEIGHT_DECAYS};
pub use repeats::{
    ChangeTrial, ConfigComparison, SeedSummary, compare_configs, repeat_seeds, try_change,
};
pub use result::{StepOutcome, StepResult, StepTrial, StudyResult};
pub use runner::{run_study, run_study_with};
pub use sweep::{Verdict, print_study_progress};
pub use trainer::{InProcess, TrialRun, TrialTrainer, train_here};
