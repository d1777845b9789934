//! TEMPORARY calibration: real runs on digits, diagnosed. Run with --ignored --nocapture.
#![cfg(test)]

use super::{History, diagnose};
use crate::{OptimizerKind, SplitConfig, TrainConfig, data, train};

#[test]
#[ignore]
fn calibrate_on_digits() {
    let splits = data::digits().unwrap().split(&SplitConfig::default()).unwrap();
    let small = splits.clone().with_train_size(200).unwrap();
    let cases: Vec<(&str, TrainConfig, bool)> = vec![
        ("adam default", TrainConfig::new(OptimizerKind::Adam).with_epochs(20), false),
        ("adam 0.1", TrainConfig::new(OptimizerKind::Adam).with_lr(0.1).with_epochs(20), false),
        ("adam 0.03", TrainConfig::new(OptimizerKind::Adam).with_lr(0.03).with_epochs(20), false),
        ("adam 1.0", TrainConfig::new(OptimizerKind::Adam).with_lr(1.0).with_epochs(20), false),
        ("sgd 1e-4", TrainConfig::new(OptimizerKind::Sgd).with_lr(1e-4).with_epochs(20), false),
        ("sgd 1e-3", TrainConfig::new(OptimizerKind::Sgd).with_lr(1e-3).with_epochs(20), false),
        ("sgd 1e-2", TrainConfig::new(OptimizerKind::Sgd).with_epochs(20), false),
        ("sgd 0.5", TrainConfig::new(OptimizerKind::Sgd).with_lr(0.5).with_epochs(20), false),
        ("adam 1e-2 small 60", TrainConfig::new(OptimizerKind::Adam).with_lr(1e-2).with_epochs(60), true),
        ("adam 1e-3 small 60", TrainConfig::new(OptimizerKind::Adam).with_epochs(60), true),
    ];
    for (name, config, use_small) in cases {
        let s = if use_small { &small } else { &splits };
        let run = train(s, &config).unwrap();
        let h = History::from_run(&run);
        let tl: Vec<String> = h.train_loss.iter().map(|v| format!("{v:.3}")).collect();
        let vl: Vec<String> = h.val_loss.iter().map(|v| format!("{v:.3}")).collect();
        println!("=== {name}: {} steps, outcome {}\ntrain {}\nval   {}", run.steps.len(), run.outcome, tl.join(" "), vl.join(" "));
        match diagnose(&h) {
            Ok(d) => println!("{d}\n"),
            Err(e) => println!("ERR {e}\n"),
        }
    }
}
