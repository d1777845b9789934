//! A run to log, with where it came from: the builder [`ExperimentLog::add_entry`] takes.
//!
//! [`ExperimentLog::add_entry`]: super::ExperimentLog::add_entry

use crate::train::Run;

/// A run to log, with where it came from.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub(super) run: &'a Run,
    pub(super) parent: Option<i64>,
    pub(super) step: String,
    pub(super) notes: String,
    pub(super) coupled: Vec<String>,
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
