//! Building a dataset from a polars DataFrame.

use super::{Dataset, encode_targets};
use crate::error::{Error, Result};
use polars::prelude::*;

pub(super) fn from_dataframe(df: &DataFrame, target: &str) -> Result<Dataset> {
    let source = "DataFrame";
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    if !names.iter().any(|n| n == target) {
        return Err(Error::data(
            source,
            format!(
                "no target column '{target}'; the columns are: {}",
                names.join(", ")
            ),
        ));
    }
    let height = df.height();
    let targets = numeric_column(df, target, source)?;
    let feature_names: Vec<String> = names.iter().filter(|n| *n != target).cloned().collect();
    let mut columns = Vec::with_capacity(feature_names.len());
    for name in &feature_names {
        columns.push(numeric_column(df, name, source)?);
    }
    let mut features = Vec::with_capacity(height * feature_names.len());
    for row in 0..height {
        for col in &columns {
            features.push(col[row] as f32);
        }
    }
    let (labels, class_names) = encode_targets(source, target, &targets)?;
    Dataset::new(source, features, labels, feature_names, class_names)
}

fn numeric_column(df: &DataFrame, name: &str, source: &str) -> Result<Vec<f64>> {
    let column = df
        .column(name)
        .map_err(|e| Error::table(format!("reading column '{name}'"), e))?;
    if !column.dtype().is_primitive_numeric() {
        return Err(Error::data(
            source,
            format!(
                "column '{name}' has type {} but must be numeric (encode or drop it)",
                column.dtype()
            ),
        ));
    }
    let cast = column
        .cast(&DataType::Float64)
        .map_err(|e| Error::table(format!("casting column '{name}' to f64"), e))?;
    let values = cast
        .f64()
        .map_err(|e| Error::table(format!("reading column '{name}'"), e))?;
    values
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.ok_or_else(|| {
                Error::data(
                    source,
                    format!("column '{name}' has a missing value in row {row}: fill or drop it"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_from_a_frame_and_rejects_bad_columns() {
        let df = df!("x" => [1.0, 2.0, 3.0], "y" => [1i64, 0, 1]).unwrap();
        let d = from_dataframe(&df, "y").unwrap();
        assert_eq!(d.labels, vec![1, 0, 1]);
        assert_eq!(d.features, vec![1.0, 2.0, 3.0]);

        let err = from_dataframe(&df, "z").unwrap_err().to_string();
        assert!(err.contains("no target column 'z'"), "{err}");

        let text = df!("x" => ["a", "b"], "y" => [0i64, 1]).unwrap();
        let err = from_dataframe(&text, "y").unwrap_err().to_string();
        assert!(err.contains("must be numeric"), "{err}");

        let missing = df!("x" => [Some(1.0), None], "y" => [0i64, 1]).unwrap();
        let err = from_dataframe(&missing, "y").unwrap_err().to_string();
        assert!(err.contains("missing value in row 1"), "{err}");
    }
}
