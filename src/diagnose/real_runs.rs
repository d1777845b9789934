//! Diagnoses of real (small, seeded) training runs on the digits set: the rules must name
//! the deliberately broken runs of the classroom demonstrations.

use super::{History, Pattern, diagnose};
use crate::{OptimizerKind, SplitConfig, Splits, TrainConfig, data, train};

fn small_digits() -> Splits {
    data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
        .with_train_size(200)
        .unwrap()
}

fn diagnose_run(splits: &Splits, config: &TrainConfig) -> super::Diagnosis {
    let run = train(splits, config).unwrap();
    diagnose(&History::from_run(&run)).unwrap()
}

#[test]
fn broken_runs_get_their_diagnosis() {
    let splits = small_digits();
    let too_high = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(1.0)
        .with_epochs(5);
    let d = diagnose_run(&splits, &too_high);
    assert_eq!(
        d.primary().map(|f| f.pattern),
        Some(Pattern::Exploding),
        "{d}"
    );
    assert!(d.findings[0].action.contains("try 0.1"), "{d}");

    let too_low = TrainConfig::new(OptimizerKind::Sgd)
        .with_lr(1e-3)
        .with_epochs(10);
    let d = diagnose_run(&splits, &too_low);
    assert!(d.has(Pattern::Slow) || d.has(Pattern::NotDecreasing), "{d}");
    assert!(!d.has(Pattern::Healthy), "{d}");

    let overfit = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(1e-2)
        .with_epochs(40);
    let d = diagnose_run(&splits, &overfit);
    assert_eq!(
        d.primary().map(|f| f.pattern),
        Some(Pattern::Overfitting),
        "{d}"
    );
    assert!(d.findings[0].action.contains("stop early at epoch"), "{d}");
}
