//! Sanity checks from practice, run before any tuning: the loss at initialisation, and
//! whether the model can memorise a single batch.

use crate::data::Splits;
use crate::error::{Error, Result, Valid};
use crate::fmt::{short, write_table};
use crate::train::tensors::{DeviceData, evaluate};
use crate::train::{Schedule, TrainConfig, fit};
use serde::Serialize;
use std::fmt;

/// The untrained model's loss passes when within this fraction of ln(classes) of it.
pub const INITIAL_LOSS_TOLERANCE: f64 = 0.10;
/// Overfitting one batch passes when the loss on it falls to this or below...
pub const OVERFIT_LOSS_TARGET: f64 = 0.05;
/// ...and the accuracy on it reaches this.
pub const OVERFIT_ACCURACY_TARGET: f64 = 1.0;

/// One number measured by a sanity check, with what it should be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// What was measured.
    pub quantity: String,
    /// The value found.
    pub measured: f64,
    /// What it should be, in words and numbers.
    pub expected: String,
    /// Whether this number is as it should be.
    pub ok: bool,
}

/// The result of a sanity check: passed or not, the numbers, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SanityCheck {
    /// The check's name.
    pub name: String,
    /// Whether every measurement is as it should be.
    pub passed: bool,
    /// The numbers.
    pub measurements: Vec<Measurement>,
    /// What the result means and what to do.
    pub advice: String,
}

impl SanityCheck {
    /// The measured value of a quantity, by name.
    pub fn value(&self, quantity: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.quantity == quantity)
            .map(|m| m.measured)
    }
}

fn measurement(quantity: &str, measured: f64, expected: String, ok: bool) -> Measurement {
    Measurement {
        quantity: quantity.to_string(),
        measured,
        expected,
        ok,
    }
}

/// Checks that the untrained model's loss on the training data is close to ln(classes),
/// the loss of a uniform guess (within [`INITIAL_LOSS_TOLERANCE`] of it). Much higher means
/// over-confident initial logits (unscaled inputs, a bad initialisation); much lower means
/// the labels leak or the loss is wrong.
pub fn initial_loss_check(splits: &Splits, config: &TrainConfig) -> Result<SanityCheck> {
    config.validate()?;
    let device = config.device.to_device()?;
    let k = splits.train.n_classes();
    let model = config
        .mlp(splits.train.n_features, k)
        .init(&device, config.seed)?;
    let (loss, accuracy) = evaluate(&model, &DeviceData::upload(&splits.train, &device))?;
    let expected = (k as f64).ln();
    let tolerance = INITIAL_LOSS_TOLERANCE * expected;
    let ok = (loss - expected).abs() <= tolerance;
    let advice = if ok {
        format!("the untrained model guesses about uniformly over {k} classes, as it should")
    } else if loss > expected {
        "the initial loss is too high: the initial logits are too large. Standardise the inputs, \
         check the weight initialisation, and that the loss takes logits (not probabilities)"
            .into()
    } else {
        "the initial loss is below a uniform guess: check that labels do not leak into the \
         features and that the loss is averaged correctly"
            .into()
    };
    Ok(SanityCheck {
        name: "initial loss".into(),
        passed: ok,
        measurements: vec![
            measurement(
                "initial loss",
                loss,
                format!("ln({k}) = {} ± {}", short(expected), short(tolerance)),
                ok,
            ),
            measurement(
                "initial accuracy",
                accuracy,
                format!("about 1/{k} = {}", short(1.0 / k as f64)),
                true,
            ),
        ],
        advice,
    })
}

/// Trains on one batch of the training data (`config.batch_size` samples) for `steps`
/// steps with regularisation off (no dropout, no weight decay, constant learning rate) and
/// checks that the model memorises it: loss at most [`OVERFIT_LOSS_TARGET`] and accuracy
/// [`OVERFIT_ACCURACY_TARGET`]. A model that cannot is too small, or the pipeline has a bug.
pub fn overfit_one_batch(
    splits: &Splits,
    config: &TrainConfig,
    steps: usize,
) -> Result<SanityCheck> {
    config.validate()?;
    Error::check("steps", steps as f64, Valid::AtLeast(1.0), "e.g. 200")?;
    let batch = config.batch_size.min(splits.train.n_samples());
    let k = splits.train.n_classes();
    let one_batch = splits.clone().with_train_size(batch)?;
    let mut cfg = config
        .clone()
        .with_batch_size(batch)
        .with_accumulate(1)
        .with_epochs(steps)
        .with_max_steps(steps)
        .with_dropout(0.0)
        .with_weight_decay(0.0)
        .with_warmup_epochs(0)
        .with_schedule(Schedule::Constant);
    cfg.early_stopping = None;
    let run = fit(&one_batch, &cfg, &mut |_, _| {})?.run;
    let first = run.steps.first().map_or(f64::NAN, |s| s.loss);
    let last = run.epochs.last();
    let loss = last.map_or(f64::NAN, |e| e.train_loss);
    let accuracy = last.map_or(0.0, |e| e.train_acc);
    let diverged = run.outcome.is_diverged();
    let loss_ok = !diverged && loss <= OVERFIT_LOSS_TARGET;
    let accuracy_ok = !diverged && accuracy >= OVERFIT_ACCURACY_TARGET;
    let passed = loss_ok && accuracy_ok;
    let lr = cfg.lr();
    let advice = if passed {
        format!(
            "the model memorised {batch} samples in {} steps: model, loss and optimizer work together",
            run.steps.len()
        )
    } else if diverged {
        format!(
            "training diverged ({}): lower the learning rate (now {}) and run the check again",
            run.outcome,
            short(lr)
        )
    } else {
        format!(
            "the model did not memorise {batch} samples in {steps} steps: give it more steps or a higher \
             learning rate (now {}); if it still cannot, the model is too small or there is a bug \
             (labels misaligned with features, wrong loss)",
            short(lr)
        )
    };
    Ok(SanityCheck {
        name: format!("overfit one batch ({batch} samples, {steps} steps)"),
        passed,
        measurements: vec![
            measurement(
                "first step loss",
                first,
                format!("about ln({k}) = {}", short((k as f64).ln())),
                first.is_finite(),
            ),
            measurement(
                "final loss",
                loss,
                format!("<= {}", short(OVERFIT_LOSS_TARGET)),
                loss_ok,
            ),
            measurement(
                "final accuracy",
                accuracy,
                format!(">= {}", short(OVERFIT_ACCURACY_TARGET)),
                accuracy_ok,
            ),
        ],
        advice,
    })
}

impl fmt::Display for SanityCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Sanity check: {}: {}",
            self.name,
            if self.passed { "PASS" } else { "FAIL" }
        )?;
        let rows: Vec<Vec<String>> = self
            .measurements
            .iter()
            .map(|m| {
                vec![
                    m.quantity.clone(),
                    format!("{:.4}", m.measured),
                    m.expected.clone(),
                    if m.ok { "ok".into() } else { "NO".into() },
                ]
            })
            .collect();
        write_table(f, &["quantity", "measured", "expected", ""], &rows)?;
        writeln!(f, "{}", self.advice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data;
    use crate::data::SplitConfig;
    use crate::train::OptimizerKind;

    fn digits() -> Splits {
        data::digits()
            .unwrap()
            .split(&SplitConfig::default())
            .unwrap()
    }

    #[test]
    fn initial_loss_on_digits_is_near_ln_10() {
        let check = initial_loss_check(&digits(), &TrainConfig::default()).unwrap();
        let loss = check.value("initial loss").unwrap();
        assert!(check.passed, "{check}");
        assert!((loss - 10f64.ln()).abs() < 0.1 * 10f64.ln(), "{loss}");
        assert!(check.to_string().contains("PASS"), "{check}");
        crate::out::errln!("{check}");
    }

    #[test]
    fn initial_loss_check_fails_on_unscaled_inputs() {
        let mut splits = digits();
        splits.train.features.iter_mut().for_each(|v| *v *= 50.0);
        let check = initial_loss_check(&splits, &TrainConfig::default()).unwrap();
        assert!(!check.passed, "{check}");
        assert!(check.advice.contains("too high"), "{}", check.advice);
    }

    #[test]
    fn adam_overfits_one_batch() {
        let config = TrainConfig::new(OptimizerKind::Adam).with_batch_size(32);
        let check = overfit_one_batch(&digits(), &config, 150).unwrap();
        assert!(check.passed, "{check}");
        assert!(check.value("final loss").unwrap() <= OVERFIT_LOSS_TARGET);
        assert_eq!(check.value("final accuracy"), Some(1.0));
        assert!(check.value("first step loss").unwrap() > 1.5);
        crate::out::errln!("{check}");
    }

    #[test]
    fn too_few_steps_fail_with_advice() {
        let config = TrainConfig::new(OptimizerKind::Sgd)
            .with_lr(1e-3)
            .with_batch_size(32);
        let check = overfit_one_batch(&digits(), &config, 2).unwrap();
        assert!(!check.passed, "{check}");
        assert!(check.advice.contains("more steps"), "{}", check.advice);
        assert!(overfit_one_batch(&digits(), &config, 0).is_err());
    }
}
