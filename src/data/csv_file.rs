//! Loading a dataset from a CSV file with a header row.

use super::{Dataset, encode_targets};
use crate::csv_table::Table;
use crate::error::{Error, QUOTE_MAX, Result, cut};
use std::path::Path;

pub(super) fn load_csv(path: &Path, target: &str) -> Result<Dataset> {
    let source = path.display().to_string();
    let text = crate::fsutil::read_input_text(path)?;
    let table = Table::read(&text, &source, "a header row naming the columns", "sample")?;
    let headers = table.headers();
    let target_col = headers.iter().position(|h| h == target).ok_or_else(|| {
        Error::data(
            &source,
            format!(
                "no target column '{}'; the columns are: {}",
                cut(target, QUOTE_MAX),
                table.columns_text()
            ),
        )
    })?;
    let mut columns = Vec::with_capacity(headers.len().saturating_sub(1));
    for (col, name) in headers.iter().enumerate() {
        if col == target_col {
            continue;
        }
        let label = format!("feature column '{}'", cut(name, QUOTE_MAX));
        let hint = " (features must be numeric: encode or drop this column)";
        let cells = table.parse_column(col, &label, hint)?;
        let values = table.filled(cells, &label, hint)?;
        columns.push(values);
    }
    let ids = class_ids(&table, target_col, &source, target)?;
    let mut feature_names = headers.to_vec();
    feature_names.remove(target_col);
    let n = ids.len();
    let mut features = Vec::with_capacity(n.saturating_mul(columns.len()));
    for row in 0..n {
        features.extend(columns.iter().map(|c| c[row] as f32));
    }
    let (labels, class_names) = encode_targets(&ids);
    Dataset::new(source, features, labels, feature_names, class_names)
}

/// The class ids of the target column, read from the cells' text as whole numbers (never
/// through floating point, so that large ids stay distinct).
fn class_ids(table: &Table<'_>, col: usize, source: &str, target: &str) -> Result<Vec<u64>> {
    table
        .text_column(col)
        .into_iter()
        .map(|(line, cell)| {
            parse_class_id(cell).map_err(|why| {
                Error::data(
                    source,
                    format!(
                        "line {line}, target column '{}': '{}' {why}",
                        cut(target, QUOTE_MAX),
                        cut(cell, QUOTE_MAX)
                    ),
                )
            })
        })
        .collect()
}

/// A class id written as a whole number `0`, `1`, `2`, ... (`+3` and `3.0` read as 3);
/// otherwise what is wrong with it.
pub(super) fn parse_class_id(cell: &str) -> std::result::Result<u64, String> {
    const HOW: &str =
        "class ids must be whole numbers 0, 1, 2, ... (encode the classes as integers)";
    if cell.is_empty() {
        return Err(format!("is empty: every row needs a class id; {HOW}"));
    }
    let unsigned = cell.strip_prefix('+').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if cell
        .strip_prefix('-')
        .is_some_and(|rest| rest.parse::<f64>().is_ok())
    {
        return Err(format!("is negative: {HOW}"));
    }
    if !digits(whole) || !fraction.bytes().all(|b| b == b'0') {
        let why = match unsigned.parse::<f64>() {
            Ok(v) if v.is_finite() && v.fract() == 0.0 => "is not written as digits",
            Ok(_) => "is not a whole number",
            Err(_) => "is not a number",
        };
        return Err(format!("{why}: {HOW}"));
    }
    whole
        .parse::<u64>()
        .map_err(|_| format!("is too large for a class id (at most {}): {HOW}", u64::MAX))
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

    #[test]
    fn a_duplicated_column_name_is_refused_not_read_as_a_feature() {
        let p = write("dup.csv", "a,b,target,target\n1,2,0,0\n3,4,1,1\n5,6,0,0\n");
        let err = load_csv(&p, "target").unwrap_err().to_string();
        assert!(
            err.contains("column 'target' appears twice in the header"),
            "{err}"
        );
    }

    #[test]
    fn class_ids_are_read_as_exact_whole_numbers() {
        let p = write(
            "big_ids.csv",
            "a,label\n1,0\n2,10000000000000000000\n3,18446744073709551615\n4,0\n",
        );
        let d = load_csv(&p, "label").unwrap();
        assert_eq!(d.n_classes(), 3, "ids that one f64 would merge stay apart");
        assert_eq!(d.labels, vec![0, 1, 2, 0]);
        assert_eq!(d.class_names[1], "10000000000000000000");
        let p = write("float_ids.csv", "a,label\n1,0.0\n2,+1\n3,2.00\n");
        assert_eq!(load_csv(&p, "label").unwrap().labels, vec![0, 1, 2]);
        let cases = [
            (
                "2e19",
                "line 3, target column 'label': '2e19' is not written as digits",
            ),
            (
                "20000000000000000000",
                "'20000000000000000000' is too large for a class id",
            ),
            ("1.5", "'1.5' is not a whole number"),
            ("-1", "'-1' is negative"),
            ("nan", "'nan' is not a whole number"),
            ("", "is empty: every row needs a class id"),
        ];
        for (id, expected) in cases {
            let p = write("bad_id.csv", &format!("a,label\n1,0\n2,{id}\n3,1\n"));
            let err = load_csv(&p, "label").unwrap_err().to_string();
            assert!(err.contains(expected), "{id}: {err}");
            assert!(err.contains("class ids must be whole numbers"), "{err}");
        }
    }

    #[test]
    fn quoted_file_content_is_cut_to_a_readable_length() {
        let line: String = (0..600).map(|i| format!("\"key{i}\": {i}, ")).collect();
        let p = write("json.csv", &format!("{{{line}}}\n{{{line}}}\n"));
        let err = load_csv(&p, "label").unwrap_err().to_string();
        assert!(err.len() < 400, "{} chars: {err}", err.len());
        assert!(err.contains('…') && !err.contains('\n'), "{err}");
        let p = write("json_rows.csv", &format!("a,label\n1,0\n{line},1\n"));
        let err = load_csv(&p, "label").unwrap_err().to_string();
        assert!(err.len() < 400, "{} chars: {err}", err.len());
    }
}
