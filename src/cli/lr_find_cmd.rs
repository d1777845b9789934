//! `tunelab lr-find`.

use super::args::{self, DataArgs};
use crate::error::Result;
use crate::lr_finder::{LrFinderConfig, lr_find};
use crate::train::{DeviceSpec, OptimizerKind, TrainConfig};
use clap::Args;

/// Flags of `tunelab lr-find`.
#[derive(Debug, Clone, Args)]
pub struct LrFindArgs {
    #[command(flatten)]
    data: DataArgs,
    /// adam, adamw, sgd, sgd-momentum or rmsprop.
    #[arg(long, default_value = "adam", value_parser = super::train_cmd::parse_optimizer)]
    optimizer: OptimizerKind,
    /// Hidden layer widths, e.g. 128,64 ('linear' for none).
    #[arg(long, default_value = "128,64", value_parser = args::hidden)]
    hidden: ::std::vec::Vec<usize>,
    /// Samples per forward pass.
    #[arg(long, default_value_t = 64, value_parser = args::positive_usize)]
    batch_size: usize,
    /// Micro-batches per optimizer step.
    #[arg(long, default_value_t = 1, value_parser = args::positive_usize)]
    accumulate: usize,
    /// Dropout probability in [0, 1).
    #[arg(long, default_value_t = 0.0, value_parser = args::probability)]
    dropout: f64,
    /// Weight decay (default: 1e-2 for adamw, else 0).
    #[arg(long, value_parser = args::non_negative_f64)]
    weight_decay: Option<f64>,
    /// First LR of the sweep.
    #[arg(long, default_value_t = 1e-7, value_parser = args::positive_f64)]
    start_lr: f64,
    /// Last LR of the sweep.
    #[arg(long, default_value_t = 10.0, value_parser = args::positive_f64)]
    end_lr: f64,
    /// Steps of the sweep.
    #[arg(long, default_value_t = 100, value_parser = args::positive_usize)]
    steps: usize,
    /// Repeat over this many seeds and report the spread of each suggestion.
    #[arg(long, default_value_t = 1, value_parser = args::positive_usize)]
    seeds: usize,
    /// Seed of initialisation and batch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, flex, torch-cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = super::train_cmd::parse_device)]
    device: DeviceSpec,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: LrFindArgs) -> Result<()> {
    let mut config = TrainConfig::new(args.optimizer)
        .with_hidden(args.hidden.clone())
        .with_batch_size(args.batch_size)
        .with_accumulate(args.accumulate)
        .with_dropout(args.dropout)
        .with_seed(args.seed)
        .with_device(args.device);
    config.weight_decay = args.weight_decay;
    let finder = LrFinderConfig {
        start_lr: args.start_lr,
        end_lr: args.end_lr,
        steps: args.steps,
        seeds: args.seeds,
        ..LrFinderConfig::default()
    };
    finder.validate()?;
    config.validate()?;
    let splits = args.data.load()?;
    if !args.json {
        eprintln!("{splits}");
        eprintln!(
            "sweeping {} learning rates over {} seed(s)...",
            finder.steps, finder.seeds
        );
    }
    let result = lr_find(&splits, &config, &finder)?;
    if args.json {
        let suggestions: serde_json::Map<String, serde_json::Value> = result
            .suggestions
            .iter()
            .map(|s| (s.name.clone(), serde_json::json!(s.lr)))
            .collect();
        let value = serde_json::json!({
            "lrs": result.lrs,
            "losses": result.losses,
            "smoothed": result.smoothed,
            "suggestions": suggestions,
            "reasons": result.suggestions.iter().map(|s| (s.name.clone(), serde_json::json!(s.reason))).collect::<serde_json::Map<_, _>>(),
            "recommended": result.recommended(),
            "recommended_name": result.recommendation.name,
            "reason": result.recommendation.reason,
            "stopped_early": result.stopped_early,
            "seconds": result.seconds,
            "repeats": result.repeats,
        });
        println!("{value}");
    } else {
        println!("{result}");
    }
    Ok(())
}
