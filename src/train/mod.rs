//! Training: the hyperparameters ([`TrainConfig`]), the optimizers, LR schedules, the
//! device, the training loop, and the record of a run ([`Run`]).

mod config;
mod device;
mod optimizer;
mod run;
mod schedule;
pub(crate) mod tensors;
mod trainer;

pub use config::{EarlyStopping, TrainConfig};
pub use device::DeviceSpec;
pub use optimizer::OptimizerKind;
pub use run::{EpochRecord, FinalMetrics, Outcome, Run, StepRecord, fmt_value};
pub use schedule::{LrPlan, Schedule};
pub use trainer::{
    EXPLODED_LOSS_FACTOR, EpochObserver, Fitted, fit, print_progress, progress_line, train,
    train_verbose,
};
