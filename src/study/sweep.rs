//! The machinery every step of the study shares: train the candidates in parallel, log
//! them in order, and carry the best one forward.

use super::{StepResult, StudyConfig};
use crate::data::Splits;
use crate::error::Result;
use crate::fmt::Num;
use crate::log::{Entry, ExperimentLog};
use crate::parallel::parallel_map_ordered;
use crate::train::{Fitted, TrainConfig, fit};
use std::time::Instant;

/// A finished trial.
pub(super) struct Trial {
    pub(super) id: i64,
    pub(super) fitted: Fitted,
}

impl Trial {
    /// (validation accuracy, validation loss) of the weights the trial ended with; diverged
    /// runs score worst.
    pub(super) fn score(&self) -> (f64, f64) {
        match self.fitted.run.final_metrics() {
            Some(m) if !self.fitted.run.outcome.is_diverged() && m.val_loss.is_finite() => {
                (m.val_accuracy, m.val_loss)
            }
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// A candidate's outcome in a step: label, log id, score, and the trial when it is new.
type StepEntry = (String, i64, (f64, f64), Option<Trial>);

/// A candidate of a step.
pub(super) struct Candidate {
    pub(super) label: String,
    pub(super) config: TrainConfig,
    pub(super) coupled: &'static [&'static str],
}

pub(super) struct Study<'a> {
    pub(super) splits: &'a Splits,
    pub(super) config: &'a StudyConfig,
    pub(super) threads: usize,
    pub(super) log: ExperimentLog,
    pub(super) steps: Vec<StepResult>,
    pub(super) current: Trial,
}

impl Study<'_> {
    pub(super) fn current(&self) -> &Trial {
        &self.current
    }

    pub(super) fn say(&self, line: String) {
        say(self.config, &line);
    }

    /// Trains the candidates in parallel, logs them, and carries the best forward (the
    /// current winner stays unless a candidate beats it).
    pub(super) fn sweep(
        &mut self,
        name: &str,
        varied: &str,
        candidates: Vec<Candidate>,
        ordered: bool,
        context: &str,
    ) -> Result<()> {
        let parent = self.current().id;
        let current_config = self.current().fitted.run.config.clone();
        let total = candidates.len();
        let todo: Vec<(usize, &Candidate)> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.config != current_config)
            .collect();
        let study_config = self.config;
        let splits = self.splits;
        // Each finished trial is logged (and saved, with an autosaving log) as soon as the
        // trials before it are done, in candidate order: a crash loses only trials in progress.
        let log = &mut self.log;
        let mut ids: Vec<Result<i64>> = Vec::new();
        let results = parallel_map_ordered(
            todo,
            self.threads,
            |(i, c)| {
                let t0 = Instant::now();
                let r = fit(splits, &c.config, &mut |_, _| {});
                if let Ok(f) = &r {
                    let m = f.run.final_metrics();
                    let line = format!(
                        "[{name}] trial {}/{total} {varied}={}: val_acc {:.4} val_loss {:.4} {} ({:.1} s)",
                        i + 1,
                        c.label,
                        Num(m.map_or(f64::NAN, |m| m.val_accuracy)),
                        Num(m.map_or(f64::NAN, |m| m.val_loss)),
                        f.run.outcome,
                        t0.elapsed().as_secs_f64()
                    );
                    say(study_config, &line);
                }
                (i, r)
            },
            |_, (i, r)| {
                if let Ok(fitted) = r {
                    let c = &candidates[*i];
                    ids.push(
                        log.add_entry(
                            Entry::new(&fitted.run)
                                .parent(parent)
                                .step(name)
                                .notes(format!("{varied} = {}", c.label))
                                .coupled(c.coupled),
                        ),
                    );
                }
            },
        );
        let mut ids = ids.into_iter();
        let mut trials: Vec<(usize, Trial)> = Vec::new();
        for (i, r) in results {
            let fitted = r?;
            let id = ids.next().unwrap_or(Ok(0))?;
            trials.push((i, Trial { id, fitted }));
        }
        // Every candidate in order: a new trial, or the current winner when it is the same
        // configuration (reused, not retrained).
        let mut entries: Vec<StepEntry> = Vec::new();
        for (i, c) in candidates.iter().enumerate() {
            if let Some(pos) = trials.iter().position(|(j, _)| *j == i) {
                let (_, t) = trials.swap_remove(pos);
                entries.push((c.label.clone(), t.id, t.score(), Some(t)));
            } else if c.config == current_config {
                entries.push((c.label.clone(), parent, self.current.score(), None));
            }
        }
        let better = |a: (f64, f64), b: (f64, f64)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
        let mut best = 0;
        for (k, e) in entries.iter().enumerate() {
            if better(e.2, entries[best].2) {
                best = k;
            }
        }
        let mut result = StepResult {
            name: name.into(),
            varied: varied.into(),
            values: entries.iter().map(|e| e.0.clone()).collect(),
            trial_ids: entries.iter().map(|e| e.1).collect(),
            val_accuracy: entries.iter().map(|e| e.2.0).collect(),
            val_loss: entries.iter().map(|e| e.2.1).collect(),
            winner: String::new(),
            winner_id: parent,
            why: String::new(),
            warnings: Vec::new(),
            skipped: None,
        };
        if entries.is_empty() {
            result.skipped = Some("no candidate to try".into());
            self.steps.push(result);
            return Ok(());
        }
        let best_label = entries[best].0.clone();
        let best_score = entries[best].2;
        let current_score = self.current.score();
        match entries.swap_remove(best).3 {
            Some(trial) if better(best_score, current_score) => {
                self.current = trial;
                result.winner = best_label.clone();
            }
            // The current winner itself was the best candidate.
            None => result.winner = best_label.clone(),
            Some(_) => {
                result.winner = format!(
                    "unchanged (best new value {best_label} did not beat the current winner)"
                );
            }
        }
        let (acc, loss) = self.current.score();
        result.winner_id = self.current.id;
        result.why = format!(
            "{context}; validation accuracy {:.4} (loss {:.4}) is the best of {} values",
            Num(acc),
            Num(loss),
            result.values.len()
        );
        // A winner at the lower edge of 0 (no dropout, no weight decay) is at a natural
        // bound, not at the edge of the search.
        let at_zero = best == 0 && best_label.trim().parse::<f64>() == Ok(0.0);
        if ordered
            && result.values.len() >= 3
            && (best == 0 || best == result.values.len() - 1)
            && !at_zero
        {
            result.warnings.push(format!(
                "the best {varied} ({best_label}) is at the edge of the values tried: try values beyond it"
            ));
        }
        self.say(format!(
            "[{name}] winner: {varied} = {} (run {})",
            result.winner, result.winner_id
        ));
        self.steps.push(result);
        Ok(())
    }
}

/// Prints a progress line where the study's settings say.
pub(super) fn say(config: &StudyConfig, line: &str) {
    if config.verbose {
        if config.progress_to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

pub(super) fn skipped(name: &str, varied: &str, why: &str) -> StepResult {
    StepResult {
        name: name.into(),
        varied: varied.into(),
        values: Vec::new(),
        trial_ids: Vec::new(),
        val_accuracy: Vec::new(),
        val_loss: Vec::new(),
        winner: String::new(),
        winner_id: 0,
        why: why.into(),
        warnings: Vec::new(),
        skipped: Some(why.into()),
    }
}
