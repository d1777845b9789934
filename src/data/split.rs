//! Seeded stratified train/validation/test split and standardisation.

use super::Dataset;
use crate::error::{Error, Result, Valid};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How to split a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// Share of each class that goes to validation (default 0.2).
    pub val_fraction: f64,
    /// Share of each class that goes to test (default 0.2).
    pub test_fraction: f64,
    /// Seed of the shuffle (default 0).
    pub seed: u64,
    /// Standardise features with the training part's mean and standard deviation
    /// (default true).
    pub standardize: bool,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            val_fraction: 0.2,
            test_fraction: 0.2,
            seed: 0,
            standardize: true,
        }
    }
}

impl SplitConfig {
    /// The default split with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Per-feature mean and standard deviation, fitted on training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Mean of each feature.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature (1 where a feature is constant).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fits on a dataset.
    pub fn fit(data: &Dataset) -> Standardizer {
        let d = data.n_features;
        let n = data.n_samples() as f64;
        let mut mean = vec![0f64; d];
        for i in 0..data.n_samples() {
            for (m, &v) in mean.iter_mut().zip(data.row_at(i)) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0f64; d];
        for i in 0..data.n_samples() {
            for ((s, &v), m) in var.iter_mut().zip(data.row_at(i)).zip(&mean) {
                *s += (v as f64 - m).powi(2);
            }
        }
        let std = var
            .iter()
            .map(|s| {
                let sd = (s / n).sqrt();
                if sd < 1e-8 { 1.0 } else { sd as f32 }
            })
            .collect();
        Standardizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        }
    }

    /// Applies to a dataset in place.
    pub fn apply(&self, data: &mut Dataset) {
        let d = data.n_features;
        for (i, v) in data.features.iter_mut().enumerate() {
            let j = i % d;
            *v = (*v - self.mean[j]) / self.std[j];
        }
    }
}

/// The three parts of a split.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Training part: the model learns from it.
    pub train: Dataset,
    /// Validation part: hyperparameters are chosen on it.
    pub val: Dataset,
    /// Test part: looked at once, at the very end.
    pub test: Dataset,
    /// The standardisation fitted on `train` (when asked for).
    pub scaler: Option<Standardizer>,
    /// What the split noticed (rows of the validation or test part that repeat a training
    /// row), one line each, after the data's own [`Dataset::notes`] in the summary.
    pub notes: Vec<String>,
}

impl Splits {
    /// The same splits with the training part cut to its first `n` rows (which are already
    /// shuffled), for demonstrations of overfitting on little data.
    pub fn with_train_size(mut self, n: usize) -> Result<Splits> {
        Error::check(
            "train_size",
            n as f64,
            Valid::Between(1.0, self.train.n_samples() as f64),
            "the training samples available",
        )?;
        let rows: Vec<usize> = (0..n).collect();
        self.train = self.train.subset_of_rows(&rows);
        Ok(self)
    }
}

impl std::fmt::Display for Splits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: train {} / val {} / test {} samples, {} features, {} classes",
            self.train.name,
            self.train.n_samples(),
            self.val.n_samples(),
            self.test.n_samples(),
            self.train.n_features,
            self.train.n_classes()
        )?;
        for note in self.train.notes.iter().chain(&self.notes) {
            write!(f, "\n  {note}")?;
        }
        Ok(())
    }
}

/// The share of a validation or test part repeating training rows from which the summary
/// warns.
const REPEATED_SHARE: f64 = 0.05;

pub(super) fn split(data: &Dataset, config: &SplitConfig) -> Result<Splits> {
    for (name, v) in [
        ("val_fraction", config.val_fraction),
        ("test_fraction", config.test_fraction),
    ] {
        Error::check(name, v, Valid::HalfOpen(0.0, 1.0), "")?;
    }
    Error::check(
        "val_fraction",
        config.val_fraction,
        Valid::Open(0.0, 1.0),
        "tuning needs validation data",
    )?;
    Error::check(
        "val_fraction + test_fraction",
        config.val_fraction + config.test_fraction,
        Valid::Below(0.9),
        "so that training keeps at least 10% of the data",
    )?;
    let mut rng = Rng::derive(config.seed, 0x73706c69);
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for class in 0..data.n_classes() {
        let mut rows: Vec<usize> = (0..data.n_samples())
            .filter(|&i| data.labels[i] == class)
            .collect();
        rng.shuffle(&mut rows);
        let (n_test, n_val, _) = part_sizes(rows.len(), config);
        test.extend_from_slice(&rows[..n_test]);
        val.extend_from_slice(&rows[n_test..n_test + n_val]);
        train.extend_from_slice(&rows[n_test + n_val..]);
    }
    for part in [&mut train, &mut val, &mut test] {
        rng.shuffle(part);
    }
    if train.is_empty() || val.is_empty() || (config.test_fraction > 0.0 && test.is_empty()) {
        let largest = data.class_counts().into_iter().max().unwrap_or(0);
        return Err(Error::data(
            &data.name,
            format!(
                "{} rows are too few for the split (validation {}, test {}): it gives train {}, validation {}, test {} rows; \
                 every part needs a row, which takes at least {} rows of one class (the largest class here has {largest}): add rows",
                data.n_samples(),
                config.val_fraction,
                config.test_fraction,
                train.len(),
                val.len(),
                test.len(),
                rows_needed(config)
            ),
        ));
    }
    let mut splits = Splits {
        train: data.subset_of_rows(&train),
        val: data.subset_of_rows(&val),
        test: data.subset_of_rows(&test),
        scaler: None,
        notes: Vec::new(),
    };
    // Counted before standardising (which maps equal rows to equal rows anyway). A row or
    // two repeated by chance (iris has one) is not worth a line; a share that moves the
    // scores is.
    let repeated: Vec<String> = [("validation", &splits.val), ("test", &splits.test)]
        .into_iter()
        .filter_map(|(part, rows)| {
            let k = super::checks::rows_also_in(&splits.train, rows);
            let share = k as f64 / rows.n_samples().max(1) as f64;
            (share >= REPEATED_SHARE)
                .then(|| format!("{k} of the {} {part} rows", rows.n_samples()))
        })
        .collect();
    if !repeated.is_empty() {
        splits.notes.push(format!(
            "warning: {} repeat a training row exactly: their scores measure memory, not \
             generalisation; remove repeated rows before the split (--dedupe, Dataset::dedupe)",
            repeated.join(" and ")
        ));
    }
    if config.standardize {
        let scaler = Standardizer::fit(&splits.train);
        scaler.apply(&mut splits.train);
        scaler.apply(&mut splits.val);
        scaler.apply(&mut splits.test);
        splits.scaler = Some(scaler);
    }
    Ok(splits)
}

/// How many of a class's `n` rows go to test, validation and training.
fn part_sizes(n: usize, config: &SplitConfig) -> (usize, usize, usize) {
    let n_test = ((n as f64 * config.test_fraction).round() as usize).min(n);
    let n_val = ((n as f64 * config.val_fraction).round() as usize).min(n - n_test);
    (n_test, n_val, n - n_test - n_val)
}

/// The fewest rows of one class that give every part of the split at least one row.
fn rows_needed(config: &SplitConfig) -> usize {
    // A part gets a row once its share of the class rounds to 1 or more.
    let smallest = if config.test_fraction > 0.0 {
        config.val_fraction.min(config.test_fraction)
    } else {
        config.val_fraction
    };
    let from = ((0.5 / smallest).floor() as usize).max(1);
    (from..from.saturating_add(1000))
        .find(|&n| {
            let (test, val, train) = part_sizes(n, config);
            train > 0 && val > 0 && (test > 0 || config.test_fraction == 0.0)
        })
        .unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_seeded_and_disjoint() {
        let data = crate::data::wine().unwrap();
        let s = data.split(&SplitConfig::default()).unwrap();
        assert_eq!(
            s.train.n_samples() + s.val.n_samples() + s.test.n_samples(),
            178
        );
        // Class shares match the whole set's within one sample per class.
        for (part, frac) in [(&s.val, 0.2), (&s.test, 0.2)] {
            for (c, &count) in part.class_counts().iter().enumerate() {
                let expected = data.class_counts()[c] as f64 * frac;
                assert!((count as f64 - expected).abs() <= 1.0);
            }
        }
        let again = data.split(&SplitConfig::default()).unwrap();
        assert_eq!(s.train.features, again.train.features);
        let other = data.split(&SplitConfig::default().with_seed(1)).unwrap();
        assert_ne!(s.train.features, other.train.features);
    }

    #[test]
    fn standardisation_uses_train_statistics_only() {
        let data = crate::data::wine().unwrap();
        let s = data.split(&SplitConfig::default()).unwrap();
        for j in 0..s.train.n_features {
            let col: Vec<f64> = (0..s.train.n_samples())
                .map(|i| s.train.row_at(i)[j] as f64)
                .collect();
            let mean = col.iter().sum::<f64>() / col.len() as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
            assert!(mean.abs() < 1e-4, "train mean {mean}");
            assert!((var - 1.0).abs() < 1e-3, "train var {var}");
        }
        let val_mean: f64 = (0..s.val.n_samples())
            .map(|i| s.val.row_at(i)[0] as f64)
            .sum::<f64>()
            / s.val.n_samples() as f64;
        assert!(
            val_mean.abs() > 1e-6,
            "val is scaled with train statistics, not its own"
        );
    }

    #[test]
    fn too_few_rows_are_refused_with_the_minimum_stated() {
        let tiny = Dataset::new(
            "tiny",
            vec![1.0, 2.0, 3.0, 4.0],
            vec![0, 0, 1, 1],
            vec!["x".into()],
            vec!["0".into(), "1".into()],
        )
        .unwrap();
        let err = tiny.split(&SplitConfig::default()).unwrap_err().to_string();
        assert!(
            err.contains("4 rows are too few for the split")
                && err.contains("at least 3 rows of one class (the largest class here has 2)"),
            "{err}"
        );
        assert_eq!(rows_needed(&SplitConfig::default()), 3);
        let three = Dataset::new(
            "three",
            (0..6).map(|v| v as f32).collect(),
            vec![0, 0, 0, 1, 1, 1],
            vec!["x".into()],
            vec!["0".into(), "1".into()],
        )
        .unwrap();
        let s = three.split(&SplitConfig::default()).unwrap();
        assert_eq!(
            (s.train.n_samples(), s.val.n_samples(), s.test.n_samples()),
            (2, 2, 2)
        );
    }

    #[test]
    fn bad_fractions_are_errors() {
        let data = crate::data::iris().unwrap();
        for (v, t) in [(0.0, 0.2), (0.5, 0.5), (f64::NAN, 0.1), (0.2, -0.1)] {
            let cfg = SplitConfig {
                val_fraction: v,
                test_fraction: t,
                ..SplitConfig::default()
            };
            assert!(data.split(&cfg).is_err(), "{v} {t}");
        }
    }
}
