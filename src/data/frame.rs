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
    let ids = class_ids(df, target, source)?;
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
    let (labels, class_names) = encode_targets(&ids);
    let mut data = Dataset::new(source, features, labels, feature_names, class_names)?;
    data.notes = super::checks::leak_notes(&data);
    Ok(data)
}

/// The largest whole number that every `f64` below it represents exactly (2^53).
const EXACT_IN_F64: f64 = 9_007_199_254_740_992.0;

/// The class ids of the target column: an integer column as it is, a float column only
/// where every value is a whole number that a float holds exactly.
fn class_ids(df: &DataFrame, name: &str, source: &str) -> Result<Vec<u64>> {
    let column = df
        .column(name)
        .map_err(|e| Error::table(format!("reading column '{name}'"), e))?;
    let dtype = column.dtype().clone();
    let how = "class ids must be whole numbers 0, 1, 2, ... (encode the classes as integers)";
    let missing = |row: usize| {
        Error::data(
            source,
            format!("target column '{name}' has a missing value in row {row}: fill or drop it"),
        )
    };
    let bad = |row: usize, value: String, why: &str| {
        Error::data(
            source,
            format!("target column '{name}' has {value} in row {row}, which {why}: {how}"),
        )
    };
    if dtype.is_unsigned_integer() {
        let cast = column
            .cast(&DataType::UInt64)
            .map_err(|e| Error::table(format!("casting column '{name}' to u64"), e))?;
        let values = cast
            .u64()
            .map_err(|e| Error::table(format!("reading column '{name}'"), e))?;
        return values
            .iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| missing(row)))
            .collect();
    }
    if dtype.is_signed_integer() {
        let cast = column
            .cast(&DataType::Int64)
            .map_err(|e| Error::table(format!("casting column '{name}' to i64"), e))?;
        let values = cast
            .i64()
            .map_err(|e| Error::table(format!("reading column '{name}'"), e))?;
        return values
            .iter()
            .enumerate()
            .map(|(row, v)| {
                let v = v.ok_or_else(|| missing(row))?;
                u64::try_from(v).map_err(|_| bad(row, v.to_string(), "is negative"))
            })
            .collect();
    }
    if dtype.is_float() {
        let values = numeric_column(df, name, source)?;
        return values
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                if !v.is_finite() || v.fract() != 0.0 {
                    Err(bad(row, crate::fmt::num(v), "is not a whole number"))
                } else if v < 0.0 {
                    Err(bad(row, crate::fmt::num(v), "is negative"))
                } else if v >= EXACT_IN_F64 {
                    Err(bad(
                        row,
                        format!("{v:e}"),
                        "is too large for a float to hold exactly (store the column as integers)",
                    ))
                } else {
                    Ok(v as u64)
                }
            })
            .collect();
    }
    Err(Error::data(
        source,
        format!("target column '{name}' has type {dtype} but must hold integer class ids ({how})"),
    ))
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

    #[test]
    fn class_ids_are_exact_integers() {
        let big = df!("x" => [1.0, 2.0, 3.0], "y" => [0u64, 10_000_000_000_000_000_000, u64::MAX])
            .unwrap();
        let d = from_dataframe(&big, "y").unwrap();
        assert_eq!(d.n_classes(), 3, "large ids stay distinct");
        assert_eq!(d.class_names[2], u64::MAX.to_string());
        let cases = [
            (
                df!("x" => [1.0, 2.0], "y" => [0i64, -1]).unwrap(),
                "is negative",
            ),
            (
                df!("x" => [1.0, 2.0], "y" => [0.0, 1.5]).unwrap(),
                "is not a whole number",
            ),
            (
                df!("x" => [1.0, 2.0], "y" => [0.0, 1e19]).unwrap(),
                "too large for a float",
            ),
            (
                df!("x" => [1.0, 2.0], "y" => ["a", "b"]).unwrap(),
                "must hold integer class ids",
            ),
        ];
        for (df, expected) in cases {
            let err = from_dataframe(&df, "y").unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        let floats = df!("x" => [1.0, 2.0], "y" => [0.0, 2.0]).unwrap();
        assert_eq!(
            from_dataframe(&floats, "y").unwrap().class_names,
            ["0", "2"]
        );
    }
}
