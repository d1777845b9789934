//! Ground truth for the diagnosis, by intervention: generate real runs over a wide random
//! space (datasets of several shapes, the five optimizers, LRs from 1e-5 to 10, batches from 2
//! to 256, depth and width, dropout and weight decay from none to far too much, 3 to 40
//! epochs, schedules, unshuffled class-sorted rows, scrambled labels, unscaled features),
//! retrain each with every single change of a fixed menu over seeds, and call the changes that
//! beat the run beyond seed noise its *helpful set*. For a broken data set the menu also holds
//! its repair (true labels, standardised features; shuffling for sorted rows), which is what a
//! data check leads to. Then score the diagnosis's first action against it: in the helpful set
//! (or "keep" / a data check when the set is empty), harmful (worse beyond noise), or
//! uncertain.
//!
//! The datasets are split in two: the rules' thresholds may be tuned on the calibration half;
//! the held-back half is reported on its own, and its line is the result. Each run is read
//! twice: with the full context tunelab has (`History::from_run`), and from its CSV files
//! alone, as a run from another framework arrives (`History::from_csv_str` plus the class
//! count inferred from the first step's loss).
//!
//! Ground truth is cached under `$TUNELAB_CACHE/diagnosis-bench/` (one JSON file per run,
//! keyed by the run's configuration), so a second run only re-diagnoses.
//!
//! Run through `scripts/diagnosis-bench.sh`; `--runs N` sets the number of runs per half.

#[path = "common/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use tunelab::diagnose::{Action, Diagnosis, History, diagnose};
use tunelab::{
    Dataset, EarlyStopping, OptimizerKind, Run, Schedule, SplitConfig, Splits, TrainConfig, data,
    train_all,
};

/// Seeds every configuration is trained with (paired across the menu).
const SEEDS: u64 = 3;
/// A change must move the mean final validation loss by at least this share of the run's own
/// to count as helping or hurting, besides being twice its paired standard error.
const MIN_EFFECT: f64 = 0.02;
/// Training rows of each dataset are capped here, to keep the benchmark within half an hour.
const MAX_TRAIN: usize = 500;
/// Steps of one training (epochs x steps per epoch) are kept under this, before the menu's 3x.
const MAX_STEPS: usize = 2500;

/// The changes of the menu, in order; each maps to at most one configuration. Items are only
/// ever appended: a cached ground truth with fewer items gains the new ones (trained then).
const MENU: [&str; 18] = [
    "lr to default",
    "lr x10",
    "lr x3",
    "lr /3",
    "lr /10",
    "dropout up",
    "dropout down",
    "weight decay up",
    "weight decay down",
    "3x epochs",
    "early stopping",
    "wider",
    "deeper",
    "smaller",
    "shuffle",
    "larger batch",
    "cosine schedule",
    // The repair of a broken data set: true labels for scrambled ones, standardised features
    // for unscaled ones (sorted rows are repaired by "shuffle"). What a data check leads to.
    "fix the data",
];

/// The menu's length when the cache's file names were fixed (they keep it, see [`MENU`]).
const CACHE_MENU_LEN: usize = 17;

fn named(name: &str, features: Vec<f32>, labels: Vec<usize>, d: usize, k: usize) -> Dataset {
    let names = (0..d).map(|j| format!("x{j}")).collect();
    let classes = (0..k).map(|c| c.to_string()).collect();
    Dataset::new(name, features, labels, names, classes).expect("generated data")
}

/// Gaussian blobs: `k` classes in `d` dimensions, centres `spread` apart, a share `flip` of
/// the labels redrawn at random (label noise), class `c` drawn with weight `weights[c]`.
fn blobs(
    name: &str,
    n: usize,
    d: usize,
    weights: &[f64],
    spread: f64,
    flip: f64,
    seed: u64,
) -> Dataset {
    let k = weights.len();
    let mut rng = Rng(seed);
    let centres: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..d).map(|_| spread * rng.normal()).collect())
        .collect();
    let total: f64 = weights.iter().sum();
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let mut u = rng.uniform() * total;
        let mut c = 0;
        while c + 1 < k && u >= weights[c] {
            u -= weights[c];
            c += 1;
        }
        for centre in &centres[c] {
            features.push((centre + rng.normal()) as f32);
        }
        let label = if rng.uniform() < flip {
            (rng.next() % k as u64) as usize
        } else {
            c
        };
        labels.push(label);
    }
    named(name, features, labels, d, k)
}

/// XOR of the signs of two coordinates, with 4 more noise features.
fn xor(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng(seed);
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let row: Vec<f64> = (0..6).map(|_| rng.normal()).collect();
        labels.push(usize::from((row[0] > 0.0) != (row[1] > 0.0)));
        features.extend(row.iter().map(|v| *v as f32));
    }
    named("xor", features, labels, 6, 2)
}

/// The datasets of each half.
fn datasets(held_back: bool) -> Vec<Dataset> {
    let sets = if held_back {
        vec![
            data::wine(),
            data::iris(),
            data::moons(700, 0.35, 1),
            data::spirals(700, 5, 0.15, 1),
            Ok(blobs("imbalanced", 700, 6, &[0.9, 0.1], 1.2, 0.0, 11)),
            Ok(xor(700, 12)),
        ]
    } else {
        vec![
            data::digits(),
            data::breast_cancer(),
            data::moons(700, 0.2, 0),
            data::spirals(700, 3, 0.2, 0),
            Ok(blobs("blobs", 700, 8, &[1.0; 4], 1.0, 0.0, 21)),
            Ok(blobs("noisy-binary", 700, 10, &[0.7, 0.3], 0.6, 0.25, 22)),
        ]
    };
    sets.into_iter().map(|s| s.expect("dataset")).collect()
}

/// What was done to the data of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// Labels redrawn at random, apart from the features.
    Scrambled,
    /// Training rows sorted by class (and trained without shuffling).
    Sorted,
    /// Features left unstandardised and scaled by up to 1000.
    Unscaled,
}

struct Case {
    dataset: usize,
    fault: Fault,
    config: TrainConfig,
}

fn random_case(rng: &mut Rng, n_sets: usize) -> Case {
    let optimizer = rng.pick(&OptimizerKind::ALL);
    let lr = 10f64.powf(-5.0 + 6.0 * rng.uniform());
    let depth = rng.pick(&[0usize, 1, 1, 2, 2, 3]);
    let width = rng.pick(&[4usize, 16, 64, 128]);
    let hidden: Vec<usize> = (0..depth).map(|i| (width >> i).max(2)).collect();
    let dropout = if depth >= 2 {
        rng.pick(&[0.0, 0.0, 0.1, 0.3, 0.5, 0.7, 0.9])
    } else {
        0.0
    };
    let weight_decay = rng.pick(&[0.0, 0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    let fault = match rng.next() % 12 {
        0 => Fault::Scrambled,
        1 => Fault::Sorted,
        2 => Fault::Unscaled,
        _ => Fault::None,
    };
    let mut config = TrainConfig::new(optimizer)
        .with_lr(lr)
        .with_batch_size(rng.pick(&[2usize, 4, 8, 16, 32, 64, 128, 256]))
        .with_epochs(rng.pick(&[3usize, 5, 10, 20, 40]))
        .with_hidden(hidden)
        .with_dropout(dropout)
        .with_weight_decay(weight_decay)
        .with_shuffle(fault != Fault::Sorted);
    if rng.uniform() < 0.2 {
        config = config.with_schedule(Schedule::cosine());
    }
    Case {
        dataset: (rng.next() % n_sets as u64) as usize,
        fault,
        config,
    }
}

/// The splits of a case: the dataset cut to [`MAX_TRAIN`] training rows, with its fault.
fn splits_for(set: &Dataset, fault: Fault, seed: u64) -> Splits {
    let split = SplitConfig {
        standardize: fault != Fault::Unscaled,
        ..SplitConfig::default()
    };
    let mut splits = set.split(&split).expect("split");
    if splits.train.n_samples() > MAX_TRAIN {
        splits = splits.with_train_size(MAX_TRAIN).expect("cut");
    }
    let mut rng = Rng(seed);
    match fault {
        Fault::Scrambled => {
            for part in [&mut splits.train, &mut splits.val] {
                let k = part.n_classes() as u64;
                for l in part.labels.iter_mut() {
                    *l = (rng.next() % k) as usize;
                }
            }
        }
        Fault::Sorted => {
            let mut order: Vec<usize> = (0..splits.train.n_samples()).collect();
            order.sort_by_key(|&i| splits.train.labels[i]);
            splits.train = splits.train.subset(&order).expect("the rows of the set");
        }
        Fault::Unscaled => {
            let d = splits.train.n_features;
            let scales: Vec<f32> = (0..d)
                .map(|_| 10f32.powf(3.0 * rng.uniform() as f32))
                .collect();
            for part in [&mut splits.train, &mut splits.val] {
                for (i, v) in part.features.iter_mut().enumerate() {
                    *v *= scales[i % d];
                }
            }
        }
        Fault::None => {}
    }
    splits
}

/// The configuration of menu item `i` applied to `base`, if it applies.
fn change(base: &TrainConfig, i: usize, n_train: usize) -> Option<TrainConfig> {
    let c = base.clone();
    let hidden = &base.model.hidden;
    let dropout = base.model.dropout;
    let wd = base.weight_decay();
    Some(match MENU[i] {
        "lr to default" => c.clone().with_lr(base.optimizer.default_lr()),
        "lr x10" => c.clone().with_lr(base.lr() * 10.0),
        "lr x3" => c.clone().with_lr(base.lr() * 3.0),
        "lr /3" => c.clone().with_lr(base.lr() / 3.0),
        "lr /10" => c.clone().with_lr(base.lr() / 10.0),
        "dropout up" if hidden.len() >= 2 && dropout < 0.7 => {
            c.with_dropout((dropout + 0.2).min(0.7))
        }
        "dropout down" if dropout > 0.0 => c.with_dropout(dropout / 2.0),
        "weight decay up" => c.with_weight_decay(if wd > 0.0 { wd * 10.0 } else { 1e-4 }),
        "weight decay down" if wd > 0.0 => c.with_weight_decay(wd / 10.0),
        "3x epochs" => c.clone().with_epochs(base.epochs * 3),
        "early stopping" if base.early_stopping.is_none() => c
            .with_epochs(base.epochs * 3)
            .with_early_stopping(EarlyStopping::new(3)),
        "wider" => c.with_hidden(if hidden.is_empty() {
            vec![64]
        } else {
            hidden.iter().map(|w| w * 2).collect::<Vec<_>>()
        }),
        "deeper" => {
            let mut h = hidden.clone();
            h.push(h.last().copied().unwrap_or(32));
            c.with_hidden(h)
        }
        "smaller" if !hidden.is_empty() => {
            c.with_hidden(hidden.iter().map(|w| (w / 2).max(2)).collect::<Vec<_>>())
        }
        "shuffle" if !base.shuffle => c.with_shuffle(true),
        "larger batch" if base.batch_size < n_train => {
            c.with_batch_size((base.batch_size * 4).min(n_train))
        }
        "cosine schedule" if base.schedule == Schedule::Constant => {
            c.with_schedule(Schedule::cosine())
        }
        // The same configuration on other splits: see `repaired`.
        "fix the data" => c,
        _ => return None,
    })
}

/// The menu items an action stands for (a larger model is wider or deeper; an LR change
/// that lands within 30% of the optimizer's default is "lr to default").
fn menu_items(action: &Action, default_lr: f64) -> Vec<&'static str> {
    match action {
        Action::ScaleLr { to: Some(to), .. } if (to / default_lr - 1.0).abs() < 0.3 => {
            vec!["lr to default"]
        }
        Action::ScaleLr { factor, .. } => vec![match *factor {
            f if f >= 5.0 => "lr x10",
            f if f > 1.0 => "lr x3",
            f if f > 0.2 => "lr /3",
            _ => "lr /10",
        }],
        Action::SetDropout { from, to } => {
            vec![if *to > from.unwrap_or(0.0) {
                "dropout up"
            } else {
                "dropout down"
            }]
        }
        Action::SetWeightDecay { from, to } => vec![if *to > from.unwrap_or(0.0) {
            "weight decay up"
        } else {
            "weight decay down"
        }],
        Action::TrainLonger { .. } => vec!["3x epochs"],
        Action::StopEarly { .. } => vec!["early stopping"],
        Action::AddSchedule => vec!["cosine schedule"],
        Action::GrowModel => vec!["wider", "deeper"],
        Action::ShrinkModel => vec!["smaller"],
        Action::Shuffle => vec!["shuffle"],
        Action::LargerBatch { .. } => vec!["larger batch"],
        // A data check is right when repairing the data helps (rows sorted by class are
        // repaired by shuffling them).
        Action::CheckData | Action::CheckModelOutput => vec!["fix the data", "shuffle"],
        _ => vec![],
    }
}

/// Final validation loss of a run (the weights it ends with); a diverged or unfinished run
/// scores three times the chance loss.
fn score(run: &tunelab::Result<Run>, chance: f64) -> f64 {
    let ceiling = 3.0 * chance;
    match run {
        Ok(r) if !matches!(r.outcome, tunelab::Outcome::Diverged { .. }) => r
            .final_metrics()
            .map(|m| m.val_loss)
            .filter(|v| v.is_finite())
            .map_or(ceiling, |v| v.min(ceiling)),
        _ => ceiling,
    }
}

/// Per-seed scores of the base configuration and of each menu item (None: not applicable).
#[derive(serde::Serialize, serde::Deserialize)]
struct Truth {
    base: Vec<f64>,
    changes: Vec<Option<Vec<f64>>>,
}

/// The effect of a change: -1 helps, +1 hurts, 0 within noise.
fn effect(base: &[f64], changed: &[f64]) -> i32 {
    let d: Vec<f64> = changed.iter().zip(base).map(|(c, b)| c - b).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let level = base.iter().sum::<f64>() / base.len() as f64;
    let margin = (2.0 * sd / n.sqrt()).max(MIN_EFFECT * level);
    if mean < -margin {
        -1
    } else if mean > margin {
        1
    } else {
        0
    }
}

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("TUNELAB_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("tunelab"));
    base.join("diagnosis-bench")
}

/// The ground truth of a case, from the cache or trained now (with the base's seed-0 run).
/// `repaired` is the data without its fault, for "fix the data" (`None` when there is nothing
/// to repair by hand: clean data, or rows sorted by class, which "shuffle" repairs). A cached
/// file with fewer menu items than [`MENU`] gains the missing ones.
fn truth(
    case: &Case,
    splits: &Splits,
    repaired: Option<&Splits>,
    key: &str,
    threads: usize,
) -> (Truth, Run) {
    let n_train = splits.train.n_samples();
    let chance = (splits.train.n_classes() as f64).ln();
    let base_run = tunelab::train(splits, &case.config).expect("base run");
    let path = cache_dir().join(format!("{key}.json"));
    let cached = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str::<Truth>(&s).ok());
    if let Some(t) = &cached
        && t.changes.len() >= MENU.len()
    {
        return (cached.unwrap(), base_run);
    }
    let mut t = cached.unwrap_or_else(|| Truth {
        base: Vec::new(),
        changes: Vec::new(),
    });
    // Every configuration still to train, on the run's own data or on the repaired data.
    let (mut own, mut fixed) = (Vec::new(), Vec::new());
    if t.base.is_empty() {
        own.extend(with_seeds(&case.config));
    }
    // (menu item, which list, where its seeds start)
    let mut slots = Vec::new();
    for (i, item) in MENU.iter().enumerate().skip(t.changes.len()) {
        let repair = *item == "fix the data";
        match change(&case.config, i, n_train) {
            Some(c) if repair && repaired.is_some() => {
                slots.push((i, Some((true, fixed.len()))));
                fixed.extend(with_seeds(&c));
            }
            Some(c) if !repair => {
                slots.push((i, Some((false, own.len()))));
                own.extend(with_seeds(&c));
            }
            _ => slots.push((i, None)),
        }
    }
    let score_all = |data: &Splits, configs: &[TrainConfig]| -> Vec<f64> {
        if configs.is_empty() {
            return Vec::new();
        }
        let runs = train_all(data, configs, threads);
        runs.iter().map(|r| score(r, chance)).collect()
    };
    let own_scores = score_all(splits, &own);
    let fixed_scores = repaired.map_or(Vec::new(), |r| score_all(r, &fixed));
    let s = SEEDS as usize;
    if t.base.is_empty() {
        t.base = own_scores[..s].to_vec();
    }
    for (_, slot) in slots {
        t.changes.push(slot.map(|(on_fixed, at)| {
            let scores = if on_fixed { &fixed_scores } else { &own_scores };
            scores[at..at + s].to_vec()
        }));
    }
    if std::fs::create_dir_all(cache_dir()).is_ok()
        && let Ok(text) = serde_json::to_string(&t)
    {
        let tmp = path.with_extension("json.tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    (t, base_run)
}

/// A configuration once with each of the [`SEEDS`] seeds.
fn with_seeds(c: &TrainConfig) -> Vec<TrainConfig> {
    (0..SEEDS).map(|seed| c.clone().with_seed(seed)).collect()
}

/// How the diagnosis did on one run.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Verdict {
    Helpful,
    /// Keep, or a data check, with nothing helping (or on a data fault).
    RightToKeep,
    Missed,
    Harmful,
    Uncertain,
}

fn judge(d: &Diagnosis, effects: &[Option<i32>], fault: Fault, default_lr: f64) -> Verdict {
    if d.is_uncertain() {
        return Verdict::Uncertain;
    }
    let helpful: Vec<&str> = (0..MENU.len())
        .filter(|&i| effects[i] == Some(-1))
        .map(|i| MENU[i])
        .collect();
    let Some(action) = d.first_action() else {
        return Verdict::Uncertain;
    };
    let items = menu_items(action, default_lr);
    if items.is_empty() {
        // Keep, or more data: right when nothing on the menu helps, or (more data) when the
        // data was broken on purpose.
        return if helpful.is_empty() || (matches!(action, Action::MoreData) && fault != Fault::None)
        {
            Verdict::RightToKeep
        } else {
            Verdict::Missed
        };
    }
    let index = |name: &str| MENU.iter().position(|m| *m == name);
    let outcomes: Vec<i32> = items
        .iter()
        .filter_map(|n| index(n).and_then(|i| effects[i]))
        .collect();
    if outcomes.contains(&-1) {
        Verdict::Helpful
    } else if !outcomes.is_empty() && outcomes.iter().all(|&e| e == 1) {
        Verdict::Harmful
    } else if helpful.is_empty() && action.is_a_check() {
        // A check where nothing helps costs nothing.
        Verdict::RightToKeep
    } else {
        Verdict::Missed
    }
}

#[derive(Default, Clone)]
struct Tally {
    runs: usize,
    with_help: usize,
    helpful: usize,
    empty: usize,
    right_to_keep: usize,
    harmful: usize,
    uncertain: usize,
}

impl Tally {
    fn add(&mut self, v: Verdict, has_help: bool) {
        self.runs += 1;
        if has_help {
            self.with_help += 1;
        } else {
            self.empty += 1;
        }
        match v {
            Verdict::Helpful => self.helpful += 1,
            Verdict::RightToKeep if !has_help => self.right_to_keep += 1,
            Verdict::Harmful => self.harmful += 1,
            Verdict::Uncertain => self.uncertain += 1,
            _ => {}
        }
    }
    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {}/{} | {}/{} | {} | {} |",
            self.runs,
            self.helpful,
            self.with_help,
            self.right_to_keep,
            self.empty,
            self.harmful,
            self.uncertain
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    if args.iter().any(|a| a == "--help") {
        println!(
            "diagnosis_bench [--runs N per half, default 150] [--threads N, default 2] [--details: one line per run on stderr] [--explain: with its whole diagnosis] [--export-pytorch DIR] [--pytorch DIR]"
        );
        return;
    }
    let runs_per_half = flag("--runs", 150);
    let threads = flag("--threads", 2);
    let details = args.iter().any(|a| a == "--details");
    // --explain: the whole diagnosis of each run too, under its line.
    let explain = args.iter().any(|a| a == "--explain");
    let path_flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    // --export-pytorch DIR writes each run's data and configuration for
    // benches/pytorch_runs.py; --pytorch DIR scores the histories it wrote there.
    let export = path_flag("--export-pytorch");
    let pytorch = path_flag("--pytorch");
    let started = std::time::Instant::now();
    let mut trainings = 0usize;
    for held_back in [false, true] {
        let half = if held_back {
            "held-back"
        } else {
            "calibration"
        };
        let sets = datasets(held_back);
        let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
        eprintln!("== {half} half: {}", names.join(", "));
        let mut rng = Rng(if held_back { 0xbe7c } else { 0xca1b });
        let mut by_pattern: BTreeMap<String, Tally> = BTreeMap::new();
        let mut files_by_pattern: BTreeMap<String, Tally> = BTreeMap::new();
        let mut flags_by_pattern: BTreeMap<String, Tally> = BTreeMap::new();
        let mut torch_by_pattern: BTreeMap<String, Tally> = BTreeMap::new();
        let mut torch_all = Tally::default();
        let mut data_by_pattern: BTreeMap<String, Tally> = BTreeMap::new();
        let mut data_all = Tally::default();
        let mut torch_data_by_pattern: BTreeMap<String, Tally> = BTreeMap::new();
        let mut torch_data_all = Tally::default();
        let (mut all, mut files_all, mut flags_all) =
            (Tally::default(), Tally::default(), Tally::default());
        for k in 0..runs_per_half {
            let mut case = random_case(&mut rng, sets.len());
            let set = &sets[case.dataset];
            let splits = splits_for(set, case.fault, k as u64);
            let n_train = splits.train.n_samples();
            let batch = case.config.batch_size.min(n_train);
            let per_epoch = n_train.div_ceil(batch);
            let epochs = case.config.epochs.min((MAX_STEPS / per_epoch).max(2));
            case.config = case
                .config
                .clone()
                .with_epochs(epochs)
                .with_batch_size(batch);
            let key = format!(
                "{half}-{k}-{}-menu{CACHE_MENU_LEN}x{SEEDS}-{:?}-{:016x}",
                set.name,
                case.fault,
                fxhash(&format!("{}", case.config))
            );
            if let Some(dir) = &export {
                export_case(&dir.join(format!("{half}-{k}")), &splits, &case.config);
                continue;
            }
            let repaired = matches!(case.fault, Fault::Scrambled | Fault::Unscaled)
                .then(|| splits_for(set, Fault::None, k as u64));
            let (t, base_run) = truth(&case, &splits, repaired.as_ref(), &key, threads);
            trainings += SEEDS as usize * (1 + t.changes.iter().flatten().count());
            let effects: Vec<Option<i32>> = t
                .changes
                .iter()
                .map(|c| c.as_ref().map(|c| effect(&t.base, c)))
                .collect();
            let has_help = effects.contains(&Some(-1));
            let full = diagnose(&History::from_run(&base_run));
            let mut from_files =
                History::from_csv_str(&base_run.history_csv(), Some(&base_run.steps_csv()));
            if let Ok(h) = from_files.as_mut() {
                h.infer_classes();
            }
            // What a student types for a run from another framework: its configuration, on top
            // of the files (the classes still read off the first loss).
            let flagged = from_files.as_ref().ok().and_then(|h| {
                let mut h = h.clone();
                typed_flags(&mut h, &case.config);
                diagnose(&h).ok()
            });
            // The same, with the training rows too (`--data`: the classes and their shares,
            // the rows, the features' scales).
            let with_data = from_files.as_ref().ok().and_then(|h| {
                let mut h = h.clone();
                typed_flags(&mut h, &case.config);
                h.context = std::mem::take(&mut h.context).with_data(&splits.train);
                diagnose(&h).ok()
            });
            let files = from_files.and_then(|h| diagnose(&h)).ok();
            let full = full.ok();
            // The same configuration trained in PyTorch, read from its CSVs plus the flags.
            let torch_history = pytorch.as_ref().and_then(|dir| {
                let d = dir.join(format!("{half}-{k}"));
                let epochs = std::fs::read_to_string(d.join("epochs.csv")).ok()?;
                let steps = std::fs::read_to_string(d.join("steps.csv")).ok();
                let mut h = History::from_csv_str(&epochs, steps.as_deref()).ok()?;
                h.infer_classes();
                typed_flags(&mut h, &case.config);
                Some(h)
            });
            let torch = torch_history.as_ref().map(|h| diagnose(h).ok());
            let torch_data = torch_history.map(|mut h| {
                h.context = std::mem::take(&mut h.context).with_data(&splits.train);
                diagnose(&h).ok()
            });
            // A PyTorch-made reading scored into its tables (and, with --details, its line).
            let score = |tag: &str,
                         d: Option<Diagnosis>,
                         all: &mut Tally,
                         by_pattern: &mut BTreeMap<String, Tally>| {
                let verdict = d.as_ref().map_or(Verdict::Uncertain, |d| {
                    judge(d, &effects, case.fault, case.config.optimizer.default_lr())
                });
                let pattern = d
                    .as_ref()
                    .and_then(|d| d.primary().map(|f| f.pattern.to_string()))
                    .unwrap_or_else(|| "error".into());
                if details {
                    let first = first_action_text(d.as_ref());
                    eprintln!(
                        "{tag} {half} {k} {} {:?} [{}] | {pattern} -> {first} | {verdict:?}",
                        set.name, case.fault, case.config
                    );
                }
                all.add(verdict, has_help);
                by_pattern
                    .entry(pattern)
                    .or_default()
                    .add(verdict, has_help);
            };
            if let Some(d) = torch {
                score("TORCH", d, &mut torch_all, &mut torch_by_pattern);
            }
            if let Some(d) = torch_data {
                score(
                    "TORCHDATA",
                    d,
                    &mut torch_data_all,
                    &mut torch_data_by_pattern,
                );
            }
            for (d, tally, patterns, is_full) in [
                (full, &mut all, &mut by_pattern, true),
                (files, &mut files_all, &mut files_by_pattern, false),
                (flagged, &mut flags_all, &mut flags_by_pattern, false),
                (with_data, &mut data_all, &mut data_by_pattern, false),
            ] {
                let (verdict, pattern) = match &d {
                    Some(d) => (
                        judge(d, &effects, case.fault, case.config.optimizer.default_lr()),
                        d.primary().map_or("none".into(), |f| f.pattern.to_string()),
                    ),
                    None => (Verdict::Uncertain, "error".to_string()),
                };
                if details && is_full {
                    let helpful: Vec<&str> = (0..MENU.len())
                        .filter(|&i| effects[i] == Some(-1))
                        .map(|i| MENU[i])
                        .collect();
                    let harmful: Vec<&str> = (0..MENU.len())
                        .filter(|&i| effects[i] == Some(1))
                        .map(|i| MENU[i])
                        .collect();
                    let first = first_action_text(d.as_ref());
                    eprintln!(
                        "RUN {half} {k} {} {:?} [{}] base {:.3} | {pattern} -> {first} | {verdict:?} | helps: {} | hurts: {}",
                        set.name,
                        case.fault,
                        case.config,
                        t.base.iter().sum::<f64>() / t.base.len() as f64,
                        helpful.join(", "),
                        harmful.join(", ")
                    );
                    if explain && let Some(d) = &d {
                        eprintln!("{d}");
                    }
                }
                tally.add(verdict, has_help);
                patterns.entry(pattern).or_default().add(verdict, has_help);
            }
            if (k + 1) % 10 == 0 {
                eprintln!(
                    "   {half}: {} of {runs_per_half} runs, {:.0} s",
                    k + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        if export.is_some() {
            eprintln!("== exported {runs_per_half} {half} runs for PyTorch");
            continue;
        }
        println!("\n### {half} half ({})", names.join(", "));
        print_table("full context", &by_pattern, &all);
        print_table("files only", &files_by_pattern, &files_all);
        print_table(
            "files + the configuration's flags",
            &flags_by_pattern,
            &flags_all,
        );
        print_table(
            "files + flags + the training rows (--data)",
            &data_by_pattern,
            &data_all,
        );
        if torch_all.runs > 0 {
            print_table("PyTorch-made curves + flags", &torch_by_pattern, &torch_all);
            print_table(
                "PyTorch-made curves + flags + the training rows (--data)",
                &torch_data_by_pattern,
                &torch_data_all,
            );
        }
        let line = |t: &Tally| {
            format!(
                "action_helpful={}/{} harmful={} uncertain={}",
                t.helpful, t.with_help, t.harmful, t.uncertain
            )
        };
        println!(
            "\n{half}: {} (full context); files + flags: {}; files + flags + data: {}; files only: {}{}",
            line(&all),
            line(&flags_all),
            line(&data_all),
            line(&files_all),
            if torch_all.runs > 0 {
                format!(
                    "; PyTorch-made + flags: {}; PyTorch-made + flags + data: {}",
                    line(&torch_all),
                    line(&torch_data_all)
                )
            } else {
                String::new()
            }
        );
        if held_back {
            println!("{}", line(&all));
        }
        let _ = std::io::stdout().flush();
    }
    eprintln!(
        "== {trainings} training runs of ground truth (cached ones included), {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// The context a student gives `tunelab diagnose` for a run from another framework, from
/// the configuration they trained (`--optimizer --lr --batch-size --dropout --weight-decay
/// --hidden --shuffled`; not the class shares or the feature scales, which they would have
/// to compute).
fn typed_flags(h: &mut History, config: &TrainConfig) {
    h.context = std::mem::take(&mut h.context).with_config(config);
}

/// The first action of a diagnosis as its sentence, or `-` (for the per-run lines).
fn first_action_text(d: Option<&Diagnosis>) -> String {
    d.and_then(Diagnosis::first_action)
        .map_or("-".into(), |a| a.to_string())
}

/// One table: a row per primary pattern, then the whole half.
fn print_table(reading: &str, by_pattern: &BTreeMap<String, Tally>, all: &Tally) {
    println!(
        "\n| primary pattern ({reading}) | runs | action helpful | keep right | harmful | uncertain |"
    );
    println!("|---|---|---|---|---|---|");
    for (p, t) in by_pattern {
        println!("{}", t.row(p));
    }
    println!("{}", all.row("**all**"));
}

/// Writes a run's splits (`train.csv`, `val.csv`: the features, then the label) and its
/// configuration (`config.json`) for benches/pytorch_runs.py.
fn export_case(dir: &std::path::Path, splits: &Splits, config: &TrainConfig) {
    let _ = std::fs::create_dir_all(dir);
    for (name, part) in [("train.csv", &splits.train), ("val.csv", &splits.val)] {
        let mut text = String::new();
        for (row, label) in part.features.chunks(part.n_features).zip(&part.labels) {
            for v in row {
                text.push_str(&format!("{v},"));
            }
            text.push_str(&format!("{label}\n"));
        }
        let _ = std::fs::write(dir.join(name), text);
    }
    let json = serde_json::json!({
        "optimizer": config.optimizer.name(),
        "lr": config.lr(),
        "batch_size": config.batch_size,
        "epochs": config.epochs,
        "hidden": config.model.hidden,
        "dropout": config.model.dropout,
        "weight_decay": config.weight_decay(),
        "shuffle": config.shuffle,
        "cosine": config.schedule != Schedule::Constant,
        "n_classes": splits.train.n_classes(),
    });
    let _ = std::fs::write(dir.join("config.json"), json.to_string());
}

/// A stable 64-bit hash of a string (FNV-1a), for cache keys.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
