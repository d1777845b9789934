//! Checks that another backend behaves like ndarray (pinned: not the default device, which is
//! flex where it is built), shared by the backend tests (flex, libtorch).

use crate::common::digits;
use tunelab::{DeviceSpec, LrFinderConfig, OptimizerKind, TrainConfig, lr_find, train};

/// Final losses of two backends differ by float rounding in their kernels (summation order
/// in matmul and reductions), which grows over training; 2% relative after 5 epochs is far
/// below any difference a student would act on.
pub const BACKEND_LOSS_TOLERANCE: f64 = 0.02;

/// The same seeded 5-epoch run on ndarray and on `device`: same outcome and steps, the first
/// loss within 1e-4, final losses within [`BACKEND_LOSS_TOLERANCE`] (train loss twice that).
pub fn agrees_with_ndarray(device: DeviceSpec) {
    let splits = digits();
    let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(5);
    let cpu = train(&splits, &config.clone().with_device(DeviceSpec::Ndarray)).unwrap();
    assert_ne!(
        device,
        DeviceSpec::Ndarray,
        "compare another backend with ndarray"
    );
    let other = train(&splits, &config.clone().with_device(device)).unwrap();
    assert_eq!(cpu.outcome, other.outcome);
    assert_eq!(cpu.steps.len(), other.steps.len());
    // The very first step sees the same weights and batch: the loss matches closely.
    assert!(
        (cpu.steps[0].loss - other.steps[0].loss).abs() < 1e-4,
        "{} vs {}",
        cpu.steps[0].loss,
        other.steps[0].loss
    );
    let (a, b) = (cpu.final_metrics().unwrap(), other.final_metrics().unwrap());
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
    assert!(b.val_accuracy >= 0.9, "{}", b.val_accuracy);
}

/// SGD at lr 10 diverges on `device` too, and that is an outcome, not an error.
pub fn diverges_as_an_outcome(device: DeviceSpec) {
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(10.0)
        .with_epochs(3)
        .with_device(device);
    assert!(train(&digits(), &config).unwrap().outcome.is_diverged());
}

/// The LR finder on `device` recommends a learning rate in Adam's sensible range.
pub fn lr_finder_recommends(device: DeviceSpec) {
    let config = TrainConfig::new(OptimizerKind::Adam).with_device(device);
    let result = lr_find(&digits(), &config, &LrFinderConfig::default()).unwrap();
    let lr = result
        .recommended()
        .unwrap_or_else(|| panic!("no recommendation: {result}"));
    assert!((1e-4..=3e-2).contains(&lr), "{lr}");
}
