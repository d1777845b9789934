//! How much memory training an MLP takes, and the largest batch that fits a budget.

use super::precision::{Layout, MIXED_PRECISION_NOTE, Precision};
use crate::error::{Error, Result, Valid};
use crate::fmt::write_table;
use crate::model::MlpConfig;
use crate::train::OptimizerKind;
use serde::Serialize;
use std::fmt;

/// Bytes per stored number in 32-bit floating point, the default training precision.
pub const F32_BYTES: usize = crate::model::F32_BYTES;

/// Values of optimizer state kept per parameter: Adam and AdamW keep two moments, SGD with
/// momentum and RMSprop one running average, plain SGD nothing.
pub const OPTIMIZER_STATE_SLOTS: [(OptimizerKind, usize); 5] = [
    (OptimizerKind::Adam, OptimizerKind::Adam.state_slots()),
    (OptimizerKind::AdamW, OptimizerKind::AdamW.state_slots()),
    (OptimizerKind::Sgd, OptimizerKind::Sgd.state_slots()),
    (
        OptimizerKind::SgdMomentum,
        OptimizerKind::SgdMomentum.state_slots(),
    ),
    (OptimizerKind::RmsProp, OptimizerKind::RmsProp.state_slots()),
];

/// Activations are kept twice: the forward values (needed by backward) and their gradients.
pub const ACTIVATION_COPIES: usize = crate::model::ACTIVATION_COPIES;

/// Values of state per parameter that `optimizer` keeps (see [`OPTIMIZER_STATE_SLOTS`]).
pub fn optimizer_slots(optimizer: OptimizerKind) -> usize {
    optimizer.state_slots()
}

/// Estimated training memory of an MLP, part by part (tensors only: the framework, the
/// dataset and temporary buffers come on top).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryEstimate {
    /// Layer widths from input to output.
    pub widths: Vec<usize>,
    /// Trainable parameters.
    pub n_params: usize,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Optimizer state values per parameter.
    pub optimizer_slots: usize,
    /// Samples per forward pass.
    pub batch: usize,
    /// Bytes per weight, gradient and activation (4 for f32, 2 for fp16).
    pub bytes_per_value: usize,
    /// Bytes per optimizer-state value (4 in f32 and in mixed precision).
    pub state_bytes_per_value: usize,
    /// Weights and biases.
    pub parameter_bytes: u64,
    /// The fp32 master copy of the weights that mixed precision keeps (0 otherwise).
    pub master_bytes: u64,
    /// One gradient per parameter.
    pub gradient_bytes: u64,
    /// The optimizer's per-parameter state.
    pub optimizer_bytes: u64,
    /// Every layer's values for the batch (input included), forward and backward:
    /// `sum(widths) * batch * 2` values.
    pub activation_bytes: u64,
    /// Everything above.
    pub total_bytes: u64,
}

impl MemoryEstimate {
    /// Bytes that do not depend on the batch (parameters, their master copy, gradients,
    /// optimizer state).
    pub fn fixed_bytes(&self) -> u64 {
        self.parameter_bytes
            .saturating_add(self.master_bytes)
            .saturating_add(self.gradient_bytes)
            .saturating_add(self.optimizer_bytes)
    }
}

/// Bytes that do not grow with the batch, and bytes per sample in the batch: the model's own
/// count, which the memory guard refuses training with.
fn cost(model: &MlpConfig, optimizer: OptimizerKind, layout: Layout) -> (u64, u64) {
    model.memory_cost(optimizer_slots(optimizer), layout)
}

/// Estimates the memory of training `model` with `optimizer` at `batch` samples per forward
/// pass, every value (weights, gradients, optimizer state, activations) stored in
/// `bytes_per_value` bytes ([`F32_BYTES`] for f32). For mixed precision, where the
/// optimizer state stays in fp32, see [`memory_estimate_in`].
pub fn memory_estimate(
    model: &MlpConfig,
    optimizer: OptimizerKind,
    batch: usize,
    bytes_per_value: usize,
) -> MemoryEstimate {
    estimate(model, optimizer, batch, Layout::uniform(bytes_per_value))
}

/// Estimates the memory of training `model` with `optimizer` at `batch` samples per forward
/// pass in `precision` (see [`Precision`]).
pub fn memory_estimate_in(
    model: &MlpConfig,
    optimizer: OptimizerKind,
    batch: usize,
    precision: Precision,
) -> MemoryEstimate {
    estimate(model, optimizer, batch, precision.layout())
}

fn estimate(
    model: &MlpConfig,
    optimizer: OptimizerKind,
    batch: usize,
    layout: Layout,
) -> MemoryEstimate {
    let n_params = model.num_params();
    let slots = optimizer_slots(optimizer);
    let params = n_params as u64;
    let param_bytes = params.saturating_mul(layout.value as u64);
    let master_bytes = params.saturating_mul(layout.master as u64);
    let optimizer_bytes = params.saturating_mul((slots * layout.state) as u64);
    let (_, per_sample) = cost(model, optimizer, layout);
    let activation_bytes = per_sample.saturating_mul(batch as u64);
    MemoryEstimate {
        widths: model.widths(),
        n_params,
        optimizer,
        optimizer_slots: slots,
        batch,
        bytes_per_value: layout.value,
        state_bytes_per_value: layout.state,
        parameter_bytes: param_bytes,
        master_bytes,
        gradient_bytes: param_bytes,
        optimizer_bytes,
        activation_bytes,
        total_bytes: param_bytes
            .saturating_mul(2)
            .saturating_add(master_bytes)
            .saturating_add(optimizer_bytes)
            .saturating_add(activation_bytes),
    }
}

/// The largest batch whose [`memory_estimate`] (in f32) fits in `budget_bytes`, or an error
/// naming the budget and the minimum needed when not even one sample fits.
pub fn largest_batch(
    model: &MlpConfig,
    optimizer: OptimizerKind,
    budget_bytes: u64,
) -> Result<usize> {
    largest_batch_in(model, optimizer, budget_bytes, Precision::F32)
}

/// The largest batch whose [`memory_estimate_in`] `precision` fits in `budget_bytes`, or an
/// error naming the budget and the minimum needed when not even one sample fits.
pub fn largest_batch_in(
    model: &MlpConfig,
    optimizer: OptimizerKind,
    budget_bytes: u64,
    precision: Precision,
) -> Result<usize> {
    model.validate()?;
    let (fixed, per_sample) = cost(model, optimizer, precision.layout());
    let minimum = fixed.saturating_add(per_sample);
    if budget_bytes < minimum || per_sample == 0 {
        return Err(Error::out_of_range(
            "budget",
            budget_bytes as f64,
            Valid::AtLeast(minimum.max(1) as f64),
            format!(
                "bytes; {} given, and training this {}-parameter model with {optimizer} in {} needs at least {} \
                 for batch 1: raise the budget, use a smaller model, or an optimizer with less state (sgd)",
                crate::fmt::bytes(budget_bytes),
                model.num_params(),
                precision.name(),
                crate::fmt::bytes(minimum)
            ),
        ));
    }
    let batch = (budget_bytes - fixed) / per_sample;
    Ok(usize::try_from(batch).unwrap_or(usize::MAX))
}

impl fmt::Display for MemoryEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths: Vec<String> = self.widths.iter().map(|w| w.to_string()).collect();
        let precision =
            if self.master_bytes > 0 || self.state_bytes_per_value != self.bytes_per_value {
                format!(
                    "mixed precision: {} bytes per value, {} per optimizer-state value",
                    self.bytes_per_value, self.state_bytes_per_value
                )
            } else {
                format!("{} bytes per value", self.bytes_per_value)
            };
        writeln!(
            f,
            "Memory for MLP {} ({} parameters), {}, batch {}, {precision}",
            widths.join("-"),
            self.n_params,
            self.optimizer,
            self.batch,
        )?;
        let row = |part: &str, bytes: u64, how: String| {
            vec![part.to_string(), crate::fmt::bytes(bytes), how]
        };
        let mut rows = vec![row(
            "parameters",
            self.parameter_bytes,
            format!("{} values", self.n_params),
        )];
        if self.master_bytes > 0 {
            rows.push(row(
                "master weights",
                self.master_bytes,
                "an fp32 copy of every parameter".into(),
            ));
        }
        rows.extend([
            row("gradients", self.gradient_bytes, "one per parameter".into()),
            row(
                "optimizer state",
                self.optimizer_bytes,
                format!("{} per parameter", self.optimizer_slots),
            ),
            row(
                "activations",
                self.activation_bytes,
                format!("sum(widths) x batch x {ACTIVATION_COPIES}"),
            ),
            row(
                "total",
                self.total_bytes,
                format!("{} bytes", self.total_bytes),
            ),
        ]);
        write_table(f, &["part", "size", "counted as"], &rows)?;
        if self.master_bytes > 0 {
            writeln!(f, "Note: {MIXED_PRECISION_NOTE}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn digits_mlp() -> MlpConfig {
        ModelConfig::default()
            .with_hidden(vec![128, 64])
            .for_data(64, 10)
    }

    #[test]
    fn memory_by_hand_for_a_small_mlp() {
        // 64*128+128 + 128*64+64 + 64*10+10 = 8320 + 8256 + 650
        let m = memory_estimate(&digits_mlp(), OptimizerKind::Adam, 64, F32_BYTES);
        assert_eq!(m.n_params, 17_226);
        assert_eq!(m.parameter_bytes, 68_904);
        assert_eq!(m.gradient_bytes, 68_904);
        assert_eq!(m.optimizer_bytes, 137_808);
        // (64 + 128 + 64 + 10) * 64 * 2 values * 4 bytes
        assert_eq!(m.activation_bytes, 136_192);
        assert_eq!(m.total_bytes, 411_808);
        assert_eq!(m.fixed_bytes(), 275_616);
        let sgd = memory_estimate(&digits_mlp(), OptimizerKind::Sgd, 64, 2);
        assert_eq!(sgd.optimizer_bytes, 0);
        assert_eq!(sgd.total_bytes, 17_226 * 2 * 2 + 266 * 64 * 2 * 2);
        let text = m.to_string();
        assert!(
            text.contains("64-128-64-10") && text.contains("411808 bytes"),
            "{text}"
        );
    }

    #[test]
    fn mixed_precision_halves_the_activations_but_not_the_memory_per_parameter() {
        let f32 = memory_estimate_in(&digits_mlp(), OptimizerKind::Adam, 64, Precision::F32);
        assert_eq!(
            f32,
            memory_estimate(&digits_mlp(), OptimizerKind::Adam, 64, F32_BYTES)
        );
        let m = memory_estimate_in(&digits_mlp(), OptimizerKind::Adam, 64, Precision::MixedF16);
        assert_eq!(m.parameter_bytes, 17_226 * 2);
        assert_eq!(m.master_bytes, 17_226 * 4);
        assert_eq!(m.gradient_bytes, 17_226 * 2);
        assert_eq!(m.optimizer_bytes, 17_226 * 2 * 4);
        assert_eq!(m.activation_bytes, f32.activation_bytes / 2);
        assert_eq!(
            m.fixed_bytes(),
            f32.fixed_bytes(),
            "16 bytes per parameter either way"
        );
        assert_eq!(m.total_bytes, 275_616 + 68_096);
        let text = m.to_string();
        assert!(
            text.contains("mixed precision: 2 bytes per value, 4 per optimizer-state value")
                && text.contains("master weights")
                && text.contains("stays in fp32"),
            "{text}"
        );
        assert!(!f32.to_string().contains("master"));
        let budget = 1024 * 1024;
        assert_eq!(
            largest_batch_in(&digits_mlp(), OptimizerKind::Adam, budget, Precision::F32).unwrap(),
            363
        );
        // (1048576 - 275616) / 1064 = 726.5
        assert_eq!(
            largest_batch_in(
                &digits_mlp(),
                OptimizerKind::Adam,
                budget,
                Precision::MixedF16
            )
            .unwrap(),
            726
        );
    }

    #[test]
    fn the_memory_guard_counts_what_the_estimate_counts() {
        let big = ModelConfig::default()
            .with_hidden(vec![65_536, 65_536])
            .for_data(64, 10);
        for model in [digits_mlp(), big] {
            for o in OptimizerKind::ALL {
                for batch in [1, 64, 1000] {
                    assert_eq!(
                        model.training_bytes(optimizer_slots(o), batch),
                        memory_estimate(&model, o, batch, F32_BYTES).total_bytes,
                        "{o} {batch}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_optimizer_has_its_slots() {
        let slots: Vec<usize> = OptimizerKind::ALL
            .iter()
            .map(|&o| optimizer_slots(o))
            .collect();
        assert_eq!(slots, vec![2, 2, 0, 1, 1]);
    }

    #[test]
    fn largest_batch_respects_the_budget() {
        let model = digits_mlp();
        let budget = 1_000_000;
        let b = largest_batch(&model, OptimizerKind::Adam, budget).unwrap();
        // (1_000_000 - 275_616) / 2128 = 340.4
        assert_eq!(b, 340);
        assert!(memory_estimate(&model, OptimizerKind::Adam, b, F32_BYTES).total_bytes <= budget);
        assert!(
            memory_estimate(&model, OptimizerKind::Adam, b + 1, F32_BYTES).total_bytes > budget
        );
        let exact = memory_estimate(&model, OptimizerKind::Adam, 1, F32_BYTES).total_bytes;
        assert_eq!(
            largest_batch(&model, OptimizerKind::Adam, exact).unwrap(),
            1
        );
    }

    #[test]
    fn largest_batch_errors_when_nothing_fits() {
        let model = digits_mlp();
        let minimum = memory_estimate(&model, OptimizerKind::Adam, 1, F32_BYTES).total_bytes;
        let err = largest_batch(&model, OptimizerKind::Adam, minimum - 1).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&minimum.to_string()), "{text}");
        assert!(text.contains(&(minimum - 1).to_string()), "{text}");
        assert!(largest_batch(&MlpConfig::new(0, 10), OptimizerKind::Adam, u64::MAX).is_err());
    }
}
