//! # tunelab
//!
//! Learn manual hyperparameter tuning of neural networks by doing it for real: train a
//! baseline with the tuning guide's optimizer defaults, read the loss curves, and change one
//! thing at a time, keeping a record of every experiment.
//!
//! The training core is [burn](https://burn.dev) (its pure-Rust CPU backends, flex by default
//! and ndarray, with libtorch behind the `tch` feature). Everything downstream of a [`Run`] is plain data.
//!
//! ```no_run
//! use tunelab::{data, OptimizerKind, SplitConfig, TrainConfig};
//!
//! let splits = data::digits()?.split(&SplitConfig::default())?;
//! let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(10);
//! let run = tunelab::train(&splits, &config)?;
//! println!("{run}");
//! # Ok::<(), tunelab::Error>(())
//! ```
#![warn(missing_docs)]

pub mod advise;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
mod csv_table;
mod curve;
pub mod data;
pub mod diagnose;
pub mod display;
mod error;
mod fmt;
mod fsutil;
pub mod lesson;
pub mod log;
pub mod lr_finder;
pub mod model;
mod out;
mod parallel;
mod rng;
pub mod study;
pub mod train;

pub use data::{Dataset, SplitConfig, Splits};
pub use diagnose::{Diagnose, Diagnosis, Pattern, diagnose};
pub use display::{Curves, ShowInNotebook, StepLosses};
pub use error::{Error, Result, Valid};
pub use fmt::fixed_decimals;
pub use log::{Entry, ExperimentLog, Metric, RunRecord};
pub use lr_finder::{LrFinderConfig, LrFinderResult, lr_find, lr_find_with};
pub use model::{Activation, Mlp, MlpConfig, ModelConfig};
/// The polars version tunelab's experiment logs use, for filtering and sorting them.
pub use polars;
pub use study::{Budget, StudyConfig, StudyResult, run_study};
pub use train::{
    DeviceSpec, EarlyStopping, EpochRecord, FinalMetrics, Fitted, OptimizerKind, Outcome, Run,
    Schedule, StepRecord, TrainConfig, fit, train, train_all, train_verbose,
};
