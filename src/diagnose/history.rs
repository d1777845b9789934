//! The input of a diagnosis: the curves of one run and what is known about its settings.

use crate::error::{Error, Result, Valid};
use crate::fmt::Num;
use crate::train::{OptimizerKind, Outcome, Run, TrainConfig};
use serde::{Deserialize, Serialize};

/// What is known about the run behind a [`History`]; every field is optional, and each one
/// that is known makes the advice more concrete.
///
/// `tunelab train --history-csv H.csv` writes it beside the history as `H.context.json`
/// ([`RunContext::to_json`]), and `tunelab diagnose` reads it back, so that a run diagnosed
/// from its files is judged with what the run knew.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunContext {
    /// The base learning rate (the peak of a schedule).
    pub lr: Option<f64>,
    /// The optimizer: its default LR ([`OptimizerKind::default_lr`]) tells whether `lr` is
    /// far above the usual range.
    pub optimizer: Option<OptimizerKind>,
    /// Dropout probability.
    pub dropout: Option<f64>,
    /// Weight decay.
    pub weight_decay: Option<f64>,
    /// Number of classes: a uniform guess has loss ln(n_classes).
    pub n_classes: Option<usize>,
    /// The step and loss at which training stopped because the loss blew up.
    #[serde(skip)]
    pub diverged_at_step: Option<(usize, f64)>,
    /// Samples per optimizer step (micro-batch x accumulation): a small batch gives a noisy
    /// step loss.
    pub batch_size: Option<usize>,
    /// Whether the training rows were shuffled every epoch.
    pub shuffled: Option<bool>,
    /// Number of hidden layers: dropout between hidden layers needs two.
    pub hidden_layers: Option<usize>,
    /// The width of the narrowest hidden layer: narrower than the number of classes, it is a
    /// bottleneck that no amount of training gets past.
    pub narrowest_hidden: Option<usize>,
    /// The share of each class among the training rows: what predicting the shares scores
    /// (their entropy) and the accuracy of always answering the majority class.
    pub class_shares: Option<Vec<f64>>,
    /// Training rows.
    pub n_train: Option<usize>,
    /// The largest standard deviation of a training feature over the smallest
    /// ([`Run::feature_scale_ratio`]).
    pub feature_scale_ratio: Option<f64>,
    /// The largest standard deviation of a training feature ([`Run::feature_scale_max`]).
    pub feature_scale_max: Option<f64>,
    /// Whether `n_classes` was read off the first step's loss (≈ ln(classes)) rather than
    /// given.
    pub classes_inferred: bool,
}

impl RunContext {
    /// This context with what a training configuration tells: the optimizer, the base LR,
    /// the batch per optimizer step, dropout, weight decay, the hidden layers and whether the
    /// rows were shuffled (what `tunelab diagnose --optimizer --lr --batch-size --dropout
    /// --weight-decay --hidden --shuffled` gives for a run from elsewhere).
    pub fn with_config(mut self, config: &TrainConfig) -> Self {
        self.lr = Some(config.lr());
        self.optimizer = Some(config.optimizer);
        self.batch_size = Some(config.effective_batch());
        self.dropout = Some(config.model.dropout);
        self.weight_decay = Some(config.weight_decay());
        self.hidden_layers = Some(config.model.hidden.len());
        self.narrowest_hidden = config.model.hidden.iter().copied().min();
        self.shuffled = Some(config.shuffle);
        self
    }

    /// The context with what the training rows tell: the number of classes and their shares,
    /// the number of rows and the spread of the features' scales, as a run trained on `train`
    /// records them. For a run from another framework, pass the rows it trained on (`tunelab
    /// diagnose --data`): the majority-class reference, the no-signal check and the
    /// unscaled-features check need them. A classes count read off the first loss gives way to
    /// the data's.
    pub fn with_data(mut self, train: &crate::data::Dataset) -> Self {
        let (ratio, max) = train.feature_scales();
        self.n_classes = Some(train.n_classes());
        self.classes_inferred = false;
        self.class_shares = Some(train.class_shares());
        self.n_train = Some(train.n_samples());
        self.feature_scale_ratio = ratio;
        self.feature_scale_max = max;
        self
    }

    /// The context as pretty JSON, as `tunelab train` writes it beside a history.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Reads a context written by [`RunContext::to_json`] (unknown fields are ignored,
    /// missing ones unknown). `source` names the file in errors.
    pub fn from_json(text: &str, source: &str) -> Result<RunContext> {
        serde_json::from_str(text).map_err(|e| {
            Error::data(
                source,
                format!(
                    "not a run context ({e}): expected the JSON object that `tunelab train --history-csv` writes beside the history, e.g. {{\"optimizer\": \"adam\", \"lr\": 0.001, \"n_classes\": 10}}"
                ),
            )
        })
    }
}

#[cfg(test)]
impl RunContext {
    /// Adam at `lr` on ten classes: the context the rules' tests share.
    pub(crate) fn adam_ten_classes(lr: f64) -> Self {
        RunContext {
            lr: Some(lr),
            optimizer: Some(OptimizerKind::Adam),
            n_classes: Some(10),
            ..RunContext::default()
        }
    }
}

/// The curves of one run, one value per epoch (epoch 1 first), plus optional per-step losses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Training loss per epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss per epoch (same length as `train_loss`).
    pub val_loss: Vec<f64>,
    /// Training accuracy per epoch, if known.
    pub train_acc: Option<Vec<f64>>,
    /// Validation accuracy per epoch, if known.
    pub val_acc: Option<Vec<f64>>,
    /// Learning rate per epoch; empty if unknown.
    pub lr: Vec<f64>,
    /// Loss of every optimizer step, if known.
    pub step_loss: Option<Vec<f64>>,
    /// What is known about the run's settings.
    pub context: RunContext,
}

/// Where length and context errors say they came from.
const SOURCE: &str = "history";

impl History {
    /// A history of these training and validation losses, with nothing else known.
    pub fn new(train_loss: Vec<f64>, val_loss: Vec<f64>) -> Self {
        History {
            train_loss,
            val_loss,
            ..History::default()
        }
    }

    /// Sets the context.
    pub fn with_context(mut self, context: RunContext) -> Self {
        self.context = context;
        self
    }

    /// The history of a [`Run`], with its settings as context.
    pub fn from_run(run: &Run) -> Self {
        let diverged_at_step = match run.outcome {
            Outcome::Diverged { step, value } => Some((step, value)),
            Outcome::Completed | Outcome::EarlyStopped { .. } => None,
        };
        let step_loss = run.step_losses();
        History {
            train_loss: run.train_losses(),
            val_loss: run.val_losses(),
            train_acc: Some(run.epochs.iter().map(|e| e.train_acc).collect()),
            val_acc: Some(run.epochs.iter().map(|e| e.val_acc).collect()),
            lr: run.epochs.iter().map(|e| e.lr).collect(),
            step_loss: (!step_loss.is_empty()).then_some(step_loss),
            context: RunContext {
                n_classes: Some(run.n_classes),
                diverged_at_step,
                class_shares: (!run.class_shares.is_empty()).then(|| run.class_shares.clone()),
                n_train: Some(run.n_train),
                feature_scale_ratio: run.feature_scale_ratio,
                feature_scale_max: run.feature_scale_max,
                classes_inferred: false,
                ..RunContext::default()
            }
            .with_config(&run.config),
        }
    }

    /// Number of epochs.
    pub fn n_epochs(&self) -> usize {
        self.train_loss.len()
    }

    /// The base learning rate: the context's, else the largest per-epoch LR (the peak of a
    /// warm-up or schedule).
    pub fn base_lr(&self) -> Option<f64> {
        self.context.lr.or_else(|| {
            self.lr
                .iter()
                .copied()
                .filter(|v| v.is_finite() && *v > 0.0)
                .reduce(f64::max)
        })
    }

    /// The loss of a uniform guess, ln(n_classes), if the number of classes is known.
    pub fn chance_loss(&self) -> Option<f64> {
        self.context.n_classes.map(|k| (k as f64).ln())
    }

    /// The step losses, if there are any.
    pub(super) fn steps(&self) -> Option<&[f64]> {
        self.step_loss.as_deref().filter(|s| !s.is_empty())
    }

    /// Checks that the curves have matching lengths and that the context makes sense.
    /// Non-finite losses are allowed: they are evidence, not errors.
    pub fn validate(&self) -> Result<()> {
        let n = self.n_epochs();
        let per_epoch = [
            ("val_loss", Some(&self.val_loss)),
            ("train_acc", self.train_acc.as_ref()),
            ("val_acc", self.val_acc.as_ref()),
        ];
        for (name, values) in per_epoch {
            if let Some(values) = values
                && values.len() != n
            {
                return Err(length_mismatch(name, values.len(), n));
            }
        }
        if !self.lr.is_empty() && self.lr.len() != n {
            return Err(length_mismatch("lr", self.lr.len(), n));
        }
        // Cross-entropy is never negative (nan and inf stand for a diverged run).
        for (name, values) in [
            ("train_loss", &self.train_loss),
            ("val_loss", &self.val_loss),
        ] {
            if let Some(&v) = values.iter().find(|v| **v < 0.0) {
                Error::check(name, v, Valid::NonNegative, "a cross-entropy loss")?;
            }
        }
        self.validate_context()
    }

    fn validate_context(&self) -> Result<()> {
        let c = &self.context;
        if let Some(lr) = c.lr {
            Error::check("lr", lr, Valid::Positive, "or unknown")?;
        }
        if let Some(d) = c.dropout {
            Error::check("dropout", d, Valid::HalfOpen(0.0, 1.0), "or unknown")?;
        }
        if let Some(wd) = c.weight_decay {
            Error::check("weight_decay", wd, Valid::NonNegative, "or unknown")?;
        }
        if let Some(k) = c.n_classes {
            Error::check("n_classes", k as f64, Valid::AtLeast(2.0), "or unknown")?;
        }
        if let Some(b) = c.batch_size {
            Error::check("batch_size", b as f64, Valid::AtLeast(1.0), "or unknown")?;
        }
        if let Some(shares) = &c.class_shares {
            for &v in shares {
                Error::check(
                    "class_shares",
                    v,
                    Valid::Between(0.0, 1.0),
                    "each share a fraction",
                )?;
            }
            if let Some(k) = c.n_classes
                && shares.len() != k
            {
                return Err(Error::data(
                    SOURCE,
                    format!(
                        "class_shares has {} values but n_classes is {k}: give one share per class",
                        shares.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn length_mismatch(name: &str, got: usize, n: usize) -> Error {
    Error::data(
        SOURCE,
        format!(
            "{name} has {got} values but train_loss has {n}: give one value per epoch{}",
            if name == "lr" { " (or none)" } else { "" }
        ),
    )
}

impl std::fmt::Display for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:>5} {:>10} {:>10}", "epoch", "train_loss", "val_loss")?;
        for (i, t) in self.train_loss.iter().enumerate() {
            let v = self.val_loss.get(i).copied().unwrap_or(f64::NAN);
            writeln!(f, "{:>5} {:>10.4} {:>10.4}", i + 1, Num(*t), Num(v))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_losses_are_refused() {
        let h = History::new(vec![2.0, -9.0], vec![2.1, 1.0]);
        let err = h.validate().unwrap_err().to_string();
        assert!(err.contains("train_loss"), "{err}");
        assert!(
            History::new(vec![2.0, f64::NAN], vec![2.1, f64::INFINITY])
                .validate()
                .is_ok()
        );
    }
    use crate::train::{EpochRecord, StepRecord};

    fn epoch(epoch: usize, loss: (f64, f64), acc: (f64, f64)) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: loss.0,
            val_loss: loss.1,
            train_acc: acc.0,
            val_acc: acc.1,
            lr: 0.01,
            seconds: 0.1,
        }
    }

    fn hand_made_run(outcome: Outcome) -> Run {
        Run {
            config: TrainConfig::default().with_lr(0.01).with_dropout(0.2),
            dataset: "hand-made".into(),
            n_train: 100,
            n_val: 20,
            n_classes: 10,
            class_shares: vec![0.1; 10],
            feature_scale_ratio: Some(1.0),
            feature_scale_max: Some(1.0),
            n_params: 1000,
            steps: (0..4)
                .map(|step| StepRecord {
                    step,
                    epoch: step / 2 + 1,
                    lr: 0.01,
                    loss: 2.3 - step as f64 * 0.1,
                    grad_norm: 1.0,
                })
                .collect(),
            epochs: vec![
                epoch(1, (1.5, 1.6), (0.5, 0.25)),
                epoch(2, (1.0, 1.2), (0.75, 0.5)),
            ],
            outcome,
            best_epoch: Some(2),
            restored_best: false,
            wall_s: 1.0,
            samples_per_s: 100.0,
        }
    }

    #[test]
    fn from_run_copies_the_curves_and_the_settings() {
        let h = History::from_run(&hand_made_run(Outcome::Completed));
        assert_eq!(h.train_loss, vec![1.5, 1.0]);
        assert_eq!(h.val_loss, vec![1.6, 1.2]);
        assert_eq!(h.train_acc, Some(vec![0.5, 0.75]));
        assert_eq!(h.val_acc, Some(vec![0.25, 0.5]));
        assert_eq!(h.lr, vec![0.01, 0.01]);
        assert_eq!(h.step_loss.as_ref().map(Vec::len), Some(4));
        assert_eq!(h.context.lr, Some(0.01));
        assert_eq!(h.context.optimizer, Some(OptimizerKind::Adam));
        assert_eq!(h.context.dropout, Some(0.2));
        assert_eq!(h.context.weight_decay, Some(0.0));
        assert_eq!(h.context.n_classes, Some(10));
        assert_eq!(h.context.diverged_at_step, None);
        assert!((h.chance_loss().unwrap() - 10f64.ln()).abs() < 1e-12);
        h.validate().unwrap();

        let diverged = hand_made_run(Outcome::Diverged {
            step: 3,
            value: f64::INFINITY,
        });
        let h = History::from_run(&diverged);
        assert_eq!(h.context.diverged_at_step, Some((3, f64::INFINITY)));
    }

    #[test]
    fn base_lr_falls_back_to_the_peak_of_the_epoch_lrs() {
        let mut h = History::new(vec![1.0, 0.5], vec![1.0, 0.6]);
        assert_eq!(h.base_lr(), None);
        h.lr = vec![0.001, 0.01];
        assert_eq!(h.base_lr(), Some(0.01));
        h.context.lr = Some(0.1);
        assert_eq!(h.base_lr(), Some(0.1));
    }

    #[test]
    fn mismatched_lengths_and_bad_context_are_errors_that_name_the_field() {
        let ok = History::new(vec![1.0, 0.5, 0.3], vec![1.0, 0.6, 0.4]);
        ok.validate().unwrap();
        let mut short_val = ok.clone();
        short_val.val_loss.pop();
        let mut acc = ok.clone();
        acc.train_acc = Some(vec![0.5]);
        let mut lr = ok.clone();
        lr.lr = vec![0.1; 4];
        let mut bad_lr = ok.clone();
        bad_lr.context.lr = Some(-1.0);
        let mut one_class = ok.clone();
        one_class.context.n_classes = Some(1);
        let mut dropout = ok.clone();
        dropout.context.dropout = Some(1.5);
        let cases = [
            (short_val, "val_loss has 2 values but train_loss has 3"),
            (acc, "train_acc has 1 values"),
            (lr, "lr has 4 values"),
            (bad_lr, "invalid lr = -1"),
            (one_class, "invalid n_classes = 1"),
            (dropout, "invalid dropout = 1.5"),
        ];
        for (h, expected) in cases {
            let err = h.validate().unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }
}
