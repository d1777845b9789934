//! A seeded CPU run is bit-reproducible: the same config, seed and thread count give the
//! same per-step losses and gradient norms, run after run, alone or beside other trials.
//! The model is wide enough (512 units, batch 256) that the CPU backends' threaded and SIMD
//! kernels are the ones that run.

use tunelab::{DeviceSpec, OptimizerKind, Run, TrainConfig, train, train_all};

mod common;
use common::digits;

fn wide(device: DeviceSpec, seed: u64) -> TrainConfig {
    TrainConfig::new(OptimizerKind::Adam)
        .with_device(device)
        .with_hidden(vec![512, 512])
        .with_batch_size(256)
        .with_dropout(0.1)
        .with_epochs(2)
        .with_max_steps(8)
        .with_seed(seed)
}

/// Every number a run records per step and per epoch, as bits.
fn fingerprint(run: &Run) -> Vec<u64> {
    let steps = run
        .steps
        .iter()
        .flat_map(|s| [s.loss.to_bits(), s.grad_norm.to_bits(), s.lr.to_bits()]);
    let epochs = run.epochs.iter().flat_map(|e| {
        [
            e.train_loss.to_bits(),
            e.val_loss.to_bits(),
            e.train_acc.to_bits(),
            e.val_acc.to_bits(),
        ]
    });
    steps.chain(epochs).collect()
}

fn same_seed_same_bits(device: DeviceSpec) {
    let splits = digits();
    let config = wide(device, 3);
    let a = train(&splits, &config).unwrap();
    let b = train(&splits, &config).unwrap();
    assert_eq!(a.steps.len(), 8);
    assert!(a.steps.iter().all(|s| s.loss.is_finite()));
    assert_eq!(
        fingerprint(&a),
        fingerprint(&b),
        "{device}: two runs differ"
    );
    // Trials run side by side on two threads, and one after the other: the same bits.
    let configs: Vec<TrainConfig> = (1..4).map(|seed| wide(device, seed)).collect();
    let together: Vec<Vec<u64>> = train_all(&splits, &configs, 2)
        .iter()
        .map(|r| fingerprint(r.as_ref().unwrap()))
        .collect();
    let alone: Vec<Vec<u64>> = train_all(&splits, &configs, 1)
        .iter()
        .map(|r| fingerprint(r.as_ref().unwrap()))
        .collect();
    assert_eq!(
        together, alone,
        "{device}: parallel trials differ from sequential ones"
    );
    assert_eq!(
        together[2],
        fingerprint(&a),
        "{device}: a trial differs from its run"
    );
    assert_ne!(
        together[0], together[1],
        "{device}: seeds 1 and 2 gave the same run"
    );
}

#[test]
fn a_seeded_ndarray_run_is_bit_identical() {
    same_seed_same_bits(DeviceSpec::Ndarray);
}

#[cfg(feature = "flex")]
#[test]
fn a_seeded_flex_run_is_bit_identical() {
    same_seed_same_bits(DeviceSpec::Flex);
}
