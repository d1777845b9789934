//! Training-core behaviour on real data: accuracy, divergence, determinism, gradient
//! accumulation, early stopping and bad input.

use tunelab::train::EXPLODED_LOSS_FACTOR;
use tunelab::{
    Activation, DeviceSpec, EarlyStopping, Error, OptimizerKind, Outcome, TrainConfig, data, fit,
    train,
};

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
fn sgd_at_lr_10_diverges_at_the_first_exploded_step() {
    let splits = digits();
    let steps_per_epoch = splits.train.n_samples().div_ceil(64);
    let config = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(10.0)
        .with_epochs(5);
    let run = train(&splits, &config).unwrap();
    let Outcome::Diverged { step, value } = run.outcome else {
        panic!("expected divergence, got {}", run.outcome);
    };
    // Every step up to and including the bad one was recorded, in order, and none after it.
    let ids: Vec<usize> = run.steps.iter().map(|s| s.step).collect();
    assert_eq!(ids, (0..=step).collect::<Vec<_>>());
    assert!(
        step + 1 < 5 * steps_per_epoch,
        "stopped early, at step {step}"
    );
    // The reported value is the bad step's recorded loss.
    let bad = &run.steps[step];
    assert!(
        value.to_bits() == bad.loss.to_bits(),
        "outcome value {value}, step loss {}",
        bad.loss
    );
    // That step is the first whose loss is non-finite or above the ceiling: the first loss
    // (or ln(classes), whichever is larger) times EXPLODED_LOSS_FACTOR.
    let ln_k = (run.n_classes as f64).ln();
    let ceiling = EXPLODED_LOSS_FACTOR * run.steps[0].loss.max(ln_k);
    let exploded = |loss: f64| !loss.is_finite() || loss > ceiling;
    assert!(
        exploded(bad.loss),
        "step {step} loss {} vs {ceiling}",
        bad.loss
    );
    for s in &run.steps[..step] {
        assert!(
            !exploded(s.loss),
            "step {} loss {} already past {ceiling}",
            s.step,
            s.loss
        );
    }
    // The partial epoch the run stopped in was evaluated, so the curves show the blow-up.
    assert_eq!(run.epochs.last().unwrap().epoch, bad.epoch);
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
        .init(&tunelab::DeviceSpec::Ndarray.to_device().unwrap(), 0)
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
    // A CUDA GPU: without one (or without libtorch in the build) a clear error naming the
    // device; with one, a real run.
    let on_gpu = TrainConfig::new(OptimizerKind::Adam)
        .with_epochs(8)
        .with_device(DeviceSpec::Cuda(0));
    match (cuda_gpus() > 0, train(&splits, &on_gpu)) {
        (false, Err(Error::DeviceUnavailable { device, reason })) => {
            assert_eq!(device, "cuda:0");
            let why = if cfg!(feature = "tch") {
                "no CUDA GPU"
            } else {
                "--features tch"
            };
            assert!(reason.contains(why), "{reason}");
        }
        (true, Ok(run)) => {
            assert_eq!(run.outcome, Outcome::Completed);
            let acc = run.final_metrics().unwrap().val_accuracy;
            assert!(acc >= 0.95, "val accuracy {acc} on cuda:0");
        }
        (gpus, other) => panic!("CUDA GPU present: {gpus}, but training gave {other:?}"),
    }
}

/// CUDA GPUs libtorch sees (none without the `tch` feature).
fn cuda_gpus() -> i64 {
    #[cfg(feature = "tch")]
    {
        tch::Cuda::device_count()
    }
    #[cfg(not(feature = "tch"))]
    {
        0
    }
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

/// The step losses of a run, largest minus smallest.
fn step_loss_spread(run: &tunelab::Run) -> f64 {
    let losses = run.step_losses();
    let max = losses.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let min = losses.iter().cloned().fold(f64::INFINITY, f64::min);
    max - min
}

/// Full-batch SGD at a negligible LR: every step sees the same rows with (up to float
/// rounding) the same weights, so step losses can differ only through what the training
/// forward pass draws, and the models with and without dropout keep the same weights.
#[test]
fn dropout_masks_are_drawn_every_training_step_and_evaluation_is_dropout_free() {
    let splits = digits();
    let n = splits.train.n_samples();
    let frozen = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(1e-9)
        .with_batch_size(n)
        .with_epochs(3);
    let fit_with = |config: &TrainConfig| fit(&splits, config, &mut |_, _| {}).unwrap();
    let plain = fit_with(&frozen);
    assert_eq!(plain.run.steps.len(), 3);
    // Without dropout the three steps give the same loss, to float rounding.
    assert!(
        step_loss_spread(&plain.run) < 1e-5,
        "{:?}",
        plain.run.step_losses()
    );
    let reference = plain.evaluate(&splits.train).unwrap();
    for (name, config) in [
        ("hidden dropout 0.5", frozen.clone().with_dropout(0.5)),
        ("input dropout 0.2", frozen.clone().with_input_dropout(0.2)),
    ] {
        let fitted = fit_with(&config);
        let run = &fitted.run;
        // Training applies a mask: the first step's loss is not the plain model's...
        assert!(
            (run.steps[0].loss - plain.run.steps[0].loss).abs() > 1e-4,
            "{name}: {} vs {}",
            run.steps[0].loss,
            plain.run.steps[0].loss
        );
        // ...and a new mask every step: the same batch gives a different loss each time.
        assert!(
            step_loss_spread(run) > 1e-4,
            "{name}: {:?}",
            run.step_losses()
        );
        // Evaluation draws nothing: twice the same metrics, and those of the same weights
        // without dropout.
        let a = fitted.evaluate(&splits.train).unwrap();
        let b = fitted.evaluate(&splits.train).unwrap();
        assert_eq!(
            (a.val_loss.to_bits(), a.val_accuracy.to_bits()),
            (b.val_loss.to_bits(), b.val_accuracy.to_bits()),
            "{name}"
        );
        assert!(
            (a.val_loss - reference.val_loss).abs() < 1e-5,
            "{name}: {} vs {} without dropout",
            a.val_loss,
            reference.val_loss
        );
        assert_eq!(a.val_accuracy, reference.val_accuracy, "{name}");
        // The epoch records are evaluated the same way.
        let last = run.epochs.last().unwrap();
        assert!(
            (last.train_loss - a.val_loss).abs() < 1e-6,
            "{name}: {} vs {}",
            last.train_loss,
            a.val_loss
        );
    }
}

#[test]
fn every_activation_trains_and_sigmoid_is_the_slowest() {
    let splits = digits();
    let config = |a: Activation| {
        TrainConfig::new(OptimizerKind::Adam)
            .with_activation(a)
            .with_epochs(5)
    };
    let relu = train(&splits, &config(Activation::Relu)).unwrap();
    let final_loss = |run: &tunelab::Run| *run.train_losses().last().unwrap();
    let chance = 10f64.ln();
    for activation in [
        Activation::Tanh,
        Activation::Gelu,
        Activation::LeakyRelu,
        Activation::Sigmoid,
    ] {
        let run = train(&splits, &config(activation)).unwrap();
        assert_eq!(run.outcome, Outcome::Completed, "{activation:?}");
        assert_eq!(run.config.model.activation, activation);
        // The activation is the one applied: the very first step (same weights, same batch)
        // already gives another loss than ReLU.
        assert_ne!(run.steps[0].loss, relu.steps[0].loss, "{activation:?}");
        // The training loss falls every epoch and ends below chance.
        let losses = run.train_losses();
        assert!(
            losses.windows(2).all(|w| w[1] < w[0]),
            "{activation:?}: {losses:?}"
        );
        assert!(losses[4] < 0.95 * chance, "{activation:?}: {losses:?}");
        // Sigmoid saturates (the documented slow one); the others keep up with ReLU.
        let (loss, relu_loss) = (final_loss(&run), final_loss(&relu));
        if activation == Activation::Sigmoid {
            assert!(loss > 4.0 * relu_loss, "sigmoid {loss}, relu {relu_loss}");
        } else {
            assert!(
                loss < 2.0 * relu_loss,
                "{activation:?} {loss}, relu {relu_loss}"
            );
        }
    }
}
