//! The libtorch backend (feature `tch`): the same seeded run agrees with the ndarray
//! backend, and the LR finder and a study step run on it.
#![cfg(feature = "tch")]

use tunelab::{DeviceSpec, ExperimentLog, OptimizerKind, TrainConfig, train};

mod backend_checks;
mod common;
use common::digits;

#[test]
fn ndarray_and_libtorch_cpu_agree_on_a_seeded_run() {
    backend_checks::agrees_with_ndarray(DeviceSpec::TorchCpu);
}

#[test]
fn divergence_is_an_outcome_on_libtorch_too() {
    backend_checks::diverges_as_an_outcome(DeviceSpec::TorchCpu);
}

#[test]
fn lr_finder_runs_on_libtorch() {
    backend_checks::lr_finder_recommends(DeviceSpec::TorchCpu);
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
