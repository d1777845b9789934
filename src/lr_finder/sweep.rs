//! Running the range test on copies of the model and optimizer.

use super::budget_check::{
    CHECK_POINTS_PER_DECADE, CHECK_TIE_SHARE, below, budget_check, merge_below, seeds_for, window,
};
use super::halving::halving_check;
use super::recommend::{MIN_POINTS, Recommendation, curve_problem, recommend};
use super::suggest::{Suggestion, suggest};
use super::{LrFinderConfig, LrFinderResult, SuggestionSpread};
use crate::curve::Ema;
use crate::data::Splits;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::rng::Rng;
use crate::train::TrainConfig;
use crate::train::tensors::{DeviceData, group_gradients, read_f64};
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use std::time::Instant;

/// Runs the LR range test for a fresh model built from `config` (its optimizer, batch size,
/// gradient accumulation, architecture and seed). Nothing outside the sweep changes: a
/// training run afterwards is identical to one without the sweep.
pub fn lr_find(
    splits: &Splits,
    config: &TrainConfig,
    finder: &LrFinderConfig,
) -> Result<LrFinderResult> {
    let device = config.device.to_device()?.autodiff();
    let mlp = config.mlp(splits.train.n_features, splits.train.n_classes());
    let mut result = run_sweeps(splits, config, finder, &device, |seed| {
        Ok((
            mlp.init(&device, seed)?,
            config.optimizer.build(config.weight_decay()),
        ))
    })?;
    if finder.check_seeds > 0 {
        check_at_budget(&mut result, splits, config, finder)?;
    }
    Ok(result)
}

/// Replaces the curve's recommendation by the best LR of a check at the training budget
/// (see [`BudgetCheck`]), unless the curve itself cannot be trusted.
fn check_at_budget(
    result: &mut LrFinderResult,
    splits: &Splits,
    config: &TrainConfig,
    finder: &LrFinderConfig,
) -> Result<()> {
    // A flat or noisy curve still has a minimum, and the check at the budget is what decides;
    // only a curve that blew up before it showed anything gives no window to check.
    let usable = result.smoothed.iter().take_while(|v| v.is_finite()).count();
    if (usable < MIN_POINTS || result.suggestions.is_empty())
        && let Some(problem) =
            curve_problem(&result.losses, &result.smoothed, result.suggestions.len())
    {
        result.recommendation = Recommendation::uncertain(problem);
        return Ok(());
    }
    let lr_min = crate::curve::argmin(&result.smoothed).map_or(config.lr(), |(i, _)| result.lrs[i]);
    let check = if finder.full_check {
        let seeds = seeds_for(splits.val.n_samples(), finder.check_seeds);
        let mut check = budget_check(splits, config, &window(lr_min), seeds)?;
        if check.tied.is_some_and(|(first, _)| first == 0) {
            // The best LRs reach down to the lowest one checked: look one decade further down.
            let lower = below(&check.lrs, CHECK_POINTS_PER_DECADE);
            let extra = budget_check(splits, config, &lower, seeds)?;
            merge_below(&mut check, extra);
        }
        check
    } else {
        let lrs = window(lr_min);
        halving_check(splits, config, &lrs, &below(&lrs, CHECK_POINTS_PER_DECADE))?
    };
    let seeds = check.seeds.len();
    let curve = &result.recommendation;
    let curve_note = match curve.lr {
        Some(lr) => format!("the curve alone would say {}", crate::fmt::lr(lr)),
        None => format!("the curve alone is uncertain: {}", curve.reason),
    };
    let span = if finder.full_check {
        format!(
            "{} LRs from {} to {}, {} epochs x {} seeds each",
            check.lrs.len(),
            crate::fmt::lr(check.lrs[0]),
            crate::fmt::lr(check.lrs[check.lrs.len() - 1]),
            check.epochs,
            seeds
        )
    } else {
        let finalists = check
            .epochs_trained
            .iter()
            .filter(|&&e| e >= check.epochs)
            .count();
        format!(
            "{} LRs from {} to {} by successive halving, {finalists} of them to all {} epochs; {} runs of the configuration",
            check.lrs.len(),
            crate::fmt::lr(check.lrs[0]),
            crate::fmt::lr(check.lrs[check.lrs.len() - 1]),
            check.epochs,
            crate::fmt::num(check.runs())
        )
    };
    let tied = match check.tied {
        Some((a, b)) if a != b => format!(
            "the geometric middle of {} to {}, the LRs within {:.0}% of ",
            crate::fmt::lr(check.lrs[a]),
            crate::fmt::lr(check.lrs[b]),
            CHECK_TIE_SHARE * 100.0
        ),
        _ => String::new(),
    };
    result.recommendation = if let Some(why) = super::budget_check::no_signal(&check, splits) {
        Recommendation::uncertain(format!("{why} ({span})"))
    } else {
        match (check.recommended, check.tied) {
            (None, _) | (_, None) => Recommendation::uncertain(format!(
                "every run of the check at the training budget diverged ({span}): check the data and the model before tuning the LR"
            )),
            (Some(_), Some((0, last))) if last <= 1 => Recommendation::uncertain(format!(
                "the best LR at the training budget is the lowest one checked ({}, of {span}): the model may need more epochs, or a different set-up, more than a different LR",
                crate::fmt::lr(check.lrs[0])
            )),
            (Some(lr), Some(_)) => Recommendation {
                lr: Some(lr),
                name: "budget_check".into(),
                reason: format!(
                    "{}the lowest mean best-epoch validation loss ({:.4} at {}) when the configuration is trained as it will be ({span}); the range test's minimum is at {}, {curve_note}",
                    tied,
                    check.best.map_or(f64::NAN, |i| check.mean_val_loss[i]),
                    check.best_lr().map_or_else(String::new, crate::fmt::lr),
                    crate::fmt::lr(lr_min)
                ),
            },
        }
    };
    result.check = Some(check);
    Ok(())
}

/// Runs the range test starting from an existing model and optimizer (for example halfway
/// through training). Both are cloned: the caller's model weights and optimizer state are
/// exactly as before afterwards.
pub fn lr_find_with(
    model: &Mlp,
    optim: &ModuleOptimizer,
    splits: &Splits,
    config: &TrainConfig,
    finder: &LrFinderConfig,
) -> Result<LrFinderResult> {
    let device = model
        .layers
        .first()
        .map(|l| l.weight.val().device())
        .ok_or_else(|| {
            Error::data(
                "model",
                "the model has no layers: build it with MlpConfig::init",
            )
        })?;
    run_sweeps(splits, config, finder, &device, |_| {
        Ok((model.clone(), optim.clone()))
    })
}

/// Checks the settings, then sweeps once per seed from the model and optimizer `start`
/// gives for that seed, and combines the curves.
fn run_sweeps(
    splits: &Splits,
    config: &TrainConfig,
    finder: &LrFinderConfig,
    device: &Device,
    start: impl Fn(u64) -> Result<(Mlp, ModuleOptimizer)>,
) -> Result<LrFinderResult> {
    finder.validate()?;
    config.validate()?;
    crate::train::check_batch(splits, config)?;
    let train = DeviceData::upload(&splits.train, device);
    let started = Instant::now();
    let mut curves = Vec::with_capacity(finder.seeds);
    for k in 0..finder.seeds as u64 {
        let seed = config.seed.wrapping_add(k);
        let (model, optim) = start(seed)?;
        curves.push(sweep(model, optim, &train, config, finder, seed)?);
    }
    let mut result = combine(curves, config, finder, started.elapsed().as_secs_f64());
    result.run_steps = super::budget_check::run_steps(splits, config);
    Ok(result)
}

/// One sweep's raw curve.
struct Curve {
    lrs: Vec<f64>,
    losses: Vec<f64>,
    smoothed: Vec<f64>,
    stopped_early: bool,
}

fn sweep(
    mut model: Mlp,
    mut optim: ModuleOptimizer,
    train: &DeviceData,
    config: &TrainConfig,
    finder: &LrFinderConfig,
    seed: u64,
) -> Result<Curve> {
    let per_step = config.batch_size * config.accumulate;
    let schedule = finder.lrs_over(finder.steps_for(train.n, per_step));
    let mut shuffle = Rng::derive(seed, 0x6c72_6673);
    let mut dropout = Rng::derive(seed, 0x6c72_6664);
    let mut order: Vec<usize> = Vec::new();
    let mut cursor = 0;
    let (mut lrs, mut losses, mut smoothed) = (Vec::new(), Vec::new(), Vec::new());
    let mut ema = Ema::new(finder.beta);
    let mut best = f64::INFINITY;
    let mut stopped_early = false;
    for (i, &lr) in schedule.iter().enumerate() {
        if cursor + per_step > order.len() {
            order = (0..train.n).collect();
            shuffle.shuffle(&mut order);
            cursor = 0;
        }
        let rows = &order[cursor..(cursor + per_step).min(order.len())];
        cursor += per_step;
        let group: Vec<&[usize]> = rows.chunks(config.batch_size).collect();
        let (loss, grads) = group_gradients(&model, train, &group, &mut dropout);
        let loss = read_f64(loss)?.first().copied().unwrap_or(f64::NAN);
        let sm = ema.push(loss);
        lrs.push(lr);
        losses.push(loss);
        smoothed.push(sm);
        if !sm.is_finite() || (i > 0 && sm > finder.stop_factor * best) {
            stopped_early = i + 1 < schedule.len();
            break;
        }
        best = best.min(sm);
        model = optim.step(lr, model, grads);
    }
    Ok(Curve {
        lrs,
        losses,
        smoothed,
        stopped_early,
    })
}

fn combine(
    mut curves: Vec<Curve>,
    config: &TrainConfig,
    finder: &LrFinderConfig,
    seconds: f64,
) -> LrFinderResult {
    let per_seed: Vec<(Vec<Suggestion>, Recommendation)> = curves
        .iter()
        .map(|c| {
            let s = suggest(&c.lrs, &c.smoothed);
            let r = recommend(&c.losses, &c.smoothed, &s);
            (s, r)
        })
        .collect();
    let sweep_steps = curves.iter().map(|c| c.lrs.len()).sum();
    let first = curves.remove(0);
    let (suggestions, mut recommendation) = per_seed[0].clone();
    let mut repeats = Vec::new();
    if per_seed.len() > 1 {
        for s in &suggestions {
            let lrs: Vec<f64> = per_seed
                .iter()
                .filter_map(|(ss, _)| ss.iter().find(|x| x.name == s.name).map(|x| x.lr))
                .collect();
            repeats.push(SuggestionSpread::new(&s.name, lrs));
        }
        recommendation = recommend_over_seeds(&per_seed);
    }
    LrFinderResult {
        lrs: first.lrs,
        losses: first.losses,
        smoothed: first.smoothed,
        suggestions,
        recommendation,
        stopped_early: first.stopped_early,
        seconds,
        optimizer: config.optimizer,
        batch_size: config.batch_size,
        accumulate: config.accumulate,
        seeds: finder.seeds,
        repeats,
        check: None,
        sweep_steps,
        run_steps: 0,
    }
}

/// Over several seeds, a suggestion that moves by more than this many decades is not a
/// property of the model but of the noise in one sweep.
pub const MAX_SEED_SPREAD_DECADES: f64 = 1.0;

fn recommend_over_seeds(per_seed: &[(Vec<Suggestion>, Recommendation)]) -> Recommendation {
    let trusted: Vec<f64> = per_seed.iter().filter_map(|(_, r)| r.lr).collect();
    let k = per_seed.len();
    if trusted.len() * 2 <= k {
        let why = per_seed
            .iter()
            .find(|(_, r)| r.lr.is_none())
            .map(|(_, r)| r.reason.clone())
            .unwrap_or_default();
        return Recommendation::uncertain(format!(
            "only {} of {k} seeds gave a trustworthy curve; for example: {why}",
            trusted.len()
        ));
    }
    let spread = SuggestionSpread::new("valley", trusted);
    if spread.decades > MAX_SEED_SPREAD_DECADES {
        return Recommendation::uncertain(format!(
            "the valley moves by {:.1} decades across {k} seeds ({:.2e} to {:.2e}): the curve is unstable; use a larger batch or more steps",
            spread.decades, spread.min, spread.max
        ));
    }
    Recommendation {
        lr: Some(spread.median),
        name: "valley".into(),
        reason: format!(
            "{:.2e}: median valley over {k} seeds (range {:.2e} to {:.2e}, {:.2} decades)",
            spread.median, spread.min, spread.max, spread.decades
        ),
    }
}
