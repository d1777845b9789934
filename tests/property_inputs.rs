//! The three readers of user files, over random bytes and over random files that look right
//! but are wrong: the CSV dataset loader, the history reader and the experiment-log loader.
//! Whatever they are given, they return a value or an `Error` (one line), and never panic.

use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use tunelab::diagnose::History;
use tunelab::polars::prelude::*;
use tunelab::{Dataset, ExperimentLog};

mod common;

/// Cases per property: enough to meet every kind of bad input, few enough for a few seconds.
const CASES: u32 = 128;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        // The same cases on every run: a failure found once is found again.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7e57_ab1e),
        ..ProptestConfig::default()
    }
}

/// A file path in a fresh folder of this test process; the folder is removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir()
            .join(format!("tunelab-prop-{}", std::process::id()))
            .join(NEXT.fetch_add(1, Ordering::Relaxed).to_string());
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir.join(name))
    }
}

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// An error's message is one line.
fn one_line(err: &tunelab::Error) -> Result<(), TestCaseError> {
    let text = err.to_string();
    prop_assert!(!text.contains('\n'), "{}", text);
    Ok(())
}

/// Cells that are valid somewhere and wrong elsewhere.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("2".to_string()),
        Just("1.5".to_string()),
        Just("-1".to_string()),
        Just("-inf".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("1e19".to_string()),
        Just("20000000000000000000".to_string()),
        Just(String::new()),
        Just("\"quoted, cell\"".to_string()),
        Just("x".repeat(300)),
        (-1e6f64..1e6).prop_map(|v| v.to_string()),
        (0u64..20).prop_map(|v| v.to_string()),
        "[a-z\"' ]{0,6}",
    ]
}

/// A CSV file made of header names and rows of `cell`s, with rows of any length.
fn csv_like(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let header = proptest::collection::vec(proptest::sample::select(names), 0..6);
    let rows = proptest::collection::vec(proptest::collection::vec(cell(), 0..7), 0..12);
    (header, rows, any::<bool>()).prop_map(|(header, rows, crlf)| {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = header.join(",");
        text.push_str(end);
        for row in rows {
            text.push_str(&row.join(","));
            text.push_str(end);
        }
        text
    })
}

const DATASET_NAMES: &[&str] = &["a", "b", "target", "target", " target", "label", "", "x y"];
const EPOCH_NAMES: &[&str] = &[
    "epoch",
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "lr",
    "train_loss",
    "other",
];
const STEP_NAMES: &[&str] = &["step", "loss", "lr", "grad_norm", "loss"];

fn check_dataset(bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = Scratch::new("data.csv");
    std::fs::write(&path, bytes).unwrap();
    match Dataset::from_csv(&path, "target") {
        Ok(d) => {
            prop_assert!(d.n_samples() > 0 && d.n_classes() >= 2);
            prop_assert!(d.labels.iter().all(|&l| l < d.n_classes()));
            prop_assert_eq!(d.features.len(), d.n_samples() * d.n_features);
            // Whatever loads must split or say why not.
            if let Err(e) = d.split(&tunelab::SplitConfig::default()) {
                one_line(&e)?;
            }
        }
        Err(e) => one_line(&e)?,
    }
    Ok(())
}

fn check_history(epochs: &str, steps: Option<&str>) -> Result<(), TestCaseError> {
    match History::from_csv_str(epochs, steps) {
        Ok(h) => {
            prop_assert!(h.n_epochs() > 0);
            prop_assert!(
                h.train_loss
                    .iter()
                    .chain(&h.val_loss)
                    .all(|v| v.is_nan() || *v >= 0.0)
            );
        }
        Err(e) => one_line(&e)?,
    }
    Ok(())
}

fn check_log(path: &std::path::Path) -> Result<(), TestCaseError> {
    match ExperimentLog::load(path) {
        Ok(log) => {
            // A log that loads answers its questions.
            let _ = log.best(tunelab::Metric::ValLoss);
            let _ = log.to_string();
        }
        Err(e) => one_line(&e)?,
    }
    Ok(())
}

/// A valid runs table of a small log, to break in one place.
fn valid_runs() -> DataFrame {
    let splits = common::iris();
    let config = tunelab::TrainConfig::default()
        .with_epochs(2)
        .with_batch_size(32);
    let mut log = ExperimentLog::new().quiet();
    for seed in [0, u64::MAX] {
        let run = tunelab::train(&splits, &config.clone().with_seed(seed)).unwrap();
        log.add(&run).unwrap();
    }
    log.runs().unwrap()
}

/// One way to break a column of a valid table.
#[derive(Debug, Clone)]
enum Break {
    Drop,
    Rename,
    AllNull,
    AsText,
    SomeNull,
}

fn broken(df: &DataFrame, col: usize, how: &Break) -> DataFrame {
    let name = df.get_column_names()[col % df.width()].to_string();
    let mut out = df.clone();
    let height = df.height();
    match how {
        Break::Drop => out = out.drop(&name).unwrap(),
        Break::Rename => {
            out.rename(&name, format!("{name}_old").into()).unwrap();
        }
        Break::AllNull => {
            out.with_column(Column::full_null(name.into(), height, &DataType::Null))
                .unwrap();
        }
        Break::AsText => {
            let text = out.column(&name).unwrap().cast(&DataType::String).unwrap();
            out.with_column(text).unwrap();
        }
        Break::SomeNull => {
            let dtype = out.column(&name).unwrap().dtype().clone();
            let mut values = out.column(&name).unwrap().clone();
            let nulls = Column::full_null(name.as_str().into(), 1, &dtype);
            values = values.slice(0, height - 1);
            values.append(&nulls).unwrap();
            out.with_column(values).unwrap();
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_csv_loader_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_dataset(&bytes)?;
    }

    #[test]
    fn the_csv_loader_survives_wrong_tables(text in csv_like(DATASET_NAMES)) {
        check_dataset(text.as_bytes())?;
    }

    #[test]
    fn the_history_reader_survives_random_text(epochs in ".{0,300}", steps in proptest::option::of(".{0,200}")) {
        check_history(&epochs, steps.as_deref())?;
    }

    #[test]
    fn the_history_reader_survives_wrong_tables(
        epochs in csv_like(EPOCH_NAMES),
        steps in proptest::option::of(csv_like(STEP_NAMES)),
    ) {
        check_history(&epochs, steps.as_deref())?;
    }

    #[test]
    fn the_log_loader_survives_random_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        csv in any::<bool>(),
    ) {
        let name = if csv { "experiments.csv" } else { "experiments.parquet" };
        let path = Scratch::new(name);
        std::fs::write(&path, &bytes).unwrap();
        check_log(&path)?;
        check_log(path.parent().unwrap())?;
    }

    #[test]
    fn the_log_loader_survives_random_csv_logs(
        text in csv_like(&["run_id", "parent_id", "seed", "val_loss", "lr", "notes", "x"]),
    ) {
        let path = Scratch::new("experiments.csv");
        std::fs::write(&path, text).unwrap();
        check_log(&path)?;
    }
}

/// A table of `n` rows of two random features and classes `0..k`, as CSV text, with the
/// row number first when `index` (under `index_header`).
fn table_text(rows: &[(f64, f64, u64)], index: Option<&str>) -> String {
    let mut text = match index {
        Some(h) => format!("{h},a,b,target\n"),
        None => "a,b,target\n".to_string(),
    };
    for (i, (a, b, t)) in rows.iter().enumerate() {
        if index.is_some() {
            text.push_str(&format!("{i},"));
        }
        text.push_str(&format!("{a},{b},{t}\n"));
    }
    text
}

fn rows_strategy(k: u64) -> impl Strategy<Value = Vec<(f64, f64, u64)>> {
    proptest::collection::vec((-1e3f64..1e3, -1e3f64..1e3, 0..k), 20..200)
}

proptest! {
    #![proptest_config(config())]

    /// An index column, under any of the headers pandas or a spreadsheet gives it, is dropped:
    /// the table loads as it would without it. Class ids from a small range are never taken
    /// for a regression target.
    #[test]
    fn an_index_column_is_dropped_and_few_classes_are_classes(
        rows in rows_strategy(5),
        header in proptest::sample::select(vec!["", "Unnamed: 0", "id", "row"]),
    ) {
        prop_assume!(rows.iter().map(|r| r.2).collect::<std::collections::HashSet<_>>().len() >= 2);
        let plain = Scratch::new("plain.csv");
        std::fs::write(&plain, table_text(&rows, None)).unwrap();
        let indexed = Scratch::new("indexed.csv");
        std::fs::write(&indexed, table_text(&rows, Some(header))).unwrap();
        let a = Dataset::from_csv(&plain, "target").unwrap();
        let b = Dataset::from_csv(&indexed, "target").unwrap();
        prop_assert_eq!(&a.features, &b.features);
        prop_assert_eq!(&a.feature_names, &b.feature_names);
        prop_assert!(b.notes.iter().any(|n| n.contains("dropped")), "{:?}", b.notes);
    }

    /// Deduplication keeps one row of each distinct (features, class), in order, and is
    /// idempotent; a split never counts more repeated rows than a part holds.
    #[test]
    fn dedupe_keeps_each_distinct_row_once(
        rows in rows_strategy(3),
        copies in proptest::collection::vec(1usize..4, 200),
    ) {
        let mut repeated = Vec::new();
        for (row, &c) in rows.iter().zip(&copies) {
            for _ in 0..c {
                repeated.push(*row);
            }
        }
        prop_assume!(repeated.iter().map(|r| r.2).collect::<std::collections::HashSet<_>>().len() >= 2);
        let path = Scratch::new("repeated.csv");
        std::fs::write(&path, table_text(&repeated, None)).unwrap();
        let data = Dataset::from_csv(&path, "target").unwrap();
        let (once, removed) = data.dedupe();
        let distinct: std::collections::HashSet<(u64, u64, u64)> = repeated
            .iter()
            .map(|(a, b, t)| ((*a as f32).to_bits().into(), (*b as f32).to_bits().into(), *t))
            .collect();
        prop_assert_eq!(once.n_samples(), distinct.len());
        prop_assert_eq!(removed, data.n_samples() - distinct.len());
        prop_assert_eq!(once.dedupe().1, 0);
    }

    /// Targets spread over a wide range of values, each in one row, are refused as a
    /// regression target with one line, and forced they load as one class per value.
    #[test]
    fn a_wide_target_is_refused_unless_forced(
        rows in proptest::collection::vec((-1e3f64..1e3, -1e3f64..1e3, 0u64..1_000_000), 40..120),
    ) {
        let mut values: Vec<u64> = rows.iter().map(|r| r.2).collect();
        values.sort_unstable();
        values.dedup();
        prop_assume!(values.len() == rows.len());
        let path = Scratch::new("wide.csv");
        std::fs::write(&path, table_text(&rows, None)).unwrap();
        let err = Dataset::from_csv(&path, "target").unwrap_err();
        one_line(&err)?;
        prop_assert!(err.to_string().contains("regression target"), "{}", err);
        let forced = Dataset::from_csv_with(
            &path,
            "target",
            tunelab::data::CsvOptions { force_classes: true },
        )
        .unwrap();
        prop_assert_eq!(forced.n_classes(), rows.len());
    }
}

/// Valid logs broken in one column, in Parquet and CSV, and cut or flipped at random bytes:
/// an error, never a panic. (One valid log is trained once for all the cases.)
#[test]
fn the_log_loader_refuses_logs_broken_in_one_place() {
    let runs = valid_runs();
    let valid = Scratch::new("valid.parquet");
    tunelab::log::write_parquet(&valid, runs.clone()).unwrap();
    let loaded = ExperimentLog::load(&valid).unwrap();
    assert_eq!(loaded.rows()[1].seed, u64::MAX, "seeds keep all 64 bits");
    let bytes = std::fs::read(&valid).unwrap();
    let hows = [
        Break::Drop,
        Break::Rename,
        Break::AllNull,
        Break::AsText,
        Break::SomeNull,
    ];
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let strategy = (
        0..runs.width(),
        proptest::sample::select(hows.to_vec()),
        0..bytes.len(),
        any::<u8>(),
        any::<bool>(),
    );
    runner
        .run(&strategy, |(col, how, at, byte, cut)| {
            // A column broken: refused (a text column may become all text again).
            let df = broken(&runs, col, &how);
            let path = Scratch::new("experiments.parquet");
            let column = runs.get_column_names()[col].to_string();
            tunelab::log::write_parquet(&path, df.clone()).unwrap();
            match ExperimentLog::load(&path) {
                Ok(_) => prop_assert!(
                    matches!(how, Break::AsText | Break::SomeNull)
                        && runs.column(&column).unwrap().dtype() == &DataType::String
                        || matches!(how, Break::AllNull | Break::SomeNull)
                            && ["parent_id", "best_epoch"].contains(&column.as_str()),
                    "{how:?} {column} was accepted"
                ),
                Err(e) => {
                    one_line(&e)?;
                    prop_assert!(e.to_string().contains(&format!("'{column}'")), "{}", e);
                }
            }
            // The same table as CSV.
            let mut df = df;
            let csv = Scratch::new("experiments.csv");
            let mut file = std::fs::File::create(&csv).unwrap();
            CsvWriter::new(&mut file).finish(&mut df).unwrap();
            check_log(&csv)?;
            // The valid file cut short or with one byte changed.
            let mut damaged = bytes.clone();
            if cut {
                damaged.truncate(at);
            } else {
                damaged[at] ^= byte.max(1);
            }
            let path = Scratch::new("experiments.parquet");
            std::fs::write(&path, &damaged).unwrap();
            check_log(&path)
        })
        .unwrap();
}
