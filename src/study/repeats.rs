//! Running one configuration over several seeds, and telling real differences from noise.

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
