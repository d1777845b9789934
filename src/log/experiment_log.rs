//! [`ExperimentLog`]: the runs logged so far, their curves, and the questions asked of
//! them (best run, one run's row or curve, the tables as DataFrames).

use super::entry::Entry;
use super::frame::{curves_to_frame, runs_to_frame};
use super::record::RunRecord;
use crate::error::{Error, Result};
use crate::train::{EpochRecord, Run};
use polars::prelude::DataFrame;
use std::path::PathBuf;
use std::sync::Arc;

/// What "best" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Highest validation accuracy.
    ValAccuracy,
    /// Lowest validation loss.
    ValLoss,
    /// Lowest training loss.
    TrainLoss,
}

/// Where a log's warnings go (they are recorded in the `warnings` column in every case).
#[derive(Clone, Default)]
enum Warnings {
    /// Printed on stderr.
    #[default]
    Printed,
    /// Not reported.
    Quiet,
    /// Handed to an observer with the run's id.
    Observed(WarningObserver),
}

/// What [`ExperimentLog::on_warning`] hands each warning to.
type WarningObserver = Arc<dyn Fn(i64, &str) + Send + Sync>;

impl std::fmt::Debug for Warnings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Warnings::Printed => "Printed",
            Warnings::Quiet => "Quiet",
            Warnings::Observed(_) => "Observed",
        })
    }
}

/// A record of every experiment.
#[derive(Debug, Clone, Default)]
pub struct ExperimentLog {
    rows: Vec<RunRecord>,
    curves: Vec<(i64, Vec<EpochRecord>)>,
    /// The folder saved to after every run, and whether under the staged names.
    autosave: Option<(PathBuf, bool)>,
    warnings: Warnings,
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
            autosave: Some((dir.into(), false)),
            ..Self::default()
        }
    }

    /// An empty log that is saved to `dir` after every run under staged names
    /// (`.experiments.parquet.partial`, `.curves.parquet.partial`), beside the files of an
    /// earlier save, which stay as they are until [`save`](Self::save) or
    /// [`save_with`](Self::save_with) replaces them all together. A crash loses at most the
    /// runs in progress and never touches the earlier files.
    pub fn with_staged_autosave(dir: impl Into<PathBuf>) -> Self {
        ExperimentLog {
            autosave: Some((dir.into(), true)),
            ..Self::default()
        }
    }

    /// A log of rows and curves read back from files (no autosave, warnings printed).
    pub(super) fn from_tables(rows: Vec<RunRecord>, curves: Vec<(i64, Vec<EpochRecord>)>) -> Self {
        ExperimentLog {
            rows,
            curves,
            autosave: None,
            warnings: Warnings::Printed,
        }
    }

    /// Do not print warnings (they are still recorded in the `warnings` column).
    pub fn quiet(mut self) -> Self {
        self.warnings = Warnings::Quiet;
        self
    }

    /// Hand each warning to `observer` (with the id of the run it is about) instead of
    /// printing it; it is still recorded in the `warnings` column.
    pub fn on_warning(mut self, observer: impl Fn(i64, &str) + Send + Sync + 'static) -> Self {
        self.warnings = Warnings::Observed(Arc::new(observer));
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
            let parent = self.get(pid).ok_or(Error::UnknownRun {
                id: pid,
                runs: self.rows.len(),
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
        if !row.warnings.is_empty() {
            match &self.warnings {
                Warnings::Printed => {
                    crate::out::errln!("warning: run {}: {}", row.run_id, row.warnings)
                }
                Warnings::Quiet => {}
                Warnings::Observed(observer) => observer(row.run_id, &row.warnings),
            }
        }
        let id = row.run_id;
        self.curves.push((id, entry.run.epochs.clone()));
        self.rows.push(row);
        if let Some((dir, staged)) = self.autosave.clone() {
            self.save_tables(&dir, staged)?;
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

    /// All runs as a DataFrame (columns [`RUN_COLUMNS`](super::RUN_COLUMNS)), to filter,
    /// sort and group.
    pub fn runs(&self) -> Result<DataFrame> {
        runs_to_frame(&self.rows)
    }

    /// All curves as a long DataFrame (columns [`CURVE_COLUMNS`](super::CURVE_COLUMNS)).
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
}
