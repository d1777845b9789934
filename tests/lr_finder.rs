//! The LR range test on real data: sensible recommendation, untouched state, accumulation,
//! seed repeats and bad input.

use tunelab::{
    DeviceSpec, LrFinderConfig, OptimizerKind, TrainConfig, fit, lr_find, lr_find_with, train,
};

mod common;
use common::digits;

/// Where these tests train: the default device (flex in a default build, ndarray in a build
/// without the `flex` feature).
fn device() -> DeviceSpec {
    DeviceSpec::default()
}

/// Adam with the guide's defaults, on [`device`].
fn base() -> TrainConfig {
    TrainConfig::new(OptimizerKind::Adam).with_device(device())
}

#[test]
fn adam_on_digits_recommends_a_sensible_lr_that_trains_well() {
    let splits = digits();
    let config = base();
    let result = lr_find(&splits, &config, &LrFinderConfig::default()).unwrap();
    let lr = result
        .recommended()
        .unwrap_or_else(|| panic!("uncertain: {}", result.recommendation.reason));
    assert!((1e-4..=3e-2).contains(&lr), "recommended {lr}");
    assert_eq!(result.suggestions.len(), 4);
    assert_eq!(result.lrs.len(), result.losses.len());
    // The sweep starts from an untrained model: its first loss is the chance level ln(10).
    let chance = 10f64.ln();
    assert!(
        (result.losses[0] / chance - 1.0).abs() < 0.1,
        "first loss {} vs ln(10)",
        result.losses[0]
    );
    // The smoothed curve's minimum lies strictly inside the swept range (the loss fell
    // before it and rose after it), and it is a real valley, well below the start.
    let (at, min) = argmin(&result.smoothed);
    assert!(
        0 < at && at + 1 < result.smoothed.len(),
        "minimum at {at} of {}",
        result.smoothed.len()
    );
    assert!(
        min < 0.9 * result.smoothed[0],
        "{min} vs {}",
        result.smoothed[0]
    );
    // The recommendation lies among the LRs the check found within 5% of its best.
    let check = result.check.as_ref().expect("the check at the budget ran");
    let (a, b) = check.tied.unwrap();
    assert!(
        check.lrs[a] <= lr && lr <= check.lrs[b],
        "{lr} vs {:?}",
        check.lrs
    );
    let best = check
        .mean_val_loss
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min);
    for i in [a, b] {
        assert!(
            check.mean_val_loss[i] <= best * 1.05,
            "{:?}",
            check.mean_val_loss
        );
    }
    assert_eq!(check.epochs, config.epochs);
    assert!(check.val_loss.iter().all(|v| v.len() == check.seeds.len()));
    let run = train(&splits, &config.with_lr(lr).with_epochs(8)).unwrap();
    let acc = run.final_metrics().unwrap().val_accuracy;
    assert!(acc >= 0.95, "val accuracy {acc} at lr {lr}");
}

/// Index and value of the smallest element.
fn argmin(values: &[f64]) -> (usize, f64) {
    values.iter().cloned().enumerate().fold(
        (0, f64::INFINITY),
        |b, (i, v)| if v < b.1 { (i, v) } else { b },
    )
}

/// Mean best-epoch validation loss of `config` over seeds the finder never used.
fn mean_best_val_loss(splits: &tunelab::Splits, config: &TrainConfig) -> f64 {
    let seeds = 20..26u64;
    let n = (seeds.end - seeds.start) as f64;
    seeds
        .map(|s| {
            train(splits, &config.clone().with_seed(s))
                .unwrap()
                .best_val_loss()
        })
        .sum::<f64>()
        / n
}

/// On a tiny set (iris: two batches per epoch, a few dozen steps per run) the curve alone
/// points an order of magnitude too low; the check at the budget recommends an LR that trains
/// better, measured on fresh seeds.
#[test]
fn the_check_at_the_budget_beats_the_curve_alone_on_a_tiny_set() {
    let splits = tunelab::data::iris()
        .unwrap()
        .split(&tunelab::SplitConfig::default())
        .unwrap();
    let config = base().with_epochs(10);
    let curve_only = lr_find(
        &splits,
        &config,
        &LrFinderConfig::default().with_check_seeds(0),
    )
    .unwrap();
    let checked = lr_find(&splits, &config, &LrFinderConfig::default()).unwrap();
    let (a, b) = (
        curve_only.recommended().unwrap(),
        checked.recommended().unwrap(),
    );
    assert!(b > 2.0 * a, "curve {a}, checked {b}");
    let (la, lb) = (
        mean_best_val_loss(&splits, &config.clone().with_lr(a)),
        mean_best_val_loss(&splits, &config.clone().with_lr(b)),
    );
    assert!(
        lb < la,
        "val loss at the checked lr {b}: {lb}; at the curve's {a}: {la}"
    );
}

#[test]
fn finder_leaves_model_and_optimizer_exactly_as_they_were() {
    let splits = digits();
    let config = base().with_epochs(1);
    let fitted = fit(&splits, &config, &mut |_, _| {}).unwrap();
    let params_before = fitted.model.flat_params().unwrap();
    let optim_before = fitted.optim.into_bytes().unwrap();
    let result = lr_find_with(
        &fitted.model,
        &fitted.optim,
        &splits,
        &config,
        &LrFinderConfig::default().with_steps(30),
    )
    .unwrap();
    assert!(!result.lrs.is_empty() && result.lrs.len() <= 30);
    assert_eq!(fitted.model.flat_params().unwrap(), params_before);
    assert_eq!(
        fitted.optim.into_bytes().unwrap().to_vec(),
        optim_before.to_vec()
    );
}

#[test]
fn training_after_the_finder_is_identical_to_training_without_it() {
    let splits = digits();
    let config = base().with_epochs(2);
    let before = train(&splits, &config).unwrap();
    lr_find(
        &splits,
        &config,
        &LrFinderConfig::default().with_check_seeds(0),
    )
    .unwrap();
    let after = train(&splits, &config).unwrap();
    assert_eq!(before.steps, after.steps);
    assert_eq!(before.val_losses(), after.val_losses());
}

#[test]
fn accumulation_sees_the_same_rows_and_gives_the_same_first_losses() {
    let splits = digits();
    let finder = LrFinderConfig::default().with_steps(20).with_check_seeds(0);
    let plain = lr_find(&splits, &base().with_batch_size(64), &finder).unwrap();
    let accumulated = lr_find(
        &splits,
        &base().with_batch_size(16).with_accumulate(4),
        &finder,
    )
    .unwrap();
    assert_eq!(accumulated.accumulate, 4);
    for (a, b) in plain.losses.iter().zip(&accumulated.losses).take(10) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn repeating_over_seeds_reports_the_spread_of_each_seeds_own_sweep() {
    let splits = digits();
    let config = base();
    let finder = LrFinderConfig::default().with_check_seeds(0);
    let result = lr_find(&splits, &config, &finder.clone().with_seeds(3)).unwrap();
    // The same sweep run alone with seed 0, 1 and 2.
    let alone: Vec<_> = (0..3u64)
        .map(|k| lr_find(&splits, &config.clone().with_seed(k), &finder).unwrap())
        .collect();
    assert_eq!(result.repeats.len(), 4);
    let mut moved = false;
    for r in &result.repeats {
        // Value k of the spread is what seed k's own sweep suggests.
        let own: Vec<f64> = alone
            .iter()
            .map(|a| a.suggestion(&r.name).unwrap().lr)
            .collect();
        assert_eq!(r.lrs, own, "{}", r.name);
        let mut sorted = own.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!((r.min, r.median, r.max), (sorted[0], sorted[1], sorted[2]));
        assert!((r.decades - (sorted[2] / sorted[0]).log10()).abs() < 1e-12);
        moved |= sorted[0] < sorted[2];
    }
    // Different seeds give different curves: some suggestion moves.
    assert!(moved, "{:?}", result.repeats);
    // Over seeds, the recommendation is the median of the seeds' own recommendations.
    let mut recommended: Vec<f64> = alone.iter().map(|a| a.recommended().unwrap()).collect();
    recommended.sort_by(f64::total_cmp);
    assert_eq!(result.recommended(), Some(recommended[1]));
    let text = result.to_string();
    assert!(text.contains("seeds"), "{text}");
}

#[test]
fn bad_settings_are_errors() {
    let splits = digits();
    let config = base();
    let bad_range = LrFinderConfig::default().with_range(1.0, 1e-3);
    let err = lr_find(&splits, &config, &bad_range)
        .unwrap_err()
        .to_string();
    assert!(err.contains("start_lr"), "{err}");
    assert!(lr_find(&splits, &config, &LrFinderConfig::default().with_steps(0)).is_err());
    let too_big = config.with_batch_size(100_000);
    assert!(lr_find(&splits, &too_big, &LrFinderConfig::default()).is_err());
    let err = lr_find(
        &splits,
        &base(),
        &LrFinderConfig::default().with_check_seeds(11),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("check_seeds"), "{err}");
}

/// A table of `n` rows with `d` features and `k` classes from a seeded generator; the
/// labels are drawn apart from the features when `signal` is false, else they are the class
/// of the largest of the first `k` features.
fn table(n: usize, d: usize, k: usize, signal: bool, seed: u64) -> tunelab::Splits {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let row: Vec<f32> = (0..d).map(|_| next()).collect();
        let label = if signal {
            (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap()
        } else {
            ((next() + 0.5) * k as f32).min(k as f32 - 1.0) as usize
        };
        features.extend(row);
        labels.push(label);
    }
    tunelab::Dataset::new(
        "generated",
        features,
        labels,
        (0..d).map(|j| format!("x{j}")).collect(),
        (0..k).map(|c| format!("c{c}")).collect(),
    )
    .unwrap()
    .split(&tunelab::SplitConfig::default())
    .unwrap()
}

/// The default check is the successive halving: a few runs of the configuration, where the
/// full check (every LR of the window to the full budget over several seeds) takes dozens;
/// both report their cost, and they agree within a few grid points.
#[test]
fn the_check_costs_a_few_runs_and_agrees_with_the_full_check() {
    let splits = digits();
    let config = base();
    let quick = lr_find(&splits, &config, &LrFinderConfig::default()).unwrap();
    let full = lr_find(
        &splits,
        &config,
        &LrFinderConfig::default().with_full_check(true),
    )
    .unwrap();
    let (q, f) = (quick.cost(), full.cost());
    assert!(q.runs > 1.0 && q.runs <= 6.0, "{q}");
    assert!(f.runs >= 30.0, "{f}");
    let check = quick.check.as_ref().unwrap();
    assert_eq!(q.steps, quick.sweep_steps + check.steps);
    // Digits is small: the sweep keeps its 100 steps (fewer when the loss blew up first).
    assert_eq!(quick.sweep_steps, quick.lrs.len());
    assert!(quick.sweep_steps <= 100 && (quick.sweep_steps == 100 || quick.stopped_early));
    // Two finalists trained the whole budget; the rest stopped at a rung.
    let finalists = check
        .epochs_trained
        .iter()
        .filter(|&&e| e == config.epochs)
        .count();
    assert_eq!(finalists, 2, "{:?}", check.epochs_trained);
    let (a, b) = (quick.recommended().unwrap(), full.recommended().unwrap());
    assert!((a / b).log10().abs() <= 0.75, "halving {a}, full check {b}");
    assert!(quick.to_string().contains("cost: "), "{quick}");
}

/// Labels drawn apart from the features: every LR ties and validation accuracy stays at the
/// majority share, so the finder says so instead of recommending the middle of the window.
#[test]
fn labels_without_signal_make_the_finder_uncertain() {
    let splits = table(900, 8, 3, false, 7);
    let config = base().with_epochs(10);
    for finder in [
        LrFinderConfig::default(),
        LrFinderConfig::default().with_full_check(true),
    ] {
        let result = lr_find(&splits, &config, &finder).unwrap();
        assert_eq!(result.recommended(), None, "{result}");
        assert!(
            result
                .recommendation
                .reason
                .contains("labels look independent of the features"),
            "{}",
            result.recommendation.reason
        );
    }
    // The same table with labels that follow the features gets a recommendation.
    let learnable = table(900, 8, 3, true, 7);
    let result = lr_find(&learnable, &config, &LrFinderConfig::default()).unwrap();
    assert!(result.recommended().is_some(), "{result}");
}

/// A large table's sweep takes one epoch of steps (up to 1000), so it sees the whole table;
/// an explicit step count is kept as given.
#[test]
fn the_sweep_follows_the_size_of_the_table() {
    let splits = table(12_000, 10, 4, true, 3);
    let config = base().with_epochs(2);
    let n_train = splits.train.n_samples();
    let result = lr_find(
        &splits,
        &config,
        &LrFinderConfig::default().with_check_seeds(0),
    )
    .unwrap();
    let epoch = n_train.div_ceil(config.batch_size);
    assert!(epoch > 100);
    assert!(
        result.lrs.len() == epoch || result.stopped_early,
        "{} steps for an epoch of {epoch}",
        result.lrs.len()
    );
    assert_eq!(result.sweep_steps, result.lrs.len());
    let fixed = LrFinderConfig::default().with_steps(60);
    assert_eq!(fixed.steps_for(n_train, 64), 60);
    assert_eq!(LrFinderConfig::default().steps_for(10_000_000, 64), 1000);
    assert_eq!(LrFinderConfig::default().steps_for(500, 64), 100);
}
