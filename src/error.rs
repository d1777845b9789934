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
    #[error("invalid {name} = {value}: {expected}")]
    InvalidHyperparameter {
        /// The hyperparameter's name, as in the config field or CLI flag.
        name: &'static str,
        /// The value given, formatted.
        value: String,
        /// What a valid value looks like and how to fix it.
        expected: String,
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
}

impl Error {
    /// Builds an [`Error::InvalidHyperparameter`].
    pub fn invalid(name: &'static str, value: impl ToString, expected: impl Into<String>) -> Self {
        Error::InvalidHyperparameter {
            name,
            value: value.to_string(),
            expected: expected.into(),
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
