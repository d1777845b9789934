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
            let text = fsutil::read_input_text(&runs_path)?;
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

/// Writes a DataFrame as Parquet, atomically, sealed with a checksum of the whole file
/// (see [`CHECKSUM_KEY`]) that `read_parquet` verifies before decoding anything.
pub fn write_parquet(path: &Path, mut df: DataFrame) -> Result<()> {
    let placeholder = String::from_utf8(vec![b'0'; CHECKSUM_LEN]).expect("ASCII");
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            CHECKSUM_KEY.to_string(),
            placeholder,
        )])))
        .finish(&mut df)
        .map_err(|e| Error::file(path, format!("could not write the Parquet table: {e}")))?;
    let at = checksum_at(&bytes).ok_or_else(|| {
        Error::file(
            path,
            "the Parquet writer did not store tunelab's checksum; nothing was written",
        )
    })?;
    let sum = format!("{:016x}", file_checksum(&bytes, at));
    bytes[at..at + CHECKSUM_LEN].copy_from_slice(sum.as_bytes());
    fsutil::write_atomic(path, &bytes)
}

/// The key of the file-level Parquet metadata entry that holds a checksum of the whole file:
/// 16 hexadecimal digits of a 64-bit FNV-1a hash of the file's bytes with those 16 digits
/// read as `0`. It is checked on the raw bytes before the file reaches polars, because
/// polars' reader can abort the whole process on a damaged file (an allocation of the size a
/// corrupt page header claims), which no error handling can catch, and in a notebook that
/// would lose every variable of the session.
pub const CHECKSUM_KEY: &str = "tunelab.checksum.fnv1a64";

/// Digits in the checksum's value.
const CHECKSUM_LEN: usize = 16;

/// Where the checksum's digits are in `bytes`: the 16 hexadecimal digits just after the last
/// occurrence of [`CHECKSUM_KEY`] (in the footer, which closes the file), past the two bytes
/// (field header and length) that the Thrift compact encoding puts between a key and its
/// value. The whole file is searched, not only the footer its last bytes point to, so that a
/// damaged footer length still finds the checksum (and fails it). `None` where there is no
/// such key and value: a file tunelab did not write or wrote before the checksum (where the
/// key may still be text in a column, followed by something else than 16 digits).
fn checksum_at(bytes: &[u8]) -> Option<usize> {
    let key = CHECKSUM_KEY.as_bytes();
    let key_at = bytes.windows(key.len()).rposition(|w| w == key)?;
    let at = key_at + key.len() + 2;
    let digits = bytes.get(at..at + CHECKSUM_LEN)?;
    digits.iter().all(u8::is_ascii_hexdigit).then_some(at)
}

/// The FNV-1a 64-bit hash of `bytes` with the [`CHECKSUM_LEN`] bytes at `at` read as `b'0'`.
fn file_checksum(bytes: &[u8], at: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, &b) in bytes.iter().enumerate() {
        let b = if (at..at + CHECKSUM_LEN).contains(&i) {
            b'0'
        } else {
            b
        };
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Reads a Parquet file, with a clear error for a missing, truncated or corrupt file. A file
/// sealed by [`write_parquet`] is checked against its checksum first, so a damaged one is
/// refused before polars decodes it; the panics polars' reader raises on some damaged
/// metadata are errors too.
pub(crate) fn read_parquet(path: &Path) -> Result<DataFrame> {
    let bytes = fsutil::read_input_bytes(path)?;
    let corrupt = |why: String| {
        Error::file(
            path,
            format!(
                "not a readable Parquet file (truncated or corrupt?): {}",
                cut(&why, QUOTE_MAX)
            ),
        )
    };
    if let Some(at) = checksum_at(&bytes) {
        let stored = std::str::from_utf8(&bytes[at..at + CHECKSUM_LEN])
            .ok()
            .and_then(|s| u64::from_str_radix(s, 16).ok());
        if stored != Some(file_checksum(&bytes, at)) {
            return Err(Error::file(
                path,
                "damaged: its content no longer matches the checksum tunelab wrote into it \
                 (a byte changed or the file was cut short); restore it from a copy, or \
                 rerun the experiments into a new folder",
            ));
        }
    }
    quietly_catching_panics(|| ParquetReader::new(std::io::Cursor::new(bytes)).finish())
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

    fn table() -> DataFrame {
        df!(
            "run_id" => [1u32, 2, 3],
            "val_loss" => [Some(0.5f64), None, Some(0.25)],
            "notes" => ["a", "b & c", "tunelab.checksum.fnv1a64"],
        )
        .unwrap()
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tunelab-seal-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("t.parquet")
    }

    #[test]
    fn every_changed_or_missing_byte_of_a_sealed_file_is_refused_or_harmless() {
        let path = scratch("flip");
        write_parquet(&path, table()).unwrap();
        assert!(read_parquet(&path).unwrap().equals_missing(&table()));
        let bytes = std::fs::read(&path).unwrap();
        assert!(checksum_at(&bytes).is_some(), "the file is sealed");
        let (mut refused, mut harmless) = (0, 0);
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                std::fs::write(&path, &damaged).unwrap();
                match read_parquet(&path) {
                    Err(e) => {
                        assert!(!e.to_string().contains('\n'), "{e}");
                        refused += 1;
                    }
                    // Only a change inside the key's own name leaves the file unsealed and
                    // still whole.
                    Ok(df) => {
                        assert!(
                            df.equals_missing(&table()),
                            "byte {at} ^ {flip:#x} read wrong"
                        );
                        harmless += 1;
                    }
                }
            }
            std::fs::write(&path, &bytes[..at]).unwrap();
            assert!(read_parquet(&path).is_err(), "cut at {at} was read");
        }
        assert!(
            refused > 10 * harmless,
            "{refused} refused, {harmless} read"
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_damaged_sealed_file_says_what_to_do_and_an_unsealed_one_still_reads() {
        let path = scratch("unsealed");
        write_parquet(&path, table()).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[6] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let err = read_parquet(&path).unwrap_err().to_string();
        assert!(err.contains("checksum") && err.contains("restore"), "{err}");
        // A Parquet file from elsewhere (or an earlier tunelab) carries no checksum.
        let mut plain = Vec::new();
        ParquetWriter::new(&mut plain).finish(&mut table()).unwrap();
        assert_eq!(checksum_at(&plain), None);
        std::fs::write(&path, &plain).unwrap();
        assert!(read_parquet(&path).unwrap().equals_missing(&table()));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
