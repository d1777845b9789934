//! Running the steps of a study.

use super::{StepResult, StudyConfig, StudyResult};
use crate::diagnose::{History, Pattern, diagnose};
use crate::log::{Entry, ExperimentLog};
use crate::parallel::{available_threads, parallel_map_ordered};
use crate::{
    EarlyStopping, Fitted, LrFinderConfig, OptimizerKind, Result, Schedule, Splits, TrainConfig,
    fit, lr_find,
};
use std::time::Instant;

/// The learning rates the guide sweeps around the finder's suggestion.
pub const LR_GRID: &[f64] = &[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1];
/// The guide's architectures to try.
pub const ARCHITECTURES: &[&[usize]] = &[&[64], &[128], &[64, 32], &[128, 64], &[128, 64, 32]];
/// Batch sizes tried (the LR scaled by the square-root rule).
pub const BATCH_SIZES: &[usize] = &[16, 32, 64, 128];
/// Dropout probabilities tried when the winner overfits.
pub const DROPOUTS: &[f64] = &[0.1, 0.2, 0.3, 0.5];
/// Weight decays tried when the winner overfits.
pub const WEIGHT_DECAYS: &[f64] = &[1e-5, 1e-4, 1e-3];

/// A finished trial.
struct Trial {
    id: i64,
    fitted: Fitted,
}

impl Trial {
    /// (validation accuracy, validation loss) of the weights the trial ended with; diverged
    /// runs score worst.
    fn score(&self) -> (f64, f64) {
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
struct Candidate {
    label: String,
    config: TrainConfig,
    coupled: &'static [&'static str],
}

struct Study<'a> {
    splits: &'a Splits,
    config: &'a StudyConfig,
    threads: usize,
    log: ExperimentLog,
    steps: Vec<StepResult>,
    current: Trial,
}

/// Runs the whole study on `splits` and records every trial in `log` (give
/// [`ExperimentLog::with_autosave`] to save after every trial).
pub fn run_study(splits: &Splits, config: &StudyConfig, log: ExperimentLog) -> Result<StudyResult> {
    config.validate()?;
    let started = Instant::now();
    let threads = if config.threads == 0 {
        available_threads()
    } else {
        config.threads
    };
    let mut log = log;
    let (current, baseline_step) = baseline(splits, config, &mut log)?;
    let mut study = Study {
        splits,
        config,
        threads,
        log,
        steps: vec![baseline_step],
        current,
    };
    study.learning_rate()?;
    study.architecture()?;
    study.batch_size()?;
    study.regularization()?;
    study.fine_tune()?;
    study.finish(started.elapsed().as_secs_f64())
}

fn fmt_lr(lr: f64) -> String {
    format!("{lr:.1e}")
}

impl Study<'_> {
    fn current(&self) -> &Trial {
        &self.current
    }

    fn say(&self, line: String) {
        say(self.config, &line);
    }

    fn learning_rate(&mut self) -> Result<()> {
        let base = self.current().fitted.run.config.clone();
        let finder = lr_find(self.splits, &base, &LrFinderConfig::default())?;
        let (center, note) = match finder.recommended() {
            Some(lr) => (lr, format!("finder recommends {}", fmt_lr(lr))),
            None => (
                base.lr(),
                format!(
                    "finder uncertain ({}); sweeping around the current LR",
                    finder.recommendation.reason
                ),
            ),
        };
        self.say(format!("[learning_rate] {note}"));
        let mut lrs: Vec<f64> = LR_GRID
            .iter()
            .copied()
            .filter(|&lr| lr >= center / 10.0 && lr <= center * 10.0)
            .collect();
        lrs.push(round_sig(center, 2));
        lrs.push(base.lr());
        lrs.sort_by(f64::total_cmp);
        lrs.dedup_by(|a, b| (*a / *b - 1.0).abs() < 0.05);
        let candidates = lrs
            .iter()
            .map(|&lr| Candidate {
                label: fmt_lr(lr),
                config: base.clone().with_lr(lr),
                coupled: &[],
            })
            .collect();
        self.sweep("learning_rate", "lr", candidates, true, &note)
    }

    fn architecture(&mut self) -> Result<()> {
        let base = self.current().fitted.run.config.clone();
        let candidates = ARCHITECTURES
            .iter()
            .map(|h| Candidate {
                label: crate::model::hidden_label(h),
                config: base.clone().with_hidden(h.to_vec()),
                coupled: &[],
            })
            .collect();
        self.sweep(
            "architecture",
            "hidden",
            candidates,
            true,
            "the guide's list, shallow to deep",
        )
    }

    fn batch_size(&mut self) -> Result<()> {
        let base = self.current().fitted.run.config.clone();
        let n = self.splits.train.n_samples();
        let candidates = BATCH_SIZES
            .iter()
            .copied()
            .filter(|&b| b <= n)
            .map(|b| {
                let lr = base.lr() * (b as f64 / base.batch_size as f64).sqrt();
                Candidate {
                    label: format!("{b} (lr {})", fmt_lr(lr)),
                    config: base.clone().with_batch_size(b).with_lr(lr),
                    coupled: &["batch_size", "lr"],
                }
            })
            .collect();
        self.sweep(
            "batch_size",
            "batch_size",
            candidates,
            true,
            "LR scaled by the square-root rule",
        )
    }

    fn regularization(&mut self) -> Result<()> {
        let run = &self.current().fitted.run;
        let diagnosis = diagnose(&History::from_run(run))?;
        if !diagnosis.has(Pattern::Overfitting) {
            let why = format!(
                "the current winner does not overfit (diagnosis: {}), so regularisation would only slow it down",
                diagnosis
                    .patterns()
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.say(format!("[regularization] skipped: {why}"));
            for (name, varied) in [("dropout", "dropout"), ("weight_decay", "weight_decay")] {
                self.steps.push(skipped(name, varied, &why));
            }
            return Ok(());
        }
        let evidence = diagnosis
            .findings
            .iter()
            .find(|f| f.pattern == Pattern::Overfitting)
            .map(|f| f.evidence.clone())
            .unwrap_or_default();
        let base = self.current().fitted.run.config.clone();
        let mut dropouts = vec![base.dropout];
        dropouts.extend_from_slice(DROPOUTS);
        dropouts.sort_by(f64::total_cmp);
        dropouts.dedup();
        let candidates = dropouts
            .iter()
            .map(|&p| Candidate {
                label: format!("{p}"),
                config: base.clone().with_dropout(p),
                coupled: &[],
            })
            .collect();
        self.sweep(
            "dropout",
            "dropout",
            candidates,
            true,
            &format!("overfitting: {evidence}"),
        )?;
        let base = self.current().fitted.run.config.clone();
        let mut decays = vec![base.weight_decay()];
        decays.extend_from_slice(WEIGHT_DECAYS);
        decays.sort_by(f64::total_cmp);
        decays.dedup();
        let candidates = decays
            .iter()
            .map(|&w| Candidate {
                label: format!("{w:.0e}"),
                config: base.clone().with_weight_decay(w),
                coupled: &[],
            })
            .collect();
        self.sweep(
            "weight_decay",
            "weight_decay",
            candidates,
            true,
            "overfitting: try weight decay next",
        )
    }

    fn fine_tune(&mut self) -> Result<()> {
        let base = self.current().fitted.run.config.clone();
        let es = EarlyStopping::new(self.config.patience);
        let candidates = [
            Schedule::Constant,
            Schedule::cosine(),
            Schedule::one_cycle(),
        ]
        .into_iter()
        .map(|s| Candidate {
            label: format!(
                "{} + early stopping, {} epochs",
                s.name(),
                self.config.final_epochs
            ),
            config: base
                .clone()
                .with_epochs(self.config.final_epochs)
                .with_early_stopping(es.clone())
                .with_schedule(s),
            coupled: &["epochs", "schedule"],
        })
        .collect();
        self.sweep(
            "fine_tune",
            "schedule",
            candidates,
            false,
            "a schedule, early stopping and longer training",
        )
    }

    /// Trains the candidates in parallel, logs them, and carries the best forward (the
    /// current winner stays unless a candidate beats it).
    fn sweep(
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
                        m.map_or(f64::NAN, |m| m.val_accuracy),
                        m.map_or(f64::NAN, |m| m.val_loss),
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
            "{context}; validation accuracy {acc:.4} (loss {loss:.4}) is the best of {} values",
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

    fn finish(self, wall_s: f64) -> Result<StudyResult> {
        let current = self.current;
        let test = current.fitted.evaluate(&self.splits.test)?;
        let diagnosis = diagnose(&History::from_run(&current.fitted.run))?;
        Ok(StudyResult {
            dataset: self.splits.train.name.clone(),
            steps: self.steps,
            log: self.log,
            best_run_id: current.id,
            best_config: current.fitted.run.config.clone(),
            best_run: current.fitted.run,
            diagnosis,
            test_accuracy: test.val_accuracy,
            test_loss: test.val_loss,
            wall_s,
            threads: self.threads,
        })
    }
}

/// The first step: the guide's defaults (Adam 1e-3, batch 64, hidden 128-64).
fn baseline(
    splits: &Splits,
    config: &StudyConfig,
    log: &mut ExperimentLog,
) -> Result<(Trial, StepResult)> {
    let train_config = TrainConfig::new(OptimizerKind::Adam)
        .with_epochs(config.epochs_per_trial)
        .with_seed(config.seed)
        .with_device(config.device);
    let fitted = fit(splits, &train_config, &mut |_, _| {})?;
    let id = log.add_entry(
        Entry::new(&fitted.run)
            .step("baseline")
            .notes("the guide's defaults: Adam 1e-3, batch 64, hidden 128-64"),
    )?;
    let trial = Trial { id, fitted };
    let (acc, loss) = trial.score();
    say(
        config,
        &format!("[baseline] run {id}: {train_config} -> val_acc {acc:.4} val_loss {loss:.4}"),
    );
    let step = StepResult {
        name: "baseline".into(),
        varied: "-".into(),
        values: vec!["defaults".into()],
        trial_ids: vec![id],
        val_accuracy: vec![acc],
        val_loss: vec![loss],
        winner: "defaults".into(),
        winner_id: id,
        why: format!("the starting point: val accuracy {acc:.4}, val loss {loss:.4}"),
        warnings: Vec::new(),
        skipped: None,
    };
    Ok((trial, step))
}

/// Prints a progress line where the study's settings say.
fn say(config: &StudyConfig, line: &str) {
    if config.verbose {
        if config.progress_to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

fn skipped(name: &str, varied: &str, why: &str) -> StepResult {
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

/// Rounds to `digits` significant digits.
fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}
