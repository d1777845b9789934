//! The one error type of tunelab.
//!
//! Every variant says what was wrong (with the offending value) and what to do about it, so
//! that a student reading it in a notebook cell knows the fix without opening the source.

use std::path::PathBuf;

/// Shorthand for `std::result::Result<T, tunelab::Error>`. The error type has a default
/// rather than being fixed, so that `use tunelab::*` does not break code that writes
/// `Result<T, E>` with another error (a notebook's own code, or code evcxr generates).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in tunelab.
///
/// Training that diverges is *not* an error: it is an [`Outcome`](crate::train::Outcome) recorded in
/// the [`Run`](crate::train::Run).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyperparameter is outside its valid range.
    #[error("invalid {name} = {value}: must be {valid}{}", hint_text(.hint))]
    InvalidHyperparameter {
        /// The hyperparameter's name, as in the config field (the CLI flag is the same with
        /// `-` for `_`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The values that are valid.
        valid: Valid,
        /// Typical values or how to fix it; may be empty.
        hint: String,
    },
    /// A whole number so large that a size computed from it overflows (the epochs times the
    /// steps per epoch, the batch times the accumulation, the input size times the first
    /// layer). Both numbers are exact.
    #[error("invalid {name} = {value}: must be at most {max} ({why})")]
    TooLarge {
        /// The setting's name, as in the config field (the CLI flag is the same with `-`
        /// for `_`).
        name: &'static str,
        /// The value given.
        value: u64,
        /// The largest value that does not overflow, the other settings as they are.
        max: u64,
        /// What overflows.
        why: String,
    },
    /// A name (optimizer, activation, schedule, device, ...) that tunelab does not know.
    #[error("unknown {name} '{value}': use {known}")]
    UnknownName {
        /// What kind of name it is, as in the config field.
        name: &'static str,
        /// The name given.
        value: String,
        /// The names tunelab knows, in words.
        known: &'static str,
    },
    /// A run id that is not in the experiment log.
    #[error("no run {id} in the log ({})", run_ids(*.runs))]
    UnknownRun {
        /// The id asked for.
        id: i64,
        /// How many runs the log holds.
        runs: usize,
    },
    /// A dataset name that tunelab does not ship.
    #[error("unknown dataset '{name}': use one of {known}, or give the path of a CSV file")]
    UnknownDataset {
        /// The name given.
        name: String,
        /// The names tunelab knows, comma separated.
        known: String,
    },
    /// Data that cannot be used as given.
    #[error("bad data in {source_name}: {reason}")]
    Data {
        /// Where the data came from (dataset name, file path or "DataFrame").
        source_name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A file that is missing, unreadable, truncated or has the wrong columns.
    #[error("cannot use file {path}: {reason}")]
    File {
        /// The file's path.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A tensor or table whose shape does not match what was expected.
    #[error("shape mismatch in {context}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Where the mismatch was found.
        context: String,
        /// The expected shape.
        expected: String,
        /// The shape found.
        got: String,
    },
    /// A compute device that this build or this machine cannot provide.
    #[error("device '{device}' is not available: {reason}")]
    DeviceUnavailable {
        /// The device asked for.
        device: String,
        /// Why, and how to fix it.
        reason: String,
    },
    /// An operating-system I/O error, with the path it concerned.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An error from polars while building or reading a table.
    #[error("table error in {context}: {message}")]
    Table {
        /// What tunelab was doing.
        context: String,
        /// polars' message.
        message: String,
    },
    /// The training backend failed (for example an out-of-memory error on a GPU).
    #[error("training backend failed: {0}")]
    Backend(String),
    /// A model (or batch) whose training would need more memory than this machine has
    /// available: refused before anything is allocated.
    #[error(
        "not enough memory: {what} needs about {}, but {} is available{}",
        crate::fmt::bytes(*.needed),
        crate::fmt::bytes(*.available),
        hint_text(.advice)
    )]
    OutOfMemory {
        /// What would have been allocated (the model's layers, optimizer and batch).
        what: String,
        /// Estimated bytes needed.
        needed: u64,
        /// Bytes available (the machine's available memory, or the fixed limit where it
        /// cannot be read).
        available: u64,
        /// What would fit, and how to get there.
        advice: String,
    },
}

/// The ids a log of `runs` runs holds, for [`Error::UnknownRun`].
fn run_ids(runs: usize) -> String {
    match runs {
        0 => "the log is empty: add runs first".into(),
        1 => "its only run is 1".into(),
        n => format!("ids 1 to {n}"),
    }
}

/// The values a hyperparameter may take, for [`Error::InvalidHyperparameter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Valid {
    /// A finite number > 0.
    Positive,
    /// A finite number >= 0.
    NonNegative,
    /// A finite number >= this.
    AtLeast(f64),
    /// A finite number <= this.
    AtMost(f64),
    /// A finite number < this.
    Below(f64),
    /// A number from the first to the second, both included.
    Between(f64, f64),
    /// A number from the first (included) to the second (excluded).
    HalfOpen(f64, f64),
    /// A number strictly between the two.
    Open(f64, f64),
}

impl Valid {
    /// Whether `v` is valid.
    pub fn contains(&self, v: f64) -> bool {
        match *self {
            Valid::Positive => v.is_finite() && v > 0.0,
            Valid::NonNegative => v.is_finite() && v >= 0.0,
            Valid::AtLeast(lo) => v.is_finite() && v >= lo,
            Valid::AtMost(hi) => v.is_finite() && v <= hi,
            Valid::Below(hi) => v.is_finite() && v < hi,
            Valid::Between(lo, hi) => (lo..=hi).contains(&v),
            Valid::HalfOpen(lo, hi) => (lo..hi).contains(&v),
            Valid::Open(lo, hi) => v > lo && v < hi,
        }
    }
}

impl std::fmt::Display for Valid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Valid::Positive => write!(f, "a finite number > 0"),
            Valid::NonNegative => write!(f, "a finite number >= 0"),
            Valid::AtLeast(lo) => write!(f, ">= {lo}"),
            Valid::AtMost(hi) => write!(f, "at most {hi}"),
            Valid::Below(hi) => write!(f, "below {hi}"),
            Valid::Between(lo, hi) => write!(f, "between {lo} and {hi}"),
            Valid::HalfOpen(lo, hi) => write!(f, "in [{lo}, {hi})"),
            Valid::Open(lo, hi) => write!(f, "in ({lo}, {hi})"),
        }
    }
}

pub(crate) fn hint_text(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!(" ({hint})")
    }
}

/// At most `max` characters of `text` (whitespace runs, line breaks included, read as one
/// space), ending in `…` when cut: for quoting a user's file content or value inside a
/// one-line error.
pub(crate) fn cut(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// How many characters of quoted content (a cell, a header, a list of columns) an error
/// shows.
pub(crate) const QUOTE_MAX: usize = 80;

impl Error {
    /// Builds an [`Error::InvalidHyperparameter`]: `name` is `value`, which is not `valid`;
    /// `hint` says what is typical or how to fix it (empty for nothing more to say).
    pub fn out_of_range(
        name: &'static str,
        value: f64,
        valid: Valid,
        hint: impl Into<String>,
    ) -> Self {
        Error::InvalidHyperparameter {
            name,
            value,
            valid,
            hint: hint.into(),
        }
    }

    /// Checks `value` against `valid`, with [`Error::out_of_range`] when it fails.
    pub fn check(
        name: &'static str,
        value: f64,
        valid: Valid,
        hint: impl Into<String>,
    ) -> Result<()> {
        if valid.contains(value) {
            Ok(())
        } else {
            Err(Error::out_of_range(name, value, valid, hint))
        }
    }

    /// Builds an [`Error::UnknownName`].
    pub fn unknown(name: &'static str, value: impl Into<String>, known: &'static str) -> Self {
        Error::UnknownName {
            name,
            value: value.into(),
            known,
        }
    }

    /// Builds an [`Error::Data`].
    pub fn data(source_name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Data {
            source_name: source_name.into(),
            reason: reason.into(),
        }
    }

    /// Builds an [`Error::File`].
    pub fn file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::File {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// Builds an [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::Table`] from a polars error.
    pub fn table(context: impl Into<String>, err: impl std::fmt::Display) -> Self {
        Error::Table {
            context: context.into(),
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_refuses_non_finite_values_and_keeps_its_bounds() {
        let ranges = [
            Valid::Positive,
            Valid::NonNegative,
            Valid::AtLeast(1.0),
            Valid::AtMost(32.0),
            Valid::Below(0.9),
            Valid::Between(1.0, 20.0),
            Valid::HalfOpen(0.0, 1.0),
            Valid::Open(1.0, f64::INFINITY),
        ];
        for valid in ranges {
            for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                assert!(!valid.contains(v), "{valid} accepted {v}");
            }
        }
        assert!(Valid::AtLeast(1.0).contains(1.0) && !Valid::AtLeast(1.0).contains(0.0));
        assert!(Valid::Between(1.0, 20.0).contains(20.0));
        assert!(
            Valid::HalfOpen(0.0, 1.0).contains(0.0) && !Valid::HalfOpen(0.0, 1.0).contains(1.0)
        );
        assert!(!Valid::Open(0.0, 1.0).contains(0.0) && !Valid::Below(0.9).contains(0.9));
        let err = Error::check("lr", 0.0, Valid::Positive, "e.g. 1e-3").unwrap_err();
        assert_eq!(cut("short", 80), "short");
        let long = "x".repeat(4600);
        let c = cut(&long, QUOTE_MAX);
        assert_eq!(c.chars().count(), QUOTE_MAX);
        assert!(c.ends_with('…'));
        assert_eq!(cut("a\nb\r\n  c", 80), "a b c");
        assert_eq!(
            err.to_string(),
            "invalid lr = 0: must be a finite number > 0 (e.g. 1e-3)"
        );
    }
}
