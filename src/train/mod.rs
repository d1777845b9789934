//! Training: the hyperparameters ([`TrainConfig`]), the optimizers, LR schedules, the
//! device, the training loop, and the record of a run ([`Run`]).

mod config;
mod csv_table;
mod device;
pub(crate) mod history_csv;
mod many;
mod noise_scale;
mod optimizer;
mod run;
mod sanity;
mod schedule;
pub(crate) mod tensors;
mod trainer;

pub use config::{EarlyStopping, TrainConfig};
pub use device::DeviceSpec;
pub use history_csv::{EPOCHS_HEADER, STEPS_HEADER};
pub use many::train_all;
pub use noise_scale::{NOISE_SCALE_BAND, NoiseScale, gradient_noise_scale};
pub use optimizer::OptimizerKind;
pub use run::{EpochRecord, FinalMetrics, Outcome, Run, StepRecord};
pub use sanity::{
    INITIAL_LOSS_TOLERANCE, Measurement, OVERFIT_ACCURACY_TARGET, OVERFIT_LOSS_TARGET, SanityCheck,
    initial_loss_check, overfit_one_batch,
};
pub use schedule::{LrPlan, Schedule};
pub use trainer::{
    EXPLODED_LOSS_FACTOR, EpochObserver, Fitted, fit, print_progress, progress_line, train,
    train_verbose,
};
