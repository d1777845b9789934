//! What a study found.

use super::Verdict;
use crate::diagnose::Diagnosis;
use crate::log::ExperimentLog;
use crate::train::{Run, TrainConfig};
use serde::{Deserialize, Serialize};

/// One step of the study: the hyperparameter varied, the trials, and the winner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// `baseline`, `learning_rate`, `architecture`, `batch_size`, `dropout`,
    /// `weight_decay` or `fine_tune`.
    pub name: String,
    /// The hyperparameter varied (`-` for the baseline).
    pub varied: String,
    /// The values tried, as text, in the order tried.
    pub values: Vec<String>,
    /// Log ids of the trials (the current best is reused, not retrained).
    pub trial_ids: Vec<i64>,
    /// Mean validation accuracy of each value over the seeds.
    pub val_accuracy: Vec<f64>,
    /// Mean validation loss of each value over the seeds.
    pub val_loss: Vec<f64>,
    /// Validation loss of each value on every seed it was trained with (the screening seed
    /// only, for values that did not reach the comparison over seeds).
    #[serde(default)]
    pub val_loss_seeds: Vec<Vec<f64>>,
    /// The winning value.
    pub winner: String,
    /// Log id of the winning run.
    pub winner_id: i64,
    /// Why the step ran and how it ended (or why it was skipped).
    pub why: String,
    /// How the step ended: "adopted ..." or "kept ...", with the comparison over seeds.
    #[serde(default)]
    pub decision: String,
    /// How the step ended, as data: what [`decision`](Self::decision) says in words.
    #[serde(default)]
    pub outcome: StepOutcome,
    /// Seeds each value was trained with.
    #[serde(default)]
    pub seeds: usize,
    /// Warnings, for example a winner at the edge of the values tried.
    pub warnings: Vec<String>,
    /// Set when the step did not run, with the reason.
    pub skipped: Option<String>,
}

/// One value a step tried, as a record: what [`StepResult::trials`] lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTrial {
    /// The value, as the step writes it.
    pub value: String,
    /// Log id of its run with the first seed (the current configuration's own run for the
    /// value that stands for it).
    pub run_id: i64,
    /// Mean validation accuracy over the seeds it was trained with.
    pub val_accuracy: f64,
    /// Mean validation loss over those seeds.
    pub val_loss: f64,
    /// Whether it is the step's winner.
    pub winner: bool,
}

impl StepResult {
    /// The values tried, one record each, in the order tried.
    pub fn trials(&self) -> Vec<StepTrial> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, value)| StepTrial {
                value: value.clone(),
                run_id: self.trial_ids.get(i).copied().unwrap_or(0),
                val_accuracy: self.val_accuracy.get(i).copied().unwrap_or(f64::NAN),
                val_loss: self.val_loss.get(i).copied().unwrap_or(f64::NAN),
                winner: *value == self.winner,
            })
            .collect()
    }

    /// A step that varied `varied`, with nothing tried or decided yet.
    pub(super) fn empty(name: &str, varied: &str) -> Self {
        StepResult {
            name: name.into(),
            varied: varied.into(),
            values: Vec::new(),
            trial_ids: Vec::new(),
            val_accuracy: Vec::new(),
            val_loss: Vec::new(),
            val_loss_seeds: Vec::new(),
            winner: String::new(),
            winner_id: 0,
            why: String::new(),
            decision: String::new(),
            outcome: StepOutcome::default(),
            seeds: 0,
            warnings: Vec::new(),
            skipped: None,
        }
    }
}

/// How a step of the study ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepOutcome {
    /// The baseline: the reference point of every later step.
    Start,
    /// `value` beat the current configuration beyond seed noise; `verdict` is the paired
    /// comparison over the seeds.
    Adopted {
        /// The value adopted, as the step's `values` write it.
        value: String,
        /// The comparison that adopted it.
        verdict: Verdict,
    },
    /// The current configuration stayed. `challenger` is the best other value and its
    /// comparison with the current one, when one was trained over the seeds (`None`: the
    /// current value was the best on the screening seed).
    Kept {
        /// The best other value and the comparison that kept the current one.
        challenger: Option<(String, Verdict)>,
    },
    /// The step did not run, for `reason`.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl Default for StepOutcome {
    /// Kept, with no challenger (for step records written before outcomes were recorded).
    fn default() -> Self {
        StepOutcome::Kept { challenger: None }
    }
}

impl StepOutcome {
    /// Whether the step changed the configuration.
    pub fn adopted(&self) -> bool {
        matches!(self, StepOutcome::Adopted { .. })
    }
}

/// The whole study.
#[derive(Debug, Clone)]
pub struct StudyResult {
    /// Dataset name.
    pub dataset: String,
    /// The steps in order.
    pub steps: Vec<StepResult>,
    /// Every trial, with parents and steps.
    pub log: ExperimentLog,
    /// Log id of the final winner.
    pub best_run_id: i64,
    /// Its configuration.
    pub best_config: TrainConfig,
    /// Its run.
    pub best_run: Run,
    /// Diagnosis of the winner's curves.
    pub diagnosis: Diagnosis,
    /// For each finding of the diagnosis, what the study did about it (and the result), or
    /// why it did nothing.
    pub follow_up: Vec<String>,
    /// Runs the LR finder's check trained at the training budget (not in the log, which
    /// holds the study's own trials).
    pub finder_runs: usize,
    /// Accuracy on the test split, evaluated once, at the end.
    pub test_accuracy: f64,
    /// Loss on the test split.
    pub test_loss: f64,
    /// Wall-clock seconds of the whole study.
    pub wall_s: f64,
    /// Trials run at once.
    pub threads: usize,
}

impl StudyResult {
    /// The JSON summary printed by `tunelab tune --json`.
    pub fn summary_json(&self) -> serde_json::Value {
        serde_json::json!({
            "dataset": self.dataset,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "runs": self.log.len(),
            "finder_runs": self.finder_runs,
            "wall_s": self.wall_s,
            "threads": self.threads,
            "best_run_id": self.best_run_id,
            "best_config": self.best_config,
            "best_val_accuracy": self.best_run.final_metrics().map(|m| m.val_accuracy),
            "diagnosis": self.diagnosis,
            "follow_up": self.follow_up,
            "steps": self.steps.iter().map(|s| serde_json::json!({
                "name": s.name,
                "varied": s.varied,
                "values": s.values,
                "val_accuracy": s.val_accuracy,
                "winner": s.winner,
                "decision": s.decision,
                "outcome": s.outcome,
                "seeds": s.seeds,
                "why": s.why,
                "warnings": s.warnings,
                "skipped": s.skipped,
            })).collect::<Vec<_>>(),
        })
    }
}

impl std::fmt::Display for StepResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(why) = &self.skipped {
            return write!(f, "{:<14} skipped: {why}", self.name);
        }
        write!(
            f,
            "{:<14} {:<12} tried [{}] -> {} ({})",
            self.name,
            self.varied,
            self.values.join(", "),
            self.winner,
            self.why
        )?;
        for w in &self.warnings {
            write!(f, "\n{:<14} warning: {w}", "")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for StudyResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Tuning study on {}: {} runs (+{} in the LR finder's check) in {:.1} s ({} at once)",
            self.dataset,
            self.log.len(),
            self.finder_runs,
            self.wall_s,
            self.threads
        )?;
        for s in &self.steps {
            writeln!(f, "{s}")?;
        }
        writeln!(
            f,
            "best config (run {}): {}",
            self.best_run_id, self.best_config
        )?;
        writeln!(f, "diagnosis of the winner:\n{}", self.diagnosis)?;
        for note in &self.follow_up {
            writeln!(f, "  {note}")?;
        }
        write!(
            f,
            "test accuracy (evaluated once): {:.4}, test loss {:.4}",
            self.test_accuracy, self.test_loss
        )
    }
}
