//! The `tunelab` command as a user runs it.

use std::process::Command;

fn tunelab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tunelab"))
        .args(args)
        .output()
        .unwrap()
}

/// Fails with the command's stderr unless it exited 0.
fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn train_json_reports_a_completed_run_and_writes_the_history_csv() {
    let dir = std::env::temp_dir().join(format!("tunelab-cli-{}", std::process::id()));
    let csv = dir.join("history.csv");
    let out = tunelab(&[
        "train",
        "--data",
        "iris",
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--json",
        "--history-csv",
        csv.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "completed");
    assert_eq!(v["epochs"].as_array().unwrap().len(), 3);
    for key in ["train_loss", "val_loss", "val_accuracy"] {
        assert!(v["final"][key].is_number(), "{key}");
    }
    for key in [
        "best_epoch",
        "wall_s",
        "samples_per_s",
        "config",
        "diagnosis",
    ] {
        assert!(!v[key].is_null(), "{key}");
    }
    assert_eq!(v["config"]["optimizer"], "adam");
    // Progress went to stderr, one line per epoch.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .matches("epoch ")
            .count(),
        3
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("epoch,train_loss,val_loss,train_acc,val_acc,lr")
    );
    assert_eq!(lines.count(), 3);
}

#[test]
fn a_diverged_run_says_diverged_with_the_step_and_diagnosis() {
    let out = tunelab(&[
        "train",
        "--data",
        "digits",
        "--optimizer",
        "sgd",
        "--lr",
        "10",
        "--epochs",
        "3",
        "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "diverged");
    assert!(v["diverged_step"].is_number());
    assert_eq!(v["diagnosis"]["findings"][0]["pattern"], "exploding");
}

#[test]
fn bad_flags_exit_2_with_one_line_naming_flag_value_and_range() {
    for (args, needle) in [
        (vec!["train", "--lr", "0"], "--lr"),
        (vec!["train", "--lr", "abc"], "abc"),
        (vec!["train", "--batch-size", "0"], "--batch-size"),
        (vec!["train", "--dropout", "1.5"], "[0, 1)"),
        (vec!["train", "--optimizer", "lbfgs"], "adam"),
        (vec!["train", "--data", "mnist"], "unknown dataset 'mnist'"),
        (vec!["train", "--batch-size", "100000"], "training samples"),
        (
            vec!["train", "--device", "cuda"],
            if cfg!(feature = "tch") {
                "CUDA GPU"
            } else {
                "--features tch"
            },
        ),
        (
            vec!["lr-find", "--start-lr", "1", "--end-lr", "0.001"],
            "start-lr",
        ),
        (
            vec!["diagnose", "--history", "/nonexistent.csv"],
            "nonexistent",
        ),
    ] {
        let out = tunelab(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn diagnose_reads_the_history_csv_of_train() {
    let dir = std::env::temp_dir().join(format!("tunelab-cli-diag-{}", std::process::id()));
    let csv = dir.join("h.csv");
    let out = tunelab(&[
        "train",
        "--data",
        "digits",
        "--optimizer",
        "sgd",
        "--lr",
        "1e-5",
        "--epochs",
        "6",
        "--history-csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let out = tunelab(&["diagnose", "--history", csv.to_str().unwrap(), "--json"]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let patterns: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pattern"].as_str().unwrap())
        .collect();
    assert!(
        patterns.contains(&"slow") || patterns.contains(&"not_decreasing"),
        "{patterns:?}"
    );
}

#[test]
fn diagnose_reads_the_steps_csv_that_train_writes() {
    let dir = std::env::temp_dir().join(format!("tunelab-cli-steps-{}", std::process::id()));
    let (epochs, steps) = (dir.join("e.csv"), dir.join("s.csv"));
    let out = tunelab(&[
        "train",
        "--data",
        "iris",
        "--epochs",
        "4",
        "--history-csv",
        epochs.to_str().unwrap(),
        "--steps-csv",
        steps.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let text = std::fs::read_to_string(&steps).unwrap();
    assert_eq!(text.lines().next(), Some(tunelab::train::STEPS_HEADER));
    assert!(text.lines().count() > 4, "{text}");
    let out = tunelab(&[
        "diagnose",
        "--history",
        epochs.to_str().unwrap(),
        "--steps",
        steps.to_str().unwrap(),
        "--json",
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty(), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lr_find_json_has_the_documented_keys() {
    let out = tunelab(&[
        "lr-find",
        "--data",
        "digits",
        "--optimizer",
        "adam",
        "--json",
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["lrs", "losses", "smoothed", "suggestions", "reason"] {
        assert!(!v[key].is_null(), "{key}");
    }
    let lr = v["recommended"].as_f64().unwrap();
    assert!((1e-4..=3e-2).contains(&lr), "{lr}");
    assert!(v["suggestions"]["valley"].is_number());
}
