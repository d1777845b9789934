//! The steps of a study, in the guide's order: baseline, learning rate, architecture,
//! batch size, regularisation, fine-tuning.

use super::StudyResult;
use super::grids::{BATCH_SIZES, DROPOUTS, LR_GRID, WEIGHT_DECAYS};
use super::sweep::{Candidate, Study, Trial, say, skipped};
use super::{StepResult, StudyConfig};
use crate::advise::{ARCHITECTURES, scale_lr};
use crate::data::Splits;
use crate::diagnose::{History, Pattern, diagnose};
use crate::error::Result;
use crate::fmt::Num;
use crate::log::{Entry, ExperimentLog};
use crate::lr_finder::{LrFinderConfig, lr_find};
use crate::parallel::available_threads;
use crate::train::{EarlyStopping, OptimizerKind, Schedule, TrainConfig, fit};
use std::time::Instant;

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

impl Study<'_> {
    fn learning_rate(&mut self) -> Result<()> {
        let base = self.current().fitted.run.config.clone();
        let finder = lr_find(self.splits, &base, &LrFinderConfig::default())?;
        let (center, note) = match finder.recommended() {
            Some(lr) => (lr, format!("finder recommends {}", crate::fmt::sci(lr, 1))),
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
        lrs.push(crate::fmt::round_significant(center, 2));
        lrs.push(base.lr());
        lrs.sort_by(f64::total_cmp);
        lrs.dedup_by(|a, b| (*a / *b - 1.0).abs() < 0.05);
        let candidates = lrs
            .iter()
            .map(|&lr| Candidate {
                label: crate::fmt::sci(lr, 1),
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
            .map(|a| Candidate {
                label: a.label(),
                config: base.clone().with_hidden(a.hidden.to_vec()),
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
        let mut candidates = Vec::new();
        for b in BATCH_SIZES.iter().copied().filter(|&b| b <= n) {
            let lr = scale_lr(base.lr(), base.batch_size, b)?.sqrt_rule;
            candidates.push(Candidate {
                label: format!("{b} (lr {})", crate::fmt::sci(lr, 1)),
                config: base.clone().with_batch_size(b).with_lr(lr),
                coupled: &["batch_size", "lr"],
            });
        }
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
        let candidates = around(base.model.dropout, DROPOUTS, |p| {
            (format!("{p}"), base.clone().with_dropout(p))
        });
        self.sweep(
            "dropout",
            "dropout",
            candidates,
            true,
            &format!("overfitting: {evidence}"),
        )?;
        let base = self.current().fitted.run.config.clone();
        let candidates = around(base.weight_decay(), WEIGHT_DECAYS, |w| {
            (format!("{w:.0e}"), base.clone().with_weight_decay(w))
        });
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
        &format!(
            "[baseline] run {id}: {train_config} -> val_acc {:.4} val_loss {:.4}",
            Num(acc),
            Num(loss)
        ),
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
        why: format!(
            "the starting point: val accuracy {:.4}, val loss {:.4}",
            Num(acc),
            Num(loss)
        ),
        warnings: Vec::new(),
        skipped: None,
    };
    Ok((trial, step))
}

/// The current value and the grid, sorted without repeats, as candidates.
fn around(
    current: f64,
    grid: &[f64],
    candidate: impl Fn(f64) -> (String, TrainConfig),
) -> Vec<Candidate> {
    let mut values = vec![current];
    values.extend_from_slice(grid);
    values.sort_by(f64::total_cmp);
    values.dedup();
    values
        .into_iter()
        .map(|v| {
            let (label, config) = candidate(v);
            Candidate {
                label,
                config,
                coupled: &[],
            }
        })
        .collect()
}
