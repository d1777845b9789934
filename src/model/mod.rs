//! The model: a multi-layer perceptron whose knobs are a [`ModelConfig`], sized for the data
//! by an [`MlpConfig`] and built as a burn [`Module`](burn::module::Module).

mod activation;
mod config;
mod mlp;

pub use activation::Activation;
pub(crate) use config::hidden_label;
pub use config::{MlpConfig, ModelConfig};
pub use mlp::Mlp;
