//! The steps of a study, in the guide's order: baseline, learning rate, architecture,
//! batch size, regularisation, fine-tuning. Each varies one thing, says why it tries what it
//! tries, and adopts a change only when it beats the current configuration beyond seed noise.

use super::StudyResult;
use super::grids::{BATCH_SIZES, DROPOUTS, INPUT_DROPOUTS, LR_GRID, WEIGHT_DECAYS};
use super::sweep::{
    Candidate, Decision, Study, Trial, Where, print_study_progress, skipped, study_seeds,
    train_trials,
};
use super::trainer::{InProcess, TrialTrainer, train_here};
use super::{StepOutcome, StepResult, StudyConfig};
use crate::advise::{ARCHITECTURES, Precision, memory_estimate_in, scale_lr};
use crate::data::Splits;
use crate::diagnose::{Diagnosis, History, Pattern, diagnose};
use crate::error::Result;
use crate::fmt::{bytes, lr as fmt_lr};
use crate::log::ExperimentLog;
use crate::lr_finder::{LrFinderConfig, lr_find};
use crate::parallel::available_threads;
use crate::train::{EarlyStopping, OptimizerKind, Schedule, TrainConfig};
use std::time::Instant;

/// Runs the whole study on `splits` and records every trial in `log` (give
/// [`ExperimentLog::with_autosave`] to save after every trial). The trials train in this
/// process, those that run at once in threads of their own; progress lines are printed as
/// the config says ([`print_study_progress`]).
pub fn run_study(splits: &Splits, config: &StudyConfig, log: ExperimentLog) -> Result<StudyResult> {
    run_study_with(splits, config, log, &InProcess, &|line| {
        print_study_progress(config, line)
    })
}

/// [`run_study`] with the trials trained by `trainer` (the command line's worker processes,
/// for one) and every progress line handed to `progress` (from the study's threads, so it
/// is `Sync`), as [`fit`](crate::train::fit) hands each epoch to its observer. A seeded trial
/// gives the same run wherever it trains, so the study decides the same way with any trainer
/// that trains what it is given.
pub fn run_study_with(
    splits: &Splits,
    config: &StudyConfig,
    log: ExperimentLog,
    trainer: &dyn TrialTrainer,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<StudyResult> {
    config.validate()?;
    let started = Instant::now();
    let available = available_threads();
    let threads = match config.threads {
        0 => available,
        asked if asked > available => {
            progress(&format!(
                "threads: {asked} asked for, this machine runs {available} at once; using {available}"
            ));
            available
        }
        asked => asked,
    };
    let mut study = baseline(splits, config, threads, log, trainer, progress)?;
    study.learning_rate()?;
    study.architecture()?;
    study.batch_size()?;
    study.regularization()?;
    study.fine_tune()?;
    study.finish(started.elapsed().as_secs_f64())
}

/// What step 5 does about the current winner's diagnosis.
#[derive(Debug, Clone, PartialEq)]
enum RegularizationPlan {
    /// It overfits: add dropout, then weight decay.
    Add,
    /// It underfits and has regularisation: halve and remove each kind it has.
    Remove,
    /// Nothing to do, for this reason.
    Skip(String),
}

/// Step 5's plan for a winner with `diagnosis` trained with `config`. Overfitting comes first
/// (a run can show both: the gap says overfitting, the level says underfitting).
fn regularization_plan(diagnosis: &Diagnosis, config: &TrainConfig) -> RegularizationPlan {
    if diagnosis.has(Pattern::Overfitting) {
        return RegularizationPlan::Add;
    }
    if diagnosis.has(Pattern::Underfitting) {
        let dropout = config.model.dropout.max(config.model.input_dropout);
        if dropout == 0.0 && config.weight_decay() == 0.0 {
            return RegularizationPlan::Skip("the current winner underfits, but it has no dropout or weight decay to remove: more capacity (step 3) or longer training (step 6) is the cure".into());
        }
        return RegularizationPlan::Remove;
    }
    RegularizationPlan::Skip(format!(
        "the current winner neither overfits nor underfits (diagnosis: {}), so regularisation is left as it is",
        pattern_names(diagnosis)
    ))
}

/// Whether step 3 grows past shape number `k` (of `n`, smallest first) and why: on while
/// the shape underfits and scores better (`score`, lower is better) than the smaller one
/// (`previous`), stopped otherwise.
fn growth(
    label: &str,
    k: usize,
    n: usize,
    score: f64,
    previous: f64,
    diagnosis: &Diagnosis,
) -> (String, bool) {
    if score >= previous {
        return (
            format!("{label} did no better than the smaller shape: stop growing"),
            false,
        );
    }
    if diagnosis.has(Pattern::Underfitting) && k + 1 < n {
        return (format!("{label} underfits: grow"), true);
    }
    let reason = if diagnosis.has(Pattern::Overfitting) && k == 0 {
        format!(
            "{label} already overfits and is the smallest shape in the guide's list: regularise instead (step 5)"
        )
    } else {
        format!(
            "{label} does not underfit ({}): no need to grow",
            pattern_names(diagnosis)
        )
    };
    (reason, false)
}

/// The memory a trial of `train` needs and the study's budget, when it needs more.
fn over_budget(config: &StudyConfig, splits: &Splits, train: &TrainConfig) -> Option<(u64, u64)> {
    let budget = config.memory_budget?;
    let mlp = train.mlp(splits.train.n_features, splits.train.n_classes());
    let need =
        memory_estimate_in(&mlp, train.optimizer, train.batch_size, Precision::F32).total_bytes;
    (need > budget).then_some((need, budget))
}

/// A value as people write it: `0`, `0.1`, `0.001`, `1e-4`, `3.2e-3`.
pub(super) fn plain(x: f64) -> String {
    let x = crate::fmt::round_significant(x, 2);
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:e}")
    } else {
        fmt_lr(x)
    }
}

fn pattern_names(d: &Diagnosis) -> String {
    d.patterns()
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The baseline's configuration (the guide's defaults at the study's budget, the batch
/// capped at the training set) and the note that says so; refused when it needs more than
/// the study's memory budget.
fn baseline_config(splits: &Splits, config: &StudyConfig) -> Result<(TrainConfig, String, String)> {
    // The LR and weight decay are written out, so that a candidate with the same values is
    // recognised as the same configuration.
    let defaults = TrainConfig::new(OptimizerKind::Adam);
    // A training set smaller than the default batch is one batch: the batch is capped at
    // its size, and the note says so.
    let n_train = splits.train.n_samples();
    let batch = defaults.batch_size.min(n_train).max(1);
    let train_config = defaults
        .clone()
        .with_lr(defaults.lr())
        .with_weight_decay(defaults.weight_decay())
        .with_batch_size(batch)
        .with_epochs(config.epochs_per_trial)
        .with_seed(config.seed)
        .with_device(config.device);
    let capped = if batch < defaults.batch_size {
        format!(
            " (the default batch {} capped at the {n_train} training samples)",
            defaults.batch_size
        )
    } else {
        String::new()
    };
    let hidden = crate::model::hidden_label(&train_config.model.hidden);
    let note = format!(
        "the guide's defaults: {} {}, batch {batch}{capped}, hidden {hidden}",
        train_config.optimizer,
        plain(train_config.lr()),
    );
    if let Some((need, budget)) = over_budget(config, splits, &train_config) {
        return Err(crate::error::Error::OutOfMemory {
            what: format!("the baseline (hidden {hidden}, batch {batch})"),
            needed: need,
            available: budget,
            advice: format!(
                "that is the study's memory budget; raise it to at least {} (--memory-mib {})",
                bytes(need),
                need.div_ceil(1 << 20)
            ),
        });
    }
    Ok((train_config, note, capped))
}

/// The first step: the guide's defaults, trained over the study's seeds.
fn baseline<'a>(
    splits: &'a Splits,
    config: &'a StudyConfig,
    threads: usize,
    log: ExperimentLog,
    trainer: &'a dyn TrialTrainer,
    progress: &'a (dyn Fn(&str) + Sync),
) -> Result<Study<'a>> {
    let (train_config, note, capped) = baseline_config(splits, config)?;
    let batch = train_config.batch_size;
    if !capped.is_empty() {
        progress(&format!("[baseline] note: batch {batch}{capped}"));
    }
    if let Some(small) = super::sweep::small_validation(splits.val.n_samples()) {
        progress(&format!("[baseline] warning: {small}"));
    }
    let candidate = Candidate {
        label: "defaults".into(),
        config: train_config.clone(),
        coupled: &[],
    };
    let mut log = log;
    let seeds = study_seeds(config);
    let at = Where {
        splits,
        study_seeds: seeds.clone(),
        threads,
        trainer,
        progress,
    };
    let Some(current) =
        train_trials(&at, &mut log, "baseline", "-", &[&candidate], None, &seeds)?.pop()
    else {
        return Err(crate::error::Error::data(
            "study",
            "the baseline produced no run",
        ));
    };
    let mut study = Study {
        splits,
        config,
        threads,
        trainer,
        progress,
        log,
        steps: Vec::new(),
        current,
        acted: Vec::new(),
        finder_runs: 0,
    };
    let (acc, loss) = (study.current.mean_acc(), study.current.mean_loss());
    progress(&format!(
        "[baseline] run {}: {train_config} -> mean over {} seeds: val_acc {:.4} val_loss {:.4}",
        study.current.id, config.seeds, acc, loss
    ));
    let mut step = baseline_step(study.current.id, acc, loss, &note, config.seeds, splits);
    step.val_loss_seeds = vec![study.current.loss.clone()];
    study.steps.push(step);
    Ok(study)
}

/// The baseline's step record: the starting point every later step is compared with.
fn baseline_step(
    id: i64,
    acc: f64,
    loss: f64,
    note: &str,
    seeds: usize,
    splits: &Splits,
) -> StepResult {
    StepResult {
        values: vec!["defaults".into()],
        trial_ids: vec![id],
        val_accuracy: vec![acc],
        val_loss: vec![loss],
        winner: "defaults".into(),
        winner_id: id,
        why: format!("{note}: the reference point for every later step"),
        decision: format!(
            "the starting point: mean val accuracy {acc:.4}, val loss {loss:.4} over {seeds} seeds"
        ),
        outcome: StepOutcome::Start,
        seeds,
        warnings: super::sweep::small_validation(splits.val.n_samples())
            .into_iter()
            .collect(),
        ..StepResult::empty("baseline", "-")
    }
}

impl Study<'_> {
    fn diagnosis(&self) -> Result<Diagnosis> {
        diagnose(&History::from_run(&self.current().run))
    }

    /// Step 2: the finder's recommendation (checked at this budget) and the guide's grid
    /// values (0.1, 0.01, 0.001, 0.0001) within 10x of it, against the current LR.
    fn learning_rate(&mut self) -> Result<()> {
        let base = self.current().run.config.clone();
        let finder = lr_find(self.splits, &base, &LrFinderConfig::default())?;
        self.finder_runs += finder.cost().runs.ceil() as usize;
        let (center, note) = match finder.recommended() {
            Some(lr) => (
                lr,
                format!(
                    "the LR finder recommends {} ({}); with the guide's values within 10x of it",
                    plain(lr),
                    finder.recommendation.name
                ),
            ),
            None => (
                base.lr(),
                format!(
                    "the LR finder is uncertain ({}); the guide's values within 10x of the current LR",
                    finder.recommendation.reason
                ),
            ),
        };
        self.say(format!("[learning_rate] {note}"));
        let mut lrs: Vec<f64> = LR_GRID
            .iter()
            .copied()
            .filter(|&lr| lr >= center / 10.0 * 0.999 && lr <= center * 10.0 * 1.001)
            .collect();
        lrs.push(center);
        lrs.push(base.lr());
        lrs.sort_by(f64::total_cmp);
        lrs.dedup_by(|a, b| (*a / *b - 1.0).abs() < 0.05);
        let candidates = lrs
            .iter()
            .map(|&lr| Candidate {
                label: plain(lr),
                config: base.clone().with_lr(lr),
                coupled: &[],
            })
            .collect();
        self.sweep("learning_rate", "lr", candidates, true, &note)?;
        Ok(())
    }

    /// Step 3: start simple (the guide's first shape) and grow along the guide's list while
    /// the diagnosis says underfitting; the smallest shape that overfits cannot shrink.
    fn architecture(&mut self) -> Result<()> {
        let base = self.current().run.config.clone();
        let metric = self.config.metric;
        // Each shape tried, with its screening score; `None` is the current configuration.
        let mut tried: Vec<(String, Option<Trial>, f64)> = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        for (k, arch) in ARCHITECTURES.iter().enumerate() {
            let config = base.clone().with_hidden(arch.hidden.to_vec());
            if let Some((need, budget)) = over_budget(self.config, self.splits, &config) {
                reasons.push(format!(
                    "{} skipped: needs about {}, over the memory budget of {}",
                    arch.label(),
                    bytes(need),
                    bytes(budget)
                ));
                continue;
            }
            let trial = if config == base {
                None
            } else {
                let candidate = Candidate {
                    label: arch.label(),
                    config,
                    coupled: &[],
                };
                let parent = Some(self.current().id);
                self.screen("architecture", "hidden", &[&candidate], parent)?
                    .pop()
            };
            let (score, diagnosis) = match &trial {
                Some(t) => (t.first_score(metric), diagnose(&History::from_run(&t.run))?),
                None => (self.current().first_score(metric), self.diagnosis()?),
            };
            let previous = tried.last().map_or(f64::INFINITY, |e| e.2);
            let label = arch.label();
            let (reason, grow) =
                growth(&label, k, ARCHITECTURES.len(), score, previous, &diagnosis);
            tried.push((label, trial, score));
            reasons.push(reason);
            if !grow {
                break;
            }
        }
        let mut entries: Vec<(String, Option<Trial>)> =
            tried.into_iter().map(|(label, t, _)| (label, t)).collect();
        if !entries.iter().any(|e| e.1.is_none()) {
            entries.push((crate::model::hidden_label(&base.model.hidden), None));
        }
        let context = format!(
            "start simple and grow while underfitting: {}",
            reasons.join("; ")
        );
        self.decide("architecture", "hidden", entries, false, &context)?;
        Ok(())
    }

    /// What a finished step tried and how it ended: `dropout 0, 0.1, 0.2 (kept 0)`.
    /// `back` counts from the last step (-1 is the last).
    fn summary(&self, back: isize, d: &Decision) -> String {
        let i = self.steps.len() as isize + back;
        let Some(step) = usize::try_from(i).ok().and_then(|i| self.steps.get(i)) else {
            return String::new();
        };
        let verdict = match d {
            Decision::Adopted => "adopted",
            Decision::Kept => "kept",
        };
        format!(
            "{} {} ({verdict} {})",
            step.varied,
            step.values.join(", "),
            step.winner
        )
    }

    /// Step 4: the guide's batch sizes with the LR scaled by the square-root rule, skipping
    /// sizes larger than the training set or over the memory budget.
    fn batch_size(&mut self) -> Result<()> {
        let base = self.current().run.config.clone();
        let n = self.splits.train.n_samples();
        let mut candidates = Vec::new();
        let mut notes = Vec::new();
        let mut sizes: Vec<usize> = Vec::new();
        for b in BATCH_SIZES.iter().copied() {
            if b > n {
                notes.push(format!("{b} skipped: larger than the {n} training samples"));
            } else {
                sizes.push(b);
            }
        }
        if base.batch_size == n && !sizes.contains(&n) {
            // A training set smaller than the default batch: the baseline's batch was capped
            // at the whole set, which stays in the comparison.
            notes.push(format!(
                "the current batch {n} is the whole training set (the sizes are capped by it)"
            ));
            sizes.push(n);
        }
        for b in sizes {
            if let Some((need, budget)) =
                over_budget(self.config, self.splits, &base.clone().with_batch_size(b))
            {
                notes.push(format!(
                    "{b} skipped: needs about {}, over the memory budget of {}",
                    bytes(need),
                    bytes(budget)
                ));
                continue;
            }
            let lr = scale_lr(base.lr(), base.batch_size, b)?.sqrt_rule;
            let lr = if b == base.batch_size { base.lr() } else { lr };
            candidates.push(Candidate {
                label: format!("{b} (lr {})", plain(lr)),
                config: base.clone().with_batch_size(b).with_lr(lr),
                coupled: &["batch_size", "lr"],
            });
        }
        let mut context = String::from("LR scaled by the square-root rule");
        if self.config.memory_budget.is_none() {
            context.push_str("; no memory budget set, so every size fits");
        }
        if !notes.is_empty() {
            context.push_str(&format!("; {}", notes.join("; ")));
        }
        self.sweep("batch_size", "batch_size", candidates, true, &context)?;
        Ok(())
    }

    /// Step 5: add regularisation when the current winner overfits, remove it when it
    /// underfits, leave it alone otherwise.
    fn regularization(&mut self) -> Result<()> {
        let diagnosis = self.diagnosis()?;
        match regularization_plan(&diagnosis, &self.current().run.config) {
            RegularizationPlan::Add => {
                self.add_regularization(&evidence(&diagnosis, Pattern::Overfitting))
            }
            RegularizationPlan::Remove => self.remove_regularization(),
            RegularizationPlan::Skip(why) => {
                self.skip_regularization(&why);
                Ok(())
            }
        }
    }

    /// Step 5 for an overfitting winner: dropout (between the hidden layers, or on the input
    /// of a one-layer model), then weight decay.
    fn add_regularization(&mut self, evidence: &str) -> Result<()> {
        let base = self.current().run.config.clone();
        // Hidden dropout goes between hidden layers only; a one-layer model gets the
        // guide's input dropout instead.
        let d = if base.model.hidden.len() >= 2 {
            let dropout = base.model.dropout.max(base.model.input_dropout);
            let candidates = around(dropout, DROPOUTS, |p| {
                (plain(p), base.clone().with_dropout(p))
            });
            self.sweep(
                "dropout",
                "dropout",
                candidates,
                true,
                &format!("overfitting ({evidence}): add dropout between the hidden layers"),
            )?
        } else {
            let input = base.model.input_dropout;
            let candidates = around(input, INPUT_DROPOUTS, |p| {
                (plain(p), base.clone().with_input_dropout(p))
            });
            self.sweep(
                "dropout",
                "input_dropout",
                candidates,
                true,
                &format!("overfitting ({evidence}): one hidden layer, so no dropout between hidden layers; add input dropout"),
            )?
        };
        let base = self.current().run.config.clone();
        let candidates = around(base.weight_decay(), WEIGHT_DECAYS, |w| {
            (plain(w), base.clone().with_weight_decay(w))
        });
        let w = self.sweep(
            "weight_decay",
            "weight_decay",
            candidates,
            true,
            "overfitting: add weight decay",
        )?;
        let (d, w) = (self.summary(-2, &d), self.summary(-1, &w));
        self.acted
            .push((Pattern::Overfitting, format!("step 5 tried {d}, then {w}")));
        Ok(())
    }

    /// Step 5 for an underfitting winner: each regularisation it has, halved and removed.
    fn remove_regularization(&mut self) -> Result<()> {
        let base = self.current().run.config.clone();
        let (dropout, input, wd) = (
            base.model.dropout,
            base.model.input_dropout,
            base.weight_decay(),
        );
        let mut entries = Vec::new();
        if dropout > 0.0 {
            let c = around(dropout, &[0.0, dropout / 2.0], |p| {
                (plain(p), base.clone().with_dropout(p))
            });
            entries.push(("dropout", c));
        }
        if input > 0.0 {
            let c = around(input, &[0.0, input / 2.0], |p| {
                (plain(p), base.clone().with_input_dropout(p))
            });
            entries.push(("input_dropout", c));
        }
        if wd > 0.0 {
            let c = around(wd, &[0.0, wd / 10.0], |w| {
                (plain(w), base.clone().with_weight_decay(w))
            });
            entries.push(("weight_decay", c));
        }
        for (name, candidates) in entries {
            let d = self.sweep(
                name,
                name,
                candidates,
                true,
                "underfitting: remove regularisation",
            )?;
            let tried = self.summary(-1, &d);
            self.acted
                .push((Pattern::Underfitting, format!("step 5 tried {tried}")));
        }
        Ok(())
    }

    /// Step 5 skipped, for `why`: both of its sweeps are recorded as skipped.
    fn skip_regularization(&mut self, why: &str) {
        self.say(format!("[regularization] skipped: {why}"));
        for (name, varied) in [("dropout", "dropout"), ("weight_decay", "weight_decay")] {
            self.steps.push(skipped(name, varied, why));
        }
    }

    /// Step 6: a schedule, early stopping and longer training, plus the change the current
    /// diagnosis asks for when it is a change of the LR.
    fn fine_tune(&mut self) -> Result<()> {
        let diagnosis = self.diagnosis()?;
        let base = self.current().run.config.clone();
        // The LR change the diagnosis names (its own guard decides the direction: far above
        // the optimizer's default, a flat loss means the LR is too high), applied as it says.
        let lr_change: Option<(Pattern, f64)> = diagnosis
            .lr_change(&[Pattern::Oscillating, Pattern::Slow, Pattern::Plateau])
            .map(|(p, factor)| (p, crate::fmt::round_significant(base.lr() * factor, 2)));
        let (candidates, context) = self.fine_tune_candidates(&base, lr_change);
        let d = self.sweep("fine_tune", "schedule", candidates, false, &context)?;
        let result = self.summary(-1, &d);
        self.acted.push((
            Pattern::Overfitting,
            format!("step 6 tried early stopping with longer training: {result}"),
        ));
        for p in [Pattern::Plateau, Pattern::Slow] {
            self.acted.push((
                p,
                format!("step 6 tried a cosine and a one-cycle schedule: {result}"),
            ));
        }
        if let Some((p, lr)) = lr_change {
            self.acted
                .push((p, format!("step 6 tried lr {}: {result}", plain(lr))));
        }
        Ok(())
    }

    /// Step 6's candidates: the configuration as it is, then each schedule with early
    /// stopping and the longer budget, and the diagnosis's LR change when it names one; with
    /// the step's context.
    fn fine_tune_candidates(
        &self,
        base: &TrainConfig,
        lr_change: Option<(Pattern, f64)>,
    ) -> (Vec<Candidate>, String) {
        let epochs = self.config.final_epochs;
        let es = EarlyStopping::new(self.config.patience);
        let longer = |s: Schedule, lr: f64| {
            base.clone()
                .with_lr(lr)
                .with_epochs(epochs)
                .with_early_stopping(es.clone())
                .with_schedule(s)
        };
        let mut candidates = vec![Candidate {
            label: "as is".into(),
            config: base.clone(),
            coupled: &[],
        }];
        for s in [
            Schedule::Constant,
            Schedule::cosine(),
            Schedule::one_cycle(),
        ] {
            candidates.push(Candidate {
                label: format!("{} + early stopping, {epochs} epochs", s.name()),
                config: longer(s, base.lr()),
                coupled: &["epochs", "schedule", "early_stopping"],
            });
        }
        let mut context =
            String::from("a schedule, early stopping and longer training, one at a time");
        if let Some((p, lr)) = lr_change {
            candidates.push(Candidate {
                label: format!("lr {} + early stopping, {epochs} epochs", plain(lr)),
                config: longer(Schedule::Constant, lr),
                coupled: &["lr", "epochs", "schedule", "early_stopping"],
            });
            context.push_str(&format!(
                "; the winner is diagnosed {}, so its LR change ({} to {}) is tried too",
                p.name(),
                plain(base.lr()),
                plain(lr)
            ));
        }
        (candidates, context)
    }

    fn finish(self, wall_s: f64) -> Result<StudyResult> {
        let current = self.current;
        let finder_runs = self.finder_runs;
        // The test part, looked at once: the winner's model was evaluated on it when it was
        // trained (a trainer elsewhere does not send the model back); one that was not is
        // retrained here, seeded, to the same run.
        let test = match current.test {
            Some(test) => test,
            None => train_here(self.splits, &current.run.config, true)?
                .test
                .ok_or_else(|| {
                    crate::error::Error::Backend("the winner's test evaluation is missing".into())
                })?,
        };
        let diagnosis = diagnose(&History::from_run(&current.run))?;
        let follow_up = follow_up(&diagnosis, &self.acted, &self.steps, self.config);
        Ok(StudyResult {
            dataset: self.splits.train.name.clone(),
            steps: self.steps,
            log: self.log,
            best_run_id: current.id,
            best_config: current.run.config.clone(),
            best_run: current.run,
            diagnosis,
            follow_up,
            finder_runs,
            test_accuracy: test.val_accuracy,
            test_loss: test.val_loss,
            wall_s,
            threads: self.threads,
        })
    }
}

fn evidence(d: &Diagnosis, p: Pattern) -> String {
    d.findings
        .iter()
        .find(|f| f.pattern == p)
        .map(|f| f.evidence.clone())
        .unwrap_or_default()
}

/// One line per finding of the final diagnosis: what the study did about it, or why nothing.
fn follow_up(
    d: &Diagnosis,
    acted: &[(Pattern, String)],
    steps: &[StepResult],
    config: &StudyConfig,
) -> Vec<String> {
    let shapes_tried = steps
        .iter()
        .find(|s| s.name == "architecture")
        .map(|s| s.values.join(", "))
        .unwrap_or_default();
    let mut out = Vec::new();
    for f in &d.findings {
        let p = f.pattern;
        if matches!(p, Pattern::Healthy) {
            continue;
        }
        let done: Vec<&str> = acted
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, s)| s.as_str())
            .collect();
        let line = if !done.is_empty() {
            format!(
                "{}: acted on: {}. It remains on the winner after what was tried; {}",
                p.name(),
                done.join("; "),
                next_after(p)
            )
        } else {
            format!(
                "{}: not acted on: {}",
                p.name(),
                why_not_acted(p, &shapes_tried, config)
            )
        };
        out.push(line);
    }
    out
}

/// What to try next about a pattern the study acted on and that remains.
fn next_after(p: Pattern) -> &'static str {
    match p {
        Pattern::Overfitting => "what the guide has left: more training data, or a smaller model",
        Pattern::Underfitting => "next: a larger shape or longer training",
        Pattern::Oscillating => "next: a lower LR or a larger batch",
        _ => "next: more epochs",
    }
}

/// Why the study did not act on a pattern of the final diagnosis.
fn why_not_acted(p: Pattern, shapes_tried: &str, config: &StudyConfig) -> String {
    match p {
        Pattern::Uncertain => {
            "too few epochs or too much noise to judge; the study's choices rest on the comparisons over seeds instead".to_string()
        }
        Pattern::Exploding | Pattern::NotDecreasing => {
            "the study never adopts a diverged or untrained configuration over a working one; rerun with a lower LR".to_string()
        }
        Pattern::Underfitting => format!(
            "the winner has no regularisation to remove, and step 3 (shapes tried: {shapes_tried}) did not find it underfitting at the time; a larger shape from the guide's list is the next experiment"
        ),
        Pattern::Oscillating => {
            "it appeared only after fine-tuning changed the schedule or length; try the action as the next experiment".to_string()
        }
        _ => format!(
            "not acted on by this study ({} seeds, {} epochs per trial); try the action as the next experiment",
            config.seeds, config.epochs_per_trial
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::Budget;

    #[test]
    fn a_memory_budget_the_baseline_cannot_meet_is_refused_and_zero_is_invalid() {
        let splits = crate::data::iris()
            .unwrap()
            .split(&crate::data::SplitConfig::default())
            .unwrap();
        let quiet = |bytes| {
            let mut c = StudyConfig::budget(Budget::Quick).with_memory_budget(Some(bytes));
            c.verbose = false;
            c
        };
        let err = run_study(&splits, &quiet(1), ExperimentLog::new().quiet())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the baseline") && err.contains("--memory-mib"),
            "{err}"
        );
        let err = run_study(&splits, &quiet(0), ExperimentLog::new().quiet())
            .unwrap_err()
            .to_string();
        assert!(err.contains("memory_budget"), "{err}");
    }

    fn diagnosed(patterns: &[Pattern]) -> Diagnosis {
        use crate::diagnose::{Finding, Severity};
        Diagnosis::new(
            patterns
                .iter()
                .map(|&p| Finding::new(p, Severity::Medium, "made up", "made up"))
                .collect(),
        )
    }

    #[test]
    fn the_model_grows_only_while_it_underfits_and_improves() {
        let under = diagnosed(&[Pattern::Underfitting]);
        let over = diagnosed(&[Pattern::Overfitting]);
        let healthy = diagnosed(&[Pattern::Healthy]);
        // Underfitting and better than the smaller shape: grow, unless it is the largest.
        assert!(growth("64", 0, 4, 0.5, f64::INFINITY, &under).1);
        assert!(growth("128-64", 1, 4, 0.4, 0.5, &under).1);
        let (why, grow) = growth("512-256", 3, 4, 0.3, 0.4, &under);
        assert!(!grow && why.contains("does not underfit"), "{why}");
        // No better than the smaller shape (a tie included): stop, whatever the diagnosis.
        let (why, grow) = growth("128-64", 1, 4, 0.5, 0.5, &under);
        assert!(!grow && why.contains("did no better"), "{why}");
        // Not underfitting: stop; the smallest shape already overfitting says regularise.
        let (why, grow) = growth("64", 0, 4, 0.5, f64::INFINITY, &over);
        assert!(!grow && why.contains("regularise instead"), "{why}");
        let (why, grow) = growth("128-64", 1, 4, 0.4, 0.5, &over);
        assert!(
            !grow && why.contains("does not underfit (overfitting)"),
            "{why}"
        );
        assert!(!growth("64", 0, 4, 0.5, f64::INFINITY, &healthy).1);
        // A non-finite score never beats the smaller shape.
        assert!(!growth("128-64", 1, 4, f64::INFINITY, 0.5, &under).1);
    }

    #[test]
    fn regularisation_is_added_for_overfitting_and_removed_only_where_there_is_some() {
        let plain = TrainConfig::new(OptimizerKind::Adam)
            .with_weight_decay(0.0)
            .with_dropout(0.0);
        let over = diagnosed(&[Pattern::Overfitting]);
        let under = diagnosed(&[Pattern::Underfitting]);
        let both = diagnosed(&[Pattern::Underfitting, Pattern::Overfitting]);
        assert_eq!(regularization_plan(&over, &plain), RegularizationPlan::Add);
        assert_eq!(regularization_plan(&both, &plain), RegularizationPlan::Add);
        let RegularizationPlan::Skip(why) = regularization_plan(&under, &plain) else {
            panic!("nothing to remove");
        };
        assert!(
            why.contains("no dropout or weight decay to remove"),
            "{why}"
        );
        for config in [
            plain.clone().with_dropout(0.2),
            plain.clone().with_input_dropout(0.1),
            plain.clone().with_weight_decay(1e-4),
        ] {
            assert_eq!(
                regularization_plan(&under, &config),
                RegularizationPlan::Remove
            );
        }
        let RegularizationPlan::Skip(why) =
            regularization_plan(&diagnosed(&[Pattern::Healthy]), &plain.with_dropout(0.2))
        else {
            panic!("a healthy run is left alone");
        };
        assert!(
            why.contains("neither overfits nor underfits (diagnosis: healthy)"),
            "{why}"
        );
    }

    #[test]
    fn values_are_written_as_people_write_them() {
        assert_eq!(plain(0.0), "0");
        assert_eq!(plain(1e-4), "1e-4");
        assert_eq!(plain(0.001), "0.001");
        assert_eq!(plain(0.1), "0.1");
        assert_eq!(plain(0.000707), "7.1e-4");
    }
}
