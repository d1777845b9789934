//! The experiment log: one row per run in a polars DataFrame, per-epoch curves in a second
//! long table, the "one change at a time" check against the parent run, and persistence
//! that loses nothing (atomic Parquet writes, saved after every run).
//!
//! Both tables' columns are described once, in `schema`; the DataFrames, the Parquet and
//! CSV files and the HTML tables all follow it.

mod comparison;
mod csv_rows;
mod entry;
mod experiment_log;
mod frame;
mod persist;
mod record;
pub(crate) mod schema;
mod stats;
mod text;

pub use comparison::Comparison;
pub use entry::Entry;
pub use experiment_log::{ExperimentLog, Metric};
pub use persist::{
    CHECKSUM_KEY, CURVES_FILE, REPORT_FILE, RUNS_CSV_FILE, RUNS_FILE, study_files_in, write_parquet,
};
pub use record::{HYPERPARAMETERS, RunRecord};
pub use schema::{CURVE_COLUMNS, RUN_COLUMNS};
pub(crate) use stats::welch_difference;
pub use stats::{MeanInterval, t_critical_95};
