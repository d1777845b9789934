//! Settings of the learning-rate range test.

use super::budget_check::CHECK_SEEDS;
use crate::error::{Error, Result, Valid};
use serde::{Deserialize, Serialize};

/// Settings of the LR range test. Defaults: from 1e-7 to 10 in 100 exponentially spaced
/// steps, loss smoothed with an exponential moving average (beta 0.98, bias corrected),
/// stopping when the smoothed loss exceeds 4x the best so far, one seed; then the
/// recommendation is checked at the training budget by successive halving (see
/// [`BudgetCheck`](super::BudgetCheck) and [`HALVING_RUNGS`](super::HALVING_RUNGS), about 4
/// runs of the configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrFinderConfig {
    /// First learning rate tried.
    pub start_lr: f64,
    /// Last learning rate tried.
    pub end_lr: f64,
    /// Number of steps (learning rates) in the sweep; with `follow_data`, the fewest.
    pub steps: usize,
    /// Sweep over one epoch of optimizer steps when that is more than `steps` (at most
    /// [`MAX_SWEEP_STEPS`]), so that a large table's range test sees more than a few percent of
    /// its rows. On by default; [`LrFinderConfig::with_steps`] turns it off.
    #[serde(default = "yes")]
    pub follow_data: bool,
    /// Smoothing factor of the moving average, in [0, 1).
    pub beta: f64,
    /// Stop when the smoothed loss exceeds this multiple of its best value.
    pub stop_factor: f64,
    /// Repeat the sweep over this many seeds (the run's seed, seed+1, ...) and report the
    /// spread of each suggestion.
    pub seeds: usize,
    /// The check at the training budget: the configuration is trained at the quarter-decade
    /// LRs below the curve's minimum and the best is recommended. 0 turns the check off (the
    /// recommendation is then read off the curve alone, and is less reliable); otherwise this
    /// is the fewest seeds of each LR of the full check (`full_check`); the successive halving
    /// trains one seed.
    #[serde(default = "default_check_seeds")]
    pub check_seeds: usize,
    /// Train every LR of the window to the full budget over [`CHECK_SEEDS`] to 8 seeds (40-80
    /// runs of the configuration) instead of the successive halving (about 4): the earlier,
    /// slower check, kept for comparison (`scripts/advice-bench.sh` reports both).
    #[serde(default)]
    pub full_check: bool,
}

fn yes() -> bool {
    true
}

/// The most steps a sweep that follows the data takes (an epoch of 64,000 rows at batch 64).
pub const MAX_SWEEP_STEPS: usize = 1000;

fn default_check_seeds() -> usize {
    CHECK_SEEDS
}

impl Default for LrFinderConfig {
    fn default() -> Self {
        LrFinderConfig {
            start_lr: 1e-7,
            end_lr: 10.0,
            steps: 100,
            follow_data: true,
            beta: 0.98,
            stop_factor: 4.0,
            seeds: 1,
            check_seeds: CHECK_SEEDS,
            full_check: false,
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

    /// Sets the number of steps (exactly: the sweep no longer follows the data).
    pub fn with_steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self.follow_data = false;
        self
    }

    /// The steps of a sweep over `n_train` rows taking `rows_per_step` rows per step: `steps`,
    /// or with `follow_data` one epoch of steps when that is more (at most
    /// [`MAX_SWEEP_STEPS`]).
    pub fn steps_for(&self, n_train: usize, rows_per_step: usize) -> usize {
        if !self.follow_data {
            return self.steps;
        }
        let epoch = n_train.div_ceil(rows_per_step.max(1));
        self.steps.max(epoch.min(MAX_SWEEP_STEPS))
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

    /// Uses the full check (every LR of the window to the full budget over several seeds)
    /// instead of the successive halving.
    pub fn with_full_check(mut self, full: bool) -> Self {
        self.full_check = full;
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

    /// The learning rates of a sweep of `steps` steps (`self.steps`), exponentially spaced
    /// from start to end.
    pub fn lrs(&self) -> Vec<f64> {
        self.lrs_over(self.steps)
    }

    /// The learning rates of a sweep of `n` steps, exponentially spaced from start to end.
    pub fn lrs_over(&self, n: usize) -> Vec<f64> {
        let ratio = self.end_lr / self.start_lr;
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
