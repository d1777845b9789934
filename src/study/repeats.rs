//! Running one configuration over several seeds, and telling real differences from noise.

use super::Verdict;
use super::sweep::{run_scores, verdict};
use crate::data::Splits;
use crate::error::{Error, Result, Valid};
use crate::log::{MeanInterval, welch_difference};
use crate::parallel::parallel_map;
use crate::train::{Run, TrainConfig, train};
use serde::{Deserialize, Serialize};

/// One configuration trained over several seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedSummary {
    /// The configuration (its seed is the first one used).
    pub config: TrainConfig,
    /// The seeds used.
    pub seeds: Vec<u64>,
    /// The runs, one per seed.
    pub runs: Vec<Run>,
    /// Final validation accuracy: mean and 95% t-interval.
    pub val_accuracy: MeanInterval,
    /// Final validation loss: mean and 95% t-interval.
    pub val_loss: MeanInterval,
}

/// Trains `config` with seeds `config.seed, config.seed + 1, ...` (`k` of them, k >= 2), in
/// parallel on the available CPU threads.
pub fn repeat_seeds(splits: &Splits, config: &TrainConfig, k: usize) -> Result<SeedSummary> {
    config.validate()?;
    Error::check(
        "seeds",
        k as f64,
        Valid::AtLeast(2.0),
        "seeds, to measure noise",
    )?;
    let seeds: Vec<u64> = (0..k as u64).map(|i| config.seed.wrapping_add(i)).collect();
    let runs = parallel_map(seeds.clone(), 0, |seed| {
        train(splits, &config.clone().with_seed(seed))
    })
    .into_iter()
    .collect::<Result<Vec<Run>>>()?;
    let metric = |f: fn(&crate::train::FinalMetrics) -> f64| -> Vec<f64> {
        runs.iter()
            .map(|r| r.final_metrics().map_or(f64::NAN, |m| f(&m)))
            .collect()
    };
    Ok(SeedSummary {
        config: config.clone(),
        seeds,
        val_accuracy: MeanInterval::from_values(&metric(|m| m.val_accuracy))?,
        val_loss: MeanInterval::from_values(&metric(|m| m.val_loss))?,
        runs,
    })
}

/// Whether configuration A beats B on validation accuracy beyond seed noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigComparison {
    /// Mean validation accuracy of A minus that of B.
    pub difference: f64,
    /// Half-width of Welch's 95% interval of the difference.
    pub half_width: f64,
    /// `Some(true)` if A is better beyond noise, `Some(false)` if B is, `None` if the
    /// interval contains zero.
    pub a_better: Option<bool>,
    /// The verdict in words.
    pub verdict: String,
}

/// Compares two seed summaries on validation accuracy with Welch's t-interval.
pub fn compare_configs(a: &SeedSummary, b: &SeedSummary) -> ConfigComparison {
    let (difference, half_width) = welch_difference(&a.val_accuracy, &b.val_accuracy);
    let (lo, hi) = (difference - half_width, difference + half_width);
    let a_better = if lo > 0.0 {
        Some(true)
    } else if hi < 0.0 {
        Some(false)
    } else {
        None
    };
    let verdict = match a_better {
        Some(true) => format!(
            "A beats B beyond seed noise: accuracy +{difference:.4} (95% CI {lo:.4} to {hi:.4})"
        ),
        Some(false) => format!(
            "B beats A beyond seed noise: accuracy {difference:.4} (95% CI {lo:.4} to {hi:.4})"
        ),
        None => format!(
            "no difference beyond seed noise: accuracy {difference:+.4} (95% CI {lo:.4} to {hi:.4} contains 0); try more seeds"
        ),
    };
    ConfigComparison {
        difference,
        half_width,
        a_better,
        verdict,
    }
}

impl std::fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} over seeds {:?}", self.config, self.seeds)?;
        writeln!(f, "  val accuracy {}", self.val_accuracy)?;
        write!(f, "  val loss     {}", self.val_loss)
    }
}

impl std::fmt::Display for ConfigComparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.verdict)
    }
}

/// One change tried by hand: the current configuration and a candidate, each trained over the
/// same seeds, and the decision the study's own rule makes from their per-seed final
/// validation losses (a paired comparison: adopt when the 95% interval of the differences
/// lies below zero). Made by [`try_change`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeTrial {
    /// The current configuration over the seeds.
    pub current: SeedSummary,
    /// The candidate over the same seeds.
    pub candidate: SeedSummary,
    /// What the per-seed final validation losses say, as the study decides.
    pub verdict: Verdict,
}

impl ChangeTrial {
    /// Whether the study's rule adopts the candidate.
    pub fn adopts(&self) -> bool {
        self.verdict.adopts()
    }

    /// The configuration the rule keeps: the candidate's when it adopts, else the current
    /// one's (with the current seed either way).
    pub fn kept(&self) -> TrainConfig {
        if self.adopts() {
            self.candidate.config.clone()
        } else {
            self.current.config.clone()
        }
    }

    /// Each run's final validation loss, current and candidate, seed by seed.
    pub fn losses(&self) -> (Vec<f64>, Vec<f64>) {
        (final_losses(&self.current), final_losses(&self.candidate))
    }
}

/// Each run's loss as the study scores it.
fn final_losses(s: &SeedSummary) -> Vec<f64> {
    s.runs.iter().map(|r| run_scores(r).1).collect()
}

/// Trains `current` and `candidate` over `seeds` seeds each (the current configuration's
/// seed, seed + 1, ...; the same seeds for both) and decides between them as
/// [`run_study`](super::run_study) does: the study's steps, one by hand.
///
/// # Errors
/// Fewer than 2 seeds, an invalid configuration, or a run that fails.
pub fn try_change(
    splits: &Splits,
    current: &TrainConfig,
    candidate: &TrainConfig,
    seeds: usize,
) -> Result<ChangeTrial> {
    let candidate = candidate.clone().with_seed(current.seed);
    let current = repeat_seeds(splits, current, seeds)?;
    let candidate = repeat_seeds(splits, &candidate, seeds)?;
    let mut trial = ChangeTrial {
        current,
        candidate,
        verdict: Verdict::TooFewSeeds,
    };
    let (now, new) = trial.losses();
    trial.verdict = verdict(&new, &now);
    Ok(trial)
}

impl std::fmt::Display for ChangeTrial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "current:   {}", self.current.config)?;
        writeln!(f, "candidate: {}", self.candidate.config)?;
        let (now, new) = self.losses();
        writeln!(
            f,
            "final val loss per seed {:?}: current {}, candidate {}",
            self.current.seeds,
            join(&now),
            join(&new)
        )?;
        let what = match self.verdict {
            Verdict::Better { diff, half } => format!(
                "adopt: the candidate is better beyond seed noise (paired difference {} ± {})",
                crate::fmt::signed_decimals(diff, 4),
                crate::fmt::fixed_decimals(half, 4)
            ),
            Verdict::WithinNoise { diff, half } if diff - half > 0.0 => format!(
                "keep the current one: the candidate is worse beyond seed noise (paired difference {} ± {})",
                crate::fmt::signed_decimals(diff, 4),
                crate::fmt::fixed_decimals(half, 4)
            ),
            Verdict::WithinNoise { diff, half } => format!(
                "keep the current one: the difference is within seed noise (paired difference {} ± {})",
                crate::fmt::signed_decimals(diff, 4),
                crate::fmt::fixed_decimals(half, 4)
            ),
            Verdict::CurrentDiverged => {
                "adopt: the current configuration diverged on a seed and the candidate did not"
                    .into()
            }
            Verdict::CandidateDiverged => {
                "keep the current one: the candidate diverged on a seed".into()
            }
            Verdict::TooFewSeeds => {
                "keep the current one: one seed cannot tell a difference from noise".into()
            }
        };
        write!(f, "the study's rule says: {what}")
    }
}

fn join(v: &[f64]) -> String {
    v.iter()
        .map(|x| crate::fmt::fixed_decimals(*x, 4))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SplitConfig, iris};
    use crate::train::OptimizerKind;

    #[test]
    fn a_change_by_hand_is_decided_as_the_study_decides() {
        let splits = iris().unwrap().split(&SplitConfig::default()).unwrap();
        let good = TrainConfig::new(OptimizerKind::Adam)
            .with_lr(1e-2)
            .with_epochs(15)
            .with_batch_size(16);
        let crawling = good.clone().with_lr(1e-6);
        // From a far too low LR, the working one is adopted beyond noise, and kept is it.
        let up = try_change(&splits, &crawling, &good, 3).unwrap();
        assert!(up.adopts(), "{up}");
        assert_eq!(up.kept().lr(), good.lr());
        assert_eq!(up.candidate.seeds, up.current.seeds, "same seeds: paired");
        assert!(up.to_string().contains("adopt: the candidate is better"));
        // The other way round the far too low LR is not adopted.
        let down = try_change(&splits, &good, &crawling, 3).unwrap();
        assert!(!down.adopts(), "{down}");
        assert!(
            down.to_string()
                .contains("the candidate is worse beyond seed noise"),
            "{down}"
        );
        assert_eq!(down.kept().lr(), good.lr());
        // The decision is the study's rule on the per-seed losses.
        let (now, new) = down.losses();
        assert_eq!(down.verdict, verdict(&new, &now));
        let html = down.to_html();
        assert!(html.contains("seed 0") && html.contains("keep the current one"));
        assert!(
            try_change(&splits, &good, &crawling, 1).is_err(),
            "one seed is refused"
        );
    }
}
