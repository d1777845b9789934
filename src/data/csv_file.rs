//! Loading a dataset from a CSV file with a header row.

use super::Dataset;
use crate::error::{Error, QUOTE_MAX, Result, cut};
use std::path::Path;

/// What the CSV loader may be told beyond the file and the target column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Train one class per distinct target value even when the target looks like a
    /// quantity (a price, a count) rather than class ids; refused otherwise.
    pub force_classes: bool,
}

/// Reads the file row by row into the feature matrix (f32) and the class ids, holding no
/// copy of the text or of the rows: the memory is about the features and labels themselves
/// (a few bytes per cell, whatever the file's width in characters).
pub(super) fn load_csv(path: &Path, target: &str, options: CsvOptions) -> Result<Dataset> {
    let source = path.display().to_string();
    let file = crate::fsutil::open_input(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let headers = crate::csv_table::read_headers(
        &mut reader,
        &source,
        "a header row naming the columns",
        "sample",
    )?;
    let target_col = headers.iter().position(|h| h == target).ok_or_else(|| {
        Error::data(
            &source,
            format!(
                "no target column '{}'; the columns are: {}",
                cut(target, QUOTE_MAX),
                cut(&headers.join(", "), QUOTE_MAX)
            ),
        )
    })?;
    let labels_of = |col: usize| format!("feature column '{}'", cut(&headers[col], QUOTE_MAX));
    const HINT: &str = " (features must be numeric: encode or drop this column)";
    let width = headers.len() - 1;
    let mut features: Vec<f32> = Vec::new();
    // Each row's class as the index of its id among the ids seen so far (4 bytes a row);
    // the ids are put in ascending order at the end.
    let mut seen: Vec<u32> = Vec::new();
    let mut ids = ClassIds::default();
    let mut record = csv::StringRecord::new();
    loop {
        let row = seen.len();
        let more = reader
            .read_record(&mut record)
            .map_err(|e| Error::data(&source, format!("row {} is unreadable: {e}", row + 1)))?;
        if !more {
            break;
        }
        let line = record
            .position()
            .map_or(row as u64 + 2, csv::Position::line);
        crate::csv_table::check_width(&record, headers.len(), line, &source)?;
        for (col, cell) in record.iter().enumerate() {
            if col == target_col {
                let id = parse_class_id(cell).map_err(|why| {
                    Error::data(
                        &source,
                        format!(
                            "line {line}, target column '{}': '{}' {why}",
                            cut(target, QUOTE_MAX),
                            cut(cell, QUOTE_MAX)
                        ),
                    )
                })?;
                seen.push(ids.index_of(id, line, &source)?);
                continue;
            }
            if cell.is_empty() {
                return Err(Error::data(
                    &source,
                    format!("line {line}, {}: the cell is empty{HINT}", labels_of(col)),
                ));
            }
            let value = cell.parse::<f64>().map_err(|_| {
                Error::data(
                    &source,
                    format!(
                        "line {line}, {}: '{}' is not a number{HINT}",
                        labels_of(col),
                        cut(cell, QUOTE_MAX)
                    ),
                )
            })?;
            features.push(value as f32);
        }
    }
    if seen.is_empty() {
        return Err(Error::data(
            &source,
            "the file has a header but no data rows: expected one row per sample",
        ));
    }
    if !options.force_classes
        && let Some(why) = super::checks::regression_target(&ids.ids, &ids.counts, seen.len())
    {
        return Err(Error::data(
            &source,
            format!(
                "target column '{}' looks like a regression target ({why}): tunelab trains \
                 classifiers; bin the values into classes, or pass --force-classes \
                 (CsvOptions::force_classes) to train one class per value",
                cut(target, QUOTE_MAX)
            ),
        ));
    }
    let mut feature_names: Vec<String> = headers.clone();
    feature_names.remove(target_col);
    // A column that is the row number (a spreadsheet's or pandas' index) carries only the
    // file's order, which in a file sorted by class is the label: it is dropped, with a note.
    let mut notes = Vec::new();
    let column =
        |j: usize| -> Vec<f32> { features.iter().skip(j).step_by(width).copied().collect() };
    let index_cols: Vec<usize> = (0..width)
        .filter(|&j| {
            width > 1
                && (super::checks::is_index_header(&feature_names[j])
                    || super::checks::is_row_number(&column(j)))
        })
        .collect();
    if !index_cols.is_empty() {
        let keep: Vec<usize> = (0..width).filter(|j| !index_cols.contains(j)).collect();
        for &j in &index_cols {
            let name = if feature_names[j].is_empty() {
                "(no name)".to_string()
            } else {
                format!("'{}'", cut(&feature_names[j], QUOTE_MAX))
            };
            notes.push(format!(
                "note: column {name} dropped: it is the file's index (a row number), which carries only the order of the rows"
            ));
        }
        features = features
            .chunks(width)
            .flat_map(|row| keep.iter().map(move |&j| row[j]))
            .collect();
        feature_names = keep.iter().map(|&j| feature_names[j].clone()).collect();
    }
    let (labels, class_names) = ids.labels(&seen);
    drop(seen);
    let mut data = Dataset::new(source, features, labels, feature_names, class_names)?;
    notes.extend(super::checks::leak_notes(&data));
    data.notes = notes;
    Ok(data)
}

/// The distinct class ids of a file in the order they were first seen, with their counts.
#[derive(Default)]
struct ClassIds {
    ids: Vec<u64>,
    counts: Vec<usize>,
    index: std::collections::HashMap<u64, u32>,
}

impl ClassIds {
    /// The index of `id` among the ids seen so far (a new one is added).
    fn index_of(&mut self, id: u64, line: u64, source: &str) -> Result<u32> {
        if let Some(&i) = self.index.get(&id) {
            self.counts[i as usize] += 1;
            return Ok(i);
        }
        let i = u32::try_from(self.ids.len()).map_err(|_| {
            Error::data(
                source,
                format!("line {line}: more than {} distinct class ids", u32::MAX),
            )
        })?;
        self.index.insert(id, i);
        self.ids.push(id);
        self.counts.push(1);
        Ok(i)
    }

    /// The labels of rows whose ids had the indices `seen`, and the class names: classes
    /// numbered by ascending id, as [`super::encode_targets`] numbers them.
    fn labels(&self, seen: &[u32]) -> (Vec<usize>, Vec<String>) {
        let mut order: Vec<usize> = (0..self.ids.len()).collect();
        order.sort_unstable_by_key(|&i| self.ids[i]);
        let mut rank = vec![0usize; self.ids.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let labels = seen.iter().map(|&i| rank[i as usize]).collect();
        let names = order.iter().map(|&i| self.ids[i].to_string()).collect();
        (labels, names)
    }
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
        let d = load_csv(&p, "label", CsvOptions::default()).unwrap();
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
            let err = load_csv(&write(name, text), "label", CsvOptions::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{name}: {err}");
        }
        let err = load_csv(
            Path::new("/nonexistent/x.csv"),
            "label",
            CsvOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
    }

    #[test]
    fn a_duplicated_column_name_is_refused_not_read_as_a_feature() {
        let p = write("dup.csv", "a,b,target,target\n1,2,0,0\n3,4,1,1\n5,6,0,0\n");
        let err = load_csv(&p, "target", CsvOptions::default())
            .unwrap_err()
            .to_string();
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
        let d = load_csv(&p, "label", CsvOptions::default()).unwrap();
        assert_eq!(d.n_classes(), 3, "ids that one f64 would merge stay apart");
        assert_eq!(d.labels, vec![0, 1, 2, 0]);
        assert_eq!(d.class_names[1], "10000000000000000000");
        let p = write("float_ids.csv", "a,label\n1,0.0\n2,+1\n3,2.00\n");
        assert_eq!(
            load_csv(&p, "label", CsvOptions::default()).unwrap().labels,
            vec![0, 1, 2]
        );
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
            let err = load_csv(&p, "label", CsvOptions::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{id}: {err}");
            assert!(err.contains("class ids must be whole numbers"), "{err}");
        }
    }

    #[test]
    fn quoted_file_content_is_cut_to_a_readable_length() {
        let line: String = (0..600).map(|i| format!("\"key{i}\": {i}, ")).collect();
        let p = write("json.csv", &format!("{{{line}}}\n{{{line}}}\n"));
        let err = load_csv(&p, "label", CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.len() < 400, "{} chars: {err}", err.len());
        assert!(err.contains('…') && !err.contains('\n'), "{err}");
        let p = write("json_rows.csv", &format!("a,label\n1,0\n{line},1\n"));
        let err = load_csv(&p, "label", CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.len() < 400, "{} chars: {err}", err.len());
    }
}
