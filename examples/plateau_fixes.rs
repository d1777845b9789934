//! The plateau advice on runs it was not set on. The one-cycle peak of the plateau finding
//! (10x the run's LR) was set on the gallery's case 16 (Adam, a tanh 64-64 net on the moons);
//! this trains five tanh runs with momentum SGD that stall early (the moons and the spirals),
//! over three seeds, each as it is and with the fixes a student might try: the 3x raise the
//! finding names first, one-cycle peaking at 10x (its second option) and at 3x, and a cosine
//! decay from the same LR. It prints how many seeds the diagnosis calls a plateau and the
//! mean final validation loss of each fix.
//!
//! `cargo run --release --example plateau_fixes` (75 runs, about ten seconds on 2 cores).

use tunelab::diagnose::Pattern;
use tunelab::*;

/// Seeds each configuration trains with.
const SEEDS: u64 = 3;

fn main() -> Result<()> {
    let moons = data::moons(1000, 0.2, 0)?.split(&SplitConfig::default())?;
    let spirals = data::spirals(900, 3, 0.2, 0)?.split(&SplitConfig::default())?;
    let sgdm = TrainConfig::new(OptimizerKind::SgdMomentum)
        .with_activation(Activation::Tanh)
        .with_epochs(30);
    let cases: Vec<(&str, &Splits, TrainConfig)> = vec![
        (
            "moons, lr 3e-3, 64",
            &moons,
            sgdm.clone().with_lr(3e-3).with_hidden(vec![64]),
        ),
        (
            "moons, lr 3e-3, 64-64",
            &moons,
            sgdm.clone().with_lr(3e-3).with_hidden(vec![64, 64]),
        ),
        (
            "moons, lr 3e-3, 32-32-32",
            &moons,
            sgdm.clone().with_lr(3e-3).with_hidden(vec![32, 32, 32]),
        ),
        (
            "moons, lr 1e-2, 64",
            &moons,
            sgdm.clone().with_lr(1e-2).with_hidden(vec![64]),
        ),
        (
            "spirals, lr 3e-3, 64",
            &spirals,
            sgdm.clone().with_lr(3e-3).with_hidden(vec![64]),
        ),
    ];
    println!("mean final val loss over {SEEDS} seeds (tanh, momentum SGD, 30 epochs)");
    println!(
        "{:<26} {:>8} {:>9} {:>8} {:>11} {:>10} {:>8}",
        "run", "plateau", "constant", "raise 3x", "1-cycle 10x", "1-cycle 3x", "cosine"
    );
    for (name, splits, config) in cases {
        let lr = config.lr();
        let fixes = [
            config.clone(),
            config.clone().with_lr(lr * 3.0),
            config
                .clone()
                .with_lr(lr * 10.0)
                .with_schedule(Schedule::one_cycle()),
            config
                .clone()
                .with_lr(lr * 3.0)
                .with_schedule(Schedule::one_cycle()),
            config.clone().with_schedule(Schedule::cosine()),
        ];
        let mut means = [0.0; 5];
        let mut plateaus = 0;
        for seed in 0..SEEDS {
            for (k, fix) in fixes.iter().enumerate() {
                let run = train(splits, &fix.clone().with_seed(seed))?;
                if k == 0 && run.diagnose()?.has(Pattern::Plateau) {
                    plateaus += 1;
                }
                let loss = run.final_metrics().map_or(f64::NAN, |m| m.val_loss);
                means[k] += loss / SEEDS as f64;
            }
        }
        println!(
            "{name:<26} {:>8} {:>9.4} {:>8.4} {:>11.4} {:>10.4} {:>8.4}",
            format!("{plateaus}/{SEEDS}"),
            means[0],
            means[1],
            means[2],
            means[3],
            means[4]
        );
    }
    Ok(())
}
