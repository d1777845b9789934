//! Gradient accumulation: reaching a large effective batch with micro-batches that fit.

use crate::error::{Error, Result, Valid};
use crate::fmt::write_table;
use serde::Serialize;
use std::fmt;

/// A divisor of the target is used as the micro-batch only when it is at least this share of
/// the largest micro-batch that fits; smaller ones would waste the hardware (e.g. a prime
/// target would otherwise give micro-batches of 1).
pub const MIN_MICRO_BATCH_SHARE: f64 = 0.5;

/// The largest effective batch planned (2^24 samples): far beyond any batch in practice, and
/// it keeps the search for a divisor short.
pub const MAX_EFFECTIVE_BATCH: usize = 1 << 24;

/// How to reach an effective batch by accumulating gradients over micro-batches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccumulationPlan {
    /// The effective batch asked for.
    pub target_batch: usize,
    /// Samples per forward pass (at most the largest that fits).
    pub micro_batch: usize,
    /// Micro-batches per optimizer step (`TrainConfig::accumulate`).
    pub steps: usize,
    /// `micro_batch * steps`: samples per optimizer step.
    pub effective_batch: usize,
    /// Whether the effective batch equals the target.
    pub exact: bool,
    /// What to set and what to watch.
    pub note: String,
}

/// Plans `target_effective_batch` samples per optimizer step with micro-batches of at most
/// `max_micro_batch` samples. Prefers a micro-batch that divides the target (exact); when
/// none is large enough (see [`MIN_MICRO_BATCH_SHARE`]) the effective batch comes as close as
/// it can and the note says by how much it differs.
pub fn accumulation_plan(
    target_effective_batch: usize,
    max_micro_batch: usize,
) -> Result<AccumulationPlan> {
    Error::check(
        "target_batch",
        target_effective_batch as f64,
        Valid::AtLeast(1.0),
        "the effective batch",
    )?;
    Error::check(
        "target_batch",
        target_effective_batch as f64,
        Valid::AtMost(MAX_EFFECTIVE_BATCH as f64),
        "",
    )?;
    Error::check(
        "max_micro_batch",
        max_micro_batch as f64,
        Valid::AtLeast(1.0),
        "the largest micro-batch that fits; see largest_batch",
    )?;
    let target = target_effective_batch;
    let (micro, steps) = if target <= max_micro_batch {
        (target, 1)
    } else {
        let min_steps = target.div_ceil(max_micro_batch);
        let divisor = (min_steps..=target)
            .find(|&s| target.is_multiple_of(s))
            .map(|s| target / s)
            .filter(|&d| d as f64 >= MIN_MICRO_BATCH_SHARE * max_micro_batch as f64);
        match divisor {
            Some(d) => (d, target / d),
            None => {
                let micro =
                    ((target as f64 / min_steps as f64).round() as usize).clamp(1, max_micro_batch);
                (micro, min_steps)
            }
        }
    };
    let effective = micro * steps;
    let exact = effective == target;
    let note = if steps == 1 {
        format!("the target batch {target} fits in one forward pass: no accumulation needed")
    } else if exact {
        format!(
            "set batch_size {micro} and accumulate {steps}: each optimizer step sees {effective} samples; \
             tune the learning rate for the effective batch, not the micro-batch"
        )
    } else {
        let diff = effective as i64 - target as i64;
        format!(
            "no micro-batch <= {max_micro_batch} divides {target} well: batch_size {micro} x accumulate {steps} \
             gives an effective batch of {effective} ({diff:+} from the target); scale the learning rate \
             for {effective}, or choose a target that is a multiple of a size that fits"
        )
    };
    Ok(AccumulationPlan {
        target_batch: target,
        micro_batch: micro,
        steps,
        effective_batch: effective,
        exact,
        note,
    })
}

impl fmt::Display for AccumulationPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Gradient accumulation for an effective batch of {}",
            self.target_batch
        )?;
        let rows = vec![vec![
            self.micro_batch.to_string(),
            self.steps.to_string(),
            self.effective_batch.to_string(),
            if self.exact {
                "yes".into()
            } else {
                "no".into()
            },
        ]];
        write_table(
            f,
            &["micro-batch", "accumulate", "effective batch", "exact"],
            &rows,
        )?;
        writeln!(f, "Note: {}", self.note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(target: usize, max: usize) -> (usize, usize, usize, bool) {
        let p = accumulation_plan(target, max).unwrap();
        assert_eq!(p.micro_batch * p.steps, p.effective_batch);
        assert!(p.micro_batch <= max);
        (p.micro_batch, p.steps, p.effective_batch, p.exact)
    }

    #[test]
    fn exact_plans_use_a_divisor() {
        assert_eq!(plan(256, 64), (64, 4, 256, true));
        assert_eq!(plan(256, 100), (64, 4, 256, true));
        assert_eq!(plan(1_000, 64), (50, 20, 1_000, true));
        assert_eq!(plan(300, 64), (60, 5, 300, true));
        assert_eq!(plan(32, 64), (32, 1, 32, true));
        assert_eq!(plan(64, 64), (64, 1, 64, true));
    }

    #[test]
    fn awkward_targets_say_the_effective_batch_differs() {
        assert_eq!(plan(257, 64), (51, 5, 255, false));
        let p = accumulation_plan(257, 64).unwrap();
        assert!(
            p.note.contains("255") && p.note.contains("-2"),
            "{}",
            p.note
        );
        assert!(p.to_string().contains("no"), "{p}");
        assert_eq!(plan(7, 1), (1, 7, 7, true));
    }

    #[test]
    fn zero_is_an_error() {
        assert!(accumulation_plan(0, 64).is_err());
        assert!(accumulation_plan(64, 0).is_err());
        assert!(accumulation_plan(MAX_EFFECTIVE_BATCH + 1, 2).is_err());
        assert!(accumulation_plan(MAX_EFFECTIVE_BATCH, 2).is_ok());
    }
}
