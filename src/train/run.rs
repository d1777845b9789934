//! The record of one training run: plain data, serialisable, with no tensors in it.

use super::TrainConfig;
use crate::fmt::Num;
use serde::{Deserialize, Serialize};

/// One optimizer step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Optimizer step, from 0.
    pub step: usize,
    /// Epoch, from 1.
    pub epoch: usize,
    /// Learning rate used at this step.
    #[serde(with = "super::float_serde::any")]
    pub lr: f64,
    /// Training loss of the step's (effective) batch.
    #[serde(with = "super::float_serde::any")]
    pub loss: f64,
    /// L2 norm of the gradient of all parameters; NaN where it was not recorded (the
    /// study's trials and the LR finder's check, whose decisions never read it).
    #[serde(with = "super::float_serde::any")]
    pub grad_norm: f64,
}

/// One epoch, evaluated at its end with dropout off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean cross-entropy on the training set.
    #[serde(with = "super::float_serde::any")]
    pub train_loss: f64,
    /// Mean cross-entropy on the validation set.
    #[serde(with = "super::float_serde::any")]
    pub val_loss: f64,
    /// Accuracy on the training set.
    #[serde(with = "super::float_serde::any")]
    pub train_acc: f64,
    /// Accuracy on the validation set.
    #[serde(with = "super::float_serde::any")]
    pub val_acc: f64,
    /// Learning rate of the epoch's last step.
    #[serde(with = "super::float_serde::any")]
    pub lr: f64,
    /// Seconds the epoch took, evaluation included.
    #[serde(with = "super::float_serde::any")]
    pub seconds: f64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// All epochs (or `max_steps`) done.
    Completed,
    /// Early stopping ended the run after this epoch.
    EarlyStopped {
        /// The last epoch trained.
        epoch: usize,
    },
    /// The loss became NaN, infinite, or exploded; training stopped at this step.
    Diverged {
        /// The optimizer step whose loss was bad.
        step: usize,
        /// The bad loss value.
        #[serde(with = "super::float_serde::any")]
        value: f64,
    },
}

impl Outcome {
    /// `completed`, `early_stopped` or `diverged`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::EarlyStopped { .. } => "early_stopped",
            Outcome::Diverged { .. } => "diverged",
        }
    }

    /// Whether the run diverged.
    pub fn is_diverged(&self) -> bool {
        matches!(self, Outcome::Diverged { .. })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Completed => write!(f, "completed"),
            Outcome::EarlyStopped { epoch } => write!(f, "early-stopped after epoch {epoch}"),
            Outcome::Diverged { step, value } => {
                write!(
                    f,
                    "diverged at step {step} (loss {})",
                    crate::fmt::num(*value)
                )
            }
        }
    }
}

/// Final metrics of a run: those of the weights the run ended with (the best epoch's when
/// early stopping restored them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinalMetrics {
    /// Training loss.
    #[serde(with = "super::float_serde::any")]
    pub train_loss: f64,
    /// Validation loss.
    #[serde(with = "super::float_serde::any")]
    pub val_loss: f64,
    /// Validation accuracy.
    #[serde(with = "super::float_serde::any")]
    pub val_accuracy: f64,
}

/// Everything about one training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The hyperparameters.
    pub config: TrainConfig,
    /// The dataset's name.
    pub dataset: String,
    /// Training samples.
    pub n_train: usize,
    /// Validation samples.
    pub n_val: usize,
    /// Number of classes (the loss of a uniform guess is ln of it).
    pub n_classes: usize,
    /// The share of each class among the training rows (empty when not recorded): the loss
    /// of predicting these shares, and the accuracy of always answering the largest, are
    /// what a model that learned nothing scores.
    #[serde(default)]
    #[serde(with = "super::float_serde::vec")]
    pub class_shares: Vec<f64>,
    /// The largest standard deviation of a training feature over the smallest (of those that
    /// vary); `None` when not recorded. Features on very different scales make any LR too
    /// high for some weights and too low for others: standardised data has 1.
    #[serde(default)]
    #[serde(with = "super::float_serde::option")]
    pub feature_scale_ratio: Option<f64>,
    /// The largest standard deviation of a training feature; `None` when not recorded. Inputs
    /// far larger than 1 make the first layer's outputs far larger than its initialisation
    /// assumes, on any scale ratio.
    #[serde(default)]
    #[serde(with = "super::float_serde::option")]
    pub feature_scale_max: Option<f64>,
    /// Trainable parameters of the model.
    pub n_params: usize,
    /// Per optimizer step.
    pub steps: Vec<StepRecord>,
    /// Per epoch.
    pub epochs: Vec<EpochRecord>,
    /// How it ended.
    pub outcome: Outcome,
    /// Epoch with the lowest validation loss, if any epoch finished.
    pub best_epoch: Option<usize>,
    /// Whether the best epoch's weights were put back at the end.
    pub restored_best: bool,
    /// Wall-clock seconds of the whole run.
    #[serde(with = "super::float_serde::any")]
    pub wall_s: f64,
    /// Training samples processed per second of optimizer steps.
    #[serde(with = "super::float_serde::any")]
    pub samples_per_s: f64,
}

impl Run {
    /// The epoch record of the best epoch.
    pub fn best(&self) -> Option<&EpochRecord> {
        self.best_epoch
            .and_then(|e| self.epochs.iter().find(|r| r.epoch == e))
    }

    /// Metrics of the weights the run ended with, or `None` if no epoch finished.
    pub fn final_metrics(&self) -> Option<FinalMetrics> {
        let rec = if self.restored_best {
            self.best()
        } else {
            self.epochs.last()
        }?;
        Some(FinalMetrics {
            train_loss: rec.train_loss,
            val_loss: rec.val_loss,
            val_accuracy: rec.val_acc,
        })
    }

    /// Per-epoch training losses.
    pub fn train_losses(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.train_loss).collect()
    }

    /// Per-epoch validation losses.
    pub fn val_losses(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.val_loss).collect()
    }

    /// The lowest validation loss over the epochs (infinite when the run diverged or no
    /// epoch has a finite one): what early stopping would keep.
    pub fn best_val_loss(&self) -> f64 {
        if self.outcome.is_diverged() {
            return f64::INFINITY;
        }
        self.epochs
            .iter()
            .map(|e| e.val_loss)
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min)
    }

    /// Per-step losses.
    pub fn step_losses(&self) -> Vec<f64> {
        self.steps.iter().map(|s| s.loss).collect()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Run on {} ({} train / {} val): {}",
            self.dataset, self.n_train, self.n_val, self.config
        )?;
        writeln!(
            f,
            "{:>5} {:>10} {:>10} {:>9} {:>9} {:>10}",
            "epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr"
        )?;
        for e in &self.epochs {
            writeln!(
                f,
                "{:>5} {:>10.4} {:>10.4} {:>9.4} {:>9.4} {:>10.2e}",
                e.epoch,
                Num(e.train_loss),
                Num(e.val_loss),
                Num(e.train_acc),
                Num(e.val_acc),
                e.lr
            )?;
        }
        write!(f, "outcome: {}", self.outcome)?;
        if let Some(b) = self.best() {
            write!(
                f,
                "; best epoch {} (val loss {:.4}, val acc {:.4})",
                b.epoch,
                Num(b.val_loss),
                Num(b.val_acc)
            )?;
        }
        write!(
            f,
            "; {:.2} s, {:.0} samples/s",
            self.wall_s, self.samples_per_s
        )
    }
}
