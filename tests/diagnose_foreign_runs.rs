//! Runs read back from their files, as a student brings them from another framework: the
//! curves alone (`epochs.csv`, `steps.csv`), or with what `tunelab train` writes beside them
//! (the run's context). Each test trains the run it diagnoses (seeded, small), and each is a
//! case the diagnosis once got wrong: the test names what it used to say.

use tunelab::diagnose::{Action, History, RunContext, diagnose};
use tunelab::{Dataset, Diagnosis, OptimizerKind, Pattern, Run, SplitConfig, Splits, TrainConfig};
use tunelab::{data, train};

mod common;
use common::digits;

/// The run as a framework that knows nothing of tunelab would hand it over: the two CSV
/// files and nothing else, read as `tunelab diagnose` reads them (the class count taken from
/// the first step's loss).
fn from_files(run: &Run) -> History {
    let mut h = History::from_csv_str(&run.history_csv(), Some(&run.steps_csv())).unwrap();
    h.infer_classes();
    h
}

/// The run's files plus the context `tunelab train` writes beside them, through its JSON.
fn with_context(run: &Run) -> History {
    let json = History::from_run(run).context.to_json();
    from_files(run).with_context(RunContext::from_json(&json, "context").unwrap())
}

fn breast_cancer() -> Splits {
    data::breast_cancer()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
}

/// `splits` with its labels re-drawn at random (seeded), independent of the features: no
/// model can learn anything that carries over.
fn scrambled(mut splits: Splits, seed: u64) -> Splits {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |k: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) % k as u64) as usize
    };
    for part in [&mut splits.train, &mut splits.val, &mut splits.test] {
        let k = part.n_classes();
        for l in part.labels.iter_mut() {
            *l = next(k);
        }
    }
    splits
}

fn no_raise(d: &Diagnosis) -> bool {
    d.findings.iter().all(|f| {
        f.actions
            .iter()
            .all(|a| a.lr_factor().is_none_or(|factor| factor < 1.0))
    })
}

#[test]
fn a_loss_that_blows_up_within_the_first_epoch_is_exploding_from_its_files_alone() {
    // Before: an error ("only 1 epoch"), or overfitting, since the rise was measured
    // against the first epoch's mean, which had already blown up.
    let run = train(
        &breast_cancer(),
        &TrainConfig::new(OptimizerKind::Sgd)
            .with_lr(200.0)
            .with_epochs(5),
    )
    .unwrap();
    assert!(
        matches!(run.outcome, tunelab::Outcome::Diverged { .. }),
        "{}",
        run.outcome
    );
    let d = diagnose(&from_files(&run)).unwrap();
    assert_eq!(
        d.primary().map(|f| f.pattern),
        Some(Pattern::Exploding),
        "{d}"
    );
    assert!(!d.has(Pattern::Overfitting), "{d}");
    assert_eq!(
        d.first_action().and_then(Action::lr_factor),
        Some(0.1),
        "{d}"
    );
}

#[test]
fn a_network_killed_by_its_lr_is_not_told_to_add_dropout() {
    // Before: "overfitting: add dropout" from the noise of a validation loss pinned at ln 10.
    let run = train(
        &digits(),
        &TrainConfig::new(OptimizerKind::Adam)
            .with_lr(1.0)
            .with_epochs(12),
    )
    .unwrap();
    let d = diagnose(&with_context(&run)).unwrap();
    assert!(!d.has(Pattern::Overfitting), "{d}");
    assert!(no_raise(&d), "{d}");
    assert!(
        d.first_action()
            .and_then(Action::lr_factor)
            .is_some_and(|f| f < 1.0),
        "{d}"
    );
}

#[test]
fn a_batch_of_2_that_memorises_is_overfitting_not_exploding() {
    // Before: "exploding: cut the LR 10x" from one noisy 5-step mean; the overfitting was
    // never named.
    let splits = digits().with_train_size(80).unwrap();
    let run = train(
        &splits,
        &TrainConfig::new(OptimizerKind::Adam)
            .with_batch_size(2)
            .with_hidden(vec![256, 256])
            .with_epochs(40),
    )
    .unwrap();
    let d = diagnose(&with_context(&run)).unwrap();
    assert!(!d.has(Pattern::Exploding), "{d}");
    assert!(d.has(Pattern::Overfitting), "{d}");
}

#[test]
fn class_sorted_rows_without_shuffling_say_shuffle_not_cut_the_lr() {
    // Before: the second epoch looked like an explosion next to the first (each batch one
    // class): "cut the LR 10x".
    let mut splits = digits();
    let mut order: Vec<usize> = (0..splits.train.n_samples()).collect();
    order.sort_by_key(|&i| splits.train.labels[i]);
    splits.train = splits.train.subset(&order).unwrap();
    let run = train(
        &splits,
        &TrainConfig::new(OptimizerKind::SgdMomentum)
            .with_shuffle(false)
            .with_epochs(8),
    )
    .unwrap();
    for h in [from_files(&run), with_context(&run)] {
        let d = diagnose(&h).unwrap();
        assert!(!d.has(Pattern::Exploding), "{d}");
        assert_eq!(d.first_action(), Some(&Action::Shuffle), "{d}");
    }
}

#[test]
fn an_lr_100x_too_low_on_an_easy_binary_task_is_slow_not_healthy() {
    // Before: healthy ("keep this"): train accuracy above a fixed 0.9 made the loss "low".
    let run = train(
        &breast_cancer(),
        &TrainConfig::new(OptimizerKind::Adam)
            .with_lr(1e-5)
            .with_epochs(60),
    )
    .unwrap();
    for h in [from_files(&run), with_context(&run)] {
        let d = diagnose(&h).unwrap();
        assert!(!d.has(Pattern::Healthy), "{d}");
        assert!(d.has(Pattern::Slow), "{d}");
        assert!(
            d.lr_change(&[Pattern::Slow]).is_some_and(|(_, f)| f > 1.0),
            "{d}"
        );
    }
}

#[test]
fn shuffled_binary_labels_are_named_a_data_problem_from_the_files() {
    // Before: overfitting only: the no-signal rule needed the class count, which the files
    // do not carry (now read off the first step's loss).
    let run = train(
        &scrambled(breast_cancer(), 3),
        &TrainConfig::new(OptimizerKind::Adam)
            .with_hidden(vec![256, 256])
            .with_epochs(60),
    )
    .unwrap();
    let h = from_files(&run);
    assert_eq!(
        (h.context.n_classes, h.context.classes_inferred),
        (Some(2), true)
    );
    let d = diagnose(&h).unwrap();
    assert_eq!(d.first_action(), Some(&Action::CheckData), "{d}");
}

#[test]
fn a_model_that_only_answers_the_majority_class_is_not_healthy() {
    // Before: healthy (validation accuracy 0.94, above a fixed 0.9).
    let n = 600;
    let mut features = Vec::with_capacity(n * 4);
    let mut labels = Vec::with_capacity(n);
    let mut state = 7u64;
    for i in 0..n {
        for _ in 0..4 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            features.push(((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5);
        }
        labels.push(usize::from(i % 16 == 0));
    }
    let names = (0..4).map(|j| format!("x{j}")).collect();
    let set = Dataset::new(
        "majority",
        features,
        labels,
        names,
        vec!["no".into(), "yes".into()],
    )
    .unwrap();
    let run = train(
        &set.split(&SplitConfig::default()).unwrap(),
        &TrainConfig::new(OptimizerKind::Adam).with_epochs(15),
    )
    .unwrap();
    let d = diagnose(&with_context(&run)).unwrap();
    assert!(!d.has(Pattern::Healthy), "{d}");
    assert!(
        d.findings
            .iter()
            .any(|f| f.evidence.contains("majority class")),
        "{d}"
    );
}

#[test]
fn adam_far_above_its_default_is_never_told_to_raise_the_lr_when_the_context_is_known() {
    // Before: "early plateau: raise LR, try 0.2": without the optimizer, 0.08 was judged
    // against SGD's default.
    let run = train(
        &digits(),
        &TrainConfig::new(OptimizerKind::Adam)
            .with_lr(0.08)
            .with_epochs(10),
    )
    .unwrap();
    let d = diagnose(&with_context(&run)).unwrap();
    assert!(no_raise(&d), "{d}");
    assert!(
        d.findings.iter().all(|f| !f.action.contains("raise LR")),
        "{d}"
    );
}

#[test]
fn the_context_written_beside_a_history_round_trips() {
    let run = train(
        &tunelab::data::iris()
            .unwrap()
            .split(&SplitConfig::default())
            .unwrap(),
        &TrainConfig::new(OptimizerKind::Sgd).with_epochs(3),
    )
    .unwrap();
    let context = History::from_run(&run).context;
    let back = RunContext::from_json(&context.to_json(), "c").unwrap();
    assert_eq!(back, context);
    assert_eq!(back.optimizer, Some(OptimizerKind::Sgd));
    assert_eq!(back.n_classes, Some(3));
    assert_eq!(back.class_shares.as_ref().map(Vec::len), Some(3));
    let err = RunContext::from_json("[1, 2]", "ctx.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ctx.json") && err.contains("not a run context"),
        "{err}"
    );
}

#[test]
fn labels_without_signal_at_a_working_lr_are_a_data_check_not_a_larger_model() {
    // Before: "underfitting: grow the model (wider or deeper)". A small network at 3x its
    // optimizer's default, on digits whose labels were drawn apart from the features, learns
    // nothing and its val loss stays at ln(10): at an LR where this optimizer learns, that is
    // more often the data than the model (the diagnosis benchmark's calibration half).
    let config = TrainConfig::new(OptimizerKind::SgdMomentum)
        .with_lr(0.03)
        .with_hidden(vec![4, 2])
        .with_epochs(10);
    let broken = train(&scrambled(digits(), 5), &config).unwrap();
    let d = diagnose(&History::from_run(&broken)).unwrap();
    assert!(
        d.has(Pattern::Underfitting) || d.has(Pattern::NotDecreasing),
        "{d}"
    );
    assert_eq!(d.first_action(), Some(&Action::CheckData), "{d}");
    assert!(
        d.findings
            .iter()
            .any(|f| f.action.contains("labels may carry no signal")),
        "{d}"
    );
    // The same configuration on the true labels learns, and is not sent to the data.
    let clean = train(&digits(), &config).unwrap();
    let d = diagnose(&History::from_run(&clean)).unwrap();
    assert_ne!(d.first_action(), Some(&Action::CheckData), "{d}");
    assert!(
        !d.findings
            .iter()
            .any(|f| f.action.contains("labels may carry no signal")),
        "{d}"
    );
}
