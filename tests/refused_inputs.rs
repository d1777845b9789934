//! Inputs a careless student gives the `tunelab` command: each is refused with exit status 2
//! and one readable line that says what is wrong, or (a small dataset) handled and said so.
//! Nothing is lost and nothing is silently wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn tunelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tunelab"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("tunelab-refused-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The command failed with exit status 2 and one line on stderr containing every needle;
/// returns that line.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let out = tunelab(args);
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    let chars = err.chars().count();
    assert!(chars <= 500, "{args:?}: {chars} chars: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: no '{needle}' in: {err}");
    }
    err
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn tune_refuses_a_folder_with_an_earlier_study_and_a_file_as_out() {
    let dir = scratch("earlier");
    let report = dir.join("report.html");
    std::fs::write(&report, "the earlier study's report").unwrap();
    refused(
        &["tune", "--data", "iris", "--out", path(&dir)],
        &[
            "holds an earlier study (report.html)",
            "pass --overwrite to replace it, or give another --out folder",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "the earlier study's report"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing written"
    );
    refused(
        &["tune", "--data", "iris", "--out", path(&report)],
        &["report.html is a file, and --out needs a folder"],
    );
    // The data inside the folder is never a file the study writes.
    let data = dir.join("experiments.csv");
    std::fs::write(&data, "a,target\n1,0\n").unwrap();
    refused(
        &[
            "tune",
            "--data",
            path(&data),
            "--out",
            path(&dir),
            "--overwrite",
        ],
        &["a file the study writes", "would destroy the data"],
    );
    assert_eq!(std::fs::read_to_string(&data).unwrap(), "a,target\n1,0\n");
    let help = String::from_utf8(tunelab(&["tune", "--help"]).stdout).unwrap();
    assert!(help.contains("--overwrite"), "{help}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tune_on_a_csv_smaller_than_the_default_batch_caps_its_batches_and_says_so() {
    let dir = scratch("small");
    let data = dir.join("small.csv");
    let mut text = String::from("x,y,target\n");
    for i in 0..40 {
        let class = i % 2;
        text.push_str(&format!(
            "{},{},{class}\n",
            i as f64 * 0.1 + class as f64,
            i % 5
        ));
    }
    std::fs::write(&data, text).unwrap();
    let out_dir = dir.join("out");
    let out = tunelab(&[
        "tune",
        "--data",
        path(&data),
        "--seeds",
        "2",
        "--out",
        path(&out_dir),
        "--json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("the default batch 64 capped at the 24 training samples"),
        "{text}"
    );
    assert!(
        text.contains(
            "the current batch 24 is the whole training set (the sizes are capped by it)"
        ),
        "{text}"
    );
    assert!(out_dir.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ambiguous_data_is_refused_naming_the_file_line_and_column() {
    let dir = scratch("data");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let dup = write("dup.csv", "a,b,target,target\n1,2,0,0\n3,4,1,1\n5,6,0,0\n");
    refused(
        &["train", "--data", path(&dup)],
        &["dup.csv", "column 'target' appears twice in the header"],
    );
    let mut big = String::from("a,target\n");
    for i in 0..30 {
        let id = ["0", "10000000000000000000", "20000000000000000000"][i % 3];
        big.push_str(&format!("{i},{id}\n"));
    }
    let big = write("big_ids.csv", &big);
    refused(
        &["train", "--data", path(&big)],
        &[
            "line 4, target column 'target'",
            "'20000000000000000000' is too large for a class id",
        ],
    );
    let half = write("half.csv", "a,target\n1,0\n2,1.5\n3,1\n");
    refused(
        &["train", "--data", path(&half)],
        &["line 3", "'1.5' is not a whole number"],
    );
    let negative = write("neg.csv", "a,target\n1,0\n2,-1\n3,1\n");
    refused(&["train", "--data", path(&negative)], &["'-1' is negative"]);
    let tiny = write("tiny.csv", "a,target\n1,0\n2,0\n3,1\n4,1\n");
    refused(
        &["train", "--data", path(&tiny)],
        &[
            "4 rows are too few for the split",
            "at least 3 rows of one class",
        ],
    );
    // A JSON document saved as .csv: the error quotes a readable part of it.
    let json: String = (0..400)
        .map(|i| format!("\"key{i}\": [{i}, {i}], "))
        .collect();
    let json = write("data.csv", &format!("{{{json}}}\n{{{json}}}\n"));
    let line = refused(
        &["train", "--data", path(&json)],
        &["no target column", "…"],
    );
    assert!(line.chars().count() < 300, "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_history_of_two_runs_or_negative_losses_is_refused() {
    let dir = scratch("history");
    let header = "epoch,train_loss,val_loss,train_acc,val_acc,lr\n";
    let run: String = (1..=8)
        .map(|e| format!("{e},{},{},0.5,0.5,0.01\n", 2.0 / e as f64, 2.2 / e as f64))
        .collect();
    let twice = dir.join("twice.csv");
    std::fs::write(&twice, format!("{header}{run}{run}")).unwrap();
    refused(
        &["diagnose", "--history", path(&twice)],
        &[
            "twice.csv",
            "line 10, column 'epoch': epoch 1 follows epoch 8",
        ],
    );
    let negative = dir.join("negative.csv");
    std::fs::write(&negative, format!("{header}1,1.0,1.0,,,\n2,-9.0,1.0,,,\n")).unwrap();
    refused(
        &["diagnose", "--history", path(&negative)],
        &["line 3, column 'train_loss': -9 is negative"],
    );
    let once = dir.join("once.csv");
    std::fs::write(&once, format!("{header}{run}")).unwrap();
    assert!(
        tunelab(&["diagnose", "--history", path(&once)])
            .status
            .success()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sizes_that_overflow_or_do_not_fit_in_memory_are_refused_naming_the_flag() {
    refused(
        &[
            "train",
            "--data",
            "iris",
            "--epochs",
            "9223372036854775807",
            "--batch-size",
            "16",
        ],
        &[
            "--epochs",
            "optimizer steps per epoch",
            "overflow the step count",
        ],
    );
    refused(
        &[
            "train",
            "--data",
            "iris",
            "--accumulate",
            "288230376151711744",
        ],
        &["--accumulate", "overflow"],
    );
    refused(
        &["advise", "memory", "--input", "9223372036854775808"],
        &["--input", "overflows the 64-bit parameter count"],
    );
    // 32 layers of 65,536: about 2 TB of weights, more than any machine has.
    let widths = vec!["65536"; 32].join(",");
    refused(
        &["train", "--data", "iris", "--hidden", &widths],
        &[
            "not enough memory: training MLP 4-65536(x32)-3",
            "is available",
            "would fit",
        ],
    );
}

#[test]
fn a_log_with_null_or_renamed_metrics_is_the_wrong_schema() {
    use tunelab::polars::prelude::*;
    let dir = scratch("log");
    let splits = common::iris();
    let config = tunelab::TrainConfig::default()
        .with_epochs(2)
        .with_batch_size(32)
        .with_seed(u64::MAX);
    let mut log = tunelab::ExperimentLog::new().quiet();
    log.add(&tunelab::train(&splits, &config).unwrap()).unwrap();
    log.save(&dir).unwrap();
    // The largest seed is stored as it is, in the Parquet log and in its CSV export.
    let back = tunelab::ExperimentLog::load(&dir).unwrap();
    assert_eq!(back.rows()[0].seed, u64::MAX);
    let csv = dir.join("experiments.csv");
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .contains(",18446744073709551615,")
    );
    assert_eq!(
        tunelab::ExperimentLog::load(&csv).unwrap().rows(),
        back.rows()
    );
    let runs = log.runs().unwrap();
    let broken = |name: &str, df: DataFrame| {
        let d = dir.join(name);
        tunelab::log::write_parquet(&d.join("experiments.parquet"), df).unwrap();
        d
    };
    let mut nulls = runs.clone();
    nulls
        .with_column(Column::full_null("val_loss".into(), 1, &DataType::Null))
        .unwrap();
    let d = broken("nulls", nulls);
    refused(
        &["log", "best", path(&d), "--metric", "val_loss"],
        &["column 'val_loss' has no values (every row is null)"],
    );
    let mut renamed = runs.clone();
    renamed.rename("val_accuracy", "accuracy".into()).unwrap();
    let d = broken("renamed", renamed);
    refused(
        &["log", "show", path(&d)],
        &[
            "column 'val_accuracy' is missing",
            "not a tunelab experiment log",
        ],
    );
    // `log compare` names what the user typed.
    refused(
        &["log", "compare", path(&dir), "1", "-3"],
        &["no run -3 in the log (its only run is 1)"],
    );
    refused(
        &["log", "compare", path(&dir), "1", "x"],
        &["invalid value 'x'", "run ids are whole numbers"],
    );
    refused(
        &["log", "compare", path(&dir)],
        &["the following required arguments were not provided: <RUN_ID>"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
