//! Datasets: the embedded real sets, seeded synthetic generators, CSV and DataFrame loaders,
//! and the seeded stratified split with standardisation fitted on the training part only.

mod checks;
mod csv_file;
mod embedded;
mod frame;
mod split;
mod synthetic;

pub use csv_file::CsvOptions;
pub use embedded::{DATASET_NAMES, breast_cancer, digits, iris, load, wine};
pub use split::{SplitConfig, Splits, Standardizer};
pub use synthetic::{moons, spirals};

use crate::error::{Error, Result};

/// A classification dataset held in memory: `n_samples` rows of `n_features` numbers, each
/// with a class label in `0..n_classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// A short name ("digits", a file path, "DataFrame").
    pub name: String,
    /// Row-major features, `n_samples * n_features` values.
    pub features: Vec<f32>,
    /// One class index per row.
    pub labels: Vec<usize>,
    /// Number of features per row.
    pub n_features: usize,
    /// One name per feature column.
    pub feature_names: Vec<String>,
    /// One name per class.
    pub class_names: Vec<String>,
    /// What the loader noticed in the data and did about it (a dropped index column, a
    /// column that alone predicts the class), one line each; shown in the data summary.
    pub notes: Vec<String>,
}

impl Dataset {
    /// Builds a dataset after checking that it is usable: at least one row and feature, the
    /// features a whole number of rows, every value finite, every label a known class.
    pub fn new(
        name: impl Into<String>,
        features: Vec<f32>,
        labels: Vec<usize>,
        feature_names: Vec<String>,
        class_names: Vec<String>,
    ) -> Result<Self> {
        let name = name.into();
        let n_features = feature_names.len();
        if labels.is_empty() || n_features == 0 {
            return Err(Error::data(
                &name,
                format!(
                    "the dataset is empty ({} rows, {} feature columns): give at least one row and one feature",
                    labels.len(),
                    n_features
                ),
            ));
        }
        if features.len() != labels.len() * n_features {
            return Err(Error::ShapeMismatch {
                context: format!("dataset '{name}'"),
                expected: format!("{} x {} feature values", labels.len(), n_features),
                got: format!("{} values", features.len()),
            });
        }
        if let Some(pos) = features.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                &name,
                format!(
                    "feature '{}' of row {} is {}: remove or impute missing and infinite values first",
                    feature_names[pos % n_features],
                    pos / n_features,
                    crate::fmt::num(f64::from(features[pos]))
                ),
            ));
        }
        if class_names.len() < 2 {
            return Err(Error::data(
                &name,
                format!(
                    "only {} class found: classification needs at least two classes",
                    class_names.len()
                ),
            ));
        }
        if let Some(bad) = labels.iter().find(|&&l| l >= class_names.len()) {
            return Err(Error::data(
                &name,
                format!(
                    "label {bad} is out of range for {} classes",
                    class_names.len()
                ),
            ));
        }
        Ok(Dataset {
            name,
            features,
            labels,
            n_features,
            feature_names,
            class_names,
            notes: Vec::new(),
        })
    }

    /// Number of rows.
    pub fn n_samples(&self) -> usize {
        self.labels.len()
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The features of row `i`, or an error naming the number of rows when there is no such
    /// row.
    pub fn row(&self, i: usize) -> Result<&[f32]> {
        self.check_row(i)?;
        Ok(self.row_at(i))
    }

    /// The features of row `i`, known to exist.
    pub(crate) fn row_at(&self, i: usize) -> &[f32] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// An error unless `i` is a row of this dataset.
    fn check_row(&self, i: usize) -> Result<()> {
        let n = self.n_samples();
        if i < n {
            return Ok(());
        }
        Err(Error::data(
            &self.name,
            if n == 0 {
                format!("there is no row {i}: the dataset has no rows")
            } else {
                format!(
                    "there is no row {i}: the dataset has {n} rows, numbered 0 to {}",
                    n - 1
                )
            },
        ))
    }

    /// Rows per class, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The share of each class among the rows, in class order (all 0 for an empty set).
    pub fn class_shares(&self) -> Vec<f64> {
        let n = self.n_samples().max(1) as f64;
        self.class_counts().iter().map(|&c| c as f64 / n).collect()
    }

    /// The largest standard deviation of a feature over the smallest, among the features that
    /// vary (`None` when fewer than two do): 1 for standardised data, 1000 for one column in
    /// grams beside one in kilograms.
    pub fn feature_scale_ratio(&self) -> Option<f64> {
        self.feature_scales().0
    }

    /// The largest standard deviation of a feature (`None` when no feature varies): about 1
    /// for standardised data, hundreds for raw measurements such as areas in square
    /// millimetres.
    pub fn feature_scale_max(&self) -> Option<f64> {
        self.feature_scales().1
    }

    /// [`feature_scale_ratio`](Self::feature_scale_ratio) and
    /// [`feature_scale_max`](Self::feature_scale_max) from one pass over the rows.
    pub(crate) fn feature_scales(&self) -> (Option<f64>, Option<f64>) {
        let Some(stds) = self.varying_feature_stds() else {
            return (None, None);
        };
        let (lo, hi) = stds
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
        let ratio = (stds.len() >= 2).then(|| hi / lo);
        (ratio, (!stds.is_empty()).then_some(hi))
    }

    /// The standard deviations of the features that vary (`None` for fewer than 2 rows or no
    /// feature).
    fn varying_feature_stds(&self) -> Option<Vec<f64>> {
        let (n, d) = (self.n_samples(), self.n_features);
        if n < 2 || d == 0 {
            return None;
        }
        let mut sums = vec![(0.0f64, 0.0f64); d];
        for row in self.features.chunks(d) {
            for (s, &v) in sums.iter_mut().zip(row) {
                s.0 += v as f64;
                s.1 += (v as f64) * (v as f64);
            }
        }
        Some(
            sums.iter()
                .map(|(s, q)| ((q / n as f64) - (s / n as f64).powi(2)).max(0.0).sqrt())
                .filter(|v| *v > 1e-6)
                .collect(),
        )
    }

    /// A new dataset of the given rows, in the given order.
    /// An index past the last row is an error that names it.
    pub fn subset(&self, rows: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.n_samples()) {
            self.check_row(bad)?;
        }
        Ok(self.subset_of_rows(rows))
    }

    /// [`Dataset::subset`] of rows known to exist.
    pub(crate) fn subset_of_rows(&self, rows: &[usize]) -> Dataset {
        let mut features = Vec::with_capacity(rows.len() * self.n_features);
        for &r in rows {
            features.extend_from_slice(self.row_at(r));
        }
        Dataset {
            name: self.name.clone(),
            features,
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
            n_features: self.n_features,
            feature_names: self.feature_names.clone(),
            class_names: self.class_names.clone(),
            notes: self.notes.clone(),
        }
    }

    /// Splits into train, validation and test parts (seeded, stratified by class) and
    /// standardises all three with statistics of the training part.
    pub fn split(&self, config: &SplitConfig) -> Result<Splits> {
        split::split(self, config)
    }

    /// Loads a CSV file with a header row; `target` names the class column, whose values
    /// must be integers (class ids). Every other column is a numeric feature, except a column
    /// that is the file's index (headed `Unnamed: 0` or nothing, as pandas and spreadsheets
    /// write it, or holding the row numbers 0, 1, 2, ...), which is dropped with a note. A
    /// target that looks like a quantity (many distinct values, most in one or two rows, or
    /// spread far wider than their number) is refused; a column that alone predicts the
    /// class of almost every row gets a warning in [`Dataset::notes`].
    pub fn from_csv(path: impl AsRef<std::path::Path>, target: &str) -> Result<Dataset> {
        csv_file::load_csv(path.as_ref(), target, CsvOptions::default())
    }

    /// [`Dataset::from_csv`] with options (for example `force_classes`, to train a target
    /// that looks like a quantity as one class per value).
    pub fn from_csv_with(
        path: impl AsRef<std::path::Path>,
        target: &str,
        options: CsvOptions,
    ) -> Result<Dataset> {
        csv_file::load_csv(path.as_ref(), target, options)
    }

    /// The rows without repeats (the first of the rows with equal features and label kept,
    /// in order), and how many were removed. Repeated rows land in the training and the
    /// validation part alike, where they make validation scores a test of memory.
    pub fn dedupe(&self) -> (Dataset, usize) {
        checks::dedupe(self)
    }

    /// Builds a dataset from a polars DataFrame; `target` names the integer class column and
    /// every other column must be numeric.
    pub fn from_dataframe(df: &polars::prelude::DataFrame, target: &str) -> Result<Dataset> {
        frame::from_dataframe(df, target)
    }
}

impl std::fmt::Display for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Dataset '{}': {} samples x {} features, {} classes {:?}",
            self.name,
            self.n_samples(),
            self.n_features,
            self.n_classes(),
            self.class_counts()
        )
    }
}

/// Turns class ids into class indices 0..k-1. Class names are the distinct ids in
/// ascending order.
pub(crate) fn encode_targets(ids: &[u64]) -> (Vec<usize>, Vec<String>) {
    let mut distinct: Vec<u64> = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let labels = ids
        .iter()
        .map(|v| distinct.binary_search(v).unwrap_or(0))
        .collect();
    let names = distinct.iter().map(|v| v.to_string()).collect();
    (labels, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_past_the_end_is_an_error_naming_the_rows_not_a_panic() {
        let set = Dataset::new(
            "three",
            vec![0.0, 1.0, 2.0],
            vec![0, 1, 0],
            vec!["a".into()],
            vec!["x".into(), "y".into()],
        )
        .unwrap();
        assert_eq!(set.row(2).unwrap(), &[2.0]);
        let err = set.row(999_999).unwrap_err().to_string();
        assert!(
            err.contains("no row 999999") && err.contains("0 to 2"),
            "{err}"
        );
        let err = set.subset(&[1, 999_999]).unwrap_err().to_string();
        assert!(err.contains("no row 999999"), "{err}");
        let sub = set.subset(&[2, 0]).unwrap();
        assert_eq!(
            (sub.features.clone(), sub.labels.clone()),
            (vec![2.0, 0.0], vec![0, 0])
        );
        let empty = set.subset(&[]).unwrap();
        assert!(empty.row(0).unwrap_err().to_string().contains("no rows"));
    }

    #[test]
    fn the_feature_scale_ratio_compares_the_spreads_of_varying_features() {
        let features = vec![0.0, 0.0, 5.0, 1.0, 100.0, 5.0, 2.0, 200.0, 5.0];
        let names = vec!["a".into(), "b".into(), "c".into()];
        let set = Dataset::new(
            "s",
            features,
            vec![0, 1, 0],
            names,
            vec!["x".into(), "y".into()],
        )
        .unwrap();
        // c is constant and left out; b spreads 100x more than a.
        let ratio = set.feature_scale_ratio().unwrap();
        assert!((ratio - 100.0).abs() < 1e-9, "{ratio}");
        assert_eq!(set.class_shares(), vec![2.0 / 3.0, 1.0 / 3.0]);
        let one = Dataset::new(
            "s",
            vec![1.0, 2.0],
            vec![0, 1],
            vec!["a".into()],
            vec!["x".into(), "y".into()],
        )
        .unwrap();
        assert_eq!(one.feature_scale_ratio(), None);
        // The largest spread: b's values 0, 100, 200 have a standard deviation of 81.65; one
        // varying feature is enough for it.
        let max = set.feature_scale_max().unwrap();
        assert!((max - 81.649_658).abs() < 1e-4, "{max}");
        assert_eq!(one.feature_scale_max(), Some(0.5));
        let constant = Dataset::new(
            "s",
            vec![3.0, 3.0],
            vec![0, 1],
            vec!["a".into()],
            vec!["x".into(), "y".into()],
        )
        .unwrap();
        assert_eq!(constant.feature_scale_max(), None);
    }
}
