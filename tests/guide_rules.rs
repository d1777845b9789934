//! Causes the guide lists for a loss pattern, each shown by a real seeded run: the finding
//! names the cause from the evidence, its action is the guide's, and the run without the
//! cause does not get it.

use tunelab::diagnose::{Diagnosis, Pattern};
use tunelab::{Diagnose, OptimizerKind, SplitConfig, Splits, TrainConfig, data, train};

fn digits() -> Splits {
    data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
}

/// Digits with the training rows sorted by class: unshuffled batches hold one class at a time.
fn class_sorted_digits() -> Splits {
    let mut s = digits();
    let mut rows: Vec<usize> = (0..s.train.n_samples()).collect();
    rows.sort_by_key(|&i| s.train.labels[i]);
    s.train = s.train.subset(&rows).unwrap();
    s
}

fn actions(d: &Diagnosis) -> String {
    d.findings
        .iter()
        .map(|f| f.action.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The guide's third cause of oscillation: data not shuffled. Class-sorted batches in the
/// same order every epoch make the step loss repeat one pattern per epoch; shuffling (the
/// default) removes it.
#[test]
fn unshuffled_class_sorted_data_is_named_as_the_cause_and_shuffling_removes_it() {
    let sorted = class_sorted_digits();
    let base = TrainConfig::new(OptimizerKind::Adam).with_epochs(10);
    let unshuffled = train(&sorted, &base.clone().with_shuffle(false)).unwrap();
    let d = unshuffled.diagnose().unwrap();
    let f = d.get(Pattern::Oscillating).unwrap_or_else(|| panic!("{d}"));
    assert!(f.action.starts_with("data not shuffled"), "{d}");
    assert!(
        f.evidence.contains("repeats one pattern every epoch"),
        "{d}"
    );
    assert!(!actions(&d).contains("reduce LR"), "{d}");
    let shuffled = train(&sorted, &base).unwrap();
    let d = shuffled.diagnose().unwrap();
    assert!(!actions(&d).contains("data not shuffled"), "{d}");
    // Shuffled batches learn every class: the unshuffled run is clearly worse.
    let acc = |r: &tunelab::Run| r.final_metrics().unwrap().val_accuracy;
    assert!(
        acc(&shuffled) > acc(&unshuffled) + 0.02,
        "{} vs {}",
        acc(&shuffled),
        acc(&unshuffled)
    );
}

/// The guide's second cause of oscillation: a batch too small. SGD at 0.05 with batches of
/// 4 zig-zags step to step while the epochs improve; the finding says the batch is small.
/// The same LR with batches of 32 does not get that cause.
#[test]
fn a_tiny_batch_is_named_as_the_cause_of_step_oscillation() {
    let splits = digits();
    let base = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(0.05)
        .with_epochs(5);
    let d = train(&splits, &base.clone().with_batch_size(4))
        .unwrap()
        .diagnose()
        .unwrap();
    let f = d.get(Pattern::Oscillating).unwrap_or_else(|| panic!("{d}"));
    assert!(f.action.starts_with("batch too small"), "{d}");
    assert!(f.evidence.contains("a batch of 4 samples"), "{d}");
    let d = train(&splits, &base.with_batch_size(32))
        .unwrap()
        .diagnose()
        .unwrap();
    assert!(!actions(&d).contains("batch too small"), "{d}");
}

/// The guide's "steady decrease: keep it": the defaults on digits are healthy, with nothing
/// to fix.
#[test]
fn a_steady_decrease_is_healthy_and_kept() {
    let d = train(
        &digits(),
        &TrainConfig::new(OptimizerKind::Adam).with_epochs(10),
    )
    .unwrap()
    .diagnose()
    .unwrap();
    assert_eq!(d.patterns(), vec![Pattern::Healthy], "{d}");
    assert!(d.findings[0].action.starts_with("keep this"), "{d}");
}

/// The guide's "plateau early": a linear model on the two moons falls in its first epochs,
/// then flattens while still far above zero; the diagnosis calls it an early plateau and the
/// underfitting beside it.
#[test]
fn an_early_plateau_is_found_on_a_real_run() {
    let moons = data::moons(1000, 0.2, 0)
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap();
    let config = TrainConfig::new(OptimizerKind::Adam)
        .with_hidden(Vec::<usize>::new())
        .with_lr(1e-2)
        .with_epochs(30);
    let d = train(&moons, &config).unwrap().diagnose().unwrap();
    let f = d.get(Pattern::Plateau).unwrap_or_else(|| panic!("{d}"));
    assert!(f.action.starts_with("early plateau"), "{d}");
    assert!(d.has(Pattern::Underfitting), "{d}");
}

/// The guide's second sign of overfitting, train accuracy far above validation accuracy, on a
/// real run: 100 training samples and a wide layer reach 100% train accuracy.
#[test]
fn train_accuracy_far_above_val_accuracy_is_reported_as_overfitting() {
    let small = digits().with_train_size(100).unwrap();
    let run = train(
        &small,
        &TrainConfig::new(OptimizerKind::Adam)
            .with_hidden(vec![512])
            .with_epochs(40),
    )
    .unwrap();
    let last = run.epochs.last().unwrap();
    assert!(last.train_acc - last.val_acc >= 0.1, "{last:?}");
    let d = run.diagnose().unwrap();
    let f = d.get(Pattern::Overfitting).unwrap_or_else(|| panic!("{d}"));
    assert!(f.evidence.contains("points above val accuracy"), "{d}");
    for cause in ["training too long", "model too complex", "not enough data"] {
        assert!(f.action.contains(cause), "{cause}: {d}");
    }
}
