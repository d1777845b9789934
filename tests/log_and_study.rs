//! The experiment log (schema, one-change warning, atomic and checked persistence), seed
//! repeats, and a quick study on a small set.

use std::path::PathBuf;
use tunelab::log::{CURVES_FILE, RUN_COLUMNS, RUNS_FILE};
use tunelab::polars::prelude::*;
use tunelab::study::{StudyConfig, compare_configs, repeat_seeds, run_study};
use tunelab::{
    Entry, ExperimentLog, Metric, OptimizerKind, Pattern, SplitConfig, Splits, TrainConfig, data,
    train,
};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tunelab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn iris() -> Splits {
    data::iris()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
}

fn quick(config: TrainConfig) -> TrainConfig {
    config.with_epochs(3).with_batch_size(16)
}

#[test]
fn log_schema_has_every_column_with_its_type() {
    let splits = iris();
    let mut log = ExperimentLog::new().quiet();
    let base = quick(TrainConfig::default());
    let run = train(&splits, &base).unwrap();
    log.add_entry(Entry::new(&run).step("baseline").notes("first <b>run</b>"))
        .unwrap();
    let df = log.runs().unwrap();
    assert_eq!(df.height(), 1);
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let expected: Vec<String> = RUN_COLUMNS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(names, expected);
    for (name, ty) in RUN_COLUMNS {
        let dtype = df.column(name).unwrap().dtype().clone();
        let want = match *ty {
            "i64" => DataType::Int64,
            "f64" => DataType::Float64,
            _ => DataType::String,
        };
        assert_eq!(dtype, want, "{name}");
    }
    let row = &log.rows()[0];
    assert_eq!(row.hidden, "128-64");
    assert_eq!(row.optimizer, "adam");
    assert_eq!(row.step, "baseline");
    let curves = log.curves().unwrap();
    assert_eq!(curves.height(), 3);
    assert_eq!(curves.width(), 7);
}

#[test]
fn more_than_one_change_is_warned_unless_declared_coupled() {
    let splits = iris();
    let mut log = ExperimentLog::new().quiet();
    let base = quick(TrainConfig::default());
    let parent = log.add(&train(&splits, &base).unwrap()).unwrap();
    let one = train(&splits, &base.clone().with_lr(3e-3)).unwrap();
    let id1 = log.add_entry(Entry::new(&one).parent(parent)).unwrap();
    let two = train(&splits, &base.clone().with_lr(3e-3).with_dropout(0.2)).unwrap();
    let id2 = log.add_entry(Entry::new(&two).parent(parent)).unwrap();
    let coupled = train(&splits, &base.clone().with_batch_size(32).with_lr(1.4e-3)).unwrap();
    let id3 = log
        .add_entry(
            Entry::new(&coupled)
                .parent(parent)
                .coupled(&["batch_size", "lr"]),
        )
        .unwrap();
    assert_eq!(log.get(id1).unwrap().changed, "lr");
    assert!(log.get(id1).unwrap().warnings.is_empty());
    assert_eq!(log.get(id2).unwrap().changed, "lr,dropout");
    assert!(
        log.get(id2)
            .unwrap()
            .warnings
            .contains("change one thing at a time")
    );
    assert_eq!(log.get(id3).unwrap().changed, "lr,batch_size");
    assert!(log.get(id3).unwrap().warnings.is_empty());
    assert!(log.add_entry(Entry::new(&one).parent(99)).is_err());
    let cmp = log.compare(&[parent, id2]).unwrap();
    assert_eq!(cmp.differing, vec!["lr", "dropout"]);
    assert!(log.best(Metric::ValLoss).is_some());
}

#[test]
fn save_and_load_round_trip_and_an_interrupted_save_keeps_the_old_file() {
    let dir = tmp("roundtrip");
    let splits = iris();
    let mut log = ExperimentLog::with_autosave(&dir).quiet();
    log.add(&train(&splits, &quick(TrainConfig::default())).unwrap())
        .unwrap();
    assert!(dir.join(RUNS_FILE).exists() && dir.join(CURVES_FILE).exists());
    let loaded = ExperimentLog::load(&dir).unwrap();
    assert_eq!(loaded.rows(), log.rows());
    assert_eq!(loaded.curve(1).unwrap().len(), 3);

    // A save interrupted before its rename leaves a temporary file and the old log intact.
    let runs_path = dir.join(RUNS_FILE);
    let before = std::fs::read(&runs_path).unwrap();
    // The writer's temporary file: a dot, the name, `.tmp-` and the process id.
    let tmp_path = dir.join(format!(".{RUNS_FILE}.tmp-{}", std::process::id()));
    std::fs::write(&tmp_path, b"PAR1 half a file").unwrap();
    assert_eq!(std::fs::read(&runs_path).unwrap(), before);
    assert_eq!(ExperimentLog::load(&dir).unwrap().len(), 1);
    // The next save replaces the leftover temporary file.
    log.add(&train(&splits, &quick(TrainConfig::default()).with_seed(1)).unwrap())
        .unwrap();
    assert_eq!(ExperimentLog::load(&dir).unwrap().len(), 2);
    assert!(!tmp_path.exists());
}

#[test]
fn corrupt_truncated_and_mistyped_files_are_clear_errors() {
    let dir = tmp("corrupt");
    let splits = iris();
    let mut log = ExperimentLog::new().quiet();
    log.add(&train(&splits, &quick(TrainConfig::default())).unwrap())
        .unwrap();
    log.save(&dir).unwrap();
    let path = dir.join(RUNS_FILE);
    let bytes = std::fs::read(&path).unwrap();

    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = ExperimentLog::load(&dir).unwrap_err().to_string();
    assert!(err.contains("truncated or corrupt"), "{err}");

    std::fs::write(&path, b"not parquet at all").unwrap();
    assert!(
        ExperimentLog::load(&dir)
            .unwrap_err()
            .to_string()
            .contains("corrupt")
    );

    let mut missing = log.runs().unwrap().drop("lr").unwrap();
    tunelab::log::write_parquet(&path, missing.clone()).unwrap();
    let err = ExperimentLog::load(&dir).unwrap_err().to_string();
    assert!(err.contains("column 'lr' is missing"), "{err}");

    let lr_text = Column::new("lr".into(), vec!["fast"]);
    missing.with_column(lr_text).unwrap();
    tunelab::log::write_parquet(&path, missing).unwrap();
    let err = ExperimentLog::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("column 'lr' has type str") || err.contains("column 'lr' has type"),
        "{err}"
    );

    let err = ExperimentLog::load(dir.join("nothing-here.parquet")).unwrap_err();
    assert!(matches!(err, tunelab::Error::Io { .. }));
}

#[test]
fn seed_repeats_give_intervals_and_tell_noise_from_a_real_difference() {
    let splits = data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap();
    let good = TrainConfig::new(OptimizerKind::Adam)
        .with_epochs(4)
        .with_lr(3e-3);
    let bad = TrainConfig::new(OptimizerKind::Sgd)
        .with_epochs(4)
        .with_lr(1e-4);
    let a = repeat_seeds(&splits, &good, 3).unwrap();
    let b = repeat_seeds(&splits, &bad, 3).unwrap();
    assert_eq!(a.runs.len(), 3);
    assert!(a.val_accuracy.lo <= a.val_accuracy.mean && a.val_accuracy.mean <= a.val_accuracy.hi);
    let cmp = compare_configs(&a, &b);
    assert_eq!(cmp.a_better, Some(true), "{}", cmp.verdict);
    let same = compare_configs(&a, &a);
    assert_eq!(same.a_better, None);
    assert!(repeat_seeds(&splits, &good, 1).is_err());
}

#[test]
fn a_quick_study_on_a_small_set_records_every_step_and_touches_test_once() {
    let dir = tmp("study");
    let splits = iris();
    let config = StudyConfig {
        epochs_per_trial: 3,
        final_epochs: 6,
        patience: 2,
        threads: 2,
        verbose: false,
        seeds: 2,
        ..StudyConfig::budget(tunelab::Budget::Quick)
    };
    let result = run_study(&splits, &config, ExperimentLog::with_autosave(&dir).quiet()).unwrap();
    let names: Vec<&str> = result.steps.iter().map(|s| s.name.as_str()).collect();
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
    // Every trial has its step, and every trial after the baseline's seeds a parent.
    for row in result.log.rows().iter() {
        assert!(names.contains(&row.step.as_str()));
        if row.step != "baseline" {
            assert!(row.parent_id.is_some(), "run {} has no parent", row.run_id);
        }
    }
    // Every value of a step that ran was trained over the study's seeds.
    for s in result.steps.iter().filter(|s| s.skipped.is_none()) {
        assert_eq!(s.seeds, 2, "{}", s.name);
        assert!(
            s.decision.starts_with("kept")
                || s.decision.starts_with("adopted")
                || s.name == "baseline",
            "{}: {}",
            s.name,
            s.decision
        );
    }
    // Skipped steps say why; run steps name a winner.
    for s in &result.steps {
        assert!(s.skipped.is_some() || !s.winner.is_empty(), "{}", s.name);
    }
    assert!((0.0..=1.0).contains(&result.test_accuracy));
    assert_eq!(ExperimentLog::load(&dir).unwrap().len(), result.log.len());
    let json = result.summary_json();
    assert_eq!(json["runs"].as_u64().unwrap() as usize, result.log.len());
    assert!(json["best_config"].is_object());
    // Same seed, same study.
    let again = run_study(&splits, &config, ExperimentLog::new().quiet()).unwrap();
    assert_eq!(again.best_config, result.best_config);
}

/// The quick study on digits: every step states its decision with the comparison over seeds,
/// and the winner's diagnosis names no problem the study could have acted on without saying
/// what it did about it.
#[test]
fn the_quick_study_on_digits_is_coherent_with_its_own_diagnosis() {
    let splits = tunelab::data::digits()
        .unwrap()
        .split(&tunelab::SplitConfig::default())
        .unwrap();
    let config = StudyConfig::budget(tunelab::Budget::Quick).with_verbose(false);
    let result = run_study(&splits, &config, ExperimentLog::new().quiet()).unwrap();
    let step = |name: &str| result.steps.iter().find(|s| s.name == name).unwrap();

    // Step 2 tries the finder's value and the guide's values within 10x of it.
    let lr_step = step("learning_rate");
    assert!(lr_step.why.contains("LR finder"), "{}", lr_step.why);
    assert!(lr_step.values.len() >= 2, "{:?}", lr_step.values);
    // Every step that ran says how it ended, with the interval over seeds.
    for s in result
        .steps
        .iter()
        .filter(|s| s.skipped.is_none() && s.name != "baseline")
    {
        assert_eq!(s.seeds, config.seeds, "{}", s.name);
        assert!(
            (s.decision.starts_with("kept") || s.decision.starts_with("adopted"))
                && s.decision.contains('±'),
            "{}: {}",
            s.name,
            s.decision
        );
        assert!(!s.why.contains("0e0"), "{}", s.why);
    }
    // Step 3 starts simple: the guide's first shape is always tried first.
    assert_eq!(step("architecture").values[0], "64");

    // Each finding on the winner has a follow-up that says what was done or why not.
    for f in &result.diagnosis.findings {
        if f.pattern == Pattern::Healthy {
            continue;
        }
        let note = result
            .follow_up
            .iter()
            .find(|n| n.starts_with(f.pattern.name()))
            .unwrap_or_else(|| {
                panic!(
                    "no follow-up for {}: {:?}",
                    f.pattern.name(),
                    result.follow_up
                )
            });
        assert!(
            note.contains("acted on") || note.contains("not acted on"),
            "{note}"
        );
        if f.pattern == Pattern::Overfitting && note.contains("step 5") {
            assert!(step("dropout").skipped.is_none());
        }
        let acted = note.starts_with(&format!("{}: acted on", f.pattern.name()));
        if f.pattern == Pattern::Oscillating && acted {
            assert!(
                step("fine_tune")
                    .values
                    .iter()
                    .any(|v| v.starts_with("lr ")),
                "{:?}",
                step("fine_tune").values
            );
        }
    }
    // Regularisation runs exactly when the diagnosis at that point asked for it: a skipped
    // step says why, a step that ran names overfitting or underfitting.
    let dropout = step("dropout");
    match &dropout.skipped {
        Some(why) => assert!(
            why.contains("neither overfits nor underfits")
                || why.contains("no dropout or weight decay to remove"),
            "{why}"
        ),
        None => assert!(
            dropout.why.contains("overfitting") || dropout.why.contains("underfitting"),
            "{}",
            dropout.why
        ),
    }
    // The study's advice holds up on data it never chose on.
    assert!(
        result.test_accuracy >= 0.96,
        "test accuracy {}",
        result.test_accuracy
    );
}
