//! Flags shared by the subcommands (the data, a training config) and the parsers of values
//! that are more than a number.

use crate::data::{self, Dataset, SplitConfig, Splits};
use crate::error::Result;
use crate::train::{DeviceSpec, OptimizerKind, TrainConfig};
use clap::Args;

/// Parses a finite number > 0 (for the advice commands, whose inputs are not a config).
pub(crate) fn positive_f64(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("must be a finite number > 0 (e.g. 1e-3)".into()),
    }
}

/// Parses a finite number >= 0 (for the advice commands).
pub(crate) fn non_negative_f64(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("must be a finite number >= 0 (e.g. 1e-4)".into()),
    }
}

/// Parses a count >= 1 (for the advice commands).
pub(crate) fn positive_usize(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err("must be a whole number >= 1".into()),
    }
}

/// Whether two paths name the same file (resolving `.`, `..` and links where the file exists).
pub(crate) fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    let resolve = |p: &std::path::Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    resolve(a) == resolve(b)
}

/// Hidden layer widths on the command line: `128,64`, or `linear` for none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hidden(pub Vec<usize>);

impl std::fmt::Display for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("linear");
        }
        let widths: Vec<String> = self.0.iter().map(usize::to_string).collect();
        f.write_str(&widths.join(","))
    }
}

/// Parses hidden widths like `128,64` (empty or `linear` for none). Only the syntax is
/// checked here; the widths are checked with the rest of the config.
pub(crate) fn hidden(s: &str) -> std::result::Result<Hidden, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("linear") || t.eq_ignore_ascii_case("none") {
        return Ok(Hidden(Vec::new()));
    }
    t.split([',', '-'])
        .map(|p| {
            p.trim().parse::<usize>().map_err(|_| {
                format!(
                    "'{p}' is not a layer width: give whole numbers separated by commas, e.g. 128,64 (or 'linear')"
                )
            })
        })
        .collect::<std::result::Result<Vec<usize>, String>>()
        .map(Hidden)
}

/// Parses an optimizer name.
pub(crate) fn optimizer(s: &str) -> std::result::Result<OptimizerKind, String> {
    s.parse()
        .map_err(|_| "must be one of adam, adamw, sgd, sgd-momentum, rmsprop".into())
}

/// Parses a device name.
pub(crate) fn device(s: &str) -> std::result::Result<DeviceSpec, String> {
    s.parse()
        .map_err(|_| "must be one of ndarray (or cpu), flex, torch-cpu, cuda, cuda:N".into())
}

/// The defaults every flag shows and uses: those of [`TrainConfig::default`].
fn defaults() -> TrainConfig {
    TrainConfig::default()
}

/// The flags of a training config shared by `train` and `lr-find`. Their defaults are read
/// from [`TrainConfig::default`]; their ranges are checked once, by the library, when the
/// config is used, and errors name the flag.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConfigArgs {
    /// adam, adamw, sgd, sgd-momentum or rmsprop.
    #[arg(long, default_value_t = defaults().optimizer, value_parser = optimizer)]
    pub(crate) optimizer: OptimizerKind,
    /// Learning rate (default: the optimizer's default, 1e-3 or 1e-2).
    #[arg(long)]
    pub(crate) lr: Option<f64>,
    /// Samples per forward pass.
    #[arg(long, default_value_t = defaults().batch_size)]
    pub(crate) batch_size: usize,
    /// Micro-batches per optimizer step (gradient accumulation).
    #[arg(long, default_value_t = defaults().accumulate)]
    pub(crate) accumulate: usize,
    /// Hidden layer widths, e.g. 128,64 ('linear' for none).
    #[arg(long, default_value_t = Hidden(defaults().model.hidden), value_parser = hidden)]
    pub(crate) hidden: Hidden,
    /// Hidden dropout in [0, 1), between hidden layers (never before the output layer: needs
    /// two hidden layers).
    #[arg(long, default_value_t = defaults().model.dropout)]
    pub(crate) dropout: f64,
    /// Input dropout in [0, 1), on the features (the guide: 0.1-0.2).
    #[arg(long, default_value_t = defaults().model.input_dropout)]
    pub(crate) input_dropout: f64,
    /// Keep the rows in file order instead of shuffling them every epoch (to see what an
    /// unshuffled, for example class-sorted, dataset does to training).
    #[arg(long)]
    pub(crate) no_shuffle: bool,
    /// Weight decay (default: 1e-2 for adamw, else 0).
    #[arg(long)]
    pub(crate) weight_decay: Option<f64>,
    /// Seed of initialisation, shuffling and dropout.
    #[arg(long, default_value_t = defaults().seed)]
    pub(crate) seed: u64,
    /// flex (the default CPU backend), ndarray (or cpu), torch-cpu, cuda or cuda:N.
    #[arg(long, default_value_t = defaults().device, value_parser = device)]
    pub(crate) device: DeviceSpec,
}

impl ConfigArgs {
    /// The training config these flags describe (not yet validated: the library checks it
    /// where it is used).
    pub(crate) fn config(&self) -> TrainConfig {
        let mut config = TrainConfig::new(self.optimizer)
            .with_batch_size(self.batch_size)
            .with_accumulate(self.accumulate)
            .with_hidden(self.hidden.0.clone())
            .with_dropout(self.dropout)
            .with_input_dropout(self.input_dropout)
            .with_shuffle(!self.no_shuffle)
            .with_seed(self.seed)
            .with_device(self.device);
        config.lr = self.lr;
        config.weight_decay = self.weight_decay;
        config
    }
}

/// Where the data comes from.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataArgs {
    /// A dataset name (digits, wine, breast_cancer, iris, moons, spirals) or a CSV path.
    #[arg(long, default_value = "digits")]
    pub(crate) data: String,
    /// The class column of a CSV file.
    #[arg(long, default_value = "target")]
    pub(crate) target: String,
    /// Seed of the train/validation/test split.
    #[arg(long, default_value_t = SplitConfig::default().seed)]
    pub(crate) split_seed: u64,
    /// Remove repeated rows (equal features and class) before the split.
    #[arg(long)]
    pub(crate) dedupe: bool,
    /// Train a CSV target that looks like a quantity (a price, a count) as one class per
    /// value instead of refusing it.
    #[arg(long)]
    pub(crate) force_classes: bool,
}

impl DataArgs {
    /// Loads and splits the data.
    pub(crate) fn load(&self) -> Result<Splits> {
        self.dataset()?
            .split(&SplitConfig::default().with_seed(self.split_seed))
    }

    /// Loads the data, whole (deduplicated with `--dedupe`).
    pub(crate) fn dataset(&self) -> Result<Dataset> {
        let path = std::path::Path::new(&self.data);
        // A name with a folder or an extension is a file the user meant, not a dataset name.
        let looks_like_a_file = self.data.contains(['/', '\\']) || path.extension().is_some();
        let dataset = if self.data.ends_with(".csv")
            || path.is_file()
            || (looks_like_a_file && path.exists())
        {
            Dataset::from_csv_with(
                &self.data,
                &self.target,
                crate::data::CsvOptions {
                    force_classes: self.force_classes,
                },
            )?
        } else if looks_like_a_file {
            return Err(crate::error::Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file (--data takes a CSV file or one of the embedded datasets)",
                ),
            ));
        } else {
            data::load(&self.data)?
        };
        Ok(if self.dedupe {
            let (mut once, removed) = dataset.dedupe();
            once.notes.push(format!(
                "note: --dedupe removed {removed} repeated rows (equal features and class)"
            ));
            once
        } else {
            dataset
        })
    }
}
