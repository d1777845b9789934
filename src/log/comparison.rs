//! Runs side by side, with the hyperparameters that differ between them.

use super::experiment_log::ExperimentLog;
use super::record::{HYPERPARAMETERS, RunRecord};
use crate::error::{Error, Result};

/// Runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The runs' rows.
    pub rows: Vec<RunRecord>,
    /// Hyperparameters whose values differ between them.
    pub differing: Vec<String>,
}

impl ExperimentLog {
    /// The rows of the given runs side by side, with the hyperparameters that differ.
    pub fn compare(&self, ids: &[i64]) -> Result<Comparison> {
        let rows = ids
            .iter()
            .map(|&id| {
                self.get(id).cloned().ok_or_else(|| Error::UnknownRun {
                    id,
                    runs: self.len(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let differing = HYPERPARAMETERS
            .iter()
            .filter(|h| {
                rows.windows(2)
                    .any(|w| w[0].hyperparameter(h) != w[1].hyperparameter(h))
            })
            .map(|h| h.to_string())
            .collect();
        Ok(Comparison { rows, differing })
    }
}
