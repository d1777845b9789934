//! Which batch size to start with for a dataset of a given size.

use crate::error::{Error, Result, Valid};
use crate::fmt::write_table;
use serde::Serialize;
use std::fmt;

/// One row of the batch-size table: datasets with fewer than `below` samples start with a
/// batch in `min_batch..=max_batch`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BatchRule {
    /// Exclusive upper bound on the number of training samples (`usize::MAX` for the last row).
    pub below: usize,
    /// Smallest batch of the range.
    pub min_batch: usize,
    /// Largest batch of the range.
    pub max_batch: usize,
    /// Why this range suits datasets of this size.
    pub reason: &'static str,
}

/// The tuning guide's batch sizes by dataset size.
pub const BATCH_SIZE_TABLE: [BatchRule; 4] = [
    BatchRule {
        below: 1_000,
        min_batch: 16,
        max_batch: 32,
        reason: "small dataset: small batches give many updates per epoch and their noise regularises",
    },
    BatchRule {
        below: 10_000,
        min_batch: 32,
        max_batch: 64,
        reason: "medium dataset: enough updates per epoch while the gradient is already fairly smooth",
    },
    BatchRule {
        below: 100_000,
        min_batch: 64,
        max_batch: 128,
        reason: "large dataset: larger batches make each epoch faster on parallel hardware",
    },
    BatchRule {
        below: usize::MAX,
        min_batch: 128,
        max_batch: 256,
        reason: "very large dataset: throughput matters most; scale the learning rate with the batch",
    },
];

/// The guide's batch when memory (of a GPU) is the limit, whatever the dataset size; reach a
/// larger effective batch with gradient accumulation ([`super::accumulation_plan`]).
pub const LIMITED_MEMORY_BATCH: usize = 8;

/// The trade-offs of small and large batches: (batch, effect).
pub const BATCH_TRADE_OFFS: [(&str, &str); 6] = [
    (
        "small",
        "noisier gradient estimates: a mild regulariser that often generalises well",
    ),
    (
        "small",
        "more optimizer steps per epoch, so an epoch takes longer",
    ),
    ("small", "less memory per step"),
    (
        "large",
        "smoother gradients and faster epochs on parallel hardware (GPU)",
    ),
    (
        "large",
        "may generalise worse (sharper minima) unless regularised",
    ),
    (
        "large",
        "needs a larger learning rate: see scale_lr (square-root or linear rule)",
    ),
];

/// The batch size to start with for a dataset, with the reason and the trade-offs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchAdvice {
    /// Training samples.
    pub n_samples: usize,
    /// Smallest batch of the suggested range (never above `n_samples`).
    pub min_batch: usize,
    /// Largest batch of the suggested range (never above `n_samples`).
    pub max_batch: usize,
    /// The batch to start with: the low end of the range, the guide's safer choice.
    pub suggested: usize,
    /// Optimizer steps per epoch at the suggested batch.
    pub steps_per_epoch: usize,
    /// The batch to use when memory is the limit ([`LIMITED_MEMORY_BATCH`], never above
    /// `n_samples`).
    pub limited_memory: usize,
    /// Why this range.
    pub reason: String,
    /// What changes when the batch is made smaller or larger.
    pub trade_offs: Vec<String>,
}

/// The table row for a dataset of `n_samples` samples.
pub fn batch_rule(n_samples: usize) -> BatchRule {
    BATCH_SIZE_TABLE
        .iter()
        .copied()
        .find(|r| n_samples < r.below)
        .unwrap_or(BATCH_SIZE_TABLE[BATCH_SIZE_TABLE.len() - 1])
}

/// The batch-size range for a training set of `n_samples` samples (see [`BATCH_SIZE_TABLE`]).
/// A range above the dataset size is cut to the dataset size (full-batch training).
pub fn batch_size_for(n_samples: usize) -> Result<BatchAdvice> {
    Error::check(
        "n_samples",
        n_samples as f64,
        Valid::AtLeast(1.0),
        "the number of training samples",
    )?;
    let rule = batch_rule(n_samples);
    let min_batch = rule.min_batch.min(n_samples);
    let max_batch = rule.max_batch.min(n_samples);
    let mut reason = rule.reason.to_string();
    if max_batch < rule.max_batch {
        reason.push_str(&format!(
            " (cut to the {n_samples} samples there are: this is full-batch training)"
        ));
    }
    Ok(BatchAdvice {
        n_samples,
        min_batch,
        max_batch,
        suggested: min_batch,
        steps_per_epoch: n_samples.div_ceil(min_batch),
        limited_memory: LIMITED_MEMORY_BATCH.min(n_samples),
        reason,
        trade_offs: BATCH_TRADE_OFFS
            .iter()
            .map(|(side, effect)| format!("{side} batches: {effect}"))
            .collect(),
    })
}

impl fmt::Display for BatchAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Batch size for {} training samples", self.n_samples)?;
        let rows = vec![
            vec![
                "range".into(),
                format!("{}-{}", self.min_batch, self.max_batch),
            ],
            vec!["start with".into(), self.suggested.to_string()],
            vec!["steps per epoch".into(), self.steps_per_epoch.to_string()],
            vec!["why".into(), self.reason.clone()],
            vec![
                "limited memory".into(),
                format!(
                    "{}, with gradient accumulation for a larger effective batch",
                    self.limited_memory
                ),
            ],
        ];
        write_table(f, &["", "advice"], &rows)?;
        writeln!(f, "Trade-offs:")?;
        let rows: Vec<Vec<String>> = BATCH_TRADE_OFFS
            .iter()
            .map(|(side, effect)| vec![side.to_string(), effect.to_string()])
            .collect();
        write_table(f, &["batches", "effect"], &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(n: usize) -> (usize, usize) {
        let a = batch_size_for(n).unwrap();
        (a.min_batch, a.max_batch)
    }

    #[test]
    fn table_boundaries() {
        assert_eq!(range(999), (16, 32));
        assert_eq!(range(1_000), (32, 64));
        assert_eq!(range(9_999), (32, 64));
        assert_eq!(range(10_000), (64, 128));
        assert_eq!(range(99_999), (64, 128));
        assert_eq!(range(100_000), (128, 256));
        assert_eq!(range(usize::MAX), (128, 256));
    }

    #[test]
    fn tiny_datasets_are_cut_to_full_batch_and_zero_is_an_error() {
        let a = batch_size_for(20).unwrap();
        assert_eq!((a.min_batch, a.max_batch, a.suggested), (16, 20, 16));
        assert_eq!(a.steps_per_epoch, 2);
        assert!(a.reason.contains("full-batch"), "{}", a.reason);
        assert_eq!(range(5), (5, 5));
        assert_eq!(batch_size_for(5).unwrap().limited_memory, 5);
        assert_eq!(a.limited_memory, LIMITED_MEMORY_BATCH);
        assert_eq!(LIMITED_MEMORY_BATCH, 8);
        assert!(batch_size_for(0).is_err());
    }

    #[test]
    fn digits_size_advice_reads_well() {
        let a = batch_size_for(1_078).unwrap();
        assert_eq!(a.suggested, 32);
        assert_eq!(a.steps_per_epoch, 34);
        let text = a.to_string();
        assert!(text.contains("32-64"), "{text}");
        assert!(text.contains("learning rate"), "{text}");
        assert!(
            text.contains("limited memory   8, with gradient accumulation"),
            "{text}"
        );
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["max_batch"], 64);
    }

    #[test]
    fn table_rows_are_ordered_and_ranges_grow() {
        for pair in BATCH_SIZE_TABLE.windows(2) {
            assert!(pair[0].below < pair[1].below);
            assert!(pair[0].max_batch <= pair[1].max_batch);
        }
        for r in BATCH_SIZE_TABLE {
            assert!(r.min_batch <= r.max_batch);
        }
    }
}
