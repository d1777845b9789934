//! Training: the hyperparameters ([`TrainConfig`]), the optimizers, LR schedules, the
//! device, the training loop, and the record of a run ([`Run`]).

mod config;
mod device;
#[cfg(feature = "flex")]
mod direct;
mod early_stopping;
mod fitted;
mod float_serde;
#[cfg(feature = "flex")]
mod fused;
pub(crate) mod history_csv;
mod many;
mod noise_scale;
mod optimizer;
mod plan;
mod progress;
mod run;
mod sanity;
mod schedule;
mod state;
pub(crate) mod tensors;
mod trainer;

pub use config::TrainConfig;
pub use device::DeviceSpec;
pub use early_stopping::EarlyStopping;
pub use fitted::Fitted;
pub use history_csv::{EPOCHS_HEADER, STEPS_HEADER};
pub use many::train_all;
pub use noise_scale::{NOISE_SCALE_BAND, NoiseScale, gradient_noise_scale};
pub use optimizer::OptimizerKind;
#[cfg(feature = "cli")]
pub(crate) use progress::progress_line;
pub use progress::{EpochObserver, print_progress};
pub use run::{EpochRecord, FinalMetrics, Outcome, Run, StepRecord};
pub use sanity::{
    INITIAL_LOSS_TOLERANCE, Measurement, OVERFIT_ACCURACY_TARGET, OVERFIT_LOSS_TARGET, SanityCheck,
    initial_loss_check, overfit_one_batch,
};
pub use schedule::Schedule;
pub(crate) use state::{TrainState, single_threaded_kernels};
pub use trainer::{EXPLODED_LOSS_FACTOR, fit, train, train_verbose};
pub(crate) use trainer::{check_batch, fit_trial, start, step_counts};
