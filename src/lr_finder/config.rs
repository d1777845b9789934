//! Settings of the learning-rate range test.

use super::budget_check::CHECK_SEEDS;
use crate::error::{Error, Result, Valid};
use serde::{Deserialize, Serialize};

/// Settings of the LR range test. Defaults: from 1e-7 to 10 in 100 exponentially spaced
/// steps, loss smoothed with an exponential moving average (beta 0.98, bias corrected),
/// stopping when the smoothed loss exceeds 4x the best so far, one seed; then the
/// recommendation is checked at the training budget over [`CHECK_SEEDS`] seeds (see
/// [`BudgetCheck`](super::BudgetCheck)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrFinderConfig {
    /// First learning rate tried.
    pub start_lr: f64,
    /// Last learning rate tried.
    pub end_lr: f64,
    /// Number of steps (learning rates) in the sweep.
    pub steps: usize,
    /// Smoothing factor of the moving average, in [0, 1).
    pub beta: f64,
    /// Stop when the smoothed loss exceeds this multiple of its best value.
    pub stop_factor: f64,
    /// Repeat the sweep over this many seeds (the run's seed, seed+1, ...) and report the
    /// spread of each suggestion.
    pub seeds: usize,
    /// Seeds of the check at the training budget: the configuration is trained at the
    /// quarter-decade LRs below the curve's minimum and the best is recommended. 0 turns the
    /// check off (the recommendation is then read off the curve alone, and is less reliable).
    #[serde(default = "default_check_seeds")]
    pub check_seeds: usize,
}

fn default_check_seeds() -> usize {
    CHECK_SEEDS
}

impl Default for LrFinderConfig {
    fn default() -> Self {
        LrFinderConfig {
            start_lr: 1e-7,
            end_lr: 10.0,
            steps: 100,
            beta: 0.98,
            stop_factor: 4.0,
            seeds: 1,
            check_seeds: CHECK_SEEDS,
        }
    }
}

impl LrFinderConfig {
    /// Sets the LR range.
    pub fn with_range(mut self, start_lr: f64, end_lr: f64) -> Self {
        self.start_lr = start_lr;
        self.end_lr = end_lr;
        self
    }

    /// Sets the number of steps.
    pub fn with_steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Sets the number of seeds.
    pub fn with_seeds(mut self, seeds: usize) -> Self {
        self.seeds = seeds;
        self
    }

    /// Sets the seeds of the check at the training budget (0: no check, the curve alone).
    pub fn with_check_seeds(mut self, check_seeds: usize) -> Self {
        self.check_seeds = check_seeds;
        self
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("start_lr", self.start_lr), ("end_lr", self.end_lr)] {
            Error::check(name, v, Valid::Positive, "")?;
        }
        Error::check(
            "start_lr",
            self.start_lr,
            Valid::Below(self.end_lr),
            "below end_lr, e.g. 1e-7 to 10",
        )?;
        Error::check(
            "steps",
            self.steps as f64,
            Valid::AtLeast(5.0),
            "100 is usual",
        )?;
        Error::check("beta", self.beta, Valid::HalfOpen(0.0, 1.0), "e.g. 0.98")?;
        Error::check(
            "stop_factor",
            self.stop_factor,
            Valid::Open(1.0, f64::INFINITY),
            "e.g. 4",
        )?;
        Error::check("seeds", self.seeds as f64, Valid::Between(1.0, 20.0), "")?;
        Error::check(
            "check_seeds",
            self.check_seeds as f64,
            Valid::Between(0.0, 10.0),
            "2 is usual; 0 turns the check off",
        )?;
        Ok(())
    }

    /// The learning rates of the sweep, exponentially spaced from start to end.
    pub fn lrs(&self) -> Vec<f64> {
        let ratio = self.end_lr / self.start_lr;
        let n = self.steps;
        (0..n)
            .map(|i| self.start_lr * ratio.powf(i as f64 / (n - 1) as f64))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sweep_is_exponential_from_1e_7_to_10() {
        let lrs = LrFinderConfig::default().lrs();
        assert_eq!(lrs.len(), 100);
        assert!((lrs[0] - 1e-7).abs() < 1e-20);
        assert!((lrs[99] - 10.0).abs() < 1e-9);
        let ratio = lrs[1] / lrs[0];
        assert!(lrs.windows(2).all(|w| (w[1] / w[0] - ratio).abs() < 1e-9));
    }

    #[test]
    fn bad_ranges_are_errors() {
        let d = LrFinderConfig::default();
        assert!(d.clone().with_range(1.0, 1e-3).validate().is_err());
        assert!(d.clone().with_range(0.0, 1.0).validate().is_err());
        assert!(d.clone().with_steps(0).validate().is_err());
        assert!(d.clone().with_seeds(0).validate().is_err());
        assert!(d.validate().is_ok());
    }
}
