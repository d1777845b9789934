//! The result of a range test.

use super::{BudgetCheck, Recommendation, Suggestion};
use crate::train::OptimizerKind;
use serde::{Deserialize, Serialize};

/// How one suggestion varied over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionSpread {
    /// The suggestion's name.
    pub name: String,
    /// Its value for each seed.
    pub lrs: Vec<f64>,
    /// Median over seeds.
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// log10(max / min): how many powers of ten the suggestion moves.
    pub decades: f64,
}

impl SuggestionSpread {
    /// Summarises the values of one suggestion over seeds.
    pub fn new(name: &str, lrs: Vec<f64>) -> Self {
        let mut sorted = lrs.clone();
        sorted.sort_by(f64::total_cmp);
        let min = sorted.first().copied().unwrap_or(f64::NAN);
        let max = sorted.last().copied().unwrap_or(f64::NAN);
        let median = if sorted.is_empty() {
            f64::NAN
        } else if sorted.len() % 2 == 1 {
            sorted[sorted.len() / 2]
        } else {
            let (a, b) = (sorted[sorted.len() / 2 - 1], sorted[sorted.len() / 2]);
            (a * b).sqrt()
        };
        SuggestionSpread {
            name: name.to_string(),
            lrs,
            median,
            min,
            max,
            decades: (max / min).log10(),
        }
    }
}

/// Everything a range test found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrFinderResult {
    /// Learning rates tried, in order (up to where the sweep stopped).
    pub lrs: Vec<f64>,
    /// Raw loss at each.
    pub losses: Vec<f64>,
    /// Smoothed (bias-corrected EMA) loss at each.
    pub smoothed: Vec<f64>,
    /// The four suggestions, each with its reason.
    pub suggestions: Vec<Suggestion>,
    /// The recommendation (or "uncertain" with why).
    pub recommendation: Recommendation,
    /// Whether the sweep stopped before its last LR because the loss blew up.
    pub stopped_early: bool,
    /// Wall-clock seconds of all sweeps.
    pub seconds: f64,
    /// The optimizer swept.
    pub optimizer: OptimizerKind,
    /// Micro-batch size.
    pub batch_size: usize,
    /// Micro-batches per step.
    pub accumulate: usize,
    /// Number of seeds swept.
    pub seeds: usize,
    /// Spread of each suggestion over seeds (empty for one seed).
    pub repeats: Vec<SuggestionSpread>,
    /// The check of the curve at the training budget, when it ran.
    #[serde(default)]
    pub check: Option<BudgetCheck>,
    /// Optimizer steps of the range test, all seeds together.
    #[serde(default)]
    pub sweep_steps: usize,
    /// Optimizer steps of one run of the configuration: the unit of [`FinderCost::runs`].
    #[serde(default)]
    pub run_steps: usize,
}

/// What a call of the LR finder cost: the range test and the check together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinderCost {
    /// Optimizer steps trained.
    pub steps: usize,
    /// The same in runs of the configuration (steps over one run's steps; NaN when unknown).
    pub runs: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl std::fmt::Display for FinderCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} steps = {} runs of the configuration, {:.2} s",
            self.steps,
            crate::fmt::num(self.runs),
            self.seconds
        )
    }
}

impl LrFinderResult {
    /// The recommended learning rate, `None` when uncertain.
    pub fn recommended(&self) -> Option<f64> {
        self.recommendation.lr
    }

    /// What the range test and the check cost together.
    pub fn cost(&self) -> FinderCost {
        let check_steps = self.check.as_ref().map_or(0, |c| c.steps);
        let steps = self.sweep_steps + check_steps;
        FinderCost {
            steps,
            runs: if self.run_steps == 0 {
                f64::NAN
            } else {
                steps as f64 / self.run_steps as f64
            },
            seconds: self.seconds + self.check.as_ref().map_or(0.0, |c| c.seconds),
        }
    }

    /// The suggestion with this name.
    pub fn suggestion(&self, name: &str) -> Option<&Suggestion> {
        self.suggestions.iter().find(|s| s.name == name)
    }
}

impl std::fmt::Display for LrFinderResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "LR range test: {}, batch {}{}, {} lrs from {:.1e} to {:.1e}{} in {:.2} s",
            self.optimizer,
            self.batch_size,
            if self.accumulate > 1 {
                format!("x{}", self.accumulate)
            } else {
                String::new()
            },
            self.lrs.len(),
            self.lrs.first().copied().unwrap_or(f64::NAN),
            self.lrs.last().copied().unwrap_or(f64::NAN),
            if self.stopped_early {
                " (stopped: loss blew up)"
            } else {
                ""
            },
            self.seconds
        )?;
        for s in &self.suggestions {
            write!(f, "  {:<11} {:>9.2e}  {}", s.name, s.lr, s.reason)?;
            if let Some(r) = self.repeats.iter().find(|r| r.name == s.name) {
                write!(
                    f,
                    "  [seeds: {:.2e}..{:.2e}, {:.2} decades]",
                    r.min, r.max, r.decades
                )?;
            }
            writeln!(f)?;
        }
        if let Some(c) = &self.check {
            write!(
                f,
                "checked at the budget ({} epochs, {} seed{}):",
                c.epochs,
                c.seeds.len(),
                if c.seeds.len() == 1 { "" } else { "s" }
            )?;
            for (i, (lr, loss)) in c.lrs.iter().zip(&c.mean_val_loss).enumerate() {
                let sep = if i == 0 { " " } else { ", " };
                write!(
                    f,
                    "{sep}{}: {:.4}",
                    crate::fmt::lr(*lr),
                    crate::fmt::Num(*loss)
                )?;
                match c.epochs_trained.get(i) {
                    Some(&e) if e < c.epochs => write!(f, " (after {e})")?,
                    _ => {}
                }
            }
            writeln!(f)?;
        }
        writeln!(f, "cost: {}", self.cost())?;
        match self.recommendation.lr {
            Some(lr) => write!(f, "recommended: {lr:.2e} ({})", self.recommendation.reason),
            None => write!(f, "recommended: uncertain ({})", self.recommendation.reason),
        }
    }
}
