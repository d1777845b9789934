//! Training-core behaviour on real data: accuracy, divergence, determinism, gradient
//! accumulation, early stopping and bad input.

use tunelab::{EarlyStopping, Error, OptimizerKind, Outcome, TrainConfig, data, fit, train};

mod common;
use common::digits;

#[test]
fn adam_defaults_reach_95_percent_on_digits() {
    let splits = digits();
    let n_train = splits.train.n_samples();
    let run = train(
        &splits,
        &TrainConfig::new(OptimizerKind::Adam).with_epochs(8),
    )
    .unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    let acc = run.final_metrics().unwrap().val_accuracy;
    assert!(acc >= 0.95, "val accuracy {acc}");
    assert_eq!(run.epochs.len(), 8);
    // The first epochs' loss falls: the model learns.
    assert!(run.epochs[7].train_loss < run.epochs[0].train_loss);
    // Every step recorded its LR, loss and gradient norm.
    assert_eq!(run.steps.len(), 8 * n_train.div_ceil(64));
    assert!(
        run.steps
            .iter()
            .all(|s| s.loss.is_finite() && s.grad_norm > 0.0 && s.lr == 1e-3)
    );
    assert!(run.samples_per_s > 0.0);
}

#[test]
fn sgd_at_lr_10_diverges_and_records_the_step() {
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(10.0)
        .with_epochs(5);
    let run = train(&digits(), &config).unwrap();
    match run.outcome {
        Outcome::Diverged { step, value } => {
            assert!(step < 5 * 17, "step {step}");
            assert!(!value.is_finite() || value > 100.0, "value {value}");
            assert_eq!(run.steps.last().unwrap().step, step);
        }
        other => panic!("expected divergence, got {other}"),
    }
}

#[test]
fn same_seed_is_bit_identical_and_other_seeds_differ() {
    let splits = digits();
    let config = TrainConfig::default().with_epochs(2).with_dropout(0.2);
    let a = train(&splits, &config).unwrap();
    let b = train(&splits, &config).unwrap();
    assert_eq!(a.steps, b.steps);
    let a_epochs: Vec<_> = a
        .epochs
        .iter()
        .map(|e| (e.train_loss, e.val_loss, e.val_acc))
        .collect();
    let b_epochs: Vec<_> = b
        .epochs
        .iter()
        .map(|e| (e.train_loss, e.val_loss, e.val_acc))
        .collect();
    assert_eq!(a_epochs, b_epochs);
    let c = train(&splits, &config.clone().with_seed(1)).unwrap();
    assert_ne!(a.steps[0].loss, c.steps[0].loss);
}

#[test]
fn accumulating_k_micro_batches_equals_one_big_batch() {
    let splits = digits();
    let base = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(0.1)
        .with_max_steps(1)
        .with_epochs(1);
    let big = fit(&splits, &base.clone().with_batch_size(64), &mut |_, _| {}).unwrap();
    let small = fit(
        &splits,
        &base.clone().with_batch_size(16).with_accumulate(4),
        &mut |_, _| {},
    )
    .unwrap();
    let (pa, pb) = (
        big.model.flat_params().unwrap(),
        small.model.flat_params().unwrap(),
    );
    let max_diff = pa
        .iter()
        .zip(&pb)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(max_diff < 1e-5, "max parameter difference {max_diff}");
    assert!((big.run.steps[0].loss - small.run.steps[0].loss).abs() < 1e-5);
    // And the update did change the weights, so the comparison means something.
    let init = TrainConfig::default()
        .mlp(64, 10)
        .init(&tunelab::DeviceSpec::Cpu.to_device().unwrap(), 0)
        .unwrap();
    let p0 = init.flat_params().unwrap();
    assert!(p0.iter().zip(&pa).any(|(a, b)| (a - b).abs() > 1e-4));
}

#[test]
fn early_stopping_stops_and_restores_the_best_weights() {
    // A small training set and a large LR overfit quickly, so validation loss turns up.
    let splits = digits().with_train_size(100).unwrap();
    let config = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(1e-2)
        .with_batch_size(20)
        .with_epochs(60)
        .with_early_stopping(EarlyStopping::new(3));
    let fitted = fit(&splits, &config, &mut |_, _| {}).unwrap();
    let run = &fitted.run;
    let stopped = match run.outcome {
        Outcome::EarlyStopped { epoch } => epoch,
        ref other => panic!("expected early stop, got {other}"),
    };
    let best = run.best_epoch.unwrap();
    assert_eq!(stopped, best + 3);
    assert!(run.restored_best);
    // The returned model is the best epoch's: its validation loss is the best one recorded.
    let val = fitted.evaluate(&splits.val).unwrap();
    let best_rec = run.best().unwrap();
    assert!(
        (val.val_loss - best_rec.val_loss).abs() < 1e-6,
        "{} vs {}",
        val.val_loss,
        best_rec.val_loss
    );
    assert!((run.epochs.last().unwrap().val_loss - best_rec.val_loss).abs() > 1e-6);
}

#[test]
fn lr_follows_the_schedule_during_training() {
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_epochs(4)
        .with_schedule(tunelab::Schedule::step(2));
    let splits = digits();
    let per_epoch = splits.train.n_samples().div_ceil(64);
    let run = train(&splits, &config).unwrap();
    assert_eq!(run.steps[0].lr, 1e-2);
    assert!((run.steps[2 * per_epoch].lr - 1e-3).abs() < 1e-15);
    assert!((run.epochs[3].lr - 1e-3).abs() < 1e-15);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let splits = digits();
    let too_big = TrainConfig::default().with_batch_size(5000);
    let err = train(&splits, &too_big).unwrap_err();
    assert!(
        err.to_string()
            .contains("must not exceed the 1079 training samples"),
        "{err}"
    );
    for cfg in [
        TrainConfig::default().with_lr(0.0),
        TrainConfig::default().with_lr(f64::NAN),
        TrainConfig::default().with_batch_size(0),
        TrainConfig::default().with_epochs(0),
        TrainConfig::default().with_dropout(1.0),
    ] {
        assert!(matches!(
            train(&splits, &cfg),
            Err(Error::InvalidHyperparameter { .. })
        ));
    }
    assert!(matches!(
        data::load("mnist"),
        Err(Error::UnknownDataset { .. })
    ));
    let err = train(
        &splits,
        &TrainConfig::default().with_device(tunelab::DeviceSpec::Cuda(0)),
    );
    #[cfg(not(feature = "tch"))]
    assert!(matches!(err, Err(Error::DeviceUnavailable { .. })));
    let _ = err;
}

#[test]
fn evaluating_on_data_of_another_shape_is_an_error() {
    let splits = digits();
    let fitted = fit(
        &splits,
        &TrainConfig::default().with_max_steps(1),
        &mut |_, _| {},
    )
    .unwrap();
    let wine = data::wine().unwrap();
    assert!(matches!(
        fitted.evaluate(&wine),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(
        fitted
            .evaluate(&splits.test)
            .unwrap()
            .val_accuracy
            .is_finite()
    );
}
