//! The libtorch backend (feature `tch`): the same seeded run agrees with the ndarray
//! backend, and the LR finder and a study step run on it.
#![cfg(feature = "tch")]

use tunelab::{DeviceSpec, Error, ExperimentLog, OptimizerKind, TrainConfig, train};

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
fn cuda_without_a_gpu_is_a_clear_error_and_with_one_trains_like_the_cpu() {
    let gpus = usize::try_from(tch::Cuda::device_count()).unwrap_or(0);
    if gpus == 0 {
        let err = DeviceSpec::Cuda(0)
            .to_device()
            .expect_err("no CUDA GPU: an error");
        match &err {
            Error::DeviceUnavailable { device, reason } => {
                assert_eq!(device, "cuda:0");
                assert!(reason.contains("no CUDA GPU"), "{reason}");
                assert!(reason.contains("--device torch-cpu or flex"), "{reason}");
            }
            other => panic!("expected DeviceUnavailable, got {other:?}"),
        }
        // Training asks for the device before any step, and gets the same error.
        let config = TrainConfig::default().with_device(DeviceSpec::Cuda(0));
        assert_eq!(
            train(&digits(), &config).unwrap_err().to_string(),
            err.to_string()
        );
    } else {
        // A real run on the GPU: the same seeded run as on ndarray, to float rounding.
        backend_checks::agrees_with_ndarray(DeviceSpec::Cuda(0));
        // A GPU number past the visible ones names how many there are.
        let err = DeviceSpec::Cuda(gpus).to_device().expect_err("an error");
        assert!(
            err.to_string()
                .contains(&format!("only {gpus} CUDA GPU(s) are visible")),
            "{err}"
        );
    }
}
