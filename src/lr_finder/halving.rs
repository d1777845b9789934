//! The check at the training budget by successive halving: every LR of the window trains a
//! few epochs, the best part of them trains on, and only the finalists reach the full budget.
//!
//! Training every LR of the window to the full budget over several seeds (the full check,
//! [`LrFinderConfig::full_check`](super::LrFinderConfig::full_check)) costs 40 to 80 runs of
//! the configuration. Here every run is the same run as in the full check (the LR plan is the
//! whole run's, schedule included), paused at the rungs and continued only for the LRs that
//! are still in front: the 11 LRs of the window reach 1/8 of the epochs, the 4 best 1/4, the
//! 3 best 1/2, and 2 finalists the whole budget, under 4 runs in all.
//!
//! Two things make that work on one seed:
//! - **Neighbours vote.** The validation loss is a smooth function of log(LR), while one
//!   seed's loss at one LR is not: each LR is judged by the mean log loss of itself and its
//!   grid neighbours that are still running, and the LRs kept are a contiguous block around
//!   the best of those means.
//! - **Short runs favour higher LRs** (a high LR gets down fast; a lower one catches up
//!   later). On the advice benchmark's oracle the best LR after 1/8 of the epochs lay on
//!   average 0.44 grid points above the best at the full budget, 0.12 after 1/2 (measured
//!   by `scripts/advice-bench.sh`). So the first rung keeps a block of a whole decade (4
//!   points) around its best, and the finalists are chosen after 1/2 of the budget, where the
//!   bias is a tenth of a grid point; they are then trained to the whole budget, so that the
//!   check reports what the recommended LR really reaches.
//!
//! The settings were chosen on the calibration half of `scripts/advice-bench.sh` (digits,
//! wine, iris: blocks of 4-6, 3-4 and 2 placed the recommendation in the band equally often
//! there, so the cheapest was kept) and are reported on the held-back half.

use super::budget_check::{BudgetCheck, CHECK_TIE_SHARE};
use crate::data::Splits;
use crate::error::Result;
use crate::train::{TrainConfig, TrainState};
use std::time::Instant;

/// The rungs: the share of the configuration's epochs trained (as a divisor: 8 is 1/8 of the
/// epochs, rounded up, at least 1) and how many LRs go on from it. The LRs left after the last
/// rung train to the full budget.
pub const HALVING_RUNGS: [(usize, usize); 3] = [(8, 4), (4, 3), (2, 2)];

/// Each LR is judged with this many grid neighbours on either side (those still running).
pub const HALVING_NEIGHBOURS: usize = 1;

/// Runs the successive halving over `window` (ascending LRs) with the configuration's seed.
/// When the best LR after the first rung is the lowest of the window, the LRs of `lower`
/// (ascending, below the window) join the first rung.
pub(crate) fn halving_check(
    splits: &Splits,
    config: &TrainConfig,
    window: &[f64],
    lower: &[f64],
) -> Result<BudgetCheck> {
    let started = Instant::now();
    let lrs: Vec<f64> = lower.iter().chain(window).copied().collect();
    let configs: Vec<TrainConfig> = lrs.iter().map(|&lr| config.clone().with_lr(lr)).collect();
    let mut states: Vec<Option<TrainState<'_>>> = Vec::with_capacity(configs.len());
    for (i, c) in configs.iter().enumerate() {
        states.push(if i < lower.len() {
            None
        } else {
            Some(crate::train::start(splits, c)?.for_comparison())
        });
    }
    let epochs = config.epochs;
    let mut alive: Vec<usize> = (lower.len()..lrs.len()).collect();
    let mut scores = vec![f64::INFINITY; lrs.len()];
    let mut reached = vec![0usize; lrs.len()];
    let rung_epochs = |divisor: usize| epochs.div_ceil(divisor).max(1);
    let plan: Vec<(usize, usize)> = HALVING_RUNGS
        .iter()
        .map(|&(d, keep)| (rung_epochs(d), keep))
        .chain(std::iter::once((epochs, usize::MAX)))
        .collect();
    for (rung, (until, keep)) in plan.into_iter().enumerate() {
        advance(&mut states, &alive, until)?;
        for &i in &alive {
            let state = states[i].as_ref().expect("alive states are kept");
            scores[i] = state.run().best_val_loss();
            reached[i] = state.epochs_done();
        }
        if rung == 0 && !lower.is_empty() && lowest_is_best(&alive, &scores) {
            let added: Vec<usize> = (0..lower.len()).collect();
            for &i in &added {
                states[i] = Some(crate::train::start(splits, &configs[i])?.for_comparison());
            }
            advance(&mut states, &added, until)?;
            for &i in &added {
                let state = states[i].as_ref().expect("just started");
                scores[i] = state.run().best_val_loss();
                reached[i] = state.epochs_done();
            }
            alive = added.into_iter().chain(alive).collect();
        }
        if keep >= alive.len() {
            continue;
        }
        alive = block(&alive, &smoothed(&alive, &scores), keep);
    }
    let steps = states.iter().flatten().map(TrainState::steps_done).sum();

    // The LRs below the window appear only when they were trained.
    let offset = if states.first().is_some_and(Option::is_some) {
        0
    } else {
        lower.len()
    };
    let final_scores = smoothed(&alive, &scores);
    let low = alive
        .iter()
        .map(|&i| final_scores[i])
        .fold(f64::INFINITY, f64::min);
    let tied: Vec<usize> = alive
        .iter()
        .copied()
        .filter(|&i| low.is_finite() && final_scores[i] <= low + (1.0 + CHECK_TIE_SHARE).ln())
        .collect();
    let best = alive
        .iter()
        .copied()
        .filter(|&i| scores[i].is_finite())
        .min_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let tied = (!tied.is_empty()).then(|| (tied[0], tied[tied.len() - 1]));
    let best_val_acc = best
        .and_then(|i| states[i].as_ref())
        .and_then(|s| s.run().best())
        .map_or(f64::NAN, |e| e.val_acc);
    Ok(BudgetCheck {
        lrs: lrs[offset..].to_vec(),
        seeds: vec![config.seed],
        epochs,
        val_loss: scores[offset..].iter().map(|&v| vec![v]).collect(),
        mean_val_loss: scores[offset..].to_vec(),
        best: best.map(|i| i - offset),
        tied: tied.map(|(a, b)| (a - offset, b - offset)),
        recommended: tied.map(|(a, b)| crate::fmt::round_significant((lrs[a] * lrs[b]).sqrt(), 2)),
        seconds: started.elapsed().as_secs_f64(),
        epochs_trained: reached[offset..].to_vec(),
        steps,
        run_steps: super::budget_check::run_steps(splits, config),
        best_val_acc,
    })
}

/// Whether the lowest LR of `alive` has the lowest smoothed loss.
fn lowest_is_best(alive: &[usize], scores: &[f64]) -> bool {
    let s = smoothed(alive, scores);
    let best = alive
        .iter()
        .copied()
        .filter(|&i| s[i].is_finite())
        .min_by(|&a, &b| s[a].total_cmp(&s[b]));
    best.is_some() && best == alive.first().copied()
}

/// Trains the states of `alive` on to epoch `until`, on all CPU threads.
fn advance(states: &mut [Option<TrainState<'_>>], alive: &[usize], until: usize) -> Result<()> {
    let jobs: Vec<(usize, TrainState<'_>)> = alive
        .iter()
        .map(|&i| (i, states[i].take().expect("alive states are kept")))
        .collect();
    let done = crate::parallel::parallel_map(jobs, 0, |(i, mut state)| {
        let result = state.run_until(until, &mut |_, _| {});
        (i, state, result)
    });
    let mut first_error = None;
    for (i, state, result) in done {
        states[i] = Some(state);
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The mean log loss of each LR of `alive` with its [`HALVING_NEIGHBOURS`] neighbours on
/// either side among `alive` (infinite for an LR whose own run diverged; a diverged
/// neighbour counts as the worst loss of `alive`), indexed like `scores`.
fn smoothed(alive: &[usize], scores: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::INFINITY; scores.len()];
    // A diverged neighbour counts as the worst loss that trained: being next to a divergence
    // is no merit.
    let worst = alive
        .iter()
        .map(|&j| scores[j])
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(f64::NAN, f64::max);
    for (k, &i) in alive.iter().enumerate() {
        if !scores[i].is_finite() || scores[i] <= 0.0 {
            continue;
        }
        let lo = k.saturating_sub(HALVING_NEIGHBOURS);
        let hi = (k + HALVING_NEIGHBOURS + 1).min(alive.len());
        let logs: Vec<f64> = alive[lo..hi]
            .iter()
            .map(|&j| scores[j])
            .map(|v| if v.is_finite() && v > 0.0 { v } else { worst })
            .map(f64::ln)
            .collect();
        out[i] = logs.iter().sum::<f64>() / logs.len() as f64;
    }
    out
}

/// The contiguous block of `keep` LRs of `alive` centred on the lowest smoothed loss.
fn block(alive: &[usize], smoothed: &[f64], keep: usize) -> Vec<usize> {
    let Some(best) = (0..alive.len())
        .filter(|&k| smoothed[alive[k]].is_finite())
        .min_by(|&a, &b| smoothed[alive[a]].total_cmp(&smoothed[alive[b]]))
    else {
        return alive[..keep.min(alive.len())].to_vec();
    };
    let start = best
        .saturating_sub(keep / 2)
        .min(alive.len().saturating_sub(keep));
    alive[start..(start + keep).min(alive.len())].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_smooth_and_the_block_centres_on_the_best() {
        let scores = [0.9, 0.5, 0.2, 0.6, f64::INFINITY];
        let alive: Vec<usize> = (0..5).collect();
        let s = smoothed(&alive, &scores);
        assert!((s[2] - (0.5f64.ln() + 0.2f64.ln() + 0.6f64.ln()) / 3.0).abs() < 1e-12);
        assert!(s[4].is_infinite(), "a diverged LR stays out");
        // A diverged neighbour counts as the worst loss that trained.
        assert!((s[3] - (0.2f64.ln() + 0.6f64.ln() + 0.9f64.ln()) / 3.0).abs() < 1e-12);
        assert_eq!(block(&alive, &s, 3), vec![1, 2, 3]);
        // At the edge the block shifts inwards.
        let low_best = [0.1, 0.2, 0.5, 0.7, 0.9];
        assert_eq!(
            block(&alive, &smoothed(&alive, &low_best), 3),
            vec![0, 1, 2]
        );
        // Nothing finite: the block is the first LRs, not a panic.
        let none = [f64::INFINITY; 5];
        assert_eq!(block(&alive, &smoothed(&alive, &none), 2), vec![0, 1]);
    }

    #[test]
    fn the_finalists_are_the_runs_a_plain_training_gives_and_the_cost_is_small() {
        use crate::data::SplitConfig;
        use crate::train::{OptimizerKind, TrainConfig, train};
        let splits = crate::data::iris()
            .unwrap()
            .split(&SplitConfig::default())
            .unwrap();
        let config = TrainConfig::new(OptimizerKind::Adam)
            .with_epochs(8)
            .with_batch_size(16)
            .with_seed(3);
        let window = super::super::budget_check::window(0.03);
        let check = halving_check(&splits, &config, &window, &[]).unwrap();
        assert_eq!(check.lrs, window);
        let finalists: Vec<usize> = (0..window.len())
            .filter(|&i| check.epochs_trained[i] == 8)
            .collect();
        assert_eq!(finalists.len(), HALVING_RUNGS[2].1, "{check:?}");
        // Paused and continued at the rungs, a finalist is exactly the run trained in one go.
        for &i in &finalists {
            let plain = train(&splits, &config.clone().with_lr(window[i])).unwrap();
            assert_eq!(
                check.val_loss[i][0],
                plain.best_val_loss(),
                "lr {}",
                window[i]
            );
        }
        // The LRs dropped at the first rung trained 1 epoch (8 / 8).
        assert_eq!(
            check.epochs_trained.iter().filter(|&&e| e == 1).count(),
            window.len() - HALVING_RUNGS[0].1
        );
        // Epochs trained: 10 LRs x 1, then 4 x 1 more, 3 x 2 more, 2 x 4 more = 28 of 8 a run.
        assert!((check.runs() - 3.5).abs() < 1e-9, "{}", check.runs());
        let (a, b) = check.tied.unwrap();
        assert!(finalists.contains(&a) && finalists.contains(&b));
        assert!(check.recommended.is_some());
    }
}
