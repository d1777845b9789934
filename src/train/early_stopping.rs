//! Early stopping on the validation loss.

use serde::{Deserialize, Serialize};

/// Early stopping on the validation loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping (default 5).
    pub patience: usize,
    /// Improvement smaller than this does not count (default 0).
    pub min_delta: f64,
    /// Put back the weights of the best epoch at the end (default true).
    pub restore_best: bool,
}

impl EarlyStopping {
    /// Stop after `patience` epochs without improvement, restoring the best weights.
    pub fn new(patience: usize) -> Self {
        EarlyStopping {
            patience,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}
