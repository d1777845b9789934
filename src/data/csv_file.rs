//! Loading a dataset from a CSV file with a header row.

use super::{Dataset, encode_targets};
use crate::csv_table::Table;
use crate::error::{Error, Result};
use std::path::Path;

pub(super) fn load_csv(path: &Path, target: &str) -> Result<Dataset> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let table = Table::read(&text, &source, "a header row naming the columns", "sample")?;
    let headers = table.headers();
    let target_col = headers.iter().position(|h| h == target).ok_or_else(|| {
        Error::data(
            &source,
            format!(
                "no target column '{target}'; the columns are: {}",
                headers.join(", ")
            ),
        )
    })?;
    let mut columns = Vec::with_capacity(headers.len());
    for (col, name) in headers.iter().enumerate() {
        let (label, hint) = if col == target_col {
            (
                format!("target column '{name}'"),
                " (encode the classes as integers 0, 1, 2, ...)",
            )
        } else {
            (
                format!("feature column '{name}'"),
                " (features must be numeric: encode or drop this column)",
            )
        };
        let cells = table.parse_column(col, &label, hint)?;
        let values = table.filled(cells, &label, hint)?;
        columns.push(values);
    }
    let targets = columns.remove(target_col);
    let mut feature_names = headers.to_vec();
    feature_names.remove(target_col);
    let n = targets.len();
    let mut features = Vec::with_capacity(n * columns.len());
    for row in 0..n {
        features.extend(columns.iter().map(|c| c[row] as f32));
    }
    let (labels, class_names) = encode_targets(&source, target, &targets)?;
    Dataset::new(source, features, labels, feature_names, class_names)
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
            ("nan_feature.csv", "a,label\nnan,1\n2,0\n", "is nan"),
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
