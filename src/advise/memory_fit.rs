//! Whether a batch fits a memory budget, and the guide's three ways out when it does not:
//! a smaller batch, gradient accumulation, mixed precision (fp16).

use super::accumulation::accumulation_plan;
use super::batch::LIMITED_MEMORY_BATCH;
use super::memory::{largest_batch_in, memory_estimate_in};
use super::precision::Precision;
use crate::error::{Error, Result, Valid};
use crate::fmt::bytes;
use crate::model::MlpConfig;
use crate::train::OptimizerKind;
use serde::Serialize;
use std::fmt;

/// A batch against a memory budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryFit {
    /// Samples per forward pass asked for.
    pub batch: usize,
    /// The precision it was counted in.
    pub precision: Precision,
    /// The budget.
    pub budget_bytes: u64,
    /// What training at `batch` needs ([`super::memory_estimate_in`]).
    pub needed_bytes: u64,
    /// Whether `needed_bytes` is within the budget.
    pub fits: bool,
    /// The largest batch within the budget in `precision`.
    pub largest_batch: usize,
    /// What `batch` needs in mixed precision, when counted in f32 (`None` in fp16).
    pub fp16_needed_bytes: Option<u64>,
    /// The largest batch within the budget in mixed precision, when counted in f32 and some
    /// batch fits.
    pub fp16_largest_batch: Option<usize>,
    /// What to do when the batch does not fit, in the guide's order (empty when it fits).
    pub options: Vec<String>,
}

/// Whether training `model` with `optimizer` at `batch` samples per forward pass fits in
/// `budget_bytes` in `precision`; when it does not, the options in the guide's order: reduce
/// the batch (down to [`LIMITED_MEMORY_BATCH`], the guide's batch for limited memory), keep
/// the effective batch with gradient accumulation, and (from f32) mixed precision.
///
/// Errors: a batch of 0, an invalid model, or a budget below what batch 1 needs (the
/// error of [`super::largest_batch_in`]).
pub fn memory_fit(
    model: &MlpConfig,
    optimizer: OptimizerKind,
    batch: usize,
    budget_bytes: u64,
    precision: Precision,
) -> Result<MemoryFit> {
    Error::check(
        "batch",
        batch as f64,
        Valid::AtLeast(1.0),
        "samples per forward pass",
    )?;
    let largest = largest_batch_in(model, optimizer, budget_bytes, precision)?;
    let needed = memory_estimate_in(model, optimizer, batch, precision).total_bytes;
    let fits = needed <= budget_bytes;
    let (fp16_needed, fp16_largest) = match precision {
        Precision::F32 => (
            Some(memory_estimate_in(model, optimizer, batch, Precision::MixedF16).total_bytes),
            largest_batch_in(model, optimizer, budget_bytes, Precision::MixedF16).ok(),
        ),
        Precision::MixedF16 => (None, None),
    };
    let mut options = Vec::new();
    if !fits {
        options.push(if largest >= LIMITED_MEMORY_BATCH {
            format!(
                "reduce the batch to {largest} or less (the guide's batch for limited memory is {LIMITED_MEMORY_BATCH})"
            )
        } else {
            format!(
                "reduce the batch to {largest} or less: not even the guide's batch for limited memory, {LIMITED_MEMORY_BATCH}, fits"
            )
        });
        let plan = accumulation_plan(batch, largest)?;
        let steps = format!(
            "batch_size {} x accumulate {}",
            plan.micro_batch, plan.steps
        );
        options.push(if plan.exact {
            format!(
                "use gradient accumulation: {steps} keeps {batch} samples per optimizer step"
            )
        } else {
            format!(
                "use gradient accumulation: {steps} gives {} samples per optimizer step, close to {batch}",
                plan.effective_batch
            )
        });
        if let Some(need) = fp16_needed {
            options.push(if need <= budget_bytes {
                format!(
                    "use mixed precision (fp16): batch {batch} then fits ({}), because fp16 halves the activations",
                    bytes(need)
                )
            } else {
                format!(
                    "use mixed precision (fp16): it halves the activations, but batch {batch} still needs {}; the largest fp16 batch is {}",
                    bytes(need),
                    fp16_largest.unwrap_or(0)
                )
            });
        }
    }
    Ok(MemoryFit {
        batch,
        precision,
        budget_bytes,
        needed_bytes: needed,
        fits,
        largest_batch: largest,
        fp16_needed_bytes: fp16_needed,
        fp16_largest_batch: fp16_largest,
        options,
    })
}

impl fmt::Display for MemoryFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.fits { "fits" } else { "does not fit" };
        writeln!(
            f,
            "Batch {} in {} {verdict} in {}: it needs {}; the largest batch that fits is {}",
            self.batch,
            self.precision.name(),
            bytes(self.budget_bytes),
            bytes(self.needed_bytes),
            self.largest_batch
        )?;
        if !self.options.is_empty() {
            writeln!(f, "Out of memory? In the guide's order:")?;
        }
        for (i, option) in self.options.iter().enumerate() {
            writeln!(f, "{}. {option}", i + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advise::memory_estimate;
    use crate::model::ModelConfig;

    const MIB: u64 = 1024 * 1024;

    fn digits_mlp() -> MlpConfig {
        ModelConfig::default()
            .with_hidden(vec![128, 64])
            .for_data(64, 10)
    }

    fn fit(batch: usize, precision: Precision) -> MemoryFit {
        memory_fit(&digits_mlp(), OptimizerKind::Adam, batch, MIB, precision).unwrap()
    }

    #[test]
    fn a_batch_that_fits_needs_no_options() {
        let f = fit(300, Precision::F32);
        assert!(f.fits && f.options.is_empty());
        assert_eq!(f.largest_batch, 363);
        assert_eq!(
            f.needed_bytes,
            memory_estimate(&digits_mlp(), OptimizerKind::Adam, 300, 4).total_bytes
        );
        assert!(
            f.to_string().contains("Batch 300 in f32 fits in 1.0 MiB"),
            "{f}"
        );
    }

    #[test]
    fn a_batch_that_fits_only_in_fp16_says_so() {
        // f32: 275616 + 2128 x 500 = 1339616 > 1 MiB; fp16: 275616 + 1064 x 500 = 807616.
        let f = fit(500, Precision::F32);
        assert!(!f.fits);
        assert_eq!(f.needed_bytes, 1_339_616);
        assert_eq!(f.fp16_needed_bytes, Some(807_616));
        assert_eq!(f.fp16_largest_batch, Some(726));
        assert_eq!(f.options.len(), 3);
        assert!(f.options[0].starts_with("reduce the batch to 363"), "{f}");
        assert!(
            f.options[1].contains("batch_size 250 x accumulate 2"),
            "{f}"
        );
        assert!(
            f.options[2].starts_with("use mixed precision (fp16): batch 500 then fits"),
            "{f}"
        );
        let text = f.to_string();
        assert!(
            text.contains("does not fit") && text.contains("3. use mixed precision"),
            "{text}"
        );
        assert!(
            f.options[1].ends_with("keeps 500 samples per optimizer step"),
            "{f}"
        );
        let prime = fit(509, Precision::F32);
        assert!(
            prime.options[1].contains(
                "batch_size 255 x accumulate 2 gives 510 samples per optimizer step, close to 509"
            ),
            "{prime}"
        );
        let in_fp16 = fit(500, Precision::MixedF16);
        assert!(in_fp16.fits && in_fp16.options.is_empty());
        assert_eq!(in_fp16.largest_batch, 726);
    }

    #[test]
    fn a_batch_too_large_even_in_fp16_gets_the_fp16_limit() {
        let f = fit(800, Precision::F32);
        assert!(!f.fits);
        assert!(
            f.options[2].contains("still needs") && f.options[2].ends_with("fp16 batch is 726"),
            "{f}"
        );
        let in_fp16 = fit(800, Precision::MixedF16);
        assert!(!in_fp16.fits);
        assert_eq!(
            in_fp16.options.len(),
            2,
            "no fp16 option when already in fp16"
        );
    }

    #[test]
    fn a_tight_budget_names_the_limited_memory_batch_and_bad_input_is_an_error() {
        let model = digits_mlp();
        let at = |b| memory_estimate(&model, OptimizerKind::Adam, b, 4).total_bytes;
        let f = memory_fit(&model, OptimizerKind::Adam, 64, at(5), Precision::F32).unwrap();
        assert_eq!(f.largest_batch, 5);
        assert!(
            f.options[0].contains("not even the guide's batch for limited memory, 8"),
            "{f}"
        );
        let f = memory_fit(&model, OptimizerKind::Adam, 64, at(8), Precision::F32).unwrap();
        assert!(
            f.options[0].contains("(the guide's batch for limited memory is 8)"),
            "{f}"
        );
        assert!(memory_fit(&model, OptimizerKind::Adam, 0, MIB, Precision::F32).is_err());
        assert!(memory_fit(&model, OptimizerKind::Adam, 1, at(1) - 1, Precision::F32).is_err());
    }
}
