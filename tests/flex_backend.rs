//! The flex backend (feature `flex`): the same seeded run agrees with the ndarray backend,
//! divergence is an outcome, and the LR finder and a whole study run on it.
#![cfg(feature = "flex")]

use tunelab::{
    Budget, DeviceSpec, ExperimentLog, LrFinderConfig, OptimizerKind, SplitConfig, StudyConfig,
    TrainConfig, data, lr_find, run_study, train,
};

mod common;
use common::digits;

/// Final losses of two backends differ by float rounding in their kernels (summation order
/// in matmul and reductions), which grows over training; 2% relative after 5 epochs is far
/// below any difference a student would act on.
const BACKEND_LOSS_TOLERANCE: f64 = 0.02;

#[test]
fn ndarray_and_flex_agree_on_a_seeded_run() {
    let splits = digits();
    let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(5);
    let cpu = train(&splits, &config).unwrap();
    let flex = train(&splits, &config.clone().with_device(DeviceSpec::Flex)).unwrap();
    assert_eq!(cpu.outcome, flex.outcome);
    assert_eq!(cpu.steps.len(), flex.steps.len());
    // The very first step sees the same weights and batch: the loss matches closely.
    assert!(
        (cpu.steps[0].loss - flex.steps[0].loss).abs() < 1e-4,
        "{} vs {}",
        cpu.steps[0].loss,
        flex.steps[0].loss
    );
    let (a, b) = (cpu.final_metrics().unwrap(), flex.final_metrics().unwrap());
    let rel = |x: f64, y: f64| (x - y).abs() / x.abs().max(1e-9);
    assert!(
        rel(a.val_loss, b.val_loss) < BACKEND_LOSS_TOLERANCE,
        "{} vs {}",
        a.val_loss,
        b.val_loss
    );
    assert!(b.val_accuracy >= 0.9, "{}", b.val_accuracy);
}

#[test]
fn divergence_is_an_outcome_on_flex_too() {
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(10.0)
        .with_epochs(3)
        .with_device(DeviceSpec::Flex);
    assert!(train(&digits(), &config).unwrap().outcome.is_diverged());
}

#[test]
fn lr_finder_runs_on_flex() {
    let config = TrainConfig::new(OptimizerKind::Adam).with_device(DeviceSpec::Flex);
    let result = lr_find(&digits(), &config, &LrFinderConfig::default()).unwrap();
    let lr = result
        .recommended()
        .unwrap_or_else(|| panic!("no recommendation: {result}"));
    assert!((1e-4..=3e-2).contains(&lr), "{lr}");
}

#[test]
fn a_study_runs_every_trial_on_flex() {
    let splits = data::iris()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap();
    let mut config = StudyConfig::budget(Budget::Quick)
        .with_device(DeviceSpec::Flex)
        .with_verbose(false);
    config.epochs_per_trial = 3;
    config.final_epochs = 6;
    config.patience = 2;
    let result = run_study(&splits, &config, ExperimentLog::new().quiet()).unwrap();
    assert!(result.log.len() > 5, "{} runs", result.log.len());
    // Every trial derives its config from the baseline's, so the winner's device tells.
    assert_eq!(result.best_config.device, DeviceSpec::Flex);
    assert_eq!(result.best_run.config.device, DeviceSpec::Flex);
    assert!(result.test_accuracy > 0.5, "{}", result.test_accuracy);
}
