//! `tunelab advise`: the tuning guide's rules of thumb from the command line.

use super::args;
use crate::advise::{
    Precision, accumulation_plan, architecture_advice, batch_size_for, memory_estimate_in,
    memory_fit, regularization_advice, scale_lr,
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
    /// Training memory of an MLP in f32 or fp16; whether a batch fits a budget and what to do
    /// when it does not; gradient accumulation.
    Memory(MemoryArgs),
    /// Dropout and weight decay from the final training and validation losses.
    Regularization(RegularizationArgs),
    /// How many hidden layers and neurons to start with, and when to grow.
    Architecture(ArchitectureArgs),
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
    /// Count in mixed precision: weights, gradients and activations in fp16 (2 bytes), the
    /// optimizer state and a master copy of the weights in fp32.
    #[arg(long)]
    pub(crate) fp16: bool,
}

/// Flags of `tunelab advise architecture`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ArchitectureArgs {
    /// Training samples in the dataset.
    #[arg(long, value_parser = args::positive_usize)]
    pub(crate) n_samples: usize,
    /// Input features.
    #[arg(long, default_value_t = 64, value_parser = args::positive_usize)]
    pub(crate) input: usize,
    /// Classes (outputs).
    #[arg(long, default_value_t = 10, value_parser = args::positive_usize)]
    pub(crate) classes: usize,
    /// The current model underfits (both losses high): advise one band deeper and wider.
    #[arg(long)]
    pub(crate) underfitting: bool,
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
    crate::out::out!("{}", render(&args)?);
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
        AdviseTopic::Architecture(a) => {
            let advice = architecture_advice(a.n_samples, a.input, a.classes, a.underfitting)?;
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
    let precision = if m.fp16 {
        Precision::MixedF16
    } else {
        Precision::F32
    };
    let estimate = memory_estimate_in(&model, m.optimizer, m.batch, precision);
    let mut text = estimate.to_string();
    let budget_bytes = m.budget_mb.map(|mb| (mb * MIB) as u64);
    let fit = match budget_bytes {
        Some(budget) => {
            let fit = memory_fit(&model, m.optimizer, m.batch, budget, precision)?;
            text.push_str(&format!(
                "Largest batch within {} MiB: {}\n",
                m.budget_mb.unwrap_or_default(),
                fit.largest_batch
            ));
            text.push_str(&fit.to_string());
            Some(fit)
        }
        None => None,
    };
    let largest = fit.as_ref().map(|f| f.largest_batch);
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
        "precision": precision,
        "memory": estimate,
        "budget_bytes": budget_bytes,
        "largest_batch": largest,
        "fit": fit,
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
    fn memory_offers_fp16_when_the_batch_fits_only_in_fp16() {
        let f32 = output("advise memory --hidden 128,64 --batch 500 --budget-mb 1").unwrap();
        assert!(
            f32.contains("Batch 500 in f32 does not fit in 1.0 MiB"),
            "{f32}"
        );
        assert!(
            f32.contains("3. use mixed precision (fp16): batch 500 then fits"),
            "{f32}"
        );
        let fp16 =
            output("advise memory --hidden 128,64 --batch 500 --budget-mb 1 --fp16").unwrap();
        assert!(fp16.contains("Largest batch within 1 MiB: 726"), "{fp16}");
        assert!(fp16.contains("Batch 500 in fp16 fits in 1.0 MiB"), "{fp16}");
        assert!(
            fp16.contains("master weights") && fp16.contains("stays in fp32"),
            "{fp16}"
        );
        let json: serde_json::Value = serde_json::from_str(
            &output("advise memory --hidden 128,64 --batch 64 --fp16 --json").unwrap(),
        )
        .unwrap();
        assert_eq!(json["precision"], "mixed_f16");
        assert_eq!(json["memory"]["bytes_per_value"], 2);
        assert_eq!(json["memory"]["state_bytes_per_value"], 4);
        assert_eq!(json["memory"]["parameter_bytes"], 17_226 * 2);
        let fits: serde_json::Value = serde_json::from_str(
            &output("advise memory --hidden 128,64 --batch 500 --budget-mb 1 --json").unwrap(),
        )
        .unwrap();
        assert_eq!(fits["fit"]["fits"], false);
        assert_eq!(fits["fit"]["fp16_largest_batch"], 726);
    }

    #[test]
    fn architecture_prints_the_bands_and_the_start() {
        let text = output("advise architecture --n-samples 1078").unwrap();
        assert!(
            text.contains("1-2 hidden layers") && text.contains("32-64 neurons"),
            "{text}"
        );
        assert!(text.contains("start with  64 ("), "{text}");
        let json: serde_json::Value = serde_json::from_str(
            &output("advise architecture --n-samples 1078 --underfitting --json").unwrap(),
        )
        .unwrap();
        assert_eq!(json["depth"]["min"], 3);
        assert_eq!(json["start"]["hidden"], serde_json::json!([128, 64, 32]));
        assert!(
            TestCli::try_parse_from(["tunelab", "advise", "architecture", "--n-samples", "0"])
                .is_err()
        );
    }

    #[test]
    fn regularization_prints_the_level() {
        let text = output("advise regularization --train-loss 0.1 --val-loss 0.5").unwrap();
        assert!(text.contains("Overfitting: moderate"), "{text}");
        assert!(text.contains("0.3-0.4"), "{text}");
        let text = output("advise regularization --train-loss 0.05 --val-loss 0.6").unwrap();
        assert!(
            text.contains("Overfitting: severe") && text.contains("1e-3-0.01"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(
            &output("advise regularization --train-loss 0.1 --val-loss 0.35 --json").unwrap(),
        )
        .unwrap();
        assert_eq!(json["level"], "mild");
        let json: serde_json::Value = serde_json::from_str(
            &output("advise regularization --train-loss 1 --val-loss 2 --json").unwrap(),
        )
        .unwrap();
        assert_eq!(json["level"], "none", "2x is below the diagnosis's 3x");
    }
}
