//! How much a study may spend.

use crate::error::{Error, Result, Valid};
use crate::log::Metric;
use crate::train::DeviceSpec;
use serde::{Deserialize, Serialize};

/// The size of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// 10 epochs per trial, 5 seeds per candidate, and up to 30 epochs (three times a
    /// trial) with early stopping in the fine-tuning step: a few seconds on digits.
    Quick,
    /// 25 epochs per trial, 8 seeds per candidate, and up to 100 epochs with early stopping
    /// in the fine-tuning step.
    Full,
}

impl std::str::FromStr for Budget {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "quick" => Ok(Budget::Quick),
            "full" => Ok(Budget::Full),
            _ => Err(Error::unknown("budget", s, "quick or full")),
        }
    }
}

/// Settings of a tuning study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    /// Epochs of each trial in the search steps.
    pub epochs_per_trial: usize,
    /// Maximum epochs of the fine-tuning step (with early stopping).
    pub final_epochs: usize,
    /// Early-stopping patience in the fine-tuning step.
    pub patience: usize,
    /// Seed of the data split, the model initialisations and the batch order.
    pub seed: u64,
    /// Trials run at once (0: one per available CPU thread).
    pub threads: usize,
    /// Print a progress line per trial.
    pub verbose: bool,
    /// Print progress to stderr instead of stdout (the CLI does, when stdout carries JSON).
    pub progress_to_stderr: bool,
    /// Where every trial trains (the default CPU backend unless changed).
    #[serde(default)]
    pub device: DeviceSpec,
    /// Seeds the best candidate of each step is trained with (every candidate is screened on
    /// the first): a change is adopted only when it beats the current configuration beyond
    /// the noise between seeds. The quick budget uses 5, the
    /// full one 8.
    #[serde(default = "default_seeds")]
    pub seeds: usize,
    /// What the steps select on: the validation loss (default) or accuracy.
    #[serde(default = "default_metric")]
    pub metric: Metric,
    /// Memory a trial may use, in bytes (parameters, optimizer state, activations of one
    /// batch); batch sizes over it are skipped. `None`: no limit.
    #[serde(default)]
    pub memory_budget: Option<u64>,
}

fn default_seeds() -> usize {
    5
}

fn default_metric() -> Metric {
    Metric::ValLoss
}

impl StudyConfig {
    /// The settings of a budget.
    pub fn budget(budget: Budget) -> Self {
        match budget {
            Budget::Quick => StudyConfig {
                epochs_per_trial: 10,
                final_epochs: 30,
                patience: 6,
                seed: 0,
                threads: 0,
                verbose: true,
                progress_to_stderr: false,
                device: DeviceSpec::default(),
                seeds: 5,
                metric: Metric::ValLoss,
                memory_budget: None,
            },
            Budget::Full => StudyConfig {
                epochs_per_trial: 25,
                final_epochs: 100,
                patience: 10,
                seed: 0,
                threads: 0,
                verbose: true,
                progress_to_stderr: false,
                device: DeviceSpec::default(),
                seeds: 8,
                metric: Metric::ValLoss,
                memory_budget: None,
            },
        }
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of parallel trials (0: all threads).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the device every trial trains on (for example [`DeviceSpec::Flex`] when tunelab
    /// is built with the `flex` feature).
    pub fn with_device(mut self, device: DeviceSpec) -> Self {
        self.device = device;
        self
    }

    /// Sets the number of seeds each candidate trains with (at least 2).
    pub fn with_seeds(mut self, seeds: usize) -> Self {
        self.seeds = seeds;
        self
    }

    /// Sets what the steps select on (validation loss or accuracy).
    pub fn with_metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// Sets the memory budget of a trial in bytes (batch sizes over it are skipped).
    pub fn with_memory_budget(mut self, bytes: Option<u64>) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Turns progress output on or off.
    pub fn with_verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        Error::check(
            "epochs_per_trial",
            self.epochs_per_trial as f64,
            Valid::AtLeast(1.0),
            "",
        )?;
        Error::check(
            "final_epochs",
            self.final_epochs as f64,
            Valid::AtLeast(self.epochs_per_trial as f64),
            "at least epochs_per_trial",
        )?;
        Error::check("patience", self.patience as f64, Valid::AtLeast(1.0), "")?;
        Error::check(
            "seeds",
            self.seeds as f64,
            Valid::Between(2.0, 20.0),
            "at least 2 seeds, to tell a real difference from seed noise",
        )?;
        if let Some(bytes) = self.memory_budget {
            Error::check(
                "memory_budget",
                bytes as f64,
                Valid::Positive,
                "bytes (None for no limit)",
            )?;
        }
        if self.metric == Metric::TrainLoss {
            return Err(Error::unknown(
                "metric",
                "train_loss",
                "val_loss or val_accuracy (a study never selects on the training data)",
            ));
        }
        Ok(())
    }
}
