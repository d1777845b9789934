//! Saving and loading the log: two Parquet tables and a CSV export, each written to a
//! temporary file, flushed, then renamed over the old one.

use super::experiment_log::ExperimentLog;
use super::frame::{curves_from_frame, runs_from_frame};
use crate::error::{Error, Result};
use crate::fsutil;
use polars::prelude::*;
use std::path::Path;

/// File name of the runs table inside a log directory.
pub const RUNS_FILE: &str = "experiments.parquet";
/// File name of the curves table inside a log directory.
pub const CURVES_FILE: &str = "curves.parquet";
/// File name of the CSV export of the runs table.
pub const RUNS_CSV_FILE: &str = "experiments.csv";

impl ExperimentLog {
    /// Saves `experiments.parquet` and `curves.parquet` (and `experiments.csv`) into `dir`,
    /// each written to a temporary file, flushed, then renamed over the old one.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.save_tables(dir)?;
        self.export_csv(dir.join(RUNS_CSV_FILE))
    }

    /// Saves the two Parquet tables (what autosave writes after every run).
    pub(super) fn save_tables(&self, dir: &Path) -> Result<()> {
        write_parquet(&dir.join(RUNS_FILE), self.runs()?)?;
        write_parquet(&dir.join(CURVES_FILE), self.curves()?)
    }

    /// Writes the runs table as CSV (atomically).
    pub fn export_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut df = self.runs()?;
        fsutil::write_atomic_with(path, |file| {
            CsvWriter::new(file)
                .finish(&mut df)
                .map_err(std::io::Error::other)
        })
    }

    /// Loads a log saved with [`save`](Self::save): give the directory or its
    /// `experiments.parquet`. A missing `curves.parquet` gives a log without curves.
    pub fn load(path: impl AsRef<Path>) -> Result<ExperimentLog> {
        let path = path.as_ref();
        let (runs_path, dir) = if path.is_dir() {
            (path.join(RUNS_FILE), path.to_path_buf())
        } else {
            (
                path.to_path_buf(),
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
            )
        };
        let runs = read_parquet(&runs_path)?;
        let rows = runs_from_frame(&runs, &runs_path.display().to_string())?;
        let curves_path = dir.join(CURVES_FILE);
        let curves = if curves_path.exists() {
            curves_from_frame(
                &read_parquet(&curves_path)?,
                &curves_path.display().to_string(),
            )?
        } else {
            Vec::new()
        };
        Ok(ExperimentLog::from_tables(rows, curves))
    }
}

/// Writes a DataFrame as Parquet, atomically.
pub fn write_parquet(path: &Path, mut df: DataFrame) -> Result<()> {
    fsutil::write_atomic_with(path, |file| {
        ParquetWriter::new(file)
            .finish(&mut df)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

/// Reads a Parquet file, with a clear error for a missing, truncated or corrupt file.
pub(crate) fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file).finish().map_err(|e| {
        Error::file(
            path,
            format!("not a readable Parquet file (truncated or corrupt?): {e}"),
        )
    })
}
