//! Deliberately broken runs of the training core get the diagnosis the tuning guide gives.

use tunelab::data;
use tunelab::diagnose::{Diagnosis, History, Severity, diagnose};
use tunelab::{Diagnose, OptimizerKind, Pattern, SplitConfig, Splits, TrainConfig, train};

mod common;
use common::digits;

#[test]
fn sgd_at_lr_10_is_exploding_and_the_action_cuts_the_lr_tenfold() {
    let run = train(
        &digits(),
        &TrainConfig::new(OptimizerKind::Sgd)
            .with_lr(10.0)
            .with_epochs(5),
    )
    .unwrap();
    let d = run.diagnose().unwrap();
    let f = d.get(Pattern::Exploding).unwrap_or_else(|| panic!("{d}"));
    assert_eq!(d.primary().unwrap().pattern, Pattern::Exploding);
    assert!(f.action.contains('1'), "{}", f.action);
}

#[test]
fn sgd_at_lr_1e_5_is_slow_or_not_decreasing() {
    let run = train(
        &digits(),
        &TrainConfig::new(OptimizerKind::Sgd)
            .with_lr(1e-5)
            .with_epochs(10),
    )
    .unwrap();
    let d = run.diagnose().unwrap();
    assert!(d.has(Pattern::Slow) || d.has(Pattern::NotDecreasing), "{d}");
}

#[test]
fn a_tiny_train_set_with_a_wide_net_for_200_epochs_overfits() {
    let splits = digits().with_train_size(60).unwrap();
    let config = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(3e-3)
        .with_hidden(vec![512, 512])
        .with_batch_size(20)
        .with_epochs(200);
    let run = train(&splits, &config).unwrap();
    let d = run.diagnose().unwrap();
    let f = d.get(Pattern::Overfitting).unwrap_or_else(|| panic!("{d}"));
    assert!(
        f.evidence.chars().any(|c| c.is_ascii_digit()),
        "evidence has numbers: {}",
        f.evidence
    );
}

#[test]
fn hidden_size_2_underfits() {
    let run = train(
        &digits(),
        &TrainConfig::new(OptimizerKind::Adam)
            .with_hidden(vec![2])
            .with_epochs(10),
    )
    .unwrap();
    let d = run.diagnose().unwrap();
    assert!(d.has(Pattern::Underfitting), "{d}");
}

fn small_digits() -> Splits {
    data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
        .with_train_size(200)
        .unwrap()
}

fn diagnose_run(splits: &Splits, config: &TrainConfig) -> Diagnosis {
    let run = train(splits, config).unwrap();
    diagnose(&History::from_run(&run)).unwrap()
}

#[test]
fn on_200_training_samples_the_broken_runs_get_their_diagnosis_and_action() {
    let splits = small_digits();
    let too_high = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(1.0)
        .with_epochs(5);
    let d = diagnose_run(&splits, &too_high);
    assert_eq!(
        d.primary().map(|f| f.pattern),
        Some(Pattern::Exploding),
        "{d}"
    );
    assert!(d.findings[0].action.contains("try 0.1"), "{d}");

    let too_low = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(1e-3)
        .with_epochs(10);
    let d = diagnose_run(&splits, &too_low);
    assert!(d.has(Pattern::Slow) || d.has(Pattern::NotDecreasing), "{d}");
    assert!(!d.has(Pattern::Healthy), "{d}");

    let overfit = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(1e-2)
        .with_epochs(40);
    let d = diagnose_run(&splits, &overfit);
    assert_eq!(
        d.primary().map(|f| f.pattern),
        Some(Pattern::Overfitting),
        "{d}"
    );
    assert!(d.findings[0].action.contains("stop early at epoch"), "{d}");
}

/// Panics with the diagnosis if any finding's action contains one of `phrases`.
fn assert_no_action_says(d: &Diagnosis, phrases: &[&str]) {
    for f in &d.findings {
        let action = f.action.to_lowercase();
        for phrase in phrases {
            assert!(!action.contains(phrase), "{phrase:?} in: {d}");
        }
    }
}

fn split(dataset: tunelab::Dataset) -> Splits {
    dataset.split(&SplitConfig::default()).unwrap()
}

fn spirals() -> Splits {
    split(data::spirals(1000, 3, 0.2, 0).unwrap())
}

#[test]
fn adam_at_300x_its_default_lr_is_stuck_at_chance_and_told_to_reduce_the_lr() {
    // Adam at lr 1 or 3 blows up in the first steps (exploding); at 0.3 the network survives
    // but is knocked out: the train loss sits at ln(10) for the last 8 epochs.
    let config = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(0.3)
        .with_epochs(10);
    let run = train(&digits(), &config).unwrap();
    let h = History::from_run(&run);
    let chance = 10f64.ln();
    let last = *h.train_loss.last().unwrap();
    assert!((last / chance - 1.0).abs() < 0.02, "{last} vs ln(10)");
    let d = diagnose(&h).unwrap();
    assert_no_action_says(&d, &["raise", "higher lr"]);
    let f = d.primary().unwrap();
    assert_eq!(f.severity, Severity::High, "{d}");
    assert!(
        f.action
            .contains("the LR is too high, not too low: reduce the LR 10x, try 0.03"),
        "{d}"
    );
    assert!(
        f.evidence.contains("ln(10) = 2.303")
            && f.evidence
                .contains("the LR 0.3 is 300x adam's default 0.001"),
        "{d}"
    );
}

#[test]
fn sgd_at_200x_its_default_lr_is_never_told_to_raise_it() {
    // Bounces between 0.3 and 1.1 nats on spirals and ends at 92% of ln(3).
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(2.0)
        .with_epochs(20);
    let d = train(&spirals(), &config).unwrap().diagnose().unwrap();
    assert!(d.has(Pattern::Underfitting), "{d}");
    assert_no_action_says(&d, &["raise", "higher lr"]);
    let f = d.get(Pattern::Underfitting).unwrap();
    assert!(f.evidence.contains("200x sgd's default 0.01"), "{d}");
}

#[test]
fn the_converged_adam_7_1e_3_study_winner_is_not_oscillating() {
    // The study's winner (hidden 128-64-32 after the architecture step) and the same LR
    // with the default hidden layers both fall 15-30x over the second half of their steps,
    // with batch noise on top.
    for hidden in [vec![128, 64], vec![128, 64, 32]] {
        let config = TrainConfig::new(OptimizerKind::Adam)
            .with_lr(7.1e-3)
            .with_hidden(hidden.clone())
            .with_batch_size(64)
            .with_seed(0)
            .with_epochs(10);
        let run = train(&digits(), &config).unwrap();
        let last = *run.train_losses().last().unwrap();
        assert!(last < 0.01, "{hidden:?}: converged, train loss {last}");
        let d = run.diagnose().unwrap();
        assert!(!d.has(Pattern::Oscillating), "{hidden:?}: {d}");
    }
}

#[test]
fn a_too_high_lr_whose_step_loss_bounces_without_progress_is_still_oscillating() {
    let cases = [
        (
            "sgd 0.5 on spirals",
            spirals(),
            TrainConfig::new(OptimizerKind::Sgd)
                .with_lr(0.5)
                .with_epochs(20),
        ),
        (
            "adam 0.03 on digits",
            digits(),
            TrainConfig::new(OptimizerKind::Adam)
                .with_lr(0.03)
                .with_epochs(10),
        ),
    ];
    for (name, splits, config) in cases {
        let d = train(&splits, &config).unwrap().diagnose().unwrap();
        let f = d
            .get(Pattern::Oscillating)
            .unwrap_or_else(|| panic!("{name}: {d}"));
        assert!(f.action.contains("reduce LR 2-5x"), "{name}: {d}");
    }
}

#[test]
fn a_tiny_net_with_dropout_that_underfits_is_told_to_take_dropout_away() {
    let config = TrainConfig::new(OptimizerKind::Adam)
        .with_hidden(vec![4])
        .with_dropout(0.5)
        .with_epochs(10);
    let d = train(&spirals(), &config).unwrap().diagnose().unwrap();
    let f = d
        .get(Pattern::Underfitting)
        .unwrap_or_else(|| panic!("{d}"));
    assert!(
        f.action
            .contains("reduce regularisation (remove dropout 0.5 or cut it to 0.25)"),
        "{d}"
    );
    assert_no_action_says(
        &d,
        &[
            "add dropout",
            "raise dropout",
            "add weight decay",
            "raise weight decay",
        ],
    );
}
