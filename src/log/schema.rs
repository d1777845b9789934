//! The one description of the experiment log's two tables. For each column: its name, its
//! type, how to read it from a row and put it back, and how the HTML tables show it. The
//! frame builders and loaders (and so the Parquet and CSV files) and the HTML tables all
//! follow these lists, so a column is added, renamed or retyped here and nowhere else.

use super::record::RunRecord;
use crate::train::EpochRecord;

/// How a column's value is read from a row and put back, by its type in the files.
pub(crate) enum Field<R> {
    /// An integer that is always there (`i64`).
    Int(fn(&R) -> i64, fn(&mut R, i64)),
    /// An integer that may be missing (`i64`, null when missing).
    MaybeInt(fn(&R) -> Option<i64>, fn(&mut R, Option<i64>)),
    /// An unsigned integer that is always there (`u64`, for seeds, which use all 64 bits).
    UInt(fn(&R) -> u64, fn(&mut R, u64)),
    /// A float (`f64`; a null reads back as NaN).
    Float(fn(&R) -> f64, fn(&mut R, f64)),
    /// Text (`str`; a null reads back as empty text).
    Text(fn(&R) -> &str, fn(&mut R, String)),
}

impl<R> Field<R> {
    /// The type's name in [`RUN_COLUMNS`]: `i64`, `u64`, `f64` or `str`.
    const fn type_name(&self) -> &'static str {
        match self {
            Field::Int(..) | Field::MaybeInt(..) => "i64",
            Field::UInt(..) => "u64",
            Field::Float(..) => "f64",
            Field::Text(..) => "str",
        }
    }
}

/// One value of a row, as [`Field`] reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    /// An integer.
    Int(i64),
    /// An integer that may be missing.
    MaybeInt(Option<i64>),
    /// A float.
    Float(f64),
    /// Text.
    Text(&'a str),
}

/// How the HTML tables show a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Html {
    /// Left out.
    Hidden,
    /// Text under this header (a missing integer is `-`).
    Text(&'static str),
    /// A right-aligned number with this many decimals under this header.
    Number(&'static str, usize),
    /// A right-aligned hyperparameter written as people write it (`3e-3`, `0`, `0.25`).
    Short(&'static str),
}

/// One column of a table whose rows are `R`.
pub(crate) struct Column<R> {
    /// Name in the DataFrame and the files.
    pub(crate) name: &'static str,
    /// Type, and how to read and put back the value.
    pub(crate) field: Field<R>,
    /// How the HTML tables show it.
    pub(crate) html: Html,
}

impl<R> Column<R> {
    /// The value of this column in `row` (an unsigned integer above `i64::MAX` is shown as
    /// a float: such columns, the seed, are hidden in the HTML tables).
    pub(crate) fn value<'a>(&self, row: &'a R) -> Value<'a> {
        match &self.field {
            Field::Int(get, _) => Value::Int(get(row)),
            Field::UInt(get, _) => {
                let v = get(row);
                i64::try_from(v).map_or(Value::Float(v as f64), Value::Int)
            }
            Field::MaybeInt(get, _) => Value::MaybeInt(get(row)),
            Field::Float(get, _) => Value::Float(get(row)),
            Field::Text(get, _) => Value::Text(get(row)),
        }
    }
}

/// A table: its columns in file order, and the row that loading starts from.
pub(crate) struct Table<R: 'static> {
    /// What the table holds, for error messages (`runs`, `curves`).
    pub(crate) name: &'static str,
    /// The columns, in file order.
    pub(crate) columns: &'static [Column<R>],
    /// A row whose every column the loader then overwrites.
    pub(crate) blank: fn() -> R,
}

/// One row of the curves table: an epoch of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CurveRow {
    /// The run the epoch belongs to.
    pub(crate) run_id: i64,
    /// The epoch (its `seconds` are not stored, and read back as NaN).
    pub(crate) epoch: EpochRecord,
}

impl CurveRow {
    fn blank() -> CurveRow {
        CurveRow {
            run_id: 0,
            epoch: EpochRecord {
                epoch: 0,
                train_loss: f64::NAN,
                val_loss: f64::NAN,
                train_acc: f64::NAN,
                val_acc: f64::NAN,
                lr: f64::NAN,
                seconds: f64::NAN,
            },
        }
    }
}

/// A column whose name in the files is the name of the row's field `$field` (a field of the
/// row's `$path` with `of $path`), with the accessors of its [`Field`] type.
macro_rules! column {
    ($field:ident $(of $path:ident)?: Int, $html:expr) => {
        Column {
            name: stringify!($field),
            field: Field::Int(|r| r.$($path.)?$field, |r, v| r.$($path.)?$field = v),
            html: $html,
        }
    };
    ($field:ident $(of $path:ident)?: MaybeInt, $html:expr) => {
        Column {
            name: stringify!($field),
            field: Field::MaybeInt(|r| r.$($path.)?$field, |r, v| r.$($path.)?$field = v),
            html: $html,
        }
    };
    ($field:ident $(of $path:ident)?: UInt, $html:expr) => {
        Column {
            name: stringify!($field),
            field: Field::UInt(|r| r.$($path.)?$field, |r, v| r.$($path.)?$field = v),
            html: $html,
        }
    };
    ($field:ident $(of $path:ident)?: Float, $html:expr) => {
        Column {
            name: stringify!($field),
            field: Field::Float(|r| r.$($path.)?$field, |r, v| r.$($path.)?$field = v),
            html: $html,
        }
    };
    ($field:ident $(of $path:ident)?: Text, $html:expr) => {
        Column {
            name: stringify!($field),
            field: Field::Text(|r| &r.$($path.)?$field, |r, v| r.$($path.)?$field = v),
            html: $html,
        }
    };
}

/// The runs table (`experiments.parquet`, `experiments.csv`): one [`RunRecord`] per row,
/// each column named after its field.
pub(crate) const RUNS: Table<RunRecord> = Table {
    name: "runs",
    blank: RunRecord::default,
    columns: &[
        column!(run_id: Int, Html::Number("id", 0)),
        column!(parent_id: MaybeInt, Html::Text("parent")),
        column!(step: Text, Html::Text("step")),
        column!(timestamp: Text, Html::Hidden),
        column!(dataset: Text, Html::Hidden),
        column!(optimizer: Text, Html::Text("optimizer")),
        column!(lr: Float, Html::Short("lr")),
        column!(batch_size: Int, Html::Number("batch", 0)),
        column!(hidden: Text, Html::Text("hidden")),
        column!(dropout: Float, Html::Short("dropout")),
        column!(weight_decay: Float, Html::Short("wd")),
        column!(epochs: Int, Html::Number("epochs", 0)),
        column!(accumulate: Int, Html::Hidden),
        column!(schedule: Text, Html::Text("schedule")),
        column!(seed: UInt, Html::Hidden),
        column!(outcome: Text, Html::Text("outcome")),
        column!(best_epoch: MaybeInt, Html::Hidden),
        column!(train_loss: Float, Html::Hidden),
        column!(val_loss: Float, Html::Number("val_loss", 4)),
        column!(val_accuracy: Float, Html::Number("val_acc", 4)),
        column!(wall_s: Float, Html::Hidden),
        column!(notes: Text, Html::Text("notes")),
        column!(changed: Text, Html::Text("changed")),
        column!(warnings: Text, Html::Text("warnings")),
    ],
};

/// The curves table (`curves.parquet`): one epoch of one run per row, each column named
/// after its field of [`CurveRow`] or of the [`EpochRecord`] in it.
pub(crate) const CURVES: Table<CurveRow> = Table {
    name: "curves",
    blank: CurveRow::blank,
    columns: &[
        column!(run_id: Int, Html::Hidden),
        Column {
            name: "epoch",
            field: Field::Int(
                |r| r.epoch.epoch as i64,
                |r, v| r.epoch.epoch = v.max(0) as usize,
            ),
            html: Html::Number("epoch", 0),
        },
        column!(train_loss of epoch: Float, Html::Number("train_loss", 4)),
        column!(val_loss of epoch: Float, Html::Number("val_loss", 4)),
        column!(train_acc of epoch: Float, Html::Number("train_acc", 4)),
        column!(val_acc of epoch: Float, Html::Number("val_acc", 4)),
        column!(lr of epoch: Float, Html::Short("lr")),
    ],
};

const fn names_and_types<R, const N: usize>(
    columns: &[Column<R>],
) -> [(&'static str, &'static str); N] {
    let mut out = [("", ""); N];
    let mut i = 0;
    while i < N {
        out[i] = (columns[i].name, columns[i].field.type_name());
        i += 1;
    }
    out
}

const fn names<R, const N: usize>(columns: &[Column<R>]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = columns[i].name;
        i += 1;
    }
    out
}

/// Column names and types (`i64`, `u64`, `f64`, `str`) of the runs table, in order.
pub const RUN_COLUMNS: &[(&str, &str)] =
    &names_and_types::<RunRecord, { RUNS.columns.len() }>(RUNS.columns);

/// Column names of the curves table, in order (`run_id` and `epoch` are `i64`, the rest
/// `f64`).
pub const CURVE_COLUMNS: &[&str] = &names::<CurveRow, { CURVES.columns.len() }>(CURVES.columns);

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns saved logs have: renaming a field of [`RunRecord`] or [`EpochRecord`]
    /// must not rename a column in the files, or older logs no longer load.
    #[test]
    fn the_file_columns_stay_those_of_saved_logs() {
        let runs: Vec<String> = RUN_COLUMNS
            .iter()
            .map(|(n, t)| format!("{n}:{t}"))
            .collect();
        assert_eq!(
            runs.join(" "),
            "run_id:i64 parent_id:i64 step:str timestamp:str dataset:str optimizer:str lr:f64 \
             batch_size:i64 hidden:str dropout:f64 weight_decay:f64 epochs:i64 accumulate:i64 \
             schedule:str seed:u64 outcome:str best_epoch:i64 train_loss:f64 val_loss:f64 \
             val_accuracy:f64 wall_s:f64 notes:str changed:str warnings:str"
        );
        assert_eq!(
            CURVE_COLUMNS.join(" "),
            "run_id epoch train_loss val_loss train_acc val_acc lr"
        );
    }

    #[test]
    fn the_public_column_lists_follow_the_tables() {
        assert_eq!(RUN_COLUMNS.len(), RUNS.columns.len());
        for ((name, ty), column) in RUN_COLUMNS.iter().zip(RUNS.columns) {
            assert_eq!(*name, column.name);
            assert_eq!(*ty, column.field.type_name());
        }
        let curves: Vec<&str> = CURVES.columns.iter().map(|c| c.name).collect();
        assert_eq!(CURVE_COLUMNS, curves);
    }

    #[test]
    fn every_hyperparameter_is_a_run_column() {
        // early_stopping is read from the schedule column (its `+esN` suffix).
        for h in super::super::HYPERPARAMETERS {
            let column = if *h == "early_stopping" {
                "schedule"
            } else {
                h
            };
            assert!(RUN_COLUMNS.iter().any(|(name, _)| *name == column), "{h}");
        }
    }

    #[test]
    fn column_names_and_html_headers_are_unique() {
        fn check<R>(table: &Table<R>) {
            let mut names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            let mut labels: Vec<&str> = table
                .columns
                .iter()
                .filter_map(|c| match c.html {
                    Html::Hidden => None,
                    Html::Text(label) | Html::Number(label, _) | Html::Short(label) => Some(label),
                })
                .collect();
            let (n, l) = (names.len(), labels.len());
            names.sort_unstable();
            names.dedup();
            labels.sort_unstable();
            labels.dedup();
            assert_eq!((names.len(), labels.len()), (n, l), "{}", table.name);
        }
        check(&RUNS);
        check(&CURVES);
    }

    #[test]
    fn every_setter_puts_back_what_its_getter_reads() {
        let row = RunRecord {
            run_id: 7,
            parent_id: Some(3),
            step: "lr".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            dataset: "iris".into(),
            optimizer: "adam".into(),
            lr: 1e-3,
            batch_size: 32,
            hidden: "64".into(),
            dropout: 0.1,
            weight_decay: 1e-4,
            epochs: 5,
            accumulate: 2,
            schedule: "constant".into(),
            seed: u64::MAX,
            outcome: "completed".into(),
            best_epoch: Some(4),
            train_loss: 0.3,
            val_loss: 0.4,
            val_accuracy: 0.9,
            wall_s: 1.5,
            notes: "n".into(),
            changed: "lr".into(),
            warnings: "w".into(),
        };
        // Every field differs from the blank row, so `copy == row` needs every setter.
        let mut copy = (RUNS.blank)();
        for column in RUNS.columns {
            match &column.field {
                Field::Int(get, set) => set(&mut copy, get(&row)),
                Field::MaybeInt(get, set) => set(&mut copy, get(&row)),
                Field::UInt(get, set) => set(&mut copy, get(&row)),
                Field::Float(get, set) => set(&mut copy, get(&row)),
                Field::Text(get, set) => set(&mut copy, get(&row).to_string()),
            }
        }
        assert_eq!(copy, row);
    }
}
