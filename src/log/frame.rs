//! Converting log rows to polars DataFrames and back, with schema checks.

use super::RunRecord;
use crate::error::{Error, Result};
use crate::train::EpochRecord;
use polars::prelude::*;

/// Column names and types of the runs table, in order.
pub const RUN_COLUMNS: &[(&str, &str)] = &[
    ("run_id", "i64"),
    ("parent_id", "i64"),
    ("step", "str"),
    ("timestamp", "str"),
    ("dataset", "str"),
    ("optimizer", "str"),
    ("lr", "f64"),
    ("batch_size", "i64"),
    ("hidden", "str"),
    ("dropout", "f64"),
    ("weight_decay", "f64"),
    ("epochs", "i64"),
    ("accumulate", "i64"),
    ("schedule", "str"),
    ("seed", "i64"),
    ("outcome", "str"),
    ("best_epoch", "i64"),
    ("train_loss", "f64"),
    ("val_loss", "f64"),
    ("val_accuracy", "f64"),
    ("wall_s", "f64"),
    ("notes", "str"),
    ("changed", "str"),
    ("warnings", "str"),
];

/// Column names of the curves table (run_id and epoch are i64, the rest f64).
pub const CURVE_COLUMNS: &[&str] = &[
    "run_id",
    "epoch",
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "lr",
];

fn col(name: &str, values: Vec<f64>) -> Column {
    Column::new(name.into(), values)
}

/// The runs as a DataFrame with the columns of [`RUN_COLUMNS`].
pub fn runs_to_frame(rows: &[RunRecord]) -> Result<DataFrame> {
    let s = |f: fn(&RunRecord) -> &str| -> Vec<String> {
        rows.iter().map(|r| f(r).to_string()).collect()
    };
    let i = |f: fn(&RunRecord) -> i64| -> Vec<i64> { rows.iter().map(f).collect() };
    let x = |f: fn(&RunRecord) -> f64| -> Vec<f64> { rows.iter().map(f).collect() };
    let columns = vec![
        Column::new("run_id".into(), i(|r| r.run_id)),
        Column::new(
            "parent_id".into(),
            rows.iter().map(|r| r.parent_id).collect::<Vec<_>>(),
        ),
        Column::new("step".into(), s(|r| &r.step)),
        Column::new("timestamp".into(), s(|r| &r.timestamp)),
        Column::new("dataset".into(), s(|r| &r.dataset)),
        Column::new("optimizer".into(), s(|r| &r.optimizer)),
        col("lr", x(|r| r.lr)),
        Column::new("batch_size".into(), i(|r| r.batch_size)),
        Column::new("hidden".into(), s(|r| &r.hidden)),
        col("dropout", x(|r| r.dropout)),
        col("weight_decay", x(|r| r.weight_decay)),
        Column::new("epochs".into(), i(|r| r.epochs)),
        Column::new("accumulate".into(), i(|r| r.accumulate)),
        Column::new("schedule".into(), s(|r| &r.schedule)),
        Column::new("seed".into(), i(|r| r.seed)),
        Column::new("outcome".into(), s(|r| &r.outcome)),
        Column::new(
            "best_epoch".into(),
            rows.iter().map(|r| r.best_epoch).collect::<Vec<_>>(),
        ),
        col("train_loss", x(|r| r.train_loss)),
        col("val_loss", x(|r| r.val_loss)),
        col("val_accuracy", x(|r| r.val_accuracy)),
        col("wall_s", x(|r| r.wall_s)),
        Column::new("notes".into(), s(|r| &r.notes)),
        Column::new("changed".into(), s(|r| &r.changed)),
        Column::new("warnings".into(), s(|r| &r.warnings)),
    ];
    DataFrame::new(rows.len(), columns).map_err(|e| Error::table("building the runs table", e))
}

/// The per-epoch curves of runs as a long DataFrame with the columns of [`CURVE_COLUMNS`].
pub fn curves_to_frame(curves: &[(i64, Vec<EpochRecord>)]) -> Result<DataFrame> {
    let rows: Vec<(i64, &EpochRecord)> = curves
        .iter()
        .flat_map(|(id, epochs)| epochs.iter().map(move |e| (*id, e)))
        .collect();
    let f = |g: fn(&EpochRecord) -> f64| -> Vec<f64> { rows.iter().map(|(_, e)| g(e)).collect() };
    let columns = vec![
        Column::new(
            "run_id".into(),
            rows.iter().map(|(id, _)| *id).collect::<Vec<i64>>(),
        ),
        Column::new(
            "epoch".into(),
            rows.iter()
                .map(|(_, e)| e.epoch as i64)
                .collect::<Vec<i64>>(),
        ),
        col("train_loss", f(|e| e.train_loss)),
        col("val_loss", f(|e| e.val_loss)),
        col("train_acc", f(|e| e.train_acc)),
        col("val_acc", f(|e| e.val_acc)),
        col("lr", f(|e| e.lr)),
    ];
    DataFrame::new(rows.len(), columns).map_err(|e| Error::table("building the curves table", e))
}

/// Reads one typed column, with an error naming the column and the type found.
struct Reader<'a> {
    df: &'a DataFrame,
    source: &'a str,
}

impl Reader<'_> {
    fn column(&self, name: &str, expected: &DataType) -> Result<&Column> {
        let column = self.df.column(name).map_err(|_| {
            Error::file(
                self.source,
                format!("column '{name}' is missing: this is not a tunelab experiment log, or it is from another version"),
            )
        })?;
        if column.dtype() != expected && !(column.dtype() == &DataType::Null) {
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

    fn f64s(&self, name: &str) -> Result<Vec<f64>> {
        let c = self.column(name, &DataType::Float64)?;
        let ca = c
            .f64()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }

    fn opt_i64s(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let c = self.column(name, &DataType::Int64)?;
        if c.dtype() == &DataType::Null {
            return Ok(vec![None; self.df.height()]);
        }
        let ca = c
            .i64()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        Ok(ca.iter().collect())
    }

    fn i64s(&self, name: &str) -> Result<Vec<i64>> {
        self.opt_i64s(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| {
                    Error::file(
                        self.source,
                        format!("column '{name}' is empty in row {row}"),
                    )
                })
            })
            .collect()
    }

    fn strs(&self, name: &str) -> Result<Vec<String>> {
        let c = self.column(name, &DataType::String)?;
        let ca = c
            .str()
            .map_err(|e| Error::table(format!("reading '{name}'"), e))?;
        Ok(ca.iter().map(|v| v.unwrap_or("").to_string()).collect())
    }
}

/// Rebuilds log rows from a runs DataFrame, checking every column's presence and type.
pub fn runs_from_frame(df: &DataFrame, source: &str) -> Result<Vec<RunRecord>> {
    let r = Reader { df, source };
    let (run_id, parent_id, step, timestamp, dataset) = (
        r.i64s("run_id")?,
        r.opt_i64s("parent_id")?,
        r.strs("step")?,
        r.strs("timestamp")?,
        r.strs("dataset")?,
    );
    let (optimizer, lr, batch_size, hidden, dropout, weight_decay) = (
        r.strs("optimizer")?,
        r.f64s("lr")?,
        r.i64s("batch_size")?,
        r.strs("hidden")?,
        r.f64s("dropout")?,
        r.f64s("weight_decay")?,
    );
    let (epochs, accumulate, schedule, seed, outcome, best_epoch) = (
        r.i64s("epochs")?,
        r.i64s("accumulate")?,
        r.strs("schedule")?,
        r.i64s("seed")?,
        r.strs("outcome")?,
        r.opt_i64s("best_epoch")?,
    );
    let (train_loss, val_loss, val_accuracy, wall_s) = (
        r.f64s("train_loss")?,
        r.f64s("val_loss")?,
        r.f64s("val_accuracy")?,
        r.f64s("wall_s")?,
    );
    let (notes, changed, warnings) = (r.strs("notes")?, r.strs("changed")?, r.strs("warnings")?);
    Ok((0..df.height())
        .map(|i| RunRecord {
            run_id: run_id[i],
            parent_id: parent_id[i],
            step: step[i].clone(),
            timestamp: timestamp[i].clone(),
            dataset: dataset[i].clone(),
            optimizer: optimizer[i].clone(),
            lr: lr[i],
            batch_size: batch_size[i],
            hidden: hidden[i].clone(),
            dropout: dropout[i],
            weight_decay: weight_decay[i],
            epochs: epochs[i],
            accumulate: accumulate[i],
            schedule: schedule[i].clone(),
            seed: seed[i],
            outcome: outcome[i].clone(),
            best_epoch: best_epoch[i],
            train_loss: train_loss[i],
            val_loss: val_loss[i],
            val_accuracy: val_accuracy[i],
            wall_s: wall_s[i],
            notes: notes[i].clone(),
            changed: changed[i].clone(),
            warnings: warnings[i].clone(),
        })
        .collect())
}

/// Rebuilds per-run curves from a curves DataFrame.
pub fn curves_from_frame(df: &DataFrame, source: &str) -> Result<Vec<(i64, Vec<EpochRecord>)>> {
    let r = Reader { df, source };
    let (ids, epochs) = (r.i64s("run_id")?, r.i64s("epoch")?);
    let (tl, vl, ta, va, lr) = (
        r.f64s("train_loss")?,
        r.f64s("val_loss")?,
        r.f64s("train_acc")?,
        r.f64s("val_acc")?,
        r.f64s("lr")?,
    );
    let mut out: Vec<(i64, Vec<EpochRecord>)> = Vec::new();
    for i in 0..df.height() {
        let rec = EpochRecord {
            epoch: epochs[i].max(0) as usize,
            train_loss: tl[i],
            val_loss: vl[i],
            train_acc: ta[i],
            val_acc: va[i],
            lr: lr[i],
            seconds: f64::NAN,
        };
        match out.last_mut() {
            Some((id, list)) if *id == ids[i] => list.push(rec),
            _ => out.push((ids[i], vec![rec])),
        }
    }
    Ok(out)
}
