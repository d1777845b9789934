//! How much a study may spend.

use crate::error::{Error, Result, Valid};
use crate::train::DeviceSpec;
use serde::{Deserialize, Serialize};

/// The size of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// A few epochs per trial, one seed: a minute or less on digits.
    Quick,
    /// More epochs per trial and wider sweeps.
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
}

impl StudyConfig {
    /// The settings of a budget.
    pub fn budget(budget: Budget) -> Self {
        match budget {
            Budget::Quick => StudyConfig {
                epochs_per_trial: 10,
                final_epochs: 40,
                patience: 6,
                seed: 0,
                threads: 0,
                verbose: true,
                progress_to_stderr: false,
                device: DeviceSpec::default(),
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
        Ok(())
    }
}
