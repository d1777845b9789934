//! Where the study's trials train: in this process by default ([`InProcess`]), or wherever a
//! [`TrialTrainer`] sends them (the `tunelab` command line trains them in worker processes).

use crate::data::Splits;
use crate::error::Result;
use crate::train::{FinalMetrics, Run, TrainConfig, fit_trial};

/// A trained trial as the study keeps it: the record of the run, and the trained model's loss
/// and accuracy on the test part when they were asked for (the model itself is not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRun {
    /// The record of the run.
    pub run: Run,
    /// The model's metrics on `splits.test` (`val_*` fields hold the test figures), when
    /// asked for. The study asks for them on the runs it may carry forward and looks at them
    /// once, for the winner, at the very end; they never take part in a decision.
    pub test: Option<FinalMetrics>,
}

/// Trains one trial of a study. The study calls [`train`](Self::train) from several threads at
/// once (one per trial that runs at the same time), each inside a rayon pool of its share of
/// the threads.
pub trait TrialTrainer: Sync {
    /// Trains `config` on `splits` (the study's own), with the threads of the current rayon
    /// pool, and evaluates the trained model on `splits.test` when `with_test` is set.
    fn train(&self, splits: &Splits, config: &TrainConfig, with_test: bool) -> Result<TrialRun>;
}

/// Trains every trial in this process: trials that run at once are threads, each on its own
/// rayon pool. What [`run_study`](super::run_study) uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcess;

impl TrialTrainer for InProcess {
    fn train(&self, splits: &Splits, config: &TrainConfig, with_test: bool) -> Result<TrialRun> {
        train_here(splits, config, with_test)
    }
}

/// [`InProcess`]'s training, for trainers that fall back on it. The run is
/// [`fit`](crate::train::fit)'s to the last bit, except that its steps' gradient norms are
/// not recorded (NaN): no decision reads them, and they cost about a tenth of a small
/// model's step.
pub fn train_here(splits: &Splits, config: &TrainConfig, with_test: bool) -> Result<TrialRun> {
    let fitted = fit_trial(splits, config)?;
    let test = if with_test {
        Some(fitted.evaluate(&splits.test)?)
    } else {
        None
    };
    Ok(TrialRun {
        run: fitted.run,
        test,
    })
}
