//! Loading a dataset from a CSV file with a header row.

use super::{Dataset, encode_targets};
use crate::error::{Error, Result};
use std::path::Path;

pub(super) fn load_csv(path: &Path, target: &str) -> Result<Dataset> {
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::file(path, format!("cannot read the header row: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Error::file(
            path,
            "the file is empty: expected a header row naming the columns, then one row per sample",
        ));
    }
    let target_col = headers.iter().position(|h| h == target).ok_or_else(|| {
        Error::data(
            &source,
            format!(
                "no target column '{target}'; the columns are: {}",
                headers.join(", ")
            ),
        )
    })?;
    let feature_names: Vec<String> = headers
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != target_col)
        .map(|(_, h)| h.clone())
        .collect();
    let mut features = Vec::new();
    let mut targets = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record =
            record.map_err(|e| Error::file(path, format!("line {line} is unreadable: {e}")))?;
        if record.len() != headers.len() {
            return Err(Error::data(
                &source,
                format!(
                    "line {line} has {} cells but the header has {} columns: every row needs one value per column",
                    record.len(),
                    headers.len()
                ),
            ));
        }
        for (col, cell) in record.iter().enumerate() {
            let value = parse_cell(cell).ok_or_else(|| {
                let what = if col == target_col {
                    "target"
                } else {
                    "feature"
                };
                Error::data(
                    &source,
                    format!(
                        "line {line}, {what} column '{}': '{cell}' is not a number{}",
                        headers[col],
                        if col == target_col {
                            " (encode the classes as integers 0, 1, 2, ...)"
                        } else {
                            " (features must be numeric: encode or drop this column)"
                        }
                    ),
                )
            })?;
            if col == target_col {
                targets.push(value);
            } else {
                features.push(value as f32);
            }
        }
    }
    if targets.is_empty() {
        return Err(Error::data(
            &source,
            "the file has a header but no data rows",
        ));
    }
    let (labels, class_names) = encode_targets(&source, target, &targets)?;
    Dataset::new(source, features, labels, feature_names, class_names)
}

/// Parses a number; `nan`, `inf` and friends parse (and are rejected later with the row
/// named), an empty cell does not.
fn parse_cell(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        return None;
    }
    cell.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tunelab-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn loads_a_small_csv_with_the_target_anywhere() {
        let p = write("ok.csv", "a,label,b\n1,0,2\n3,1,4\n5,1,6\n");
        let d = load_csv(&p, "label").unwrap();
        assert_eq!(d.n_samples(), 3);
        assert_eq!(d.feature_names, vec!["a", "b"]);
        assert_eq!(d.features, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(d.labels, vec![0, 1, 1]);
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let cases = [
            ("empty.csv", "", "empty"),
            ("header_only.csv", "a,label\n", "no data rows"),
            ("ragged.csv", "a,label\n1,0\n2\n", "line 3 has 1 cells"),
            (
                "missing_target.csv",
                "a,b\n1,0\n",
                "no target column 'label'",
            ),
            (
                "text_target.csv",
                "a,label\n1,cat\n",
                "'cat' is not a number",
            ),
            ("text_feature.csv", "a,label\nx,1\n", "'x' is not a number"),
            ("nan_feature.csv", "a,label\nnan,1\n2,0\n", "is NaN"),
            ("float_target.csv", "a,label\n1,0.5\n2,1\n", "whole numbers"),
            (
                "one_class.csv",
                "a,label\n1,0\n2,0\n",
                "at least two classes",
            ),
        ];
        for (name, text, expected) in cases {
            let err = load_csv(&write(name, text), "label")
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{name}: {err}");
        }
        let err = load_csv(Path::new("/nonexistent/x.csv"), "label").unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
    }
}
