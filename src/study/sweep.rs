//! The machinery every step of the study shares: screen every candidate on the first seed in
//! parallel, repeat the best over the study's other seeds, log every run in order, and adopt
//! the best candidate only when it beats the current configuration beyond seed noise.

use super::trainer::{TrialRun, TrialTrainer};
use super::{StepOutcome, StepResult, StudyConfig};
use crate::data::Splits;
use crate::error::Result;
use crate::fmt::Num;
use crate::log::{Entry, ExperimentLog, MeanInterval, Metric};
use crate::parallel::parallel_map_ordered;
use crate::train::{FinalMetrics, Run, TrainConfig};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A configuration trained over the study's seeds.
pub(super) struct Trial {
    /// Log id of the run with the first seed (the one carried forward and shown).
    pub(super) id: i64,
    /// The run of the first seed.
    pub(super) run: Run,
    /// The first seed's model on the test part (looked at once, for the study's winner).
    pub(super) test: Option<FinalMetrics>,
    /// Final validation accuracy per seed.
    pub(super) acc: Vec<f64>,
    /// Final validation loss per seed (infinite when the run diverged).
    pub(super) loss: Vec<f64>,
}

impl Trial {
    /// The selection metric per seed, lower is better: the validation loss, or 1 - accuracy.
    pub(super) fn scores(&self, metric: Metric) -> Vec<f64> {
        match metric {
            Metric::ValAccuracy => self.acc.iter().map(|a| 1.0 - a).collect(),
            _ => self.loss.clone(),
        }
    }

    /// The selection metric on the first (screening) seed.
    pub(super) fn first_score(&self, metric: Metric) -> f64 {
        self.scores(metric)
            .first()
            .copied()
            .unwrap_or(f64::INFINITY)
    }

    pub(super) fn mean_acc(&self) -> f64 {
        mean(&self.acc)
    }

    pub(super) fn mean_loss(&self) -> f64 {
        mean(&self.loss)
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.iter().any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The metric as people say it.
pub(super) fn metric_name(metric: Metric) -> &'static str {
    match metric {
        Metric::ValAccuracy => "val error (1 - accuracy)",
        _ => "val loss",
    }
}

/// "0.1234 ± 0.0056" (the 95% t-interval's half width), or "diverged".
fn with_interval(scores: &[f64]) -> String {
    match MeanInterval::from_values(scores) {
        Ok(m) if m.mean.is_finite() => format!(
            "{} ± {}",
            crate::fmt::fixed_decimals(m.mean, 4),
            crate::fmt::fixed_decimals(m.half_width, 4)
        ),
        _ => "diverged".into(),
    }
}

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
    pub(super) trainer: &'a dyn TrialTrainer,
    pub(super) progress: &'a (dyn Fn(&str) + Sync),
    pub(super) log: ExperimentLog,
    pub(super) steps: Vec<StepResult>,
    pub(super) current: Trial,
    /// What each step did about a pattern of the diagnosis, for the final account.
    pub(super) acted: Vec<(crate::diagnose::Pattern, String)>,
    /// Runs trained by the LR finder's check (not in the log).
    pub(super) finder_runs: usize,
}

/// How a step ended.
pub(super) enum Decision {
    /// The current configuration stayed (the best was the current one, or no better beyond
    /// seed noise).
    Kept,
    /// A candidate beat the current configuration beyond seed noise.
    Adopted,
}

impl Study<'_> {
    pub(super) fn current(&self) -> &Trial {
        &self.current
    }

    pub(super) fn say(&self, line: String) {
        (self.progress)(&line);
    }

    /// The seeds every candidate trains with.
    pub(super) fn seeds(&self) -> Vec<u64> {
        study_seeds(self.config)
    }

    /// Trains every candidate on the first seed only: the screening run of a step.
    pub(super) fn screen(
        &mut self,
        step: &str,
        varied: &str,
        candidates: &[&Candidate],
        parent: Option<i64>,
    ) -> Result<Vec<Trial>> {
        let first = vec![self.config.seed];
        self.train_with_seeds(step, varied, candidates, parent, &first)
    }

    /// Trains `trial`'s configuration on the study's seeds it has not seen yet, so that it can
    /// be compared with the current configuration over all of them: a round of as many seeds
    /// as run at once, then the next. Before each round it asks whether the candidate can
    /// still be adopted whatever its remaining seeds give ([`can_still_win`]); when it cannot,
    /// the remaining seeds are not trained (the decision is the same either way: kept) and
    /// their number is returned.
    pub(super) fn complete(
        &mut self,
        step: &str,
        varied: &str,
        label: &str,
        trial: &mut Trial,
    ) -> Result<Option<usize>> {
        let seeds: Vec<u64> = self.seeds().into_iter().skip(trial.acc.len()).collect();
        if seeds.is_empty() {
            return Ok(None);
        }
        // The repeats differ from the first seed's run only in the seed: that run is their
        // parent in the log.
        let candidate = Candidate {
            label: label.to_string(),
            config: trial.run.config.clone(),
            coupled: &["seed"],
        };
        let first = Some(trial.id);
        let metric = self.config.metric;
        let current = self.current.scores(metric);
        let mut left = seeds.len();
        for round in seeds.chunks(self.threads.max(1)) {
            if !can_still_win(&trial.scores(metric), &current, self.config.seeds) {
                return Ok(Some(left));
            }
            for more in self.train_with_seeds(step, varied, &[&candidate], first, round)? {
                trial.acc.extend(more.acc);
                trial.loss.extend(more.loss);
            }
            left -= round.len();
        }
        Ok(None)
    }

    fn train_with_seeds(
        &mut self,
        step: &str,
        varied: &str,
        candidates: &[&Candidate],
        parent: Option<i64>,
        seeds: &[u64],
    ) -> Result<Vec<Trial>> {
        let where_ = Where {
            splits: self.splits,
            study_seeds: self.seeds(),
            threads: self.threads,
            trainer: self.trainer,
            progress: self.progress,
        };
        train_trials(
            &where_,
            &mut self.log,
            step,
            varied,
            candidates,
            parent,
            seeds,
        )
    }

    /// Screens the candidates that differ from the current configuration on the first seed,
    /// repeats the best over the other seeds, and adopts it only if it beats the current
    /// configuration beyond seed noise (the 95% t-interval of the per-seed differences, same
    /// seeds for both, excludes zero).
    pub(super) fn sweep(
        &mut self,
        name: &str,
        varied: &str,
        candidates: Vec<Candidate>,
        ordered: bool,
        context: &str,
    ) -> Result<Decision> {
        let parent = self.current().id;
        let current_config = self.current().run.config.clone();
        let todo: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| c.config != current_config)
            .collect();
        let mut new = self.screen(name, varied, &todo, Some(parent))?;
        new.reverse();
        // Every candidate in order: a new trial, or the current configuration (reused).
        let mut entries: Vec<(String, Option<Trial>)> = Vec::new();
        for c in &candidates {
            if c.config == current_config {
                entries.push((c.label.clone(), None));
            } else if let Some(t) = new.pop() {
                entries.push((c.label.clone(), Some(t)));
            }
        }
        self.decide(name, varied, entries, ordered, context)
    }

    /// Picks the best of `entries` (the current configuration is `None`) on the first seed,
    /// trains it on the other seeds, and adopts it if it beats the current configuration
    /// beyond seed noise over all of them; records the step.
    pub(super) fn decide(
        &mut self,
        name: &str,
        varied: &str,
        mut entries: Vec<(String, Option<Trial>)>,
        ordered: bool,
        context: &str,
    ) -> Result<Decision> {
        let mut result = self.step_record(name, varied, &entries);
        if entries.is_empty() {
            result.skipped = Some("no candidate to try".into());
            result.outcome = StepOutcome::Skipped {
                reason: "no candidate to try".into(),
            };
            self.steps.push(result);
            return Ok(Decision::Kept);
        }
        // Screening: every value on the first seed (the same seed for all, so the comparison
        // is like for like); only the best is repeated over the other seeds.
        let metric = self.config.metric;
        let screening: Vec<f64> = entries
            .iter()
            .map(|e| e.1.as_ref().unwrap_or(&self.current).first_score(metric))
            .collect();
        let best = screening_best(&screening);
        let label = entries[best].0.clone();
        let mut untrained = None;
        if let Some(mut t) = entries[best].1.take() {
            untrained = self.complete(name, varied, &label, &mut t)?;
            result.val_accuracy[best] = t.mean_acc();
            result.val_loss[best] = t.mean_loss();
            result.val_loss_seeds[best] = t.loss.clone();
            entries[best].1 = Some(t);
        }
        let current_label = entries.iter().find(|e| e.1.is_none()).map(|e| e.0.clone());
        let decision = match entries[best].1.take() {
            Some(trial) if let Some(left) = untrained => {
                self.out_of_reach(&mut result, varied, &label, current_label, &trial, left)
            }
            None => {
                result.winner = label.clone();
                result.decision = format!(
                    "kept: the current {varied} ({label}) is the best of {} values on the screening seed; {} {} over {} seeds",
                    entries.len(),
                    metric_name(metric),
                    with_interval(&self.current.scores(metric)),
                    self.config.seeds
                );
                Decision::Kept
            }
            Some(trial) => self.judge(&mut result, varied, &label, current_label, trial),
        };
        result.winner_id = self.current.id;
        result.why = format!("{context}; {}", result.decision);
        // A best value at the lower edge of 0 (no dropout, no weight decay) is at a natural
        // bound, not at the edge of the search.
        if ordered && at_the_edge(result.values.len(), best, &label) {
            result.warnings.push(format!(
                "the best {varied} ({label}) is at the edge of the values tried: try values beyond it"
            ));
        }
        self.report(name, result);
        Ok(decision)
    }

    /// The record of a step over `entries` before its decision: the values, their trials
    /// (the current one reused) and their means over the seeds.
    fn step_record(
        &self,
        name: &str,
        varied: &str,
        entries: &[(String, Option<Trial>)],
    ) -> StepResult {
        let trial = |e| trial_of(e, &self.current);
        StepResult {
            values: entries.iter().map(|e| e.0.clone()).collect(),
            trial_ids: entries.iter().map(|e| trial(e).id).collect(),
            val_accuracy: entries.iter().map(|e| trial(e).mean_acc()).collect(),
            val_loss: entries.iter().map(|e| trial(e).mean_loss()).collect(),
            val_loss_seeds: entries.iter().map(|e| trial(e).loss.clone()).collect(),
            winner_id: self.current.id,
            outcome: StepOutcome::Kept { challenger: None },
            seeds: self.config.seeds,
            ..StepResult::empty(name, varied)
        }
    }

    /// Compares the best new value's `trial` with the current configuration over the seeds,
    /// adopts it when the [`Verdict`] says so, and writes the decision into `result`.
    fn judge(
        &mut self,
        result: &mut StepResult,
        varied: &str,
        label: &str,
        current_label: Option<String>,
        trial: Trial,
    ) -> Decision {
        let (verdict, comparison) = self.compare(&trial);
        if verdict.adopts() {
            self.current = trial;
            result.winner = label.to_string();
            result.decision = format!("adopted {varied} = {label}: {comparison}");
            result.outcome = StepOutcome::Adopted {
                value: label.to_string(),
                verdict,
            };
            Decision::Adopted
        } else {
            result.winner = current_label.unwrap_or_else(|| "unchanged".to_string());
            result.decision = format!(
                "kept: the best new {varied} ({label}) is within seed noise of the current one ({comparison})"
            );
            result.outcome = StepOutcome::Kept {
                challenger: Some((label.to_string(), verdict)),
            };
            Decision::Kept
        }
    }

    /// The [`Verdict`] of `trial` against the current configuration over the seeds both
    /// have, and the comparison in words.
    fn compare(&self, trial: &Trial) -> (Verdict, String) {
        let metric = self.config.metric;
        let (new_scores, cur_scores) = (trial.scores(metric), self.current.scores(metric));
        let verdict = verdict(&new_scores, &cur_scores);
        let comparison = comparison_text(metric_name(metric), verdict, &new_scores, &cur_scores);
        (verdict, comparison)
    }

    /// Keeps the current configuration when the best new value's `trial` cannot beat it
    /// beyond seed noise whatever its `left` untrained seeds would give, and says so in
    /// `result`.
    fn out_of_reach(
        &self,
        result: &mut StepResult,
        varied: &str,
        label: &str,
        current_label: Option<String>,
        trial: &Trial,
        left: usize,
    ) -> Decision {
        let (verdict, comparison) = self.compare(trial);
        let seeds = if left == 1 { "seed" } else { "seeds" };
        result.winner = current_label.unwrap_or_else(|| "unchanged".to_string());
        result.decision = format!(
            "kept: the best new {varied} ({label}) cannot beat the current one beyond seed noise \
             whatever its other {left} {seeds} would give, so they were not trained ({comparison})"
        );
        result.outcome = StepOutcome::Kept {
            challenger: Some((label.to_string(), verdict)),
        };
        Decision::Kept
    }

    /// Prints the step's decision (with a warning when the validation set is too small to
    /// decide on) and records the step.
    fn report(&mut self, name: &str, mut result: StepResult) {
        let mut line = format!("[{name}] {}", result.decision);
        if small_validation(self.splits.val.n_samples()).is_some() {
            let n = self.splits.val.n_samples();
            let small = format!(
                "decided on only {n} validation rows (one row is {} of accuracy)",
                crate::fmt::pct(1.0 / n.max(1) as f64)
            );
            line.push_str(&format!(" (warning: {small})"));
            result.warnings.push(small);
        }
        self.say(line);
        self.steps.push(result);
    }
}

/// An entry's trial, or the current one for the entry that stands for it.
fn trial_of<'t>(entry: &'t (String, Option<Trial>), current: &'t Trial) -> &'t Trial {
    entry.1.as_ref().unwrap_or(current)
}

/// The comparison behind a verdict, in words: `what` (the metric) of the candidate's
/// per-seed scores `new` against the current ones, with the paired difference when there is
/// one.
pub(super) fn comparison_text(
    what: &str,
    verdict: Verdict,
    new: &[f64],
    current: &[f64],
) -> String {
    let k = new.len().min(current.len());
    match verdict {
        Verdict::Better { diff, half } | Verdict::WithinNoise { diff, half } => format!(
            "{what} {} vs {} now; paired difference over {k} seeds {} ± {}",
            with_interval(new),
            with_interval(current),
            crate::fmt::signed_decimals(diff, 4),
            crate::fmt::fixed_decimals(half, 4)
        ),
        Verdict::CurrentDiverged => format!(
            "{what} {} where the current configuration diverged",
            with_interval(new)
        ),
        Verdict::CandidateDiverged => format!("{what}: the candidate diverged on a seed"),
        Verdict::TooFewSeeds => format!(
            "{what} {} vs {} now: one seed cannot tell a difference from seed noise",
            with_interval(new),
            with_interval(current)
        ),
    }
}

/// What the per-seed scores of a candidate say against the current configuration's, seed by
/// seed (the same seeds: the same initialisations and batch orders, so the comparison is
/// paired); lower scores are better.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The 95% t-interval of the differences lies below zero: adopt.
    Better {
        /// Mean difference (candidate minus current).
        diff: f64,
        /// Half-width of its interval.
        half: f64,
    },
    /// The interval includes zero: keep the current one.
    WithinNoise {
        /// Mean difference (candidate minus current).
        diff: f64,
        /// Half-width of its interval.
        half: f64,
    },
    /// The current configuration diverged on a seed and the candidate trained on all: adopt.
    CurrentDiverged,
    /// The candidate diverged on a seed: keep.
    CandidateDiverged,
    /// Fewer than two seeds: no interval, so keep.
    TooFewSeeds,
}

impl Verdict {
    /// Whether the candidate is adopted.
    pub fn adopts(self) -> bool {
        matches!(self, Verdict::Better { .. } | Verdict::CurrentDiverged)
    }
}

/// The [`Verdict`] of a candidate's per-seed scores `new` against the current ones `current`.
pub(super) fn verdict(new: &[f64], current: &[f64]) -> Verdict {
    let n = new.len().min(current.len());
    let (new, current) = (&new[..n], &current[..n]);
    if new.iter().any(|x| !x.is_finite()) {
        return Verdict::CandidateDiverged;
    }
    if current.iter().any(|x| !x.is_finite()) {
        return Verdict::CurrentDiverged;
    }
    if n < 2 {
        return Verdict::TooFewSeeds;
    }
    let diffs: Vec<f64> = new.iter().zip(current).map(|(a, b)| a - b).collect();
    match MeanInterval::from_values(&diffs) {
        Ok(m) if m.mean + m.half_width < 0.0 => Verdict::Better {
            diff: m.mean,
            half: m.half_width,
        },
        Ok(m) => Verdict::WithinNoise {
            diff: m.mean,
            half: m.half_width,
        },
        Err(_) => Verdict::TooFewSeeds,
    }
}

/// Whether a candidate whose per-seed scores so far are `new` (lower is better) can still be
/// adopted against the `current` configuration's scores once it has all `n` seeds, whatever
/// its remaining seeds give: the [`verdict`] adopts when the 95% t-interval of the paired
/// differences lies below zero, and this asks whether any values of the missing differences
/// put it there. The upper end of that interval is convex in the missing differences and
/// symmetric in them, so its least value has them all equal, and one convex function of one
/// variable is minimised. A candidate that diverged on a seed can never be adopted; one whose
/// current configuration diverged on a seed always can (it would be adopted if it trains).
/// In doubt (a minimum within rounding of zero) the answer is yes: the seeds are trained.
pub(super) fn can_still_win(new: &[f64], current: &[f64], n: usize) -> bool {
    let k = new.len();
    if new.iter().any(|x| !x.is_finite()) || n < 2 || current.len() < n {
        return false;
    }
    if current.iter().any(|x| !x.is_finite()) {
        return true;
    }
    if k >= n {
        return verdict(new, current).adopts();
    }
    let d: Vec<f64> = new.iter().zip(current).map(|(a, b)| a - b).collect();
    let (nf, r) = (n as f64, (n - k) as f64);
    let t = crate::log::t_critical_95(nf - 1.0) / nf.sqrt();
    let (sum, sq) = (d.iter().sum::<f64>(), d.iter().map(|x| x * x).sum::<f64>());
    // The interval's upper end with every missing difference equal to x.
    let upper = |x: f64| {
        let total = sum + r * x;
        let ss = (sq + r * x * x - total * total / nf).max(0.0);
        total / nf + t * (ss / (nf - 1.0)).sqrt()
    };
    // Far below zero the upper end is about slope * |x|: it falls without bound when the
    // slope is negative, and has a finite least value otherwise.
    let slope = -r / nf + t * (r * (nf - r) / (nf * (nf - 1.0))).sqrt();
    if slope < 0.0 {
        return true;
    }
    let scale = d
        .iter()
        .fold(0.0_f64, |m, x| m.max(x.abs()))
        .max(f64::MIN_POSITIVE);
    let (mut lo, mut hi) = (-1e6 * scale, 1e6 * scale);
    for _ in 0..300 {
        let (a, b) = (lo + (hi - lo) / 3.0, hi - (hi - lo) / 3.0);
        if upper(a) < upper(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    let least = upper(lo).min(upper(-1e6 * scale));
    least < 1e-9 * scale
}

/// The entry with the lowest finite screening score (the first on ties, and the first entry
/// when none is finite).
pub(super) fn screening_best(scores: &[f64]) -> usize {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate().skip(1) {
        let at_best = scores[best];
        if s.is_finite() && (s < at_best || !at_best.is_finite()) {
            best = i;
        }
    }
    best
}

/// Whether the best of `n` ordered values (at index `best`, labelled `label`) is at the edge of
/// the values tried, so that values beyond it are worth a try: never with fewer than 3 values,
/// and not at a lower edge of 0 (no dropout, no weight decay), which is a natural bound.
pub(super) fn at_the_edge(n: usize, best: usize, label: &str) -> bool {
    let at_zero = best == 0 && label.trim() == "0";
    n >= 3 && (best == 0 || best + 1 == n) && !at_zero
}

/// A validation set with fewer rows than this cannot tell seeds apart: one row is more than
/// 2% of accuracy, and the loss of a few rows moves more between seeds than between
/// neighbouring hyperparameter values.
pub const SMALL_VALIDATION_ROWS: usize = 50;

/// The warning for a validation set of `n_val` rows, when it is smaller than
/// [`SMALL_VALIDATION_ROWS`]: how many rows and what one row is worth.
pub(crate) fn small_validation(n_val: usize) -> Option<String> {
    (n_val < SMALL_VALIDATION_ROWS).then(|| {
        format!(
            "the validation set has only {n_val} rows, so one row is {} of accuracy: a decision on it is close to a coin toss; use a larger validation share, more data, or judge on several splits",
            crate::fmt::pct(1.0 / n_val.max(1) as f64)
        )
    })
}

/// The study's seeds: its seed, seed + 1, ... (`config.seeds` of them).
pub(super) fn study_seeds(config: &StudyConfig) -> Vec<u64> {
    (0..config.seeds as u64)
        .map(|k| config.seed.wrapping_add(k))
        .collect()
}

/// Where a study's runs train: the data, the study's settings and the threads.
pub(super) struct Where<'a> {
    pub(super) splits: &'a Splits,
    /// The study's seeds (for the progress lines: "seed 3 of 5").
    pub(super) study_seeds: Vec<u64>,
    pub(super) threads: usize,
    pub(super) trainer: &'a dyn TrialTrainer,
    pub(super) progress: &'a (dyn Fn(&str) + Sync),
}

/// Trains every candidate with every seed of `seeds` (in parallel), logs every run in order
/// under `parent`, and returns one trial per candidate.
pub(super) fn train_trials(
    at: &Where<'_>,
    log: &mut ExperimentLog,
    step: &str,
    varied: &str,
    candidates: &[&Candidate],
    parent: Option<i64>,
    seeds: &[u64],
) -> Result<Vec<Trial>> {
    let k = seeds.len();
    let jobs = trial_jobs(candidates, seeds);
    let total = candidates.len();
    let splits = at.splits;
    let trainer = at.trainer;
    let progress = at.progress;
    let mut ids: Vec<Result<i64>> = Vec::new();
    // Each finished run is logged (and saved, with an autosaving log) as soon as the runs
    // before it are done, in order: a crash loses only the runs in progress.
    let at_once = jobs_at_once(at.threads, &jobs, splits);
    let results = parallel_map_ordered(
        jobs,
        at_once,
        |(i, j, config)| {
            let t0 = Instant::now();
            // The first seed's run is the one a step may carry forward: its model is
            // evaluated on the test part now (and looked at only for the study's winner).
            let r = trainer.train(splits, &config, j == 0);
            if let (Ok(f), 0) = (&r, j) {
                // A screening run is the first seed alone; repeats say which of the seeds.
                let screening = seeds.len() == 1 && at.study_seeds.first() == seeds.first();
                let of = if screening {
                    String::new()
                } else {
                    format!(" of {}", at.study_seeds.len())
                };
                progress(&format!(
                    "[{step}] {}/{total} {varied}={}: {} ({:.1} s, seed {}{of})",
                    i + 1,
                    candidates[i].label,
                    trial_figures(&f.run),
                    t0.elapsed().as_secs_f64(),
                    config.seed,
                ));
            }
            (i, r)
        },
        |_, (i, r)| {
            if let Ok(fitted) = r {
                let c = candidates[*i];
                ids.push(log_trial(log, &fitted.run, step, varied, c, parent));
            }
        },
    );
    gather_trials(results, ids, total, k)
}

/// How many of `jobs` train at once on `threads` CPU threads: `threads`, except where the
/// jobs would end in a round that leaves threads idle (3 jobs on 2 threads: two, then one
/// alone; 5: two, two, one), there are at most [`MAX_EXTRA_AT_ONCE`] more of them than
/// threads, and every job is a small flex model whose kernels keep to one thread. Those
/// jobs all start together, the system shares the cores out among them, and they end at
/// about the time the work takes with no thread idle (3 on 2 threads: 1.5 runs' time
/// instead of 2). Each run is seeded, so this changes when runs finish, not what they give.
pub(super) fn jobs_at_once(
    threads: usize,
    jobs: &[(usize, usize, TrainConfig)],
    splits: &Splits,
) -> usize {
    let n = jobs.len();
    let uneven = threads > 1
        && n > threads
        && !n.is_multiple_of(threads)
        && n <= 2 * threads + 1
        && n <= threads + MAX_EXTRA_AT_ONCE;
    let small = || {
        jobs.iter().all(|(_, _, c)| {
            let widths = c
                .mlp(splits.train.n_features, splits.train.n_classes())
                .widths();
            crate::train::single_threaded_kernels(c, &widths)
        })
    };
    if uneven && small() { n } else { threads }
}

/// The most jobs beyond the thread count that [`jobs_at_once`] starts together (each is a
/// process or a thread with its model, its data and its share of the memory).
const MAX_EXTRA_AT_ONCE: usize = 4;

/// Every (candidate, seed) pair in job order: candidate index, seed index, configuration.
fn trial_jobs(candidates: &[&Candidate], seeds: &[u64]) -> Vec<(usize, usize, TrainConfig)> {
    candidates
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            seeds
                .iter()
                .enumerate()
                .map(move |(j, &s)| (i, j, c.config.clone().with_seed(s)))
        })
        .collect()
}

/// Logs one finished trial run under its step, with the candidate's value as its note.
fn log_trial(
    log: &mut ExperimentLog,
    run: &Run,
    step: &str,
    varied: &str,
    c: &Candidate,
    parent: Option<i64>,
) -> Result<i64> {
    let mut entry = Entry::new(run)
        .step(step)
        .notes(format!("{varied} = {}", c.label))
        .coupled(c.coupled);
    if let Some(p) = parent {
        entry = entry.parent(p);
    }
    log.add_entry(entry)
}

/// One trial per candidate from the runs of every (candidate, seed) in job order and their
/// log ids: the first seed's run and id, and every seed's final validation accuracy and
/// loss (0 and infinity for a run that diverged).
fn gather_trials(
    results: Vec<(usize, Result<TrialRun>)>,
    ids: Vec<Result<i64>>,
    total: usize,
    k: usize,
) -> Result<Vec<Trial>> {
    let mut ids = ids.into_iter();
    let mut trials: Vec<Option<Trial>> = (0..total).map(|_| None).collect();
    for (i, r) in results {
        let trained = r?;
        let id = ids.next().unwrap_or(Ok(0))?;
        let (acc, loss) = run_scores(&trained.run);
        match &mut trials[i] {
            Some(t) => {
                t.acc.push(acc);
                t.loss.push(loss);
            }
            None => {
                trials[i] = Some(Trial {
                    id,
                    run: trained.run,
                    test: trained.test,
                    acc: vec![acc],
                    loss: vec![loss],
                })
            }
        }
    }
    debug_assert!(trials.iter().flatten().all(|t| t.acc.len() == k));
    Ok(trials.into_iter().flatten().collect())
}

/// What a run scores in a comparison over seeds: its final validation accuracy and loss, or
/// 0 and infinity when it diverged.
pub(super) fn run_scores(run: &Run) -> (f64, f64) {
    match run.final_metrics() {
        Some(m) if !run.outcome.is_diverged() && m.val_loss.is_finite() => {
            (m.val_accuracy, m.val_loss)
        }
        _ => (0.0, f64::INFINITY),
    }
}

/// A run's final validation figures and outcome, as the progress lines show them.
fn trial_figures(run: &Run) -> String {
    let m = run.final_metrics();
    format!(
        "val_acc {:.4} val_loss {:.4} {}",
        Num(m.map_or(f64::NAN, |m| m.val_accuracy)),
        Num(m.map_or(f64::NAN, |m| m.val_loss)),
        run.outcome
    )
}

/// Prints a study's progress line where its settings say: nothing unless `verbose`, on
/// stdout, or on stderr with `progress_to_stderr`. What [`run_study`](super::run_study)
/// reports through.
pub fn print_study_progress(config: &StudyConfig, line: &str) {
    if config.verbose {
        if config.progress_to_stderr {
            crate::out::errln!("{line}");
        } else {
            crate::out::outln!("{line}");
        }
    }
}

pub(super) fn skipped(name: &str, varied: &str, why: &str) -> StepResult {
    StepResult {
        why: why.into(),
        outcome: StepOutcome::Skipped { reason: why.into() },
        skipped: Some(why.into()),
        ..StepResult::empty(name, varied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_better_on_every_seed_is_adopted_with_its_interval() {
        let v = verdict(
            &[0.10, 0.11, 0.09, 0.10, 0.12],
            &[0.20, 0.22, 0.19, 0.21, 0.20],
        );
        let Verdict::Better { diff, half } = v else {
            panic!("{v:?}");
        };
        assert!((diff + 0.1).abs() < 1e-9 && half > 0.0 && diff + half < 0.0);
        assert!(v.adopts());
    }

    #[test]
    fn a_difference_within_seed_noise_keeps_the_current_configuration() {
        // Better on average, but one seed worse by as much: the interval includes zero.
        let v = verdict(&[0.10, 0.30, 0.12], &[0.20, 0.15, 0.18]);
        assert!(
            matches!(v, Verdict::WithinNoise { diff, .. } if diff < 0.0),
            "{v:?}"
        );
        assert!(!v.adopts());
    }

    #[test]
    fn equal_scores_are_a_tie_and_a_tie_keeps() {
        let v = verdict(&[0.2, 0.3, 0.4], &[0.2, 0.3, 0.4]);
        assert_eq!(
            v,
            Verdict::WithinNoise {
                diff: 0.0,
                half: 0.0
            }
        );
        assert!(!v.adopts());
        assert_eq!(
            screening_best(&[0.5, 0.3, 0.3]),
            1,
            "the first of equal bests"
        );
    }

    #[test]
    fn a_diverged_seed_decides_against_the_side_that_diverged() {
        assert_eq!(
            verdict(&[0.1, f64::NAN, 0.1], &[0.2, 0.2, 0.2]),
            Verdict::CandidateDiverged
        );
        assert!(!verdict(&[0.1, f64::INFINITY], &[0.2, 0.2]).adopts());
        let v = verdict(&[0.3, 0.3, 0.3], &[0.2, f64::INFINITY, 0.2]);
        assert_eq!(v, Verdict::CurrentDiverged);
        assert!(v.adopts());
        // Both diverged somewhere: the candidate is not adopted.
        assert!(!verdict(&[f64::NAN, 0.1], &[0.2, f64::NAN]).adopts());
        assert_eq!(screening_best(&[f64::INFINITY, 0.4, f64::NAN]), 1);
        assert_eq!(screening_best(&[f64::NAN, f64::NAN]), 0);
    }

    /// The scores of the study's log on digits where it matters: a candidate no better on
    /// average after three of five seeds (dropout 0.5 against batch 16) is out of reach; one
    /// better on every seed so far is not.
    #[test]
    fn a_candidate_no_better_after_three_of_five_seeds_is_out_of_reach() {
        let current = [0.0973, 0.1013, 0.1106, 0.1111, 0.0830];
        assert!(!can_still_win(&[0.0821, 0.1647, 0.1417], &current, 5));
        assert!(can_still_win(&[0.0900, 0.0950, 0.1000], &current, 5));
        // After the screening seed alone, four more seeds can always overturn it.
        assert!(can_still_win(&[0.5], &current, 5));
        // A candidate that diverged never wins; against a current one that diverged, always.
        assert!(!can_still_win(&[0.01, f64::NAN], &current, 5));
        assert!(can_still_win(
            &[0.9, 0.9, 0.9],
            &[0.1, f64::INFINITY, 0.1, 0.1, 0.1],
            5
        ));
        // All seeds in: the verdict itself.
        assert!(!can_still_win(&current, &current, 5));
        assert!(can_still_win(&[0.05; 5], &current, 5));
    }

    /// The check is exact on random cases: when it says out of reach, no values of the
    /// missing seeds (random and equal ones, over a wide range) make the verdict adopt; when it
    /// says in reach, some equal values of the missing seeds do.
    #[test]
    fn out_of_reach_means_no_remaining_seeds_can_win() {
        let mut rng = crate::rng::Rng::new(7);
        let (mut reach, mut out) = (0, 0);
        for case in 0..1200 {
            let n = 3 + case % 6;
            let k = 1 + rng.below(n - 1);
            let current: Vec<f64> = (0..n).map(|_| rng.uniform_range(0.1, 0.3)).collect();
            let spread = rng.uniform_range(0.001, 0.1);
            let shift = rng.uniform_range(-0.05, 0.05);
            let new: Vec<f64> = current[..k]
                .iter()
                .map(|c| c + shift + spread * rng.normal())
                .collect();
            let with = |rest: &[f64]| -> bool {
                let all: Vec<f64> = new.iter().chain(rest).copied().collect();
                verdict(&all, &current).adopts()
            };
            let equal = |x: f64| with(&vec![x; n - k]);
            let grid = (0..2001).map(|i| -0.5 + i as f64 * 0.0005);
            if can_still_win(&new, &current, n) {
                // Equal missing differences x - current: search the candidate's own values.
                let found = grid.clone().any(|x| {
                    let rest: Vec<f64> = current[k..].iter().map(|c| c + x).collect();
                    with(&rest)
                });
                assert!(
                    found || equal(-1e3),
                    "case {case}: said in reach, none found"
                );
                reach += 1;
            } else {
                for _ in 0..200 {
                    let rest: Vec<f64> = current[k..]
                        .iter()
                        .map(|c| c + rng.uniform_range(-0.5, 0.5))
                        .collect();
                    assert!(!with(&rest), "case {case}: out of reach, yet {rest:?} wins");
                }
                for x in grid {
                    let rest: Vec<f64> = current[k..].iter().map(|c| c + x).collect();
                    assert!(!with(&rest), "case {case}: out of reach, yet +{x} wins");
                }
                out += 1;
            }
        }
        assert!(
            reach > 100 && out > 100,
            "both kinds of case: {reach} in reach, {out} out"
        );
    }

    #[test]
    fn uneven_rounds_of_small_models_start_together_and_nothing_else_does() {
        let digits = crate::data::digits().unwrap();
        let splits = digits.split(&crate::data::SplitConfig::default()).unwrap();
        // On flex (the default device only where the build has it).
        let small = TrainConfig::new(crate::train::OptimizerKind::Adam)
            .with_device(crate::train::DeviceSpec::Flex);
        let jobs = |n: usize, c: &TrainConfig| -> Vec<(usize, usize, TrainConfig)> {
            (0..n).map(|i| (i, 0, c.clone())).collect()
        };
        // 3 and 5 small jobs on 2 threads would leave a thread idle in their last round.
        assert_eq!(jobs_at_once(2, &jobs(3, &small), &splits), 3);
        assert_eq!(jobs_at_once(2, &jobs(5, &small), &splits), 5);
        // Even rounds, a single round, and more than one round beyond: as many as threads.
        for n in [1, 2, 4, 6, 7] {
            assert_eq!(jobs_at_once(2, &jobs(n, &small), &splits), 2, "{n} jobs");
        }
        // One thread: one at a time.
        assert_eq!(jobs_at_once(1, &jobs(3, &small), &splits), 1);
        // Never more than 4 extra jobs: 20 on 16 threads start together, 25 do not.
        assert_eq!(jobs_at_once(16, &jobs(20, &small), &splits), 20);
        assert_eq!(jobs_at_once(16, &jobs(25, &small), &splits), 16);
        // A model whose products thread (1024 x 2048 x 2048), or another device: as many as
        // threads.
        let large = small
            .clone()
            .with_hidden(vec![2048, 2048])
            .with_batch_size(1024);
        assert_eq!(jobs_at_once(2, &jobs(3, &large), &splits), 2);
        let mut mixed = jobs(2, &small);
        mixed.push((2, 0, large));
        assert_eq!(jobs_at_once(2, &mixed, &splits), 2);
        let ndarray = small.clone().with_device(crate::train::DeviceSpec::Ndarray);
        assert_eq!(jobs_at_once(2, &jobs(3, &ndarray), &splits), 2);
    }

    #[test]
    fn one_seed_never_adopts() {
        assert_eq!(verdict(&[0.01], &[0.5]), Verdict::TooFewSeeds);
        assert!(!verdict(&[], &[]).adopts());
    }

    #[test]
    fn the_edge_warning_skips_short_grids_and_a_best_of_zero() {
        assert!(at_the_edge(5, 4, "0.5"));
        assert!(at_the_edge(5, 0, "1e-4"));
        assert!(!at_the_edge(5, 0, "0"), "no dropout is a natural bound");
        assert!(!at_the_edge(5, 2, "0.2"));
        assert!(!at_the_edge(2, 1, "0.1"), "two values have no inside");
    }
}
