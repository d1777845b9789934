//! [`Diagnose`]: `run.diagnose()` and `history.diagnose()`.

use super::{Diagnosis, History, diagnose};
use crate::error::Result;
use crate::train::Run;

/// `run.diagnose()`: diagnosis as a method of the training record.
///
/// It lives here, beside [`diagnose`], so that training knows nothing of diagnosis; bring it
/// into scope with `use tunelab::Diagnose` (or `use tunelab::*`).
pub trait Diagnose {
    /// Diagnoses these curves (see [`diagnose`]).
    fn diagnose(&self) -> Result<Diagnosis>;
}

impl Diagnose for Run {
    fn diagnose(&self) -> Result<Diagnosis> {
        diagnose(&History::from_run(self))
    }
}

impl Diagnose for History {
    fn diagnose(&self) -> Result<Diagnosis> {
        diagnose(self)
    }
}
