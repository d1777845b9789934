//! Log rows to polars DataFrames and back, column by column as the schema lists them, with
//! a clear error for a missing or mistyped column.

use super::record::RunRecord;
use super::schema::{CURVES, CurveRow, Field, RUNS, Table};
use crate::error::{Error, QUOTE_MAX, Result, cut};
use crate::train::EpochRecord;
use polars::prelude::*;

impl<R> Table<R> {
    /// The rows as a DataFrame with this table's columns.
    pub(crate) fn to_frame(&self, rows: &[R]) -> Result<DataFrame> {
        let columns = self
            .columns
            .iter()
            .map(|c| {
                let name = c.name.into();
                match &c.field {
                    Field::Int(get, _) => {
                        Column::new(name, rows.iter().map(get).collect::<Vec<_>>())
                    }
                    Field::MaybeInt(get, _) => {
                        Column::new(name, rows.iter().map(get).collect::<Vec<_>>())
                    }
                    Field::UInt(get, _) => {
                        Column::new(name, rows.iter().map(get).collect::<Vec<_>>())
                    }
                    Field::Float(get, _) => {
                        Column::new(name, rows.iter().map(get).collect::<Vec<_>>())
                    }
                    Field::Text(get, _) => {
                        Column::new(name, rows.iter().map(get).collect::<Vec<_>>())
                    }
                }
            })
            .collect();
        DataFrame::new(rows.len(), columns)
            .map_err(|e| Error::table(format!("building the {} table", self.name), e))
    }

    /// Rebuilds the rows from a DataFrame, checking every column's presence and type, and
    /// that every column but the optional integers (a run's parent, its best epoch) has a
    /// value in every row.
    pub(crate) fn rows_from(&self, df: &DataFrame, source: &str) -> Result<Vec<R>> {
        let reader = Reader { df, source };
        let mut rows: Vec<R> = (0..df.height()).map(|_| (self.blank)()).collect();
        for c in self.columns {
            match &c.field {
                Field::Int(_, set) => put(&mut rows, reader.i64s(c.name)?, set),
                Field::MaybeInt(_, set) => put(&mut rows, reader.opt_i64s(c.name)?, set),
                Field::UInt(_, set) => put(&mut rows, reader.u64s(c.name)?, set),
                Field::Float(_, set) => put(&mut rows, reader.f64s(c.name)?, set),
                Field::Text(_, set) => put(&mut rows, reader.strs(c.name)?, set),
            }
        }
        Ok(rows)
    }
}

fn put<R, T>(rows: &mut [R], values: Vec<T>, set: &fn(&mut R, T)) {
    for (row, value) in rows.iter_mut().zip(values) {
        set(row, value);
    }
}

/// The runs as a DataFrame with the columns of [`RUN_COLUMNS`](super::RUN_COLUMNS).
pub(crate) fn runs_to_frame(rows: &[RunRecord]) -> Result<DataFrame> {
    RUNS.to_frame(rows)
}

/// Rebuilds log rows from a runs DataFrame, checking every column's presence and type.
pub(crate) fn runs_from_frame(df: &DataFrame, source: &str) -> Result<Vec<RunRecord>> {
    RUNS.rows_from(df, source)
}

/// The per-epoch curves of runs as a long DataFrame with the columns of
/// [`CURVE_COLUMNS`](super::CURVE_COLUMNS).
pub(crate) fn curves_to_frame(curves: &[(i64, Vec<EpochRecord>)]) -> Result<DataFrame> {
    let rows: Vec<CurveRow> = curves
        .iter()
        .flat_map(|(run_id, epochs)| {
            epochs.iter().map(|e| CurveRow {
                run_id: *run_id,
                epoch: e.clone(),
            })
        })
        .collect();
    CURVES.to_frame(&rows)
}

/// Rebuilds per-run curves from a curves DataFrame (consecutive rows of a run form its
/// curve).
pub(crate) fn curves_from_frame(
    df: &DataFrame,
    source: &str,
) -> Result<Vec<(i64, Vec<EpochRecord>)>> {
    let mut out: Vec<(i64, Vec<EpochRecord>)> = Vec::new();
    for row in CURVES.rows_from(df, source)? {
        match out.last_mut() {
            Some((id, list)) if *id == row.run_id => list.push(row.epoch),
            _ => out.push((row.run_id, vec![row.epoch])),
        }
    }
    Ok(out)
}

/// Reads one typed column, with an error naming the column and the type found.
struct Reader<'a> {
    df: &'a DataFrame,
    source: &'a str,
}

impl Reader<'_> {
    /// The column `name`, which must have type `expected` (or be all null, when `nullable`).
    fn column(&self, name: &str, expected: &DataType, nullable: bool) -> Result<&Column> {
        let column = self.df.column(name).map_err(|_| {
            Error::file(
                self.source,
                format!(
                    "column '{name}' is missing (the columns are: {}): this is not a tunelab experiment log, or it is from another version",
                    cut(&self.columns_text(), QUOTE_MAX)
                ),
            )
        })?;
        if column.dtype() == &DataType::Null && !nullable && self.df.height() > 0 {
            return Err(Error::file(
                self.source,
                format!(
                    "column '{name}' has no values (every row is null): this is not a tunelab experiment log, or it was edited"
                ),
            ));
        }
        if column.dtype() != expected && column.dtype() != &DataType::Null {
            return Err(Error::file(
                self.source,
                format!(
                    "column '{name}' has type {} but should be {expected}",
                    column.dtype()
                ),
            ));
        }
        Ok(column)
    }

    fn columns_text(&self) -> String {
        self.df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The error for a null in a column that needs a value in every row.
    fn empty(&self, name: &str, row: usize) -> Error {
        Error::file(
            self.source,
            format!(
                "column '{name}' is empty in row {row}: every run needs a value (this is not a tunelab experiment log, or it was edited)"
            ),
        )
    }

    fn f64s(&self, name: &str) -> Result<Vec<f64>> {
        let c = self.column(name, &DataType::Float64, false)?;
        if c.dtype() == &DataType::Null {
            return Ok(Vec::new());
        }
        let ca = c
            .f64()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        ca.iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| self.empty(name, row)))
            .collect()
    }

    fn opt_i64s(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let c = self.column(name, &DataType::Int64, true)?;
        if c.dtype() == &DataType::Null {
            return Ok(vec![None; self.df.height()]);
        }
        let ca = c
            .i64()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        Ok(ca.iter().collect())
    }

    fn i64s(&self, name: &str) -> Result<Vec<i64>> {
        self.column(name, &DataType::Int64, false)?;
        self.opt_i64s(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| self.empty(name, row)))
            .collect()
    }

    /// An unsigned column; logs written before seeds were stored as `u64` hold them as `i64`
    /// (the same 64 bits), which read back as the seed they were.
    fn u64s(&self, name: &str) -> Result<Vec<u64>> {
        let c = self
            .df
            .column(name)
            .ok()
            .filter(|c| c.dtype() == &DataType::Int64);
        if c.is_some() {
            return Ok(self.i64s(name)?.into_iter().map(|v| v as u64).collect());
        }
        let c = self.column(name, &DataType::UInt64, false)?;
        if c.dtype() == &DataType::Null {
            return Ok(Vec::new());
        }
        let ca = c
            .u64()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        ca.iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| self.empty(name, row)))
            .collect()
    }

    fn strs(&self, name: &str) -> Result<Vec<String>> {
        let c = self.column(name, &DataType::String, false)?;
        if c.dtype() == &DataType::Null {
            return Ok(Vec::new());
        }
        let ca = c
            .str()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        Ok(ca.iter().map(|v| v.unwrap_or("").to_string()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(run_id: i64, parent_id: Option<i64>) -> RunRecord {
        RunRecord {
            run_id,
            parent_id,
            step: "baseline".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            dataset: "iris".into(),
            optimizer: "adam".into(),
            lr: 1e-3,
            batch_size: 32,
            hidden: "128-64".into(),
            dropout: 0.0,
            weight_decay: 0.0,
            epochs: 3,
            accumulate: 1,
            schedule: "constant".into(),
            seed: 0,
            outcome: "diverged".into(),
            best_epoch: None,
            train_loss: f64::NAN,
            val_loss: f64::INFINITY,
            val_accuracy: 0.25,
            wall_s: 0.5,
            notes: "a <note>".into(),
            changed: String::new(),
            warnings: String::new(),
        }
    }

    fn epoch(epoch: usize, loss: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: loss,
            val_loss: loss + 0.1,
            train_acc: 0.5,
            val_acc: 0.4,
            lr: 1e-3,
            seconds: 0.25,
        }
    }

    #[test]
    fn runs_frame_has_the_schema_columns_and_types() {
        let df = runs_to_frame(&[record(1, None), record(2, Some(1))]).unwrap();
        assert_eq!(df.height(), 2);
        let found: Vec<(String, DataType)> = df
            .get_column_names()
            .iter()
            .map(|n| (n.to_string(), df.column(n).unwrap().dtype().clone()))
            .collect();
        let expected: Vec<(String, DataType)> = super::super::RUN_COLUMNS
            .iter()
            .map(|(name, ty)| {
                let dtype = match *ty {
                    "i64" => DataType::Int64,
                    "u64" => DataType::UInt64,
                    "f64" => DataType::Float64,
                    _ => DataType::String,
                };
                (name.to_string(), dtype)
            })
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn runs_round_trip_through_a_frame_including_missing_and_non_finite_values() {
        let rows = vec![record(1, None), record(2, Some(1))];
        let back = runs_from_frame(&runs_to_frame(&rows).unwrap(), "test").unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].parent_id, Some(1));
        assert_eq!(back[0].parent_id, None);
        assert!(back[0].train_loss.is_nan());
        let comparable = |r: &RunRecord| RunRecord {
            train_loss: 0.0,
            ..r.clone()
        };
        assert_eq!(
            back.iter().map(comparable).collect::<Vec<_>>(),
            rows.iter().map(comparable).collect::<Vec<_>>()
        );
    }

    #[test]
    fn curves_round_trip_grouped_by_run_without_their_seconds() {
        let curves = vec![
            (1, vec![epoch(1, 1.0), epoch(2, 0.5)]),
            (2, vec![epoch(1, 0.9)]),
        ];
        let df = curves_to_frame(&curves).unwrap();
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, super::super::CURVE_COLUMNS);
        assert_eq!(df.height(), 3);
        let back = curves_from_frame(&df, "test").unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].0, back[0].1.len()), (1, 2));
        assert_eq!((back[1].0, back[1].1.len()), (2, 1));
        assert_eq!(back[0].1[1].val_loss, 0.6);
        assert!(back[0].1.iter().all(|e| e.seconds.is_nan()));
    }

    #[test]
    fn seeds_keep_all_64_bits_and_old_logs_read_back_the_same_seed() {
        let mut row = record(1, None);
        row.seed = u64::MAX;
        let df = runs_to_frame(std::slice::from_ref(&row)).unwrap();
        assert_eq!(df.column("seed").unwrap().dtype(), &DataType::UInt64);
        assert_eq!(runs_from_frame(&df, "new").unwrap()[0].seed, u64::MAX);
        // Logs written before stored the seed's bits as i64: -1 was u64::MAX.
        let mut old = df.drop("seed").unwrap();
        old.with_column(Column::new("seed".into(), vec![-1i64]))
            .unwrap();
        assert_eq!(runs_from_frame(&old, "old").unwrap()[0].seed, u64::MAX);
    }

    #[test]
    fn null_or_renamed_metric_columns_are_the_wrong_schema() {
        let df = runs_to_frame(&[record(1, None), record(2, Some(1))]).unwrap();
        for metric in ["val_loss", "val_accuracy", "train_loss"] {
            let mut nulls = df.clone();
            nulls
                .with_column(Column::full_null(metric.into(), 2, &DataType::Null))
                .unwrap();
            let err = runs_from_frame(&nulls, "x.parquet")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!(
                    "column '{metric}' has no values (every row is null)"
                )),
                "{err}"
            );
            let mut some_null = df.clone();
            some_null
                .with_column(Column::new(metric.into(), [Some(0.5), None]))
                .unwrap();
            let err = runs_from_frame(&some_null, "x.parquet")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("column '{metric}' is empty in row 1")),
                "{err}"
            );
            let mut renamed = df.clone();
            renamed
                .rename(metric, format!("{metric}_renamed").into())
                .unwrap();
            let err = runs_from_frame(&renamed, "x.parquet")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("column '{metric}' is missing")),
                "{err}"
            );
        }
        let mut no_parent = df.clone();
        no_parent
            .with_column(Column::full_null("parent_id".into(), 2, &DataType::Null))
            .unwrap();
        assert!(
            runs_from_frame(&no_parent, "x").is_ok(),
            "parent ids may be missing"
        );
    }

    #[test]
    fn a_missing_or_mistyped_column_is_named_in_the_error() {
        let df = runs_to_frame(&[record(1, None)]).unwrap();
        let err = runs_from_frame(&df.drop("seed").unwrap(), "x.parquet")
            .unwrap_err()
            .to_string();
        assert!(err.contains("column 'seed' is missing"), "{err}");
        let mut mistyped = df.drop("lr").unwrap();
        mistyped
            .with_column(Column::new("lr".into(), vec!["fast"]))
            .unwrap();
        let err = runs_from_frame(&mistyped, "x.parquet")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column 'lr' has type str but should be f64"),
            "{err}"
        );
    }
}
