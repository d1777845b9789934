//! The entry points of training: [`fit`], [`train`] and [`train_verbose`].

use super::fitted::TrialFit;
use super::progress::{EpochObserver, print_progress};
use super::state::TrainState;
use super::{Fitted, Run, TrainConfig};
use crate::data::Splits;
use crate::error::{Error, Result, Valid};

/// A step loss above this multiple of the first step's loss (or of ln(classes), whichever
/// is larger) counts as divergence even while it is still finite: cross-entropy starts near
/// ln(classes), so a hundredfold rise means the logits are running away and NaN follows.
pub const EXPLODED_LOSS_FACTOR: f64 = 100.0;

/// Trains a model on `splits.train`, evaluating on `splits.val` after every epoch.
///
/// A loss that becomes NaN or infinite (or explodes, see [`EXPLODED_LOSS_FACTOR`]) ends the
/// run with [`Outcome::Diverged`](super::Outcome::Diverged); that is a result, not an error. Errors are for invalid
/// hyperparameters and data that do not fit the model.
pub fn train(splits: &Splits, config: &TrainConfig) -> Result<Run> {
    Ok(fit(splits, config, &mut |_, _| {})?.run)
}

/// Like [`train`], printing one progress line per epoch.
pub fn train_verbose(splits: &Splits, config: &TrainConfig) -> Result<Run> {
    Ok(fit(splits, config, &mut print_progress)?.run)
}

/// Trains and returns the model with its run; `observer` is called after every epoch.
pub fn fit(splits: &Splits, config: &TrainConfig, observer: EpochObserver<'_>) -> Result<Fitted> {
    to_the_end(start(splits, config)?, observer)
}

/// Like [`fit`] with no observer, for a run that only a comparison reads
/// ([`TrainState::for_comparison`]): its steps' gradient norms are not recorded (NaN), Adam's
/// steps skip burn's module optimizer, and the optimizer is not handed back; every other
/// figure is the same as [`fit`]'s, bit for bit.
pub(crate) fn fit_trial(splits: &Splits, config: &TrainConfig) -> Result<TrialFit> {
    let mut state = start(splits, config)?.for_comparison();
    state.run_all(&mut |_, _| {})?;
    Ok(state.finish_trial())
}

/// Trains a started run through its last epoch and hands back its model and record.
fn to_the_end(mut state: TrainState<'_>, observer: EpochObserver<'_>) -> Result<Fitted> {
    state.run_all(observer)?;
    Ok(state.finish())
}

/// A run of `config` set up and ready to train, paused before its first epoch
/// ([`TrainState::run_until`] trains it on): the checks that train several runs a few epochs
/// at a time and go on only with the best use it.
pub(crate) fn start<'a>(splits: &Splits, config: &'a TrainConfig) -> Result<TrainState<'a>> {
    config.validate()?;
    check_splits(splits, config)?;
    let base_device = config.device.to_device()?;
    let device = base_device.clone().autodiff();
    let mlp = config.mlp(splits.train.n_features, splits.train.n_classes());
    let model = mlp.build(&device, config.seed);
    let optim = config.optimizer.build(config.weight_decay());
    Ok(TrainState::new(splits, config, &mlp, device, model, optim))
}

/// Checks that a (micro-)batch fits in the training split, and that the model, its
/// optimizer state and the batch's activations fit in the memory available (before
/// anything is allocated).
pub(crate) fn check_batch(splits: &Splits, config: &TrainConfig) -> Result<()> {
    let n = splits.train.n_samples();
    Error::check(
        "batch_size",
        config.batch_size as f64,
        Valid::Between(1.0, n as f64),
        format!("must not exceed the {n} training samples"),
    )?;
    let mlp = config.mlp(splits.train.n_features, splits.train.n_classes());
    mlp.validate()?;
    mlp.check_memory(
        config.optimizer.name(),
        config.optimizer.state_slots(),
        config.batch_size,
    )
}

/// Optimizer steps per epoch and in the whole run (before `max_steps`), or an error when
/// the epochs are so many that the step count overflows.
pub(crate) fn step_counts(n_train: usize, config: &TrainConfig) -> Result<(usize, usize)> {
    let batches = n_train.div_ceil(config.batch_size.max(1));
    let per_epoch = batches.div_ceil(config.accumulate.max(1));
    match per_epoch.checked_mul(config.epochs) {
        Some(total) => Ok((per_epoch, total)),
        None => Err(Error::TooLarge {
            name: "epochs",
            value: config.epochs as u64,
            max: (usize::MAX / per_epoch.max(1)) as u64,
            why: format!(
                "with {per_epoch} optimizer steps per epoch, more epochs overflow the step count"
            ),
        }),
    }
}

fn check_splits(splits: &Splits, config: &TrainConfig) -> Result<()> {
    check_batch(splits, config)?;
    step_counts(splits.train.n_samples(), config)?;
    let val = &splits.val;
    if val.n_samples() == 0 {
        return Err(Error::data(
            &splits.train.name,
            "the validation split is empty",
        ));
    }
    if val.n_features != splits.train.n_features {
        return Err(Error::ShapeMismatch {
            context: "validation split".into(),
            expected: format!("{} features", splits.train.n_features),
            got: format!("{} features", val.n_features),
        });
    }
    Ok(())
}

/// Every parameter of a model, as bits, in the model's order (for tests that compare two
/// ways of training the same run).
#[cfg(test)]
pub(crate) fn parameter_bits(model: &crate::model::Mlp) -> Vec<Vec<u32>> {
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Bits(Vec<Vec<u32>>);
    impl ModuleVisitor for Bits {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param.val().into_data().convert::<f32>().try_to_vec::<f32>();
            self.0
                .push(values.unwrap().iter().map(|v| v.to_bits()).collect());
        }
    }
    let mut bits = Bits(Vec::new());
    model.visit(&mut bits);
    bits.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{EarlyStopping, OptimizerKind, Schedule};

    #[test]
    fn a_trial_is_fits_run_to_the_last_bit_without_its_gradient_norms() {
        let digits = crate::data::digits().unwrap();
        let splits = digits.split(&crate::data::SplitConfig::default()).unwrap();
        let configs = [
            // Adam with its L2 penalty, dropout, early stopping that restores the best epoch.
            TrainConfig::new(OptimizerKind::Adam)
                .with_lr(3e-3)
                .with_batch_size(32)
                .with_epochs(4)
                .with_weight_decay(1e-3)
                .with_dropout(0.2)
                .with_early_stopping(EarlyStopping::new(1)),
            // AdamW's decoupled decay with a schedule, and accumulated micro-batches.
            TrainConfig::new(OptimizerKind::AdamW)
                .with_batch_size(16)
                .with_accumulate(2)
                .with_epochs(2)
                .with_schedule(Schedule::one_cycle()),
            // burn's own optimizer.
            TrainConfig::new(OptimizerKind::SgdMomentum)
                .with_batch_size(64)
                .with_epochs(2),
        ];
        for config in configs {
            let full = fit(&splits, &config, &mut |_, _| {}).unwrap();
            let trial = fit_trial(&splits, &config).unwrap();
            let steps = |run: &Run| {
                run.steps
                    .iter()
                    .map(|s| (s.step, s.epoch, s.lr.to_bits(), s.loss.to_bits()))
                    .collect::<Vec<_>>()
            };
            let epochs = |run: &Run| {
                run.epochs
                    .iter()
                    .map(|e| [e.train_loss, e.val_loss, e.train_acc, e.val_acc].map(f64::to_bits))
                    .collect::<Vec<_>>()
            };
            assert!(full.run.steps.len() > 10, "{config}");
            assert_eq!(steps(&full.run), steps(&trial.run), "{config}");
            assert_eq!(epochs(&full.run), epochs(&trial.run), "{config}");
            assert_eq!(full.run.outcome, trial.run.outcome, "{config}");
            assert_eq!(full.run.restored_best, trial.run.restored_best, "{config}");
            assert_eq!(
                parameter_bits(&full.model),
                parameter_bits(&trial.model),
                "{config}"
            );
            assert!(full.run.steps.iter().all(|s| s.grad_norm > 0.0));
            assert!(trial.run.steps.iter().all(|s| s.grad_norm.is_nan()));
        }
    }

    #[test]
    fn a_step_count_that_overflows_is_an_error_not_zero_steps() {
        let config = TrainConfig::default().with_batch_size(16);
        assert_eq!(step_counts(100, &config).unwrap(), (7, 140));
        let accumulated = config.clone().with_accumulate(3);
        assert_eq!(step_counts(100, &accumulated).unwrap(), (3, 60));
        let absurd = config.with_epochs(1 << 62);
        let err = step_counts(100, &absurd).unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge { name: "epochs", value, max, .. }
                if *value == 1 << 62 && *max == usize::MAX as u64 / 7),
            "{err}"
        );
        assert!(
            err.to_string().contains("with 7 optimizer steps per epoch"),
            "{err}"
        );
    }
}
