//! Saving and loading the log: two Parquet tables and a CSV export (and, for a study, its
//! report), each written in full under a staged name, then all renamed over the old ones
//! together; loading from the Parquet tables or from the CSV export.

use super::experiment_log::ExperimentLog;
use super::frame::{curves_from_frame, runs_from_frame};
use super::schema::RUNS;
use crate::error::{Error, QUOTE_MAX, Result, cut};
use crate::fsutil;
use polars::prelude::*;
use std::path::Path;

/// File name of the runs table inside a log directory.
pub const RUNS_FILE: &str = "experiments.parquet";
/// File name of the curves table inside a log directory.
pub const CURVES_FILE: &str = "curves.parquet";
/// File name of the CSV export of the runs table.
pub const RUNS_CSV_FILE: &str = "experiments.csv";

/// File name of the HTML report that `tune` writes beside the log.
pub const REPORT_FILE: &str = "report.html";

/// The files of an earlier study found in `dir` (the two Parquet tables, the CSV export and
/// the report), in that order; empty when there are none or `dir` is not a folder.
pub fn study_files_in(dir: impl AsRef<Path>) -> Vec<&'static str> {
    let dir = dir.as_ref();
    [RUNS_FILE, CURVES_FILE, RUNS_CSV_FILE, REPORT_FILE]
        .into_iter()
        .filter(|name| dir.join(name).is_file())
        .collect()
}

impl ExperimentLog {
    /// Saves `experiments.parquet` and `curves.parquet` (and `experiments.csv`) into `dir`
    /// as one change: each is written in full beside the old one, then all are renamed over
    /// the old ones (see [`save_with`](Self::save_with)).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.save_with(dir, &[])
    }

    /// Saves the log like [`save`](Self::save) together with `extra` files (a name and its
    /// bytes, like `("report.html", html)`): every file is first written in full under a
    /// staged name (`.NAME.partial`), then all are renamed over the old ones. A crash leaves
    /// the old set of files or the new one, never a mix (a crash in the middle of the renames
    /// is completed by the next load or save of the folder).
    pub fn save_with(&self, dir: impl AsRef<Path>, extra: &[(&str, &[u8])]) -> Result<()> {
        let dir = dir.as_ref();
        fsutil::finish_replace(dir)?;
        self.save_tables(dir, true)?;
        self.export_csv(fsutil::staged_path(dir, RUNS_CSV_FILE))?;
        for (name, bytes) in extra {
            fsutil::write_atomic(fsutil::staged_path(dir, name), bytes)?;
        }
        let mut names = vec![RUNS_FILE, CURVES_FILE, RUNS_CSV_FILE];
        names.extend(extra.iter().map(|(name, _)| *name));
        fsutil::replace_together(dir, &names)
    }

    /// Saves the two Parquet tables (what autosave writes after every run): under their
    /// final names, or under their staged names (`.NAME.partial`) when `staged`.
    pub(super) fn save_tables(&self, dir: &Path, staged: bool) -> Result<()> {
        let path = |name: &str| {
            if staged {
                fsutil::staged_path(dir, name)
            } else {
                dir.join(name)
            }
        };
        write_parquet(&path(RUNS_FILE), self.runs()?)?;
        write_parquet(&path(CURVES_FILE), self.curves()?)
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

    /// Loads a log saved with [`save`](Self::save): give the directory, its
    /// `experiments.parquet`, or its CSV export `experiments.csv`. A missing `curves.parquet`
    /// gives a log without curves. A save of the folder that was interrupted while it
    /// replaced the files is completed first.
    ///
    /// A file that is not a tunelab log (a column missing, renamed, mistyped or without
    /// values) is an error naming the column.
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
        fsutil::finish_replace(&dir)?;
        let source = runs_path.display().to_string();
        let is_csv = runs_path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let rows = if is_csv {
            let text = std::fs::read_to_string(&runs_path).map_err(|e| Error::io(&runs_path, e))?;
            RUNS.rows_from_csv(&text, &source)?
        } else {
            runs_from_frame(&read_parquet(&runs_path)?, &source)?
        };
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

/// Reads a Parquet file, with a clear error for a missing, truncated or corrupt file (also
/// where polars' reader panics on one, which it does on some damaged metadata).
pub(crate) fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let corrupt = |why: String| {
        Error::file(
            path,
            format!(
                "not a readable Parquet file (truncated or corrupt?): {}",
                cut(&why, QUOTE_MAX)
            ),
        )
    };
    quietly_catching_panics(|| ParquetReader::new(file).finish())
        .map_err(corrupt)?
        .map_err(|e| corrupt(e.to_string()))
}

thread_local! {
    /// Whether a panic on this thread is caught by [`quietly_catching_panics`], so not printed.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic on this thread into `Err` with the panic's message, without
/// printing it. The panic hook installed for this (once) hands every other panic to the hook
/// that was there before.
fn quietly_catching_panics<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = CATCHING.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the reader failed".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_an_error_and_the_next_panics_are_printed_again() {
        let err = quietly_catching_panics(|| -> i32 { panic!("thrift bool field") });
        assert_eq!(err, Err("thrift bool field".to_string()));
        assert_eq!(quietly_catching_panics(|| 7), Ok(7));
        assert!(!CATCHING.with(std::cell::Cell::get));
    }
}
