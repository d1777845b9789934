//! The libtorch backend (feature `tch`): the same seeded run agrees with the ndarray
//! backend, and the LR finder and a study step run on it.
#![cfg(feature = "tch")]

use tunelab::{
    DeviceSpec, ExperimentLog, LrFinderConfig, OptimizerKind, TrainConfig, lr_find, train,
};

mod common;
use common::digits;

/// Final losses of the two backends may differ by float rounding in different kernels
/// (summation order in matmul and reductions), which grows over training: 2% relative after
/// 5 epochs is far below any difference a student would act on.
const BACKEND_LOSS_TOLERANCE: f64 = 0.02;

#[test]
fn ndarray_and_libtorch_cpu_agree_on_a_seeded_run() {
    let splits = digits();
    let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(5);
    let cpu = train(&splits, &config).unwrap();
    let torch = train(&splits, &config.clone().with_device(DeviceSpec::TorchCpu)).unwrap();
    assert_eq!(cpu.outcome, torch.outcome);
    // The very first step sees the same weights and batch: the loss matches closely.
    assert!((cpu.steps[0].loss - torch.steps[0].loss).abs() < 1e-4);
    let (a, b) = (cpu.final_metrics().unwrap(), torch.final_metrics().unwrap());
    let rel = |x: f64, y: f64| (x - y).abs() / x.abs().max(1e-9);
    assert!(
        rel(a.val_loss, b.val_loss) < BACKEND_LOSS_TOLERANCE,
        "{} vs {}",
        a.val_loss,
        b.val_loss
    );
    assert!(
        rel(a.train_loss, b.train_loss) < 2.0 * BACKEND_LOSS_TOLERANCE,
        "{} vs {}",
        a.train_loss,
        b.train_loss
    );
    assert!(b.val_accuracy >= 0.9);
}

#[test]
fn divergence_is_an_outcome_on_libtorch_too() {
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(10.0)
        .with_epochs(3)
        .with_device(DeviceSpec::TorchCpu);
    assert!(train(&digits(), &config).unwrap().outcome.is_diverged());
}

#[test]
fn lr_finder_runs_on_libtorch() {
    let config = TrainConfig::new(OptimizerKind::Adam).with_device(DeviceSpec::TorchCpu);
    let result = lr_find(&digits(), &config, &LrFinderConfig::default()).unwrap();
    let lr = result.recommended().unwrap();
    assert!((1e-4..=3e-2).contains(&lr), "{lr}");
}

#[test]
fn a_study_step_runs_on_libtorch() {
    // One seed-repeat comparison and a logged sweep of two LRs: the pieces a study step uses.
    let splits = digits();
    let base = TrainConfig::new(OptimizerKind::Adam)
        .with_epochs(3)
        .with_device(DeviceSpec::TorchCpu);
    let mut log = ExperimentLog::new().quiet();
    let parent = log.add(&train(&splits, &base).unwrap()).unwrap();
    for lr in [3e-3, 1e-2] {
        let run = train(&splits, &base.clone().with_lr(lr)).unwrap();
        log.add_entry(
            tunelab::Entry::new(&run)
                .parent(parent)
                .step("learning_rate"),
        )
        .unwrap();
    }
    assert_eq!(log.len(), 3);
    assert!(log.rows().iter().all(|r| r.outcome == "completed"));
}

#[test]
fn cuda_without_a_gpu_is_a_clear_error() {
    if tch::Cuda::device_count() == 0 {
        let err = DeviceSpec::Cuda(0).to_device().unwrap_err().to_string();
        assert!(err.contains("no CUDA GPU"), "{err}");
    } else {
        assert!(DeviceSpec::Cuda(0).to_device().is_ok());
    }
}
