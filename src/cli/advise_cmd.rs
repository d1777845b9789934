//! `tunelab advise`: the tuning guide's rules of thumb from the command line.

use super::args;
use crate::advise::{
    F32_BYTES, accumulation_plan, batch_size_for, largest_batch, memory_estimate,
    regularization_advice, scale_lr,
};
use crate::error::Result;
use crate::model::ModelConfig;
use crate::train::{OptimizerKind, TrainConfig};
use clap::{Args, Subcommand};
use serde_json::json;

/// Flags of `tunelab advise`.
#[derive(Debug, Clone, Args)]
pub(crate) struct AdviseArgs {
    /// Which advice.
    #[command(subcommand)]
    pub(crate) topic: AdviseTopic,
    /// Print one JSON object instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// The topics of `tunelab advise`.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum AdviseTopic {
    /// Batch size for a dataset size; with --lr, the learning rate for a new batch size.
    Batch(BatchArgs),
    /// Training memory of an MLP; the largest batch for a budget; gradient accumulation.
    Memory(MemoryArgs),
    /// Dropout and weight decay from the final training and validation losses.
    Regularization(RegularizationArgs),
}

/// Flags of `tunelab advise batch`.
#[derive(Debug, Clone, Args)]
pub(crate) struct BatchArgs {
    /// Training samples in the dataset.
    #[arg(long, value_parser = args::positive_usize)]
    pub(crate) n_samples: usize,
    /// A learning rate tuned at --from-batch, to scale to --to-batch.
    #[arg(long, value_parser = args::positive_f64)]
    pub(crate) lr: Option<f64>,
    /// The batch the learning rate was tuned at.
    #[arg(long, default_value_t = 64, requires = "lr", value_parser = args::positive_usize)]
    pub(crate) from_batch: usize,
    /// The new batch (default: the suggested batch for --n-samples).
    #[arg(long, requires = "lr", value_parser = args::positive_usize)]
    pub(crate) to_batch: Option<usize>,
}

/// Flags of `tunelab advise memory`.
#[derive(Debug, Clone, Args)]
pub(crate) struct MemoryArgs {
    /// Hidden layer widths, e.g. 128,64 ('linear' for none).
    #[arg(long, default_value_t = args::Hidden(ModelConfig::default().hidden), value_parser = args::hidden)]
    pub(crate) hidden: args::Hidden,
    /// Input features.
    #[arg(long, default_value_t = 64, value_parser = args::positive_usize)]
    pub(crate) input: usize,
    /// Classes (outputs).
    #[arg(long, default_value_t = 10, value_parser = args::positive_usize)]
    pub(crate) classes: usize,
    /// adam, adamw, sgd, sgd-momentum or rmsprop.
    #[arg(long, default_value_t = TrainConfig::default().optimizer, value_parser = args::optimizer)]
    pub(crate) optimizer: OptimizerKind,
    /// Samples per forward pass.
    #[arg(long, default_value_t = TrainConfig::default().batch_size, value_parser = args::positive_usize)]
    pub(crate) batch: usize,
    /// Memory budget in MiB: prints the largest batch that fits.
    #[arg(long, value_parser = args::positive_f64)]
    pub(crate) budget_mb: Option<f64>,
    /// Effective batch wanted: prints a gradient-accumulation plan with micro-batches that
    /// fit the budget (or --batch without a budget).
    #[arg(long, value_parser = args::positive_usize)]
    pub(crate) target_batch: Option<usize>,
}

/// Flags of `tunelab advise regularization`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegularizationArgs {
    /// Final training loss.
    #[arg(long, value_parser = args::non_negative_f64)]
    pub(crate) train_loss: f64,
    /// Final validation loss.
    #[arg(long, value_parser = args::non_negative_f64)]
    pub(crate) val_loss: f64,
}

const MIB: f64 = 1024.0 * 1024.0;

pub(super) fn run(args: AdviseArgs) -> Result<()> {
    print!("{}", render(&args)?);
    Ok(())
}

/// The text (or JSON) that `tunelab advise` prints.
fn render(args: &AdviseArgs) -> Result<String> {
    let (text, value) = match &args.topic {
        AdviseTopic::Batch(b) => batch(b)?,
        AdviseTopic::Memory(m) => memory(m)?,
        AdviseTopic::Regularization(r) => {
            let advice = regularization_advice(r.train_loss, r.val_loss)?;
            (advice.to_string(), json!(advice))
        }
    };
    Ok(if args.json {
        format!("{value}\n")
    } else {
        text
    })
}

fn batch(b: &BatchArgs) -> Result<(String, serde_json::Value)> {
    let advice = batch_size_for(b.n_samples)?;
    let mut text = advice.to_string();
    let scaling = match b.lr {
        Some(lr) => {
            let scaling = scale_lr(lr, b.from_batch, b.to_batch.unwrap_or(advice.suggested))?;
            text.push('\n');
            text.push_str(&scaling.to_string());
            Some(scaling)
        }
        None => None,
    };
    Ok((text, json!({ "batch": advice, "lr_scaling": scaling })))
}

fn memory(m: &MemoryArgs) -> Result<(String, serde_json::Value)> {
    let model = ModelConfig::default()
        .with_hidden(m.hidden.0.clone())
        .for_data(m.input, m.classes);
    model.validate()?;
    let estimate = memory_estimate(&model, m.optimizer, m.batch, F32_BYTES);
    let mut text = estimate.to_string();
    let budget_bytes = m.budget_mb.map(|mb| (mb * MIB) as u64);
    let largest = match budget_bytes {
        Some(budget) => {
            let largest = largest_batch(&model, m.optimizer, budget)?;
            text.push_str(&format!(
                "Largest batch within {} MiB: {largest}\n",
                m.budget_mb.unwrap_or_default()
            ));
            Some(largest)
        }
        None => None,
    };
    let plan = match m.target_batch {
        Some(target) => {
            let plan = accumulation_plan(target, largest.unwrap_or(m.batch))?;
            text.push('\n');
            text.push_str(&plan.to_string());
            Some(plan)
        }
        None => None,
    };
    let value = json!({
        "memory": estimate,
        "budget_bytes": budget_bytes,
        "largest_batch": largest,
        "accumulation": plan,
    });
    Ok((text, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(subcommand)]
        command: TestCommand,
    }

    #[derive(Debug, clap::Subcommand)]
    enum TestCommand {
        Advise(AdviseArgs),
    }

    fn output(line: &str) -> Result<String> {
        let words = std::iter::once("tunelab").chain(line.split_whitespace());
        let TestCommand::Advise(args) = TestCli::try_parse_from(words).unwrap().command;
        render(&args)
    }

    #[test]
    fn batch_prints_the_range_and_scaled_rates() {
        let text = output("advise batch --n-samples 1078").unwrap();
        assert!(text.contains("32-64"), "{text}");
        let text = output("advise batch --n-samples 5000 --lr 1e-3 --from-batch 32 --to-batch 128")
            .unwrap();
        assert!(text.contains("2e-3") && text.contains("4e-3"), "{text}");
        let json: serde_json::Value =
            serde_json::from_str(&output("advise batch --n-samples 500 --lr 1e-3 --json").unwrap())
                .unwrap();
        assert_eq!(json["batch"]["suggested"], 16);
        assert_eq!(json["lr_scaling"]["new_batch"], 16);
        assert!(
            TestCli::try_parse_from(["tunelab", "advise", "batch", "--n-samples", "0"]).is_err()
        );
        assert!(
            TestCli::try_parse_from([
                "tunelab",
                "advise",
                "batch",
                "--n-samples",
                "9",
                "--to-batch",
                "8"
            ])
            .is_err()
        );
    }

    #[test]
    fn memory_prints_estimate_budget_and_plan() {
        let text =
            output("advise memory --hidden 128,64 --budget-mb 1 --target-batch 1000").unwrap();
        assert!(text.contains("17226 parameters"), "{text}");
        assert!(text.contains("Largest batch within 1 MiB: 363"), "{text}");
        assert!(text.contains("Gradient accumulation"), "{text}");
        let json: serde_json::Value = serde_json::from_str(
            &output("advise memory --hidden 64 --optimizer sgd --batch 32 --json").unwrap(),
        )
        .unwrap();
        assert_eq!(json["memory"]["optimizer_bytes"], 0);
        assert_eq!(json["memory"]["n_params"], 64 * 64 + 64 + 64 * 10 + 10);
        assert!(json["largest_batch"].is_null());
        let err = output("advise memory --hidden 128,64 --budget-mb 0.01").unwrap_err();
        assert!(err.to_string().contains("budget"), "{err}");
    }

    #[test]
    fn regularization_prints_the_level() {
        let text = output("advise regularization --train-loss 0.1 --val-loss 0.5").unwrap();
        assert!(text.contains("strong"), "{text}");
        let json: serde_json::Value = serde_json::from_str(
            &output("advise regularization --train-loss 1 --val-loss 1.2 --json").unwrap(),
        )
        .unwrap();
        assert_eq!(json["level"], "mild");
    }
}
