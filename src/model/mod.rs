//! The model: a multi-layer perceptron whose knobs are a [`ModelConfig`], sized for the data
//! by an [`MlpConfig`] and built as a burn [`Module`](burn::module::Module).

mod activation;
mod config;
mod memory_guard;
mod mlp;

pub use activation::Activation;
pub(crate) use config::hidden_label;
pub use config::{MlpConfig, ModelConfig};
pub(crate) use memory_guard::{ACTIVATION_COPIES, F32_BYTES, ValueBytes};
pub use memory_guard::{FALLBACK_AVAILABLE_BYTES, available_memory};
pub use mlp::Mlp;
#[cfg(feature = "flex")]
pub(crate) use mlp::dropout_mask;
