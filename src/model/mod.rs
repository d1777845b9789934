//! The model: a multi-layer perceptron, configured by [`MlpConfig`] and built as a burn
//! [`Module`](burn::module::Module).

mod mlp;

pub use mlp::{Activation, Mlp, MlpConfig, hidden_label};
