//! What the loaders check in the data itself, beyond its format: a column that is the row
//! number (a spreadsheet's or pandas' index, dropped), a single column that predicts the
//! class almost perfectly on its own (a leak, warned about), a target that looks like a
//! quantity rather than class ids (refused), and rows repeated across the split parts
//! (counted, and removed on request). Each one made a model look perfect, or failed with a
//! misleading error, without a word.

use super::Dataset;

/// Whether a header is the one a spreadsheet or `pandas.DataFrame.to_csv` gives the index
/// column: empty, or `Unnamed: 0`.
pub(super) fn is_index_header(header: &str) -> bool {
    header.is_empty() || header.starts_with("Unnamed: ")
}

/// Fewest rows for a column to be judged a row number by its values alone (a short column
/// counting 1, 2, 3 may well be data).
const ROW_NUMBER_MIN_ROWS: usize = 20;

/// Whether `values` are the row numbers `c, c + 1, c + 2, ...` (from 0 or from 1), in order,
/// over at least [`ROW_NUMBER_MIN_ROWS`] rows.
pub(super) fn is_row_number(values: &[f32]) -> bool {
    let Some(&first) = values.first() else {
        return false;
    };
    values.len() >= ROW_NUMBER_MIN_ROWS
        && (first == 0.0 || first == 1.0)
        && values
            .iter()
            .enumerate()
            .all(|(i, &v)| f64::from(v) == f64::from(first) + i as f64)
}

/// Fewest rows for the leak check: with fewer, one column's bins are too small to tell.
const LEAK_MIN_ROWS: usize = 100;

/// Rows per bin of the one-column classifier of the leak check (at most [`LEAK_MAX_BINS`]
/// bins): few enough bins that a column without information cannot fit the labels.
const LEAK_ROWS_PER_BIN: usize = 20;

/// Most bins of the one-column classifier.
const LEAK_MAX_BINS: usize = 64;

/// The accuracy from which one column alone is a leak: at least this, and at least 90% of
/// the way from the majority share to 1 (so a set where one class holds 99.5% of the rows
/// is not flagged for that).
const LEAK_ACCURACY: f64 = 0.99;

/// The columns that alone predict the class of almost every row (see [`LEAK_ACCURACY`]),
/// with that accuracy: the rows sorted by the column and cut into bins of about
/// [`LEAK_ROWS_PER_BIN`] rows (equal values kept together), each bin predicting its most
/// common class. Empty below [`LEAK_MIN_ROWS`] rows.
pub(super) fn single_column_predictors(data: &Dataset) -> Vec<(String, f64)> {
    let n = data.n_samples();
    if n < LEAK_MIN_ROWS || data.n_classes() < 2 {
        return Vec::new();
    }
    let majority = data.class_counts().into_iter().max().unwrap_or(0) as f64 / n as f64;
    let needed = LEAK_ACCURACY.max(majority + 0.9 * (1.0 - majority));
    let bin = (n / LEAK_MAX_BINS).max(LEAK_ROWS_PER_BIN);
    let mut out = Vec::new();
    let mut order: Vec<usize> = (0..n).collect();
    for j in 0..data.n_features {
        let value = |i: usize| data.features[i * data.n_features + j];
        order.sort_by(|&a, &b| value(a).total_cmp(&value(b)));
        let mut counts = vec![0usize; data.n_classes()];
        let (mut correct, mut in_bin) = (0usize, 0usize);
        for (k, &i) in order.iter().enumerate() {
            counts[data.labels[i]] += 1;
            in_bin += 1;
            let last = k + 1 == n;
            let tie_follows = !last && value(order[k + 1]) == value(i);
            if last || (in_bin >= bin && !tie_follows) {
                correct += counts.iter().max().copied().unwrap_or(0);
                counts.iter_mut().for_each(|c| *c = 0);
                in_bin = 0;
            }
        }
        let accuracy = correct as f64 / n as f64;
        if accuracy >= needed {
            out.push((data.feature_names[j].clone(), accuracy));
        }
    }
    out
}

/// The notes of [`single_column_predictors`], for the data summary.
pub(super) fn leak_notes(data: &Dataset) -> Vec<String> {
    single_column_predictors(data)
        .into_iter()
        .map(|(name, accuracy)| {
            format!(
                "warning: column '{}' alone predicts the class of {:.1}% of the rows: a leak (an id, \
                 the row number of a file sorted by class, the label in another form)? Drop it \
                 unless it is a real feature",
                crate::error::cut(&name, crate::error::QUOTE_MAX),
                100.0 * accuracy
            )
        })
        .collect()
}

/// Fewest distinct values for a target to be judged a quantity rather than class ids.
const REGRESSION_MIN_DISTINCT: usize = 20;

/// Why a target whose distinct values are `ids` with `counts` rows each (`rows` in all) looks
/// like a regression target (a price, a count), or `None`: at least
/// [`REGRESSION_MIN_DISTINCT`] distinct values, and either most of them seen in at most two
/// rows (no class can be learned from one or two rows) or the values spread over a range
/// more than ten times their number (class ids are 0, 1, 2, ... or close to that).
pub(super) fn regression_target(ids: &[u64], counts: &[usize], rows: usize) -> Option<String> {
    let distinct = ids.len();
    if distinct < REGRESSION_MIN_DISTINCT {
        return None;
    }
    let rare = counts.iter().filter(|&&c| c <= 2).count();
    let lo = ids.iter().copied().min().unwrap_or(0);
    let hi = ids.iter().copied().max().unwrap_or(0);
    let span = (hi - lo) as f64 + 1.0;
    let mostly_rare = 2 * rare >= distinct;
    let sparse = span > 10.0 * distinct as f64;
    (mostly_rare || sparse).then(|| {
        format!("{distinct} distinct values from {lo} to {hi}, {rare} of them in at most two rows of {rows}")
    })
}

/// A row's identity for the duplicate checks: its features' bits and its label.
fn row_key(data: &Dataset, i: usize) -> Vec<u32> {
    data.row_at(i).iter().map(|v| v.to_bits()).collect()
}

/// How many rows of `other` have the exact features of a row of `train`.
pub(super) fn rows_also_in(train: &Dataset, other: &Dataset) -> usize {
    let seen: std::collections::HashSet<Vec<u32>> =
        (0..train.n_samples()).map(|i| row_key(train, i)).collect();
    (0..other.n_samples())
        .filter(|&i| seen.contains(&row_key(other, i)))
        .count()
}

/// The rows of `data` without repeats (the first of rows with equal features and label
/// kept, in order), and how many were removed.
pub(super) fn dedupe(data: &Dataset) -> (Dataset, usize) {
    let mut seen = std::collections::HashSet::new();
    let keep: Vec<usize> = (0..data.n_samples())
        .filter(|&i| {
            let mut key = row_key(data, i);
            key.push(data.labels[i] as u32);
            seen.insert(key)
        })
        .collect();
    let removed = data.n_samples() - keep.len();
    (data.subset_of_rows(&keep), removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(features: Vec<f32>, labels: Vec<usize>, names: &[&str]) -> Dataset {
        let k = labels.iter().max().unwrap() + 1;
        Dataset::new(
            "t",
            features,
            labels,
            names.iter().map(|s| s.to_string()).collect(),
            (0..k).map(|c| c.to_string()).collect(),
        )
        .unwrap()
    }

    #[test]
    fn row_numbers_and_index_headers_are_recognised() {
        let count = |from: f32, step: f32, n: usize| -> Vec<f32> {
            (0..n).map(|i| from + step * i as f32).collect()
        };
        assert!(is_row_number(&count(0.0, 1.0, 30)));
        assert!(is_row_number(&count(1.0, 1.0, 20)));
        assert!(!is_row_number(&count(1.0, 1.0, 5)), "too short to tell");
        assert!(!is_row_number(&count(0.0, 2.0, 30)));
        assert!(!is_row_number(&count(5.0, 1.0, 30)));
        assert!(is_index_header("") && is_index_header("Unnamed: 0"));
        assert!(!is_index_header("id"));
    }

    #[test]
    fn a_column_that_is_the_label_is_a_leak_and_noise_is_not() {
        let n = 600;
        let mut rng = crate::rng::Rng::new(3);
        let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let mut features = Vec::new();
        for &l in &labels {
            features.push(l as f32 * 10.0 + rng.uniform() as f32); // the label, disguised
            features.push(rng.uniform() as f32); // noise
            features.push(l as f32 + 2.0 * rng.uniform() as f32); // informative, overlapping
        }
        let data = set(features, labels, &["leak", "noise", "useful"]);
        let found = single_column_predictors(&data);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "leak");
        assert!(leak_notes(&data)[0].contains("'leak' alone predicts"));
    }

    #[test]
    fn a_quantity_is_not_class_ids_but_classes_are() {
        let judge = |values: Vec<u64>| {
            let mut counts = std::collections::BTreeMap::new();
            for &v in &values {
                *counts.entry(v).or_insert(0usize) += 1;
            }
            let (ids, counts): (Vec<u64>, Vec<usize>) = counts.into_iter().unzip();
            regression_target(&ids, &counts, values.len())
        };
        let prices: Vec<u64> = (0..1000).map(|i| 100_000 + 10_000 * (i % 58)).collect();
        assert!(judge(prices).is_some(), "sparse values");
        let distinct: Vec<u64> = (0..1000).map(|i| 1000 + i * 7).collect();
        assert!(judge(distinct).unwrap().contains("1000 distinct"));
        let classes: Vec<u64> = (0..1000).map(|i| i % 25).collect();
        assert_eq!(judge(classes), None, "25 classes of 40 rows");
        let digits: Vec<u64> = (0..1797).map(|i| i % 10).collect();
        assert_eq!(judge(digits), None);
    }

    #[test]
    fn repeated_rows_are_counted_across_parts_and_removed_on_request() {
        let data = set(
            vec![1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0],
            vec![0, 1, 0, 0],
            &["a", "b"],
        );
        let (once, removed) = dedupe(&data);
        assert_eq!(
            (once.n_samples(), removed),
            (3, 1),
            "same features, other label kept"
        );
        assert_eq!(rows_also_in(&once, &data), 4);
    }
}
