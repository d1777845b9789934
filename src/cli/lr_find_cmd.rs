//! `tunelab lr-find`.

use super::args::{ConfigArgs, DataArgs};
use crate::error::Result;
use crate::lr_finder::{LrFinderConfig, lr_find};
use clap::Args;

/// Flags of `tunelab lr-find`.
#[derive(Debug, Clone, Args)]
pub(crate) struct LrFindArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    config: ConfigArgs,
    /// First LR of the sweep.
    #[arg(long, default_value_t = LrFinderConfig::default().start_lr)]
    start_lr: f64,
    /// Last LR of the sweep.
    #[arg(long, default_value_t = LrFinderConfig::default().end_lr)]
    end_lr: f64,
    /// Steps of the sweep: the fewest; a larger table's sweep takes one epoch of steps, up to
    /// 1000.
    #[arg(long, default_value_t = LrFinderConfig::default().steps)]
    steps: usize,
    /// Repeat over this many seeds and report the spread of each suggestion.
    #[arg(long, default_value_t = LrFinderConfig::default().seeds)]
    seeds: usize,
    /// Seeds of each LR of the full check (0: the curve alone, no check; the successive
    /// halving, the default check, trains one seed).
    #[arg(long, default_value_t = LrFinderConfig::default().check_seeds)]
    check_seeds: usize,
    /// Check by training every LR of the window to the full budget over several seeds (40-80
    /// runs) instead of by successive halving (about 4 runs).
    #[arg(long)]
    full_check: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: LrFindArgs) -> Result<()> {
    let config = args.config.config();
    let finder = LrFinderConfig {
        start_lr: args.start_lr,
        end_lr: args.end_lr,
        steps: args.steps,
        seeds: args.seeds,
        check_seeds: args.check_seeds,
        full_check: args.full_check,
        ..LrFinderConfig::default()
    };
    let splits = args.data.load()?;
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
            "check": result.check,
            "cost": result.cost(),
        });
        crate::out::outln!("{value}");
    } else {
        crate::out::outln!("{splits}");
        crate::out::outln!("{result}");
    }
    Ok(())
}
