//! Deliberately broken runs of the training core get the diagnosis the tuning guide gives.

use tunelab::data;
use tunelab::diagnose::{Diagnosis, History, diagnose};
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
