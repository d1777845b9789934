//! Checking the range test against the training budget.
//!
//! The range test takes one optimizer step per LR, so it sees how fast the loss falls at the
//! start of training, not which LR trains best in the epochs the run will actually get. A
//! set with two batches per epoch gets a few dozen steps in a whole run and wants a higher LR
//! than the curve suggests; a larger set with hundreds of steps wants a lower one. Measured
//! on the embedded sets (`scripts/advice-bench.sh`), no reading of the curve alone (steepest,
//! minimum / 10, valley, slide, or a rule scaled by the number of steps) lands among the LRs
//! that really train best in more than two cases of three.
//!
//! What the curve does tell reliably is the *window*: the best LR for the budget lay between
//! 1.5 decades below the curve's minimum and the minimum itself in every case measured. So
//! the finder trains the configuration, as it will be trained, at the quarter-decade LRs of
//! that window (with a margin: [`CHECK_DECADES_BELOW`] below, [`CHECK_STEPS_ABOVE`] above)
//! over a few seeds, and recommends the geometric middle of the LRs whose mean best-epoch
//! validation loss is within [`CHECK_TIE_SHARE`] of the lowest.
//!
//! The settings were chosen on half of the benchmark's cases (digits, wine, iris) and are
//! reported on the other half (breast cancer, moons, spirals) by `scripts/advice-bench.sh`.

use crate::data::Splits;
use crate::error::Result;
use crate::train::{TrainConfig, train_all};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// LRs are checked on this many points per decade (…, 1e-3, 1.8e-3, 3.2e-3, 5.6e-3, 1e-2, …).
pub const CHECK_POINTS_PER_DECADE: i32 = 4;

/// The window starts this many decades below the LR where the range test's smoothed loss was
/// lowest. In every case measured the best LR was at most 1.5 decades below; 2 leaves a
/// margin.
pub const CHECK_DECADES_BELOW: f64 = 2.0;

/// Grid points checked above the range test's minimum (the one-step-per-LR sweep can stop a
/// little before the LR where a whole run still trains).
pub const CHECK_STEPS_ABOVE: i32 = 1;

/// Fewest seeds of the check (the finder's settings can ask for more). Neighbouring LRs of the
/// quarter-decade grid differ by about as much as two seeds of one LR do; 4 seeds were the
/// fewest that placed the recommendation in the band as often as more seeds did.
pub const CHECK_SEEDS: usize = 4;

/// The check averages over enough seeds that about this many validation samples are scored
/// per LR: a validation loss on 30 samples (iris) moves by more between seeds than the
/// difference between neighbouring LRs, one on 360 (digits) does not.
pub const CHECK_VAL_SAMPLES: usize = 1000;

/// Most seeds of the check.
pub const CHECK_MAX_SEEDS: usize = 8;

/// LRs whose mean validation loss is within this share of the lowest are as good as the
/// best within the noise of the check; the recommendation is their geometric middle, which
/// moves less between repeats than the single lowest.
pub const CHECK_TIE_SHARE: f64 = 0.05;

/// The configuration trained at each LR of the window, with the validation losses it reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetCheck {
    /// The LRs checked, ascending.
    pub lrs: Vec<f64>,
    /// The seeds of the runs at every LR.
    pub seeds: Vec<u64>,
    /// Epochs of each run (the configuration's own).
    pub epochs: usize,
    /// Best-epoch validation loss of each run, `[lr][seed]` (infinite when it diverged).
    pub val_loss: Vec<Vec<f64>>,
    /// Mean over seeds of `val_loss`, per LR.
    pub mean_val_loss: Vec<f64>,
    /// Index of the LR with the lowest mean (`None` if no run trained).
    pub best: Option<usize>,
    /// Indices of the first and last LR within [`CHECK_TIE_SHARE`] of the lowest mean.
    pub tied: Option<(usize, usize)>,
    /// The recommendation: the geometric middle of the tied LRs, to 2 significant digits.
    pub recommended: Option<f64>,
    /// Wall-clock seconds of the check.
    pub seconds: f64,
    /// Epochs each LR was trained: the full budget for every LR of the full check; in the
    /// successive halving ([`HALVING_RUNGS`](super::HALVING_RUNGS)) fewer for the LRs it
    /// dropped, whose `val_loss` is then the best one of the epochs they trained.
    #[serde(default)]
    pub epochs_trained: Vec<usize>,
    /// Optimizer steps the check trained, all its runs together.
    #[serde(default)]
    pub steps: usize,
    /// Optimizer steps of one run of the configuration: the unit of [`BudgetCheck::runs`].
    #[serde(default)]
    pub run_steps: usize,
    /// The validation accuracy of the check's best run (the lowest best-epoch validation loss)
    /// at its best epoch (NaN when none trained).
    #[serde(default = "nan")]
    pub best_val_acc: f64,
}

fn nan() -> f64 {
    f64::NAN
}

impl BudgetCheck {
    /// The check's cost in runs of the configuration: the steps it trained over the steps of
    /// one run (NaN when the run's step count is not known).
    pub fn runs(&self) -> f64 {
        if self.run_steps == 0 {
            f64::NAN
        } else {
            self.steps as f64 / self.run_steps as f64
        }
    }

    /// The LR with the lowest mean validation loss.
    pub fn best_lr(&self) -> Option<f64> {
        self.best.map(|i| self.lrs[i])
    }

    /// Sets `best`, `tied` and `recommended` from the means.
    fn settle(&mut self) {
        let (best, tied) = pick(&self.mean_val_loss);
        self.best = best;
        self.tied = tied;
        self.recommended =
            tied.map(|(a, b)| crate::fmt::round_significant((self.lrs[a] * self.lrs[b]).sqrt(), 2));
    }
}

/// The grid exponent (in points per decade) at or below `lr`.
fn grid_index(lr: f64) -> i32 {
    (lr.log10() * CHECK_POINTS_PER_DECADE as f64 + 1e-9).floor() as i32
}

fn grid_lr(k: i32) -> f64 {
    crate::fmt::round_significant(10f64.powf(k as f64 / CHECK_POINTS_PER_DECADE as f64), 2)
}

/// The quarter-decade LRs from [`CHECK_DECADES_BELOW`] below `lr_min` to
/// [`CHECK_STEPS_ABOVE`] points above it.
pub(crate) fn window(lr_min: f64) -> Vec<f64> {
    let top = grid_index(lr_min) + CHECK_STEPS_ABOVE;
    let bottom = grid_index(lr_min) - (CHECK_DECADES_BELOW * CHECK_POINTS_PER_DECADE as f64) as i32;
    (bottom..=top).map(grid_lr).collect()
}

/// `k` more grid points below the lowest of `lrs`.
pub(crate) fn below(lrs: &[f64], k: i32) -> Vec<f64> {
    let low = lrs.first().map_or(0, |&lr| grid_index(lr * 1.01));
    (low - k..low).map(grid_lr).collect()
}

/// Trains `config` at every LR of `lrs` with `seeds` seeds (the config's seed, seed + 1, ...)
/// on all CPU threads.
pub(crate) fn budget_check(
    splits: &Splits,
    config: &TrainConfig,
    lrs: &[f64],
    seeds: usize,
) -> Result<BudgetCheck> {
    let started = Instant::now();
    let seed_list: Vec<u64> = (0..seeds as u64)
        .map(|k| config.seed.wrapping_add(k))
        .collect();
    let configs: Vec<TrainConfig> = lrs
        .iter()
        .flat_map(|&lr| {
            seed_list
                .iter()
                .map(move |&s| config.clone().with_lr(lr).with_seed(s))
        })
        .collect();
    let mut val_loss = vec![Vec::with_capacity(seeds); lrs.len()];
    let mut steps = 0;
    let (mut best_val_acc, mut lowest) = (f64::NAN, f64::INFINITY);
    for (k, run) in train_all(splits, &configs, 0).into_iter().enumerate() {
        let run = run?;
        steps += run.steps.len();
        if run.best_val_loss() < lowest {
            lowest = run.best_val_loss();
            best_val_acc = run.best().map_or(f64::NAN, |e| e.val_acc);
        }
        val_loss[k / seeds].push(run.best_val_loss());
    }
    let mean_val_loss: Vec<f64> = val_loss
        .iter()
        .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
        .collect();
    let mut check = BudgetCheck {
        lrs: lrs.to_vec(),
        seeds: seed_list,
        epochs: config.epochs,
        val_loss,
        mean_val_loss,
        best: None,
        tied: None,
        recommended: None,
        seconds: started.elapsed().as_secs_f64(),
        epochs_trained: vec![config.epochs; lrs.len()],
        steps,
        run_steps: run_steps(splits, config),
        best_val_acc,
    };
    check.settle();
    Ok(check)
}

/// Every LR of a check whose best-epoch validation loss is within this share of every
/// other's is a tie across the whole window: no LR trains better than another.
pub const NO_SIGNAL_LOSS_SPREAD: f64 = 0.05;

/// When no LR of the check beats another ([`NO_SIGNAL_LOSS_SPREAD`]) and the best validation
/// accuracy of the best run is no more than two binomial standard errors above the
/// majority-class share of the training labels, the labels carry no signal the model finds:
/// the reason, for an "uncertain" recommendation.
pub(crate) fn no_signal(check: &BudgetCheck, splits: &Splits) -> Option<String> {
    let finite: Vec<f64> = check
        .mean_val_loss
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let low = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let high = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if finite.len() < 2 || low <= 0.0 || high > low * (1.0 + NO_SIGNAL_LOSS_SPREAD) {
        return None;
    }
    let majority = splits.train.class_shares().into_iter().fold(0.0, f64::max);
    let n_val = splits.val.n_samples().max(1) as f64;
    let margin = 2.0 * (majority * (1.0 - majority) / n_val).sqrt();
    if check.best_val_acc.is_nan() || check.best_val_acc > majority + margin {
        return None;
    }
    Some(format!(
        "every LR of the check ends within {:.0}% of every other (best-epoch validation loss {} to {}), and the best run's validation accuracy is {} (the majority class is {} of the training labels, give or take {} on {} validation rows): the labels look independent of the features, so no LR can help; check the data (labels in step with the rows, the right target column)",
        NO_SIGNAL_LOSS_SPREAD * 100.0,
        crate::fmt::num(low),
        crate::fmt::num(high),
        crate::fmt::num(check.best_val_acc),
        crate::fmt::num(majority),
        crate::fmt::num(margin),
        n_val
    ))
}

/// Optimizer steps of one run of `config` on `splits` (its step limit included).
pub(crate) fn run_steps(splits: &Splits, config: &TrainConfig) -> usize {
    crate::train::step_counts(splits.train.n_samples(), config).map_or(0, |(_, total)| {
        config.max_steps.map_or(total, |m| total.min(m))
    })
}

/// The seeds a check needs for a validation set of `n_val` samples: at least `min_seeds`,
/// enough to score about [`CHECK_VAL_SAMPLES`] samples per LR, at most [`CHECK_MAX_SEEDS`].
pub(crate) fn seeds_for(n_val: usize, min_seeds: usize) -> usize {
    CHECK_VAL_SAMPLES
        .div_ceil(n_val.max(1))
        .clamp(min_seeds, CHECK_MAX_SEEDS.max(min_seeds))
}

/// The index of the lowest mean, and the first and last index whose mean is within
/// [`CHECK_TIE_SHARE`] of it.
fn pick(mean: &[f64]) -> (Option<usize>, Option<(usize, usize)>) {
    let Some((best, low)) = crate::curve::argmin(mean) else {
        return (None, None);
    };
    let limit = low + CHECK_TIE_SHARE * low.abs();
    let good: Vec<usize> = (0..mean.len()).filter(|&i| mean[i] <= limit).collect();
    (Some(best), Some((good[0], good[good.len() - 1])))
}

/// Merges the runs of a second check at lower LRs into `check`.
pub(crate) fn merge_below(check: &mut BudgetCheck, lower: BudgetCheck) {
    let mut lrs = lower.lrs;
    lrs.extend_from_slice(&check.lrs);
    let mut val_loss = lower.val_loss;
    val_loss.append(&mut check.val_loss);
    let low = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    if low(&lower.mean_val_loss) < low(&check.mean_val_loss) {
        check.best_val_acc = lower.best_val_acc;
    }
    let mut mean = lower.mean_val_loss;
    mean.append(&mut check.mean_val_loss);
    check.lrs = lrs;
    check.val_loss = val_loss;
    check.mean_val_loss = mean;
    check.seconds += lower.seconds;
    let mut epochs = lower.epochs_trained;
    epochs.append(&mut check.epochs_trained);
    check.epochs_trained = epochs;
    check.steps += lower.steps;

    check.settle();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_spans_two_decades_below_the_minimum_and_one_point_above() {
        let w = window(1.2e-2);
        assert_eq!(w.first().copied(), Some(1e-4));
        assert_eq!(w.last().copied(), Some(1.8e-2));
        assert_eq!(w.len(), 10);
        assert!(w.windows(2).all(|p| p[1] > p[0]));
        // A minimum exactly on a grid point starts from that point.
        assert_eq!(window(1e-2)[0], 1e-4);
    }

    #[test]
    fn the_recommendation_is_the_geometric_middle_of_the_near_ties() {
        let (best, tied) = pick(&[0.9, 0.51, 0.50, 0.52, 0.8, f64::INFINITY]);
        assert_eq!(best, Some(2));
        assert_eq!(tied, Some((1, 3)));
        // A clear winner is picked alone.
        assert_eq!(pick(&[0.9, 0.5, 0.7]).1, Some((1, 1)));
        assert_eq!(pick(&[f64::INFINITY, f64::NAN]).0, None);
        let mut check = BudgetCheck {
            lrs: vec![1e-3, 1.8e-3, 3.2e-3, 5.6e-3],
            seeds: vec![0, 1],
            epochs: 10,
            val_loss: vec![vec![0.3; 2], vec![0.2; 2], vec![0.205; 2], vec![0.4; 2]],
            mean_val_loss: vec![0.3, 0.2, 0.205, 0.4],
            best: None,
            tied: None,
            recommended: None,
            seconds: 0.0,
            epochs_trained: vec![10; 4],
            steps: 0,
            run_steps: 0,
            best_val_acc: f64::NAN,
        };
        check.settle();
        assert_eq!(check.best_lr(), Some(1.8e-3));
        assert_eq!(check.recommended, Some(2.4e-3));
    }

    #[test]
    fn small_validation_sets_get_more_seeds() {
        assert_eq!(seeds_for(30, 3), CHECK_MAX_SEEDS);
        assert_eq!(seeds_for(359, CHECK_SEEDS), 4);
        assert_eq!(seeds_for(200, 3), 5);
        assert_eq!(seeds_for(10_000, 3), 3);
        assert_eq!(seeds_for(30, 10), 10);
    }

    #[test]
    fn below_continues_the_grid_downwards() {
        let w = window(1e-2);
        let b = below(&w, 4);
        assert_eq!(b, vec![1e-5, 1.8e-5, 3.2e-5, 5.6e-5]);
    }
}
