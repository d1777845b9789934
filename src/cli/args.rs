//! Value parsers that name the valid range in their message, and dataset arguments shared
//! by the subcommands.

use crate::data::{self, Dataset, SplitConfig, Splits};
use crate::error::Result;
use crate::train::Schedule;
use clap::Args;

/// Parses a learning rate: a finite number > 0.
pub fn positive_f64(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("must be a finite number > 0 (e.g. 1e-3)".into()),
    }
}

/// Parses a number >= 0.
pub fn non_negative_f64(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("must be a finite number >= 0 (e.g. 1e-4)".into()),
    }
}

/// Parses a probability in [0, 1).
pub fn probability(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..1.0).contains(&v) => Ok(v),
        _ => Err("must be in [0, 1) (e.g. 0.2)".into()),
    }
}

/// Parses a count >= 1.
pub fn positive_usize(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err("must be a whole number >= 1".into()),
    }
}

/// Parses hidden widths like `128,64` (empty or `linear` for none).
pub fn hidden(s: &str) -> std::result::Result<Vec<usize>, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("linear") || t.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    t.split([',', '-'])
        .map(|p| match p.trim().parse::<usize>() {
            Ok(v) if (1..=65_536).contains(&v) => Ok(v),
            _ => Err(format!(
                "'{p}' is not a layer width: give widths 1-65536 separated by commas, e.g. 128,64 (or 'linear')"
            )),
        })
        .collect()
}

/// Parses a schedule name (the step schedule's interval is set from the epochs later).
pub fn schedule_name(s: &str) -> std::result::Result<String, String> {
    Schedule::parse(s, 3)
        .map(|_| s.to_string())
        .map_err(|_| "must be one of constant, step, cosine, one-cycle".into())
}

/// Where the data comes from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A dataset name (digits, wine, breast_cancer, iris, moons, spirals) or a CSV path.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// The class column of a CSV file.
    #[arg(long, default_value = "target")]
    pub target: String,
    /// Seed of the train/validation/test split.
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
}

impl DataArgs {
    /// Loads and splits the data.
    pub fn load(&self) -> Result<Splits> {
        let dataset = if self.data.ends_with(".csv") || std::path::Path::new(&self.data).is_file() {
            Dataset::from_csv(&self.data, &self.target)?
        } else {
            data::load(&self.data)?
        };
        dataset.split(&SplitConfig::default().with_seed(self.split_seed))
    }
}
