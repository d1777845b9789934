//! The complete set of hyperparameters of one training run.

use super::{DeviceSpec, EarlyStopping, OptimizerKind, Schedule};
use crate::error::{Error, Result, Valid};
use crate::model::{Activation, MlpConfig, ModelConfig};
use serde::{Deserialize, Serialize};

/// Every hyperparameter of a run, with the tuning guide's defaults: Adam at its default LR,
/// batch 64, 20 epochs, the default [`ModelConfig`] (hidden layers `[128, 64]`, ReLU, no
/// dropout), constant LR, seed 0, the CPU. The defaults are written once, in
/// [`TrainConfig::new`]; the command line shows and uses the same values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Learning rate; `None` means the optimizer's default ([`OptimizerKind::default_lr`]).
    pub lr: Option<f64>,
    /// Samples per forward pass (the micro-batch).
    pub batch_size: usize,
    /// Passes over the training data.
    pub epochs: usize,
    /// Stop after this many optimizer steps, if set.
    pub max_steps: Option<usize>,
    /// Micro-batches whose gradients are summed before each optimizer step: the effective
    /// batch is `batch_size * accumulate`.
    pub accumulate: usize,
    /// Weight decay; `None` means the optimizer's default (1e-2 for AdamW, else 0).
    pub weight_decay: Option<f64>,
    /// The model's knobs: hidden widths, activation and dropout (serialised inline, as
    /// `hidden`, `activation` and `dropout`).
    #[serde(flatten)]
    pub model: ModelConfig,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Epochs of linear LR warm-up at the start.
    pub warmup_epochs: usize,
    /// Early stopping on validation loss, if set.
    pub early_stopping: Option<EarlyStopping>,
    /// Shuffle the training rows every epoch (the default). Off, the batches follow the
    /// data's row order: a class-sorted file then gives batches of one class at a time.
    #[serde(default = "shuffle_default")]
    pub shuffle: bool,
    /// Seed of initialisation, shuffling and dropout.
    pub seed: u64,
    /// Where to train.
    pub device: DeviceSpec,
}

fn shuffle_default() -> bool {
    true
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig::new(OptimizerKind::Adam)
    }
}

impl TrainConfig {
    /// The defaults, with the given optimizer (at its default learning rate).
    pub fn new(optimizer: OptimizerKind) -> Self {
        TrainConfig {
            optimizer,
            lr: None,
            batch_size: 64,
            epochs: 20,
            max_steps: None,
            accumulate: 1,
            weight_decay: None,
            model: ModelConfig::default(),
            schedule: Schedule::Constant,
            warmup_epochs: 0,
            early_stopping: None,
            shuffle: true,
            seed: 0,
            device: DeviceSpec::default(),
        }
    }

    /// The learning rate used: the one set, or the optimizer's default.
    pub fn lr(&self) -> f64 {
        self.lr.unwrap_or_else(|| self.optimizer.default_lr())
    }

    /// The weight decay used: the one set, or the optimizer's default.
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
            .unwrap_or_else(|| self.optimizer.default_weight_decay())
    }

    /// Samples per optimizer step (`usize::MAX` when the product overflows, which
    /// [`validate`](Self::validate) refuses).
    pub fn effective_batch(&self) -> usize {
        self.batch_size.saturating_mul(self.accumulate)
    }

    /// Sets the optimizer (the LR stays unset or as set).
    pub fn with_optimizer(mut self, optimizer: OptimizerKind) -> Self {
        self.optimizer = optimizer;
        self
    }
    /// Sets the learning rate.
    pub fn with_lr(mut self, lr: f64) -> Self {
        self.lr = Some(lr);
        self
    }
    /// Sets the micro-batch size.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Sets the number of epochs.
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }
    /// Caps the number of optimizer steps.
    pub fn with_max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = Some(max_steps);
        self
    }
    /// Sets gradient accumulation.
    pub fn with_accumulate(mut self, accumulate: usize) -> Self {
        self.accumulate = accumulate;
        self
    }
    /// Sets weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = Some(weight_decay);
        self
    }
    /// Sets the hidden layer widths.
    pub fn with_hidden(mut self, hidden: impl Into<Vec<usize>>) -> Self {
        self.model = self.model.with_hidden(hidden);
        self
    }
    /// Sets the activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.model = self.model.with_activation(activation);
        self
    }
    /// Sets dropout.
    pub fn with_dropout(mut self, dropout: f64) -> Self {
        self.model = self.model.with_dropout(dropout);
        self
    }
    /// Sets the LR schedule.
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }
    /// Sets the warm-up epochs.
    pub fn with_warmup_epochs(mut self, warmup_epochs: usize) -> Self {
        self.warmup_epochs = warmup_epochs;
        self
    }
    /// Turns on early stopping.
    pub fn with_early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(early_stopping);
        self
    }
    /// Sets the input dropout probability (on the features).
    pub fn with_input_dropout(mut self, input_dropout: f64) -> Self {
        self.model = self.model.with_input_dropout(input_dropout);
        self
    }

    /// Turns the shuffling of the training rows every epoch on or off.
    pub fn with_shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets the device.
    pub fn with_device(mut self, device: DeviceSpec) -> Self {
        self.device = device;
        self
    }

    /// The model config for data with `input` features and `output` classes.
    pub fn mlp(&self, input: usize, output: usize) -> MlpConfig {
        self.model.for_data(input, output)
    }

    /// Checks every hyperparameter that does not depend on the data.
    pub fn validate(&self) -> Result<()> {
        let lr = self.lr();
        Error::check("lr", lr, Valid::Positive, "typical: 1e-4 to 1e-1")?;
        Error::check(
            "batch_size",
            self.batch_size as f64,
            Valid::AtLeast(1.0),
            "typical: 16 to 256",
        )?;
        Error::check("epochs", self.epochs as f64, Valid::AtLeast(1.0), "")?;
        if let Some(max_steps) = self.max_steps {
            Error::check(
                "max_steps",
                max_steps as f64,
                Valid::AtLeast(1.0),
                "or unset",
            )?;
        }
        Error::check(
            "accumulate",
            self.accumulate as f64,
            Valid::AtLeast(1.0),
            "1 means no accumulation",
        )?;
        if self.batch_size.checked_mul(self.accumulate).is_none() {
            return Err(Error::TooLarge {
                name: "accumulate",
                value: self.accumulate as u64,
                max: (usize::MAX / self.batch_size) as u64,
                why: format!(
                    "batch_size {} x accumulate overflows the count of samples per optimizer step",
                    self.batch_size
                ),
            });
        }
        let wd = self.weight_decay();
        Error::check(
            "weight_decay",
            wd,
            Valid::NonNegative,
            "typical: 1e-5 to 1e-3",
        )?;
        Error::check(
            "warmup_epochs",
            self.warmup_epochs as f64,
            Valid::Below(self.epochs as f64),
            "fewer than the epochs",
        )?;
        if let Some(es) = &self.early_stopping {
            Error::check(
                "patience",
                es.patience as f64,
                Valid::AtLeast(1.0),
                "epochs",
            )?;
            Error::check("min_delta", es.min_delta, Valid::NonNegative, "")?;
        }
        self.schedule.validate()?;
        self.model.validate()
    }
}

impl std::fmt::Display for TrainConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lr={} batch={}{} epochs={} hidden={} dropout={}{} wd={} schedule={}{} seed={} device={}",
            self.optimizer,
            crate::fmt::short(self.lr()),
            self.batch_size,
            if self.accumulate > 1 {
                format!("x{}", self.accumulate)
            } else {
                String::new()
            },
            self.epochs,
            self.model.hidden_label(),
            crate::fmt::short(self.model.dropout),
            if self.model.input_dropout > 0.0 {
                format!(
                    " input_dropout={}",
                    crate::fmt::short(self.model.input_dropout)
                )
            } else {
                String::new()
            },
            crate::fmt::short(self.weight_decay()),
            self.schedule.name(),
            if self.shuffle { "" } else { " no-shuffle" },
            self.seed,
            self.device
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_guide_and_validate() {
        let c = TrainConfig::default();
        assert_eq!(c.lr(), 1e-3);
        assert_eq!(TrainConfig::new(OptimizerKind::Sgd).lr(), 1e-2);
        assert_eq!(TrainConfig::new(OptimizerKind::AdamW).weight_decay(), 1e-2);
        c.validate().unwrap();
    }

    #[test]
    fn bad_hyperparameters_name_the_field() {
        let base = TrainConfig::default();
        let cases = [
            (base.clone().with_lr(0.0), "lr"),
            (base.clone().with_lr(-1.0), "lr"),
            (base.clone().with_lr(f64::NAN), "lr"),
            (base.clone().with_batch_size(0), "batch_size"),
            (base.clone().with_epochs(0), "epochs"),
            (base.clone().with_accumulate(0), "accumulate"),
            (base.clone().with_dropout(1.0), "dropout"),
            (base.clone().with_dropout(-0.1), "dropout"),
            (base.clone().with_weight_decay(-1e-4), "weight_decay"),
            (base.clone().with_warmup_epochs(20), "warmup_epochs"),
            (base.clone().with_hidden(vec![0]), "hidden"),
            (
                base.clone().with_early_stopping(EarlyStopping::new(0)),
                "patience",
            ),
        ];
        for (cfg, field) in cases {
            let err = cfg.validate().unwrap_err();
            assert!(
                matches!(&err, Error::InvalidHyperparameter { name, .. } if *name == field),
                "{field}: {err}"
            );
        }
    }

    #[test]
    fn samples_per_step_that_overflow_are_refused_with_the_exact_limit() {
        let base = TrainConfig::default();
        base.clone()
            .with_accumulate((1 << 58) - 1)
            .validate()
            .unwrap();
        for (batch, accumulate) in [(64, 1 << 58), (usize::MAX, 2)] {
            let err = base
                .clone()
                .with_batch_size(batch)
                .with_accumulate(accumulate)
                .validate()
                .unwrap_err();
            assert!(
                matches!(&err, Error::TooLarge { name: "accumulate", max, .. }
                    if *max == (usize::MAX / batch) as u64),
                "{err}"
            );
        }
        assert_eq!(
            base.with_batch_size(64)
                .with_accumulate(1 << 58)
                .effective_batch(),
            usize::MAX
        );
    }

    #[test]
    fn config_round_trips_through_json() {
        let c = TrainConfig::default()
            .with_schedule(Schedule::one_cycle())
            .with_early_stopping(EarlyStopping::new(3))
            .with_device(DeviceSpec::Cuda(1));
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"cuda:1\""), "{json}");
        let back: TrainConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
