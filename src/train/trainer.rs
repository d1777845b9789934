//! The entry points of training: [`fit`], [`train`] and [`train_verbose`].

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

/// Like [`fit`] with no observer, for a run that only a comparison reads: its steps' gradient
/// norms are not recorded (NaN), which makes a small model's steps about a tenth faster; every
/// other figure is the same as [`fit`]'s, bit for bit.
pub(crate) fn fit_trial(splits: &Splits, config: &TrainConfig) -> Result<Fitted> {
    to_the_end(start(splits, config)?.without_grad_norms(), &mut |_, _| {})
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

#[cfg(test)]
mod tests {
    use super::*;

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
