//! The experiment log (schema, one-change warning, atomic and checked persistence), seed
//! repeats, and a quick study on a small set.

use std::path::PathBuf;
use tunelab::log::{CURVE_COLUMNS, CURVES_FILE, RUN_COLUMNS, RUNS_FILE};
use tunelab::polars::prelude::*;
use tunelab::study::{
    DROPOUTS, LR_GRID, StepResult, StudyConfig, WEIGHT_DECAYS, compare_configs, repeat_seeds,
    run_study,
};
use tunelab::{
    Diagnose, Entry, ExperimentLog, LrFinderConfig, Metric, OptimizerKind, Pattern, RunRecord,
    SplitConfig, Splits, TrainConfig, data, fit, lr_find, train,
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
    // Warnings go to an observer (with the run's id) instead of stderr.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, String)>::new()));
    let sink = seen.clone();
    let mut log = ExperimentLog::new()
        .on_warning(move |id, w| sink.lock().unwrap().push((id, w.to_string())));
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
            "u64" => DataType::UInt64,
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
    // Warnings go to an observer (with the run's id) instead of stderr.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, String)>::new()));
    let sink = seen.clone();
    let mut log = ExperimentLog::new()
        .on_warning(move |id, w| sink.lock().unwrap().push((id, w.to_string())));
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
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(id2, log.get(id2).unwrap().warnings.clone())],
        "one warning, the one recorded"
    );
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

    // A save that fails before its rename is an error and leaves the old file byte for byte:
    // here the writer's temporary file (a dot, the name, `.tmp-` and the process id) cannot
    // be created because a directory is in its way.
    let runs_path = dir.join(RUNS_FILE);
    let before = std::fs::read(&runs_path).unwrap();
    let tmp_path = dir.join(format!(".{RUNS_FILE}.tmp-{}", std::process::id()));
    std::fs::create_dir(&tmp_path).unwrap();
    let second = train(&splits, &quick(TrainConfig::default()).with_seed(1)).unwrap();
    let err = log.add(&second).unwrap_err();
    assert!(matches!(err, tunelab::Error::Io { .. }), "{err}");
    assert_eq!(std::fs::read(&runs_path).unwrap(), before);
    assert_eq!(ExperimentLog::load(&dir).unwrap().len(), 1);
    // A half-written temporary file left by a crashed save is replaced by the next save,
    // which writes everything the log holds.
    std::fs::remove_dir(&tmp_path).unwrap();
    std::fs::write(&tmp_path, b"PAR1 half a file").unwrap();
    log.add(&train(&splits, &quick(TrainConfig::default()).with_seed(2)).unwrap())
        .unwrap();
    assert_ne!(std::fs::read(&runs_path).unwrap(), before);
    let reloaded = ExperimentLog::load(&dir).unwrap();
    assert_eq!(reloaded.rows(), log.rows());
    assert_eq!(reloaded.len(), 3);
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
    assert_eq!(a.seeds, [0, 1, 2]);
    // The interval by hand: mean and sample standard deviation of the three runs' final
    // accuracies, and Student's t for 2 degrees of freedom, which has the closed form
    // t = (2p - 1) / sqrt(2p(1 - p)) at p = 0.975.
    let accs: Vec<f64> = a
        .runs
        .iter()
        .map(|r| r.final_metrics().unwrap().val_accuracy)
        .collect();
    let mean = accs.iter().sum::<f64>() / 3.0;
    let sd = (accs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    let t = 0.95 / (2.0 * 0.975 * 0.025f64).sqrt();
    let half = t * sd / 3f64.sqrt();
    let m = &a.val_accuracy;
    assert!(half > 0.0, "{accs:?}: the seeds differ");
    assert!((m.mean - mean).abs() < 1e-12, "{m:?} vs {mean}");
    assert!((m.half_width - half).abs() < 1e-9, "{m:?} vs {half}");
    assert!((m.lo - (mean - half)).abs() < 1e-9 && (m.hi - (mean + half)).abs() < 1e-9);
    let cmp = compare_configs(&a, &b);
    assert_eq!(cmp.a_better, Some(true), "{}", cmp.verdict);
    assert!((cmp.difference - (a.val_accuracy.mean - b.val_accuracy.mean)).abs() < 1e-12);
    assert!(cmp.difference - cmp.half_width > 0.0, "{}", cmp.verdict);
    let same = compare_configs(&a, &a);
    assert_eq!(same.a_better, None);
    assert!(repeat_seeds(&splits, &good, 1).is_err());
}

/// A small study: `epochs` per trial, 2 seeds, 2 threads, silent.
fn small_study(epochs: usize) -> StudyConfig {
    StudyConfig {
        epochs_per_trial: epochs,
        final_epochs: 2 * epochs,
        patience: 2,
        threads: 2,
        verbose: false,
        seeds: 2,
        ..StudyConfig::budget(tunelab::Budget::Quick)
    }
}

/// The rows with what may differ between two identical studies (the clock) blanked.
fn without_timing(rows: &[RunRecord]) -> Vec<RunRecord> {
    rows.iter()
        .map(|r| RunRecord {
            timestamp: String::new(),
            wall_s: 0.0,
            ..r.clone()
        })
        .collect()
}

#[test]
fn a_quick_study_on_a_small_set_records_every_step_and_touches_test_once() {
    let dir = tmp("study");
    let splits = iris();
    let config = StudyConfig {
        final_epochs: 6,
        ..small_study(3)
    };
    // Progress goes to an observer (as `fit`'s epochs do): every line, from the study's
    // threads, whatever `verbose` says about printing.
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    let result = tunelab::study::run_study_with(
        &splits,
        &config,
        ExperimentLog::with_autosave(&dir).quiet(),
        &tunelab::study::InProcess,
        &|line| lines.lock().unwrap().push(line.to_string()),
    )
    .unwrap();
    let lines = lines.into_inner().unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("[baseline] run 1:")),
        "{lines:#?}"
    );
    // One line per candidate screened or repeated on its first seed, per step that ran.
    for step in ["baseline", "learning_rate", "architecture", "fine_tune"] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("[{step}] "))),
            "{step}: {lines:#?}"
        );
    }
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
        // The typed outcome and the sentence say the same.
        use tunelab::study::StepOutcome;
        match &s.outcome {
            StepOutcome::Start => assert_eq!(s.name, "baseline"),
            StepOutcome::Adopted { value, verdict } => {
                assert!(verdict.adopts(), "{}: {verdict:?}", s.name);
                assert_eq!(value, &s.winner);
                assert!(s.decision.starts_with("adopted"), "{}", s.decision);
            }
            StepOutcome::Kept { challenger } => {
                assert!(s.decision.starts_with("kept"), "{}", s.decision);
                if let Some((value, verdict)) = challenger {
                    assert!(!verdict.adopts(), "{}: {verdict:?}", s.name);
                    assert_ne!(value, &s.winner);
                }
            }
            StepOutcome::Skipped { .. } => panic!("{} ran but says skipped", s.name),
        }
    }
    // The same step as one list of records: one per value, the winner marked once (none
    // when the current configuration was not among the values and stayed: "unchanged").
    for s in result.steps.iter().filter(|s| s.skipped.is_none()) {
        let trials = s.trials();
        assert_eq!(trials.len(), s.values.len(), "{}", s.name);
        let marked = trials.iter().filter(|t| t.winner).count();
        assert_eq!(marked, usize::from(s.winner != "unchanged"), "{}", s.name);
        for (t, (&id, &loss)) in trials.iter().zip(s.trial_ids.iter().zip(&s.val_loss)) {
            assert_eq!((t.run_id, t.val_loss.to_bits()), (id, loss.to_bits()));
            assert!(
                result.log.get(t.run_id).is_some(),
                "{}: run {}",
                s.name,
                t.run_id
            );
        }
    }
    for s in result.steps.iter().filter(|s| s.skipped.is_some()) {
        assert!(
            matches!(s.outcome, tunelab::study::StepOutcome::Skipped { .. }),
            "{}: {:?}",
            s.name,
            s.outcome
        );
    }
    // Three epochs per trial are too few to judge the curves' shapes: the diagnosis calls
    // nothing overfitting, and at most "not trained enough" (underfitting while the val loss
    // still falls), with no regularisation to remove. Step 5 is skipped, saying which, and
    // trains nothing; every other step ran and its winner is one of the values it tried.
    for s in &result.steps {
        if s.name == "dropout" || s.name == "weight_decay" {
            let why = s
                .skipped
                .as_deref()
                .unwrap_or_else(|| panic!("{} ran: {s}", s.name));
            assert!(
                why.contains("neither overfits nor underfits")
                    || why.contains("underfits, but it has no dropout or weight decay to remove"),
                "{why}"
            );
            assert!(s.values.is_empty() && s.trial_ids.is_empty(), "{s}");
        } else {
            assert!(s.skipped.is_none(), "{s}");
            assert!(s.values.contains(&s.winner), "{s}");
        }
    }
    assert!(
        result
            .log
            .rows()
            .iter()
            .all(|r| r.step != "dropout" && r.step != "weight_decay")
    );
    assert_eq!(ExperimentLog::load(&dir).unwrap().len(), result.log.len());
    let json = result.summary_json();
    assert_eq!(json["runs"].as_u64().unwrap() as usize, result.log.len());
    assert!(json["best_config"].is_object());

    // The test metrics are those of the winner's model on the test split: training its
    // configuration again (same seed: the same run) and evaluating gives them exactly.
    // The study's trials leave the gradient norm unrecorded (NaN); every other figure of
    // every step is the same as a standalone run's.
    let refit = fit(&splits, &result.best_config, &mut |_, _| {}).unwrap();
    let figures = |steps: &[tunelab::train::StepRecord]| {
        steps
            .iter()
            .map(|s| (s.step, s.epoch, s.lr.to_bits(), s.loss.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&refit.run.steps), figures(&result.best_run.steps));
    assert!(result.best_run.steps.iter().all(|s| s.grad_norm.is_nan()));
    assert!(refit.run.steps.iter().all(|s| s.grad_norm > 0.0));
    let losses = |run: &tunelab::train::Run| {
        run.epochs
            .iter()
            .map(|e| (e.train_loss.to_bits(), e.val_loss.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(&refit.run), losses(&result.best_run));
    let test = refit.evaluate(&splits.test).unwrap();
    assert_eq!(
        (test.val_accuracy, test.val_loss),
        (result.test_accuracy, result.test_loss)
    );
    // The log has no test metric at all...
    for name in RUN_COLUMNS
        .iter()
        .map(|(n, _)| *n)
        .chain(CURVE_COLUMNS.iter().copied())
    {
        assert!(!name.contains("test"), "column {name}");
    }
    // ...and no choice depends on the test split: the same study with every test label
    // changed to another class logs the same runs and picks the same winner; only the test
    // accuracy, evaluated at the end, sees the change.
    let mut scrambled = splits.clone();
    let k = scrambled.test.n_classes();
    for label in &mut scrambled.test.labels {
        *label = (*label + 1) % k;
    }
    let again = run_study(&scrambled, &config, ExperimentLog::new().quiet()).unwrap();
    assert_eq!(again.best_config, result.best_config);
    assert_eq!(
        without_timing(again.log.rows()),
        without_timing(result.log.rows())
    );
    let scrambled_test = refit.evaluate(&scrambled.test).unwrap();
    assert_eq!(again.test_accuracy, scrambled_test.val_accuracy);
    assert!(
        again.test_accuracy < result.test_accuracy,
        "{} vs {}",
        again.test_accuracy,
        result.test_accuracy
    );
}

/// The training configuration of a logged study run, rebuilt from its row (a study varies
/// nothing the row does not hold before step 6).
fn config_of(row: &RunRecord) -> TrainConfig {
    let hidden: Vec<usize> = if row.hidden == "linear" {
        Vec::new()
    } else {
        row.hidden.split('-').map(|h| h.parse().unwrap()).collect()
    };
    assert_eq!(row.schedule, "constant", "run {}", row.run_id);
    TrainConfig::new(row.optimizer.parse().unwrap())
        .with_lr(row.lr)
        .with_batch_size(row.batch_size as usize)
        .with_accumulate(row.accumulate as usize)
        .with_hidden(hidden)
        .with_dropout(row.dropout)
        .with_weight_decay(row.weight_decay)
        .with_epochs(row.epochs as usize)
        .with_seed(row.seed)
}

/// Trains the configuration of a logged run again, checks it is the same run, and returns
/// its diagnosis.
fn diagnose_again(splits: &Splits, row: &RunRecord) -> tunelab::Diagnosis {
    let run = train(splits, &config_of(row)).unwrap();
    let again = RunRecord::from_run(&run);
    assert_eq!(
        (again.val_loss, again.train_loss),
        (row.val_loss, row.train_loss),
        "run {} rebuilt from its row is another run",
        row.run_id
    );
    run.diagnose().unwrap()
}

fn step<'a>(result: &'a tunelab::StudyResult, name: &str) -> &'a StepResult {
    result.steps.iter().find(|s| s.name == name).unwrap()
}

/// Digits cut to 100 training samples, 30 epochs per trial: the winner before step 5
/// overfits (its train loss goes to ~0.01 while the val loss stays ~30x higher).
fn overfitting_study() -> (Splits, tunelab::StudyResult) {
    overfitting_study_with_seed(0)
}

fn overfitting_study_with_seed(seed: u64) -> (Splits, tunelab::StudyResult) {
    let splits = data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
        .with_train_size(100)
        .unwrap();
    let config = small_study(30).with_seed(seed);
    let result = run_study(&splits, &config, ExperimentLog::new().quiet()).unwrap();
    (splits, result)
}

/// Iris with 10 epochs per trial: the winner before step 5 neither overfits nor underfits.
fn well_fitting_study() -> (Splits, tunelab::StudyResult) {
    let splits = iris();
    let result = run_study(&splits, &small_study(10), ExperimentLog::new().quiet()).unwrap();
    (splits, result)
}

#[test]
fn step_2_tries_the_finders_lr_and_exactly_the_guides_values_within_10x_of_it() {
    for (splits, result) in [well_fitting_study(), overfitting_study()] {
        let baseline = result.log.get(step(&result, "baseline").winner_id).unwrap();
        // The finder's recommendation for the baseline (the same seeded sweep and check).
        let finder = lr_find(&splits, &config_of(baseline), &LrFinderConfig::default()).unwrap();
        let center = finder
            .recommended()
            .unwrap_or_else(|| panic!("uncertain: {}", finder.recommendation.reason));
        let lr_step = step(&result, "learning_rate");
        assert!(
            lr_step.why.contains("the LR finder recommends"),
            "{}",
            lr_step.why
        );
        let lrs: Vec<f64> = lr_step
            .trial_ids
            .iter()
            .map(|&id| result.log.get(id).unwrap().lr)
            .collect();
        assert_eq!(lrs.len(), lr_step.values.len());
        assert!(lrs.contains(&center), "finder {center}, tried {lrs:?}");
        // No grid value is within 5% of the finder's (where one of the two would be dropped).
        assert!(LR_GRID.iter().all(|g| (g / center - 1.0).abs() >= 0.05));
        // Besides the finder's value and the current LR (the baseline's, against which all
        // compete), exactly the guide's values within 10x of the finder's.
        let within: Vec<f64> = LR_GRID
            .iter()
            .copied()
            .filter(|&g| g >= center / 10.0 && g <= center * 10.0 && g != baseline.lr)
            .collect();
        let others: Vec<f64> = lrs
            .iter()
            .copied()
            .filter(|&l| l != center && l != baseline.lr)
            .collect();
        assert_eq!(others, within, "finder {center}, tried {lrs:?}");
        assert!(lrs.contains(&baseline.lr));
        assert!(lrs.windows(2).all(|w| w[0] < w[1]), "in order: {lrs:?}");
    }
}

#[test]
fn step_5_regularises_an_overfitting_winner() {
    let (splits, result) = overfitting_study();
    // The winner going into step 5 (batch size is step 4) overfits...
    let before = result
        .log
        .get(step(&result, "batch_size").winner_id)
        .unwrap();
    let d = diagnose_again(&splits, before);
    assert!(d.has(Pattern::Overfitting), "{d}");
    // ...so both regularisation steps ran: the current value and the guide's grid, each
    // run changing only that value, the step saying why.
    for (name, grid, current) in [
        ("dropout", DROPOUTS, before.dropout),
        ("weight_decay", WEIGHT_DECAYS, before.weight_decay),
    ] {
        let s = step(&result, name);
        assert!(s.skipped.is_none(), "{s}");
        assert!(s.why.starts_with("overfitting"), "{}", s.why);
        let rows: Vec<&RunRecord> = s
            .trial_ids
            .iter()
            .map(|&id| result.log.get(id).unwrap())
            .collect();
        let values: Vec<f64> = rows
            .iter()
            .map(|r| {
                if name == "dropout" {
                    r.dropout
                } else {
                    r.weight_decay
                }
            })
            .collect();
        let mut expected = vec![current];
        expected.extend_from_slice(grid);
        expected.sort_by(f64::total_cmp);
        expected.dedup();
        assert_eq!(values, expected, "{name}");
        for r in rows.iter().filter(|r| r.step == name) {
            assert_eq!(r.changed, name, "run {}", r.run_id);
        }
        assert!(s.values.contains(&s.winner), "{s}");
    }
    // The final account of an overfitting winner names what step 5 tried.
    let note = result
        .follow_up
        .iter()
        .find(|n| n.starts_with("overfitting"));
    if result.diagnosis.has(Pattern::Overfitting) {
        let note = note.unwrap_or_else(|| panic!("{:?}", result.follow_up));
        assert!(
            note.contains("step 5 tried dropout ") && note.contains(", then weight_decay "),
            "{note}"
        );
    } else {
        assert!(note.is_none(), "{note:?}");
    }
}

#[test]
fn step_5_is_skipped_with_the_reason_when_the_winner_fits_well() {
    let (splits, result) = well_fitting_study();
    let before = result
        .log
        .get(step(&result, "batch_size").winner_id)
        .unwrap();
    let d = diagnose_again(&splits, before);
    assert!(
        !d.has(Pattern::Overfitting) && !d.has(Pattern::Underfitting),
        "{d}"
    );
    let patterns: Vec<&str> = d.patterns().iter().map(|p| p.name()).collect();
    let reason = format!(
        "the current winner neither overfits nor underfits (diagnosis: {}), so regularisation is left as it is",
        patterns.join(", ")
    );
    for name in ["dropout", "weight_decay"] {
        let s = step(&result, name);
        assert_eq!(s.skipped.as_deref(), Some(reason.as_str()), "{s}");
        assert!(s.trial_ids.is_empty() && s.values.is_empty(), "{s}");
    }
    assert!(
        result
            .log
            .rows()
            .iter()
            .all(|r| r.step != "dropout" && r.step != "weight_decay")
    );
}

/// The index of the best value of a step on the screening seed, as the study picks it: the
/// lowest validation loss of the first-seed runs (a diverged run counts as infinite), the
/// first of equals.
fn screening_best(result: &tunelab::StudyResult, s: &StepResult) -> usize {
    let score = |id: i64| {
        let r = result.log.get(id).unwrap();
        if r.outcome == "diverged" || !r.val_loss.is_finite() {
            f64::INFINITY
        } else {
            r.val_loss
        }
    };
    let mut best = 0;
    for i in 1..s.trial_ids.len() {
        let x = score(s.trial_ids[i]);
        if x.is_finite() && x < score(s.trial_ids[best]) {
            best = i;
        }
    }
    best
}

#[test]
fn a_step_warns_exactly_when_its_best_value_is_at_the_edge_of_those_tried() {
    let (mut warned, mut best_at_zero) = (0, 0);
    // The study seeded 1 keeps dropout 0: a best value at the natural bound 0.
    let studies = [
        well_fitting_study(),
        overfitting_study(),
        overfitting_study_with_seed(1),
    ];
    for (_, result) in studies {
        for s in result.steps.iter().filter(|s| s.skipped.is_none()) {
            let ordered = ["learning_rate", "batch_size", "dropout", "weight_decay"]
                .contains(&s.name.as_str());
            let expected = if ordered && s.values.len() >= 3 {
                let best = screening_best(&result, s);
                let label = &s.values[best];
                let at_edge = best == 0 || best + 1 == s.values.len();
                // A best of 0 dropout or weight decay is at a natural bound, not an edge.
                let at_zero = best == 0 && label == "0";
                best_at_zero += usize::from(at_zero);
                (at_edge && !at_zero).then(|| {
                    format!(
                        "the best {} ({label}) is at the edge of the values tried: try values beyond it",
                        s.varied
                    )
                })
            } else {
                None
            };
            // The warning of a small validation set is the other kind a step can carry.
            let (small, edge): (Vec<&String>, Vec<&String>) = s.warnings.iter().partition(|w| {
                w.contains("validation rows") || w.contains("validation set has only")
            });
            assert!(small.len() <= 1, "{s}");
            let edge: Vec<String> = edge.into_iter().cloned().collect();
            assert_eq!(edge, expected.into_iter().collect::<Vec<_>>(), "{s}");
            warned += edge.len();
        }
    }
    // Both kinds of edge occurred, so both sides of the rule were checked.
    assert!(warned > 0, "no step ended at an edge");
    assert!(best_at_zero > 0, "no step kept 0");
}
