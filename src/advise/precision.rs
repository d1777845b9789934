//! The number formats training memory is counted in: f32, and mixed precision (fp16).

use super::memory::F32_BYTES;
use serde::Serialize;

/// Bytes per stored number in 16-bit floating point (fp16, half precision).
pub const F16_BYTES: usize = 2;

/// What mixed precision (fp16) changes, as [`super::MemoryEstimate`] counts it.
pub const MIXED_PRECISION_NOTE: &str = "mixed precision (fp16) halves the activations and the \
     working copies of the weights and gradients; the optimizer state (Adam's two moments) stays \
     in fp32 and an fp32 master copy of the weights is kept, so the memory per parameter does \
     not shrink (16 bytes with Adam either way): fp16 makes room for a larger batch, not a larger \
     model";

/// The number formats memory is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Every value in f32 ([`F32_BYTES`](super::F32_BYTES)), tunelab's training precision.
    F32,
    /// The usual mixed-precision recipe: weights, gradients and activations in fp16
    /// ([`F16_BYTES`]), an fp32 master copy of the weights and fp32 optimizer state (see
    /// [`MIXED_PRECISION_NOTE`]). PyTorch's autocast keeps fp32 weights and gradients and
    /// casts to fp16 per operation instead, which comes to about the same total.
    MixedF16,
}

impl Precision {
    /// The name: `f32` or `fp16`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::MixedF16 => "fp16",
        }
    }

    /// The bytes of each kind of value in this precision.
    pub(super) fn layout(self) -> Layout {
        match self {
            Precision::F32 => Layout::uniform(F32_BYTES),
            Precision::MixedF16 => Layout {
                value: F16_BYTES,
                master: F32_BYTES,
                state: F32_BYTES,
            },
        }
    }
}

/// Bytes per weight, gradient and activation (`value`), per parameter for an fp32 master
/// copy of the weights (`master`, 0 for none) and per optimizer-state value (`state`): the
/// model's memory formula takes them as they are.
pub(super) use crate::model::ValueBytes as Layout;

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
