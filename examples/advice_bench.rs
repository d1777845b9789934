//! Ground truth for tunelab's advice: for every embedded dataset and optimizer, train every
//! learning rate of a quarter-decade grid over seeds, and see where the LR finder's
//! recommendation lands against the band of LRs that really train best.
//!
//! Run through `scripts/advice-bench.sh`; `cargo run --release --example advice_bench -- --help`
//! lists the options.

#[path = "common/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix;
use std::fmt::Write as _;
use std::io::Write as _;
use tunelab::{
    Budget, EarlyStopping, ExperimentLog, Fitted, LrFinderConfig, OptimizerKind, Result, Schedule,
    SplitConfig, Splits, StudyConfig, TrainConfig, data, fit, lr_find, run_study, train_all,
};

/// A case is in the band when it lies within this factor of the band's ends.
const TOLERANCE: f64 = 1.5;
/// LRs whose mean best validation loss is within this share of the best form the band.
const BAND_SHARE: f64 = 0.10;
/// Seeds of the oracle.
const ORACLE_SEEDS: u64 = 3;
/// The oracle's seeds start here, apart from the seeds the finder itself uses (0, 1, ...).
const ORACLE_SEED_BASE: u64 = 100;

/// The quarter-decade grid from 1e-4 to 1.
fn grid() -> Vec<f64> {
    (0..=16)
        .map(|i| 10f64.powf(-4.0 + i as f64 / 4.0))
        .collect()
}

struct Case {
    dataset: String,
    optimizer: OptimizerKind,
    epochs: usize,
    /// Mean best-epoch validation loss per grid LR.
    oracle: Vec<f64>,
    /// Best-epoch validation loss per grid LR and seed.
    per_seed: Vec<Vec<f64>>,
    /// Validation loss of every epoch per grid LR and seed.
    curves: Vec<Vec<Vec<f64>>>,
    band: (f64, f64),
    recommended: Option<f64>,
    reason: String,
    /// Cost of the new check's finder call in runs of the configuration (range test included).
    cost: f64,
    /// The full check's recommendation and cost (every LR of the window to the full budget).
    full: Option<f64>,
    full_cost: f64,
    /// The range test alone, in runs.
    sweep_cost: f64,
    suggestions: Vec<(String, f64)>,
    steps_per_epoch: usize,
    finder_lrs: Vec<f64>,
    finder_smoothed: Vec<f64>,
    check: Option<tunelab::lr_finder::BudgetCheck>,
}

/// For mean losses over the grid: the LR with the lowest, and the band of LRs within
/// [`BAND_SHARE`] of it.
fn band(mean: &[f64]) -> (f64, (f64, f64)) {
    let g = grid();
    let best = mean.iter().cloned().fold(f64::INFINITY, f64::min);
    let good: Vec<f64> = (0..g.len())
        .filter(|&k| mean[k] <= best * (1.0 + BAND_SHARE))
        .map(|k| g[k])
        .collect();
    let argmin = (0..g.len())
        .min_by(|&a, &b| mean[a].total_cmp(&mean[b]))
        .map_or(f64::NAN, |k| g[k]);
    (argmin, (good[0], good[good.len() - 1]))
}

fn in_band(lr: f64, band: (f64, f64)) -> bool {
    lr >= band.0 / TOLERANCE && lr <= band.1 * TOLERANCE
}

fn run_case(
    splits: &Splits,
    optimizer: OptimizerKind,
    epochs: usize,
    oracle_seeds: u64,
    check_seeds: usize,
) -> Result<Case> {
    let base = TrainConfig::new(optimizer).with_epochs(epochs);
    let truth = oracle(splits, &base, oracle_seeds);
    let oracle: Vec<f64> = truth
        .best
        .iter()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    let per_seed = truth.best.clone();
    let curves = truth.curves;
    let band = band(&oracle).1;
    let finder = lr_find(
        splits,
        &base,
        &LrFinderConfig::default().with_check_seeds(check_seeds),
    )?;
    let full = lr_find(
        splits,
        &base,
        &LrFinderConfig::default()
            .with_check_seeds(check_seeds)
            .with_full_check(true),
    )?;
    let sweep_cost = finder.sweep_steps as f64 / finder.run_steps.max(1) as f64;
    let suggestions = finder
        .suggestions
        .iter()
        .map(|s| (s.name.clone(), s.lr))
        .collect();
    let n_train = splits.train.n_samples();
    Ok(Case {
        dataset: splits.train.name.clone(),
        optimizer,
        epochs,
        oracle,
        per_seed,
        curves,
        band,
        recommended: finder.recommended(),
        reason: finder.recommendation.reason.clone(),
        cost: finder.cost().runs,
        full: full.recommended(),
        full_cost: full.cost().runs,
        sweep_cost,
        suggestions,
        steps_per_epoch: n_train.div_ceil(base.batch_size),
        finder_lrs: finder.lrs.clone(),
        finder_smoothed: finder.smoothed.clone(),
        check: finder.check.clone(),
    })
}

/// The oracle of one case: per grid LR and oracle seed, the best-epoch validation loss and
/// the validation loss of every epoch (non-finite values as 1e300; a diverged run's curve
/// ends where it diverged).
#[derive(serde::Serialize, serde::Deserialize)]
struct Oracle {
    best: Vec<Vec<f64>>,
    curves: Vec<Vec<Vec<f64>>>,
}

fn cache_dir() -> std::path::PathBuf {
    std::env::var_os("TUNELAB_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("tunelab"))
        .join("advice-bench")
}

/// Trains `base` at every grid LR over `seeds` oracle seeds, or reads the result from the
/// cache (`$TUNELAB_CACHE/advice-bench/`).
fn oracle(splits: &Splits, base: &TrainConfig, seeds: u64) -> Oracle {
    let key = format!(
        "oracle-{}-{}-{}e-b{}-{}s.json",
        splits.train.name,
        base.optimizer.name(),
        base.epochs,
        base.batch_size,
        seeds
    );
    let path = cache_dir().join(key);
    if let Some(o) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str::<Oracle>(&s).ok())
    {
        return o;
    }
    let lrs = grid();
    let mut configs = Vec::new();
    for &lr in &lrs {
        for seed in 0..seeds {
            configs.push(base.clone().with_lr(lr).with_seed(ORACLE_SEED_BASE + seed));
        }
    }
    let finite = |v: f64| if v.is_finite() { v } else { 1e300 };
    let mut o = Oracle {
        best: vec![Vec::new(); lrs.len()],
        curves: vec![Vec::new(); lrs.len()],
    };
    for (k, run) in train_all(splits, &configs, 0).into_iter().enumerate() {
        let (best, curve) = match run {
            Ok(r) => (r.best_val_loss(), r.val_losses()),
            Err(_) => (f64::INFINITY, Vec::new()),
        };
        o.best[k / seeds as usize].push(finite(best));
        o.curves[k / seeds as usize].push(curve.into_iter().map(finite).collect());
    }
    if std::fs::create_dir_all(cache_dir()).is_ok()
        && let Ok(text) = serde_json::to_string(&o)
    {
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, text).is_ok() {
            std::fs::rename(&tmp, &path).ok();
        }
    }
    o
}

/// The datasets the recommendation rule was calibrated on; the others are held back.
const CALIBRATION: &[&str] = &["digits", "wine", "iris"];

/// A generated table 10-100x the embedded ones, for the large cases: standard normal
/// features, each label the most likely class of a random one-hidden-layer tanh network, a
/// share `noise` of the labels then redrawn uniformly (the difficulty).
struct Large {
    name: &'static str,
    rows: usize,
    features: usize,
    classes: usize,
    noise: f64,
}

/// The large cases: never used to calibrate a rule.
const LARGE: &[Large] = &[
    Large {
        name: "gen20k-easy",
        rows: 20_000,
        features: 20,
        classes: 4,
        noise: 0.0,
    },
    Large {
        name: "gen50k-medium",
        rows: 50_000,
        features: 40,
        classes: 6,
        noise: 0.1,
    },
    Large {
        name: "gen100k-hard",
        rows: 100_000,
        features: 40,
        classes: 10,
        noise: 0.3,
    },
];
/// The large cases train for this many epochs, with these optimizers.
const LARGE_EPOCHS: usize = 5;
const LARGE_OPTIMIZERS: [OptimizerKind; 2] = [OptimizerKind::Adam, OptimizerKind::SgdMomentum];
/// The large cases' oracle seeds (at most): their validation sets of 4,000-20,000 rows make
/// each seed's loss far less noisy than on the embedded tables.
const LARGE_ORACLE_SEEDS: u64 = 3;
/// Hidden units of the generating network.
const TEACHER_HIDDEN: usize = 16;

fn generate(spec: &Large) -> Result<Splits> {
    let mut rng = SplitMix(0x5eed ^ spec.rows as u64);
    let (d, h, k) = (spec.features, TEACHER_HIDDEN, spec.classes);
    let w1: Vec<f64> = (0..d * h)
        .map(|_| rng.normal() * 2.0 / (d as f64).sqrt())
        .collect();
    let w2: Vec<f64> = (0..h * k)
        .map(|_| rng.normal() * 2.0 / (h as f64).sqrt())
        .collect();
    let (mut features, mut labels) = (Vec::with_capacity(spec.rows * d), Vec::new());
    for _ in 0..spec.rows {
        let x: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let hidden: Vec<f64> = (0..h)
            .map(|j| (0..d).map(|i| x[i] * w1[i * h + j]).sum::<f64>().tanh())
            .collect();
        let logit = |c: usize| (0..h).map(|j| hidden[j] * w2[j * k + c]).sum::<f64>();
        let mut label = (0..k)
            .max_by(|&a, &b| logit(a).total_cmp(&logit(b)))
            .unwrap_or(0);
        if rng.uniform() < spec.noise {
            label = (rng.next() % k as u64) as usize;
        }
        features.extend(x.iter().map(|&v| v as f32));
        labels.push(label);
    }
    tunelab::Dataset::new(
        spec.name,
        features,
        labels,
        (0..d).map(|j| format!("x{j}")).collect(),
        (0..k).map(|c| format!("class{c}")).collect(),
    )?
    .split(&SplitConfig::default())
}

/// 0: calibration, 1: held back, 2: the large generated tables (held back too).
fn half_of(dataset: &str) -> usize {
    if CALIBRATION.contains(&dataset) {
        0
    } else if LARGE.iter().any(|l| l.name == dataset) {
        2
    } else {
        1
    }
}

fn mark(lr: f64, band: (f64, f64)) -> String {
    format!("{:.1e}{}", lr, if in_band(lr, band) { "+" } else { "-" })
}

fn finder_table(
    epochs: &[usize],
    oracle_seeds: u64,
    check_seeds: usize,
    dump: Option<String>,
    large: bool,
) -> Result<()> {
    let mut cases = Vec::new();
    for name in data::DATASET_NAMES {
        let splits = data::load(name)?.split(&SplitConfig::default())?;
        for optimizer in OptimizerKind::ALL {
            for &e in epochs {
                let t0 = std::time::Instant::now();
                cases.push(run_case(&splits, optimizer, e, oracle_seeds, check_seeds)?);
                eprintln!(
                    "  {name} {optimizer} {e} epochs ({:.1} s)",
                    t0.elapsed().as_secs_f64()
                );
            }
        }
    }
    if large {
        for spec in LARGE {
            let splits = generate(spec)?;
            for optimizer in LARGE_OPTIMIZERS {
                let t0 = std::time::Instant::now();
                let seeds = oracle_seeds.min(LARGE_ORACLE_SEEDS);
                cases.push(run_case(
                    &splits,
                    optimizer,
                    LARGE_EPOCHS,
                    seeds,
                    check_seeds,
                )?);
                eprintln!(
                    "  {} {optimizer} {LARGE_EPOCHS} epochs ({:.1} s)",
                    spec.name,
                    t0.elapsed().as_secs_f64()
                );
            }
        }
    }
    if let Some(path) = dump {
        let mut out = String::new();
        for c in &cases {
            let v = serde_json::json!({
                "dataset": c.dataset, "optimizer": c.optimizer.to_string(), "epochs": c.epochs,
                "steps_per_epoch": c.steps_per_epoch, "grid": grid(), "oracle": c.oracle, "per_seed": c.per_seed,
                "band": [c.band.0, c.band.1], "recommended": c.recommended, "reason": c.reason,
                "suggestions": c.suggestions, "finder_lrs": c.finder_lrs,
                "finder_smoothed": c.finder_smoothed, "check": c.check,
            });
            writeln!(out, "{v}").ok();
        }
        std::fs::write(&path, out).map_err(|e| tunelab::Error::io(&path, e))?;
    }
    // How stable is a 3-seed oracle? The best LR of seeds 1-3 against the band of seeds 4-6.
    if oracle_seeds >= 6 {
        let band_of = |c: &Case, seeds: std::ops::Range<usize>| {
            let mean: Vec<f64> = c
                .per_seed
                .iter()
                .map(|v| v[seeds.clone()].iter().sum::<f64>() / seeds.len() as f64)
                .collect();
            band(&mean)
        };
        let embedded: Vec<&Case> = cases.iter().filter(|c| half_of(&c.dataset) < 2).collect();
        let agree = embedded
            .iter()
            .filter(|c| in_band(band_of(c, 0..3).0, band_of(c, 3..6).1))
            .count();
        println!(
            "oracle noise: the best LR of 3 seeds lies in the band of 3 other seeds in {agree}/{} embedded cases, so a 3-seed band cannot score any rule reliably there; this table uses {oracle_seeds} seeds ({} on the large tables)",
            embedded.len(),
            oracle_seeds.min(LARGE_ORACLE_SEEDS)
        );
    }
    let names = ["steepest", "min_div_10", "valley", "slide"];
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "{:<14} {:<13} {:>3} {:>17} {:>9} {:>10} {:>9} {:>9} {:>17} {:>17}",
        "dataset",
        "optimizer",
        "ep",
        "oracle band",
        "steepest",
        "min/10",
        "valley",
        "slide",
        "full check (runs)",
        "halving (runs)"
    )
    .ok();
    // hits[half][rule]: half 0 calibration, 1 held back; rules: the four, then the full check
    // and the successive halving.
    let mut hits = [[0usize; 6]; 3];
    let mut counts = [0usize; 3];
    let mut uncertain = [[0usize; 2]; 3];
    // costs[half][0: range test alone, 1: full check, 2: halving], in runs.
    let mut costs: [[Vec<f64>; 3]; 3] = Default::default();
    for c in &cases {
        let half = half_of(&c.dataset);
        counts[half] += 1;
        let mut line = format!(
            "{:<14} {:<13} {:>3} {:>8.1e}..{:<7.1e}",
            c.dataset,
            c.optimizer.to_string(),
            c.epochs,
            c.band.0,
            c.band.1
        );
        for (k, n) in names.iter().enumerate() {
            match c.suggestions.iter().find(|(s, _)| s == n) {
                Some((_, lr)) => {
                    hits[half][k] += usize::from(in_band(*lr, c.band));
                    write!(line, " {:>9}", mark(*lr, c.band)).ok();
                }
                None => write!(line, " {:>9}", "-").ok().unwrap_or(()),
            }
        }
        for (k, (rec, cost)) in [(c.full, c.full_cost), (c.recommended, c.cost)]
            .into_iter()
            .enumerate()
        {
            costs[half][k + 1].push(cost);
            match rec {
                Some(lr) => {
                    hits[half][4 + k] += usize::from(in_band(lr, c.band));
                    write!(line, " {:>10} ({:>4.1})", mark(lr, c.band), cost).ok();
                }
                None => {
                    uncertain[half][k] += 1;
                    write!(line, " {:>10} ({:>4.1})", "uncertain", cost).ok();
                }
            }
        }
        costs[half][0].push(c.sweep_cost);
        writeln!(w, "{line}").ok();
        if c.recommended.is_none() {
            writeln!(w, "{:>20} uncertain: {}", "", c.reason).ok();
        }
    }
    writeln!(
        w,
        "(+: within the band, x{TOLERANCE} tolerance; band: LRs of the quarter-decade grid 1e-4..1 whose mean best-epoch val loss over {oracle_seeds} seeds is within {:.0}% of the best)",
        BAND_SHARE * 100.0
    )
    .ok();
    let median_max = |v: &[f64]| {
        let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        (
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN),
        )
    };
    for (half, label) in [
        (0, "calibration (digits, wine, iris)"),
        (1, "held back (breast_cancer, moons, spirals)"),
        (2, "large generated tables (20k-100k rows, held back)"),
    ] {
        if counts[half] == 0 {
            continue;
        }
        let (sweep, _) = median_max(&costs[half][0]);
        let (full_med, full_max) = median_max(&costs[half][1]);
        let (new_med, new_max) = median_max(&costs[half][2]);
        writeln!(
            w,
            "{label}: curve readings (median cost {sweep:.2} runs): steepest {}/{n}, min/10 (the guide's \"slightly before the minimum\") {}/{n}, valley (fastai) {}/{n}, slide {}/{n}; full check {}/{n} ({} uncertain; cost median {full_med:.1}, max {full_max:.1} runs); successive halving {}/{n} ({} uncertain; cost median {new_med:.1}, max {new_max:.1} runs)",
            hits[half][0],
            hits[half][1],
            hits[half][2],
            hits[half][3],
            hits[half][4],
            uncertain[half][0],
            hits[half][5],
            uncertain[half][1],
            n = counts[half]
        )
        .ok();
    }
    short_run_bias(&cases, &mut w);
    writeln!(w, "finder_in_band_calibration={}/{}", hits[0][5], counts[0]).ok();
    if counts[2] > 0 {
        writeln!(w, "finder_in_band_large={}/{}", hits[2][5], counts[2]).ok();
    }
    writeln!(w, "finder_in_band={}/{}", hits[1][5], counts[1]).ok();
    Ok(())
}

/// How far short runs move the best LR: for each case and oracle seed, the grid offset (in
/// quarter decades; positive is higher) of the LR with the lowest validation loss after 1/8,
/// 1/4 and 1/2 of the epochs against the one at the full budget, averaged.
fn short_run_bias(cases: &[Case], w: &mut impl std::io::Write) {
    let mut line = String::from(
        "short runs favour higher LRs (mean offset of the best LR, in quarter decades, against the full budget):",
    );
    for divisor in [8usize, 4, 2] {
        let mut offsets = Vec::new();
        for c in cases {
            let e = c.epochs.div_ceil(divisor).max(1);
            let seeds = c.curves.first().map_or(0, Vec::len);
            for s in 0..seeds {
                let at = |upto: usize| {
                    (0..c.curves.len())
                        .min_by(|&a, &b| {
                            let best = |k: usize| {
                                c.curves[k][s][..upto.min(c.curves[k][s].len())]
                                    .iter()
                                    .copied()
                                    .fold(f64::INFINITY, f64::min)
                            };
                            best(a).total_cmp(&best(b))
                        })
                        .unwrap_or(0) as f64
                };
                offsets.push(at(e) - at(c.epochs));
            }
        }
        let mean = offsets.iter().sum::<f64>() / offsets.len().max(1) as f64;
        write!(line, " after 1/{divisor} of the epochs {mean:+.2}").ok();
    }
    writeln!(w, "{line}").ok();
}

/// One random configuration from the space the study searches: the LR log-uniform over the
/// study's reach, a shape of the guide's list, a batch size, dropout, weight decay, and a
/// fine-tuning choice.
fn random_config(
    rng: &mut SplitMix,
    study: &StudyConfig,
    n_train: usize,
    seed: u64,
) -> TrainConfig {
    use tunelab::study::{BATCH_SIZES, DROPOUTS, WEIGHT_DECAYS};
    let lr = 10f64.powf(-4.0 + 3.0 * rng.uniform());
    let shapes: Vec<&[usize]> = tunelab::advise::ARCHITECTURES
        .iter()
        .map(|a| a.hidden)
        .collect();
    let batches: Vec<usize> = BATCH_SIZES
        .iter()
        .copied()
        .filter(|&b| b <= n_train)
        .collect();
    let mut dropouts = vec![0.0];
    dropouts.extend_from_slice(DROPOUTS);
    let mut decays = vec![0.0];
    decays.extend_from_slice(WEIGHT_DECAYS);
    let schedules = [
        Schedule::Constant,
        Schedule::cosine(),
        Schedule::one_cycle(),
    ];
    let schedule = schedules[rng.pick(&[0, 1, 2])].clone();
    let shape = rng.pick(&shapes).to_vec();
    let dropout = rng.pick(&dropouts);
    // Hidden dropout needs two hidden layers; a one-layer shape drops inputs instead.
    let (hidden_dropout, input_dropout) = if shape.len() >= 2 {
        (dropout, 0.0)
    } else {
        (0.0, dropout.min(0.2))
    };
    let mut config = TrainConfig::new(OptimizerKind::Adam)
        .with_lr(lr)
        .with_hidden(shape)
        .with_batch_size(rng.pick(&batches))
        .with_dropout(hidden_dropout)
        .with_input_dropout(input_dropout)
        .with_weight_decay(rng.pick(&decays))
        .with_schedule(schedule)
        .with_epochs(study.epochs_per_trial)
        .with_seed(seed);
    if rng.uniform() < 0.5 {
        config = config
            .with_epochs(study.final_epochs)
            .with_early_stopping(EarlyStopping::new(study.patience));
    }
    config
}

/// Random search with `trials` trials (one seed each): the best validation loss wins, and
/// its test accuracy is measured once.
fn random_search(splits: &Splits, study: &StudyConfig, trials: usize, seed: u64) -> Result<f64> {
    use rayon::prelude::*;
    let mut rng = SplitMix(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5eed);
    let configs: Vec<TrainConfig> = (0..trials)
        .map(|i| {
            random_config(
                &mut rng,
                study,
                splits.train.n_samples(),
                seed * 100_000 + i as u64,
            )
        })
        .collect();
    let fitted: Vec<Fitted> = configs
        .par_iter()
        .map(|c| fit(splits, c, &mut |_, _| {}))
        .collect::<Result<Vec<_>>>()?;
    let score = |f: &Fitted| {
        f.run
            .final_metrics()
            .filter(|m| m.val_loss.is_finite() && !f.run.outcome.is_diverged())
            .map_or(f64::INFINITY, |m| m.val_loss)
    };
    let best = fitted
        .iter()
        .min_by(|a, b| score(a).total_cmp(&score(b)))
        .ok_or_else(|| tunelab::Error::data("random search", "no trials"))?;
    eprintln!(
        "  random search, {trials} trials: best {} (val loss {})",
        best.run.config,
        tunelab::fixed_decimals(score(best), 4)
    );
    Ok(best.evaluate(&splits.test)?.val_accuracy)
}

/// The quick study against random search over the same space, with the same number of
/// training runs and with 4x as many, on test accuracy over split seeds.
fn study_vs_random(datasets: &[String], split_seeds: u64) -> Result<()> {
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "{:<14} {:>5} {:>5} {:>8} {:>11} {:>11}",
        "dataset", "split", "runs", "study", "random x1", "random x4"
    )
    .ok();
    let mut all = [Vec::new(), Vec::new(), Vec::new()];
    for name in datasets {
        let data = data::load(name)?;
        let mut per = [Vec::new(), Vec::new(), Vec::new()];
        for split in 0..split_seeds {
            let splits = data.split(&SplitConfig::default().with_seed(split))?;
            let config = StudyConfig::budget(Budget::Quick)
                .with_seed(split)
                .with_verbose(false);
            let study = run_study(&splits, &config, ExperimentLog::new().quiet())?;
            eprintln!(
                "  study: {} (val loss {})",
                study.best_config,
                tunelab::fixed_decimals(
                    study
                        .best_run
                        .final_metrics()
                        .map_or(f64::NAN, |m| m.val_loss),
                    4
                )
            );
            // Every training run counts, the LR finder's check included.
            let runs = study.log.len() + study.finder_runs;
            let r1 = random_search(&splits, &config, runs, split)?;
            let r4 = random_search(&splits, &config, 4 * runs, split + 1000)?;
            writeln!(
                w,
                "{name:<14} {split:>5} {runs:>5} {:>8.4} {:>11.4} {:>11.4}",
                study.test_accuracy, r1, r4
            )
            .ok();
            for (k, v) in [study.test_accuracy, r1, r4].into_iter().enumerate() {
                per[k].push(v);
                all[k].push(v);
            }
        }
        let m = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
        writeln!(
            w,
            "{name:<14} {:>5} {:>5} {:>8.4} {:>11.4} {:>11.4}",
            "mean",
            "",
            m(&per[0]),
            m(&per[1]),
            m(&per[2])
        )
        .ok();
    }
    let m = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (s, r1, r4) = (m(&all[0]), m(&all[1]), m(&all[2]));
    writeln!(
        w,
        "study_vs_random: study {s:.4}, random same runs {r1:.4}, random 4x runs {r4:.4} (mean test accuracy over {} studies); study ahead at equal cost: {}, not behind at 4x: {}",
        all[0].len(),
        if s > r1 { "yes" } else { "NO" },
        if s >= r4 { "yes" } else { "NO" }
    )
    .ok();
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "advice_bench study [--datasets a,b,c] [--splits N]\n  the quick study against random search with the same number of runs and with 4x, on test accuracy\nadvice_bench finder [--dump FILE] [--epochs N,N] [--oracle-seeds N] [--check-seeds N] [--no-large]\n  trains every LR of a quarter-decade grid over {ORACLE_SEEDS} seeds per dataset x optimizer\n  (and, unless --no-large, on three generated tables of 20k-100k rows) and reports where the\n  LR finder's suggestions and recommendation land; the last line, finder_in_band=K/N, counts\n  the held-back cases"
        );
        return Ok(());
    }
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let epochs: Vec<usize> = value("--epochs")
        .unwrap_or_else(|| "10,20".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if args.first().map(String::as_str) == Some("study") {
        let datasets: Vec<String> = value("--datasets")
            .unwrap_or_else(|| "digits,breast_cancer,wine".into())
            .split(',')
            .map(str::to_string)
            .collect();
        let splits = value("--splits").and_then(|s| s.parse().ok()).unwrap_or(5);
        return study_vs_random(&datasets, splits);
    }
    let oracle_seeds = value("--oracle-seeds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(ORACLE_SEEDS);
    let check_seeds = value("--check-seeds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(LrFinderConfig::default().check_seeds);
    let large = !args.iter().any(|a| a == "--no-large");
    finder_table(&epochs, oracle_seeds, check_seeds, value("--dump"), large)
}
