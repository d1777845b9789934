//! The flex backend (feature `flex`): the same seeded run agrees with the ndarray backend,
//! divergence is an outcome, and the LR finder and a whole study run on it.
#![cfg(feature = "flex")]

use tunelab::{
    Budget, DeviceSpec, ExperimentLog, SplitConfig, StudyConfig, data, run_study, train,
};

mod backend_checks;
mod common;

#[test]
fn ndarray_and_flex_agree_on_a_seeded_run() {
    backend_checks::agrees_with_ndarray(DeviceSpec::Flex);
}

#[test]
fn divergence_is_an_outcome_on_flex_too() {
    backend_checks::diverges_as_an_outcome(DeviceSpec::Flex);
}

#[test]
fn lr_finder_runs_on_flex() {
    backend_checks::lr_finder_recommends(DeviceSpec::Flex);
}

#[test]
fn a_study_runs_every_trial_on_flex_and_its_winner_trains_alike_on_ndarray() {
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
    // The winner's configuration, same seed, on ndarray: the same run up to the backends'
    // float rounding.
    let flex = &result.best_run;
    let cpu = train(
        &splits,
        &result.best_config.clone().with_device(DeviceSpec::Ndarray),
    )
    .unwrap();
    assert_eq!(cpu.outcome, flex.outcome);
    assert_eq!(cpu.steps.len(), flex.steps.len());
    let (a, b) = (cpu.final_metrics().unwrap(), flex.final_metrics().unwrap());
    let rel = |x: f64, y: f64| (x - y).abs() / x.abs().max(1e-9);
    assert!(
        rel(a.val_loss, b.val_loss) < backend_checks::BACKEND_LOSS_TOLERANCE,
        "val loss {} on ndarray, {} on flex",
        a.val_loss,
        b.val_loss
    );
    assert!(
        rel(a.train_loss, b.train_loss) < 2.0 * backend_checks::BACKEND_LOSS_TOLERANCE,
        "train loss {} on ndarray, {} on flex",
        a.train_loss,
        b.train_loss
    );
    // Iris is easy: the tuned model gets at least 27 of its 30 test samples right.
    assert!(result.test_accuracy >= 0.9, "{}", result.test_accuracy);
}
