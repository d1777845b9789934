//! The experiment log: one row per run in a polars DataFrame, per-epoch curves in a second
//! long table, the "one change at a time" check against the parent run, and persistence
//! that loses nothing (atomic Parquet writes, saved after every run).

mod frame;
mod record;
mod stats;

pub use frame::{
    CURVE_COLUMNS, RUN_COLUMNS, curves_from_frame, curves_to_frame, runs_from_frame, runs_to_frame,
};
pub use record::{HYPERPARAMETERS, RunRecord, format_utc, now_utc};
pub(crate) use stats::welch_difference;
pub use stats::{MeanInterval, t_critical_95};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::train::{EpochRecord, Run};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// File name of the runs table inside a log directory.
pub const RUNS_FILE: &str = "experiments.parquet";
/// File name of the curves table inside a log directory.
pub const CURVES_FILE: &str = "curves.parquet";
/// File name of the CSV export of the runs table.
pub const RUNS_CSV_FILE: &str = "experiments.csv";

/// What "best" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Highest validation accuracy.
    ValAccuracy,
    /// Lowest validation loss.
    ValLoss,
    /// Lowest training loss.
    TrainLoss,
}

/// A run to log, with where it came from.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    run: &'a Run,
    parent: Option<i64>,
    step: String,
    notes: String,
    coupled: Vec<String>,
}

impl<'a> Entry<'a> {
    /// A run with no parent, step `manual`, no notes.
    pub fn new(run: &'a Run) -> Self {
        Entry {
            run,
            parent: None,
            step: "manual".into(),
            notes: String::new(),
            coupled: Vec::new(),
        }
    }
    /// The run this one changes something from.
    pub fn parent(mut self, id: i64) -> Self {
        self.parent = Some(id);
        self
    }
    /// The study step.
    pub fn step(mut self, step: impl Into<String>) -> Self {
        self.step = step.into();
        self
    }
    /// Free-text notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = notes.into();
        self
    }
    /// Hyperparameters that are meant to change together (for example `batch_size` with its
    /// scaled `lr`): changing exactly these is one change, not several.
    pub fn coupled(mut self, names: &[&str]) -> Self {
        self.coupled = names.iter().map(|s| s.to_string()).collect();
        self
    }
}

/// A record of every experiment.
#[derive(Debug, Clone, Default)]
pub struct ExperimentLog {
    rows: Vec<RunRecord>,
    curves: Vec<(i64, Vec<EpochRecord>)>,
    autosave: Option<PathBuf>,
    quiet: bool,
}

impl ExperimentLog {
    /// An empty log kept in memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty log whose two Parquet tables are saved to `dir` after every run added, so
    /// that a crash loses at most the runs in progress ([`save`](Self::save) also writes the
    /// CSV export).
    pub fn with_autosave(dir: impl Into<PathBuf>) -> Self {
        ExperimentLog {
            autosave: Some(dir.into()),
            ..Self::default()
        }
    }

    /// Do not print warnings (they are still recorded in the `warnings` column).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Logs a run with no parent; returns its id.
    pub fn add(&mut self, run: &Run) -> Result<i64> {
        self.add_entry(Entry::new(run))
    }

    /// Logs a run; returns its id. When it has a parent, `changed` lists what differs, and
    /// more than one change (other than a declared coupling) is warned about.
    pub fn add_entry(&mut self, entry: Entry<'_>) -> Result<i64> {
        let mut row = RunRecord::from_run(entry.run);
        row.run_id = self.rows.last().map_or(1, |r| r.run_id + 1);
        row.step = entry.step;
        row.notes = entry.notes;
        if let Some(pid) = entry.parent {
            let parent = self.get(pid).ok_or_else(|| {
                Error::invalid(
                    "parent",
                    pid,
                    format!("no run {pid} in the log (ids 1 to {})", self.rows.len()),
                )
            })?;
            row.parent_id = Some(pid);
            let changed = row.diff(parent);
            row.changed = changed.join(",");
            let is_coupling = !entry.coupled.is_empty()
                && changed.iter().all(|c| entry.coupled.iter().any(|k| k == c));
            if changed.len() > 1 && !is_coupling {
                row.warnings = format!(
                    "{} changes at once vs run {pid} ({}): change one thing at a time",
                    changed.len(),
                    row.changed
                );
            }
        }
        if !row.warnings.is_empty() && !self.quiet {
            eprintln!("warning: run {}: {}", row.run_id, row.warnings);
        }
        let id = row.run_id;
        self.curves.push((id, entry.run.epochs.clone()));
        self.rows.push(row);
        if let Some(dir) = self.autosave.clone() {
            self.save_tables(&dir)?;
        }
        Ok(id)
    }

    /// The rows, in the order logged.
    pub fn rows(&self) -> &[RunRecord] {
        &self.rows
    }

    /// Number of runs.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no run is logged.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of run `id`.
    pub fn get(&self, id: i64) -> Option<&RunRecord> {
        self.rows.iter().find(|r| r.run_id == id)
    }

    /// The per-epoch curve of run `id`.
    pub fn curve(&self, id: i64) -> Option<&[EpochRecord]> {
        self.curves
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, c)| c.as_slice())
    }

    /// All runs as a DataFrame (columns [`RUN_COLUMNS`]), to filter, sort and group.
    pub fn runs(&self) -> Result<DataFrame> {
        runs_to_frame(&self.rows)
    }

    /// All curves as a long DataFrame (columns [`CURVE_COLUMNS`]).
    pub fn curves(&self) -> Result<DataFrame> {
        curves_to_frame(&self.curves)
    }

    /// The best run by a metric (diverged runs and NaN values never win).
    pub fn best(&self, metric: Metric) -> Option<&RunRecord> {
        let key = |r: &RunRecord| match metric {
            Metric::ValAccuracy => -r.val_accuracy,
            Metric::ValLoss => r.val_loss,
            Metric::TrainLoss => r.train_loss,
        };
        self.rows
            .iter()
            .filter(|r| r.outcome != "diverged" && key(r).is_finite())
            .min_by(|a, b| key(a).total_cmp(&key(b)))
    }

    /// The rows of the given runs side by side, with the hyperparameters that differ.
    pub fn compare(&self, ids: &[i64]) -> Result<Comparison> {
        let rows = ids
            .iter()
            .map(|&id| {
                self.get(id)
                    .cloned()
                    .ok_or_else(|| Error::invalid("run_id", id, format!("no run {id} in the log")))
            })
            .collect::<Result<Vec<_>>>()?;
        let differing = record::HYPERPARAMETERS
            .iter()
            .filter(|h| {
                rows.windows(2)
                    .any(|w| w[0].hyperparameter(h) != w[1].hyperparameter(h))
            })
            .map(|h| h.to_string())
            .collect();
        Ok(Comparison { rows, differing })
    }

    /// Saves `experiments.parquet` and `curves.parquet` (and `experiments.csv`) into `dir`,
    /// each written to a temporary file, flushed, then renamed over the old one.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.save_tables(dir)?;
        self.export_csv(dir.join(RUNS_CSV_FILE))
    }

    /// Saves the two Parquet tables (what autosave writes after every run).
    fn save_tables(&self, dir: &Path) -> Result<()> {
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
        Ok(ExperimentLog {
            rows,
            curves,
            autosave: None,
            quiet: false,
        })
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
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file).finish().map_err(|e| {
        Error::file(
            path,
            format!("not a readable Parquet file (truncated or corrupt?): {e}"),
        )
    })
}

/// Runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The runs' rows.
    pub rows: Vec<RunRecord>,
    /// Hyperparameters whose values differ between them.
    pub differing: Vec<String>,
}

impl std::fmt::Display for ExperimentLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_rows(f, &self.rows)
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_rows(f, &self.rows)?;
        write!(
            f,
            "differing: {}",
            if self.differing.is_empty() {
                "nothing".into()
            } else {
                self.differing.join(", ")
            }
        )
    }
}

fn write_rows(f: &mut std::fmt::Formatter<'_>, rows: &[RunRecord]) -> std::fmt::Result {
    writeln!(
        f,
        "{:>4} {:>6} {:<14} {:<12} {:>9} {:>5} {:<12} {:>7} {:>9} {:<14} {:>8} {:>8} {:<22}",
        "id",
        "parent",
        "step",
        "optimizer",
        "lr",
        "batch",
        "hidden",
        "dropout",
        "wd",
        "outcome",
        "val_loss",
        "val_acc",
        "changed"
    )?;
    for r in rows {
        writeln!(
            f,
            "{:>4} {:>6} {:<14} {:<12} {:>9.2e} {:>5} {:<12} {:>7} {:>9.1e} {:<14} {:>8.4} {:>8.4} {:<22}{}",
            r.run_id,
            r.parent_id.map_or("-".into(), |p| p.to_string()),
            r.step,
            r.optimizer,
            r.lr,
            r.batch_size,
            r.hidden,
            r.dropout,
            r.weight_decay,
            r.outcome,
            r.val_loss,
            r.val_accuracy,
            r.changed,
            if r.warnings.is_empty() {
                String::new()
            } else {
                format!("  ! {}", r.warnings)
            }
        )?;
    }
    Ok(())
}
