//! Deliberately broken runs of the training core get the diagnosis the tuning guide gives.

use tunelab::{OptimizerKind, Pattern, TrainConfig, train};

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
