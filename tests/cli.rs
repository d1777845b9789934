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
        // Negative numbers reach the range check that names the flag.
        (vec!["train", "--lr", "-1"], "--lr"),
        (vec!["train", "--dropout", "-0.1"], "--dropout"),
        (vec!["train", "--optimizer", "lbfgs"], "adam"),
        (vec!["train", "--data", "mnist"], "unknown dataset 'mnist'"),
        // A missing file is a missing file, whatever its extension.
        (
            vec!["train", "--data", "missing/table.tsv"],
            "missing/table.tsv",
        ),
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

/// The lines `tunelab ARGS` printed on stdout, after checking it exited 0.
fn stdout_lines(args: &[&str]) -> Vec<String> {
    let out = tunelab(args);
    assert_ok(&out);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `tune --json` on iris into `out`, with `extra` flags: iris is small (90 training samples)
/// and 2 seeds per candidate on 2 threads keep the study short.
fn tune_iris(out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "tune",
        "--data",
        "iris",
        "--seeds",
        "2",
        "--threads",
        "2",
        "--out",
        out,
        "--json",
    ];
    args.extend_from_slice(extra);
    tunelab(&args)
}

#[test]
fn tune_writes_its_four_files_and_json_summary_and_log_reads_them_back() {
    use tunelab::log::HYPERPARAMETERS;
    use tunelab::{ExperimentLog, Metric};

    let dir = std::env::temp_dir().join(format!("tunelab-cli-tune-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let out = tune_iris(d, &[]);
    assert_ok(&out);
    // stdout is one JSON document; the progress went to stderr.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[baseline]"), "{stderr}");
    for file in [
        "experiments.parquet",
        "experiments.csv",
        "curves.parquet",
        "report.html",
    ] {
        let len = std::fs::metadata(dir.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .len();
        assert!(len > 0, "{file} is empty");
    }
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("iris"));

    // The summary agrees with the files it describes.
    assert_eq!(v["dataset"], "iris");
    let log = ExperimentLog::load(&dir).unwrap();
    let runs = v["runs"].as_u64().unwrap() as usize;
    assert_eq!(log.len(), runs);
    let csv = std::fs::read_to_string(dir.join("experiments.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        runs + 1,
        "a header and one line per run"
    );
    let best_id = v["best_run_id"].as_i64().unwrap();
    let best = log.get(best_id).unwrap();
    // (serde_json's default parser may be one ulp off.)
    let best_acc = v["best_val_accuracy"].as_f64().unwrap();
    assert!((best_acc - best.val_accuracy).abs() < 1e-12, "{best_acc}");
    assert_eq!(v["best_config"]["seed"], 0);
    assert_eq!(
        v["best_config"]["device"], "flex",
        "flex is the default device"
    );
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "baseline",
            "learning_rate",
            "architecture",
            "batch_size",
            "dropout",
            "weight_decay",
            "fine_tune"
        ]
    );
    for s in v["steps"].as_array().unwrap() {
        if s["skipped"].is_null() {
            assert_eq!(s["seeds"], 2, "{s}");
        }
    }
    // The test accuracy is a share of iris's 30 test samples.
    let test = v["test_accuracy"].as_f64().unwrap();
    let correct = test * 30.0;
    assert!(
        (correct - correct.round()).abs() < 1e-4 && (0.0..=30.0).contains(&correct),
        "{test}"
    );
    assert!(v["test_loss"].as_f64().unwrap().is_finite());

    // `log show`: a header, one line per run in id order, then the count.
    let lines = stdout_lines(&["log", "show", d]);
    assert_eq!(lines.len(), runs + 2, "{lines:#?}");
    assert!(lines[0].trim_start().starts_with("id parent step"));
    for (line, row) in lines[1..=runs].iter().zip(log.rows()) {
        assert!(
            line.trim_start().starts_with(&format!("{} ", row.run_id)),
            "{line}"
        );
    }
    assert_eq!(lines[runs + 1], format!("{runs} runs"));

    // `log best`: the run with the lowest validation loss, alone.
    let lowest = log.best(Metric::ValLoss).unwrap();
    let lines = stdout_lines(&["log", "best", d, "--metric", "val_loss"]);
    assert!(
        lines[1]
            .trim_start()
            .starts_with(&format!("{} ", lowest.run_id)),
        "run {}: {lines:#?}",
        lowest.run_id
    );
    assert_eq!(lines[2], "differing: nothing");
    // ...and by the metric asked for: in a copy of the log whose validation losses are
    // replaced by the run ids, the lowest validation loss is run 1, which is not the most
    // accurate run.
    let renumbered = dir.join("renumbered");
    let mut df = log.runs().unwrap();
    let ids: Vec<f64> = log.rows().iter().map(|r| r.run_id as f64).collect();
    df.with_column(tunelab::polars::prelude::Column::new(
        "val_loss".into(),
        ids,
    ))
    .unwrap();
    tunelab::log::write_parquet(&renumbered.join(tunelab::log::RUNS_FILE), df).unwrap();
    let r = renumbered.to_str().unwrap();
    let by_loss = stdout_lines(&["log", "best", r, "--metric", "val_loss"]);
    assert!(by_loss[1].trim_start().starts_with("1 "), "{by_loss:#?}");
    let most_accurate = log.best(Metric::ValAccuracy).unwrap().run_id;
    assert_ne!(most_accurate, 1);
    let by_acc = stdout_lines(&["log", "best", r]);
    assert!(
        by_acc[1]
            .trim_start()
            .starts_with(&format!("{most_accurate} ")),
        "{by_acc:#?}"
    );

    // `log compare`: the baseline, the winner and the last run, and the hyperparameters
    // that differ between neighbours.
    let last = log.rows().last().unwrap().run_id;
    let ids = [1, best_id, last];
    let rows: Vec<_> = ids.iter().map(|&id| log.get(id).unwrap()).collect();
    let differing: Vec<&str> = HYPERPARAMETERS
        .iter()
        .copied()
        .filter(|h| rows[0].diff(rows[1]).contains(h) || rows[1].diff(rows[2]).contains(h))
        .collect();
    assert!(!differing.is_empty());
    let args: Vec<String> = ["log", "compare", d]
        .iter()
        .map(|s| s.to_string())
        .chain(ids.iter().map(|id| id.to_string()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let lines = stdout_lines(&args);
    for (line, id) in lines[1..4].iter().zip(ids) {
        assert!(line.trim_start().starts_with(&format!("{id} ")), "{line}");
    }
    assert_eq!(lines[4], format!("differing: {}", differing.join(", ")));
    // An id the log does not have is a one-line error naming it.
    let out = tunelab(&["log", "compare", d, "1", "9999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run 9999"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--history-csv` pointed at the dataset itself is refused, and the dataset is left as it
/// was.
#[test]
fn an_output_that_is_the_input_is_refused_and_the_data_kept() {
    let dir = std::env::temp_dir().join(format!("tunelab-cli-same-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("mine.csv");
    let mut text = String::from("a,b,label\n");
    for i in 0..60 {
        text.push_str(&format!("{},{},{}\n", i % 7, (i * 3) % 11, i % 3));
    }
    std::fs::write(&data, &text).unwrap();
    let path = data.to_str().unwrap();
    let out = tunelab(&[
        "train",
        "--data",
        path,
        "--target",
        "label",
        "--epochs",
        "1",
        "--history-csv",
        path,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("--history-csv") && err.contains("destroy the data"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&data).unwrap(), text);
    // The same file for both histories is refused too.
    let hist = dir.join("h.csv");
    let h = hist.to_str().unwrap();
    let out = tunelab(&[
        "train",
        "--data",
        "iris",
        "--epochs",
        "1",
        "--history-csv",
        h,
        "--steps-csv",
        h,
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!hist.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tune_decides_the_same_with_trials_in_worker_processes_as_in_threads() {
    // The same study twice: trials in `tunelab trial-worker` processes (the default) and in
    // threads of the one process. Every run, decision and the test figures agree; only the
    // timings differ.
    let mut summaries = Vec::new();
    let mut logs = Vec::new();
    for trials_in in ["processes", "threads"] {
        let dir = std::env::temp_dir().join(format!(
            "tunelab-cli-tune-{trials_in}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let out = tune_iris(dir.to_str().unwrap(), &["--trials-in", trials_in]);
        assert_ok(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("worker processes"),
            trials_in == "processes",
            "{stderr}"
        );
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["wall_s"] = serde_json::Value::Null;
        summaries.push(v);
        let log = tunelab::ExperimentLog::load(&dir).unwrap();
        logs.push(
            log.rows()
                .iter()
                .map(|r| {
                    (
                        r.run_id,
                        r.parent_id,
                        r.step.clone(),
                        r.val_loss.to_bits(),
                        r.val_accuracy.to_bits(),
                        r.train_loss.to_bits(),
                        (r.lr.to_bits(), r.seed, r.outcome.clone()),
                    )
                })
                .collect::<Vec<_>>(),
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert!(logs[0].len() > 10, "{}", logs[0].len());
    assert_eq!(logs[0], logs[1]);
    assert_eq!(summaries[0], summaries[1]);
}

#[test]
fn a_trial_worker_refuses_input_that_is_not_from_tune() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tunelab"))
        .args(["trial-worker"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"config\": 1}\nnot the protocol at all\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("started by tunelab tune"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
