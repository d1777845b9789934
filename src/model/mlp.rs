//! A multi-layer perceptron with a chosen activation and dropout, as a burn module.

use super::Activation;
use crate::error::{Error, Result};
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};

/// A multi-layer perceptron: linear layers with an activation between them. While training,
/// input dropout is applied to the features and hidden dropout after each hidden layer that
/// feeds another hidden layer, never on the layer that feeds the output (the guide's rule).
/// Outputs logits.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The linear layers, input side first.
    pub layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    dropout: f64,
    #[module(skip)]
    input_dropout: f64,
}

impl Mlp {
    pub(super) fn from_layers(
        layers: Vec<Linear>,
        activation: Activation,
        dropout: f64,
        input_dropout: f64,
    ) -> Mlp {
        Mlp {
            layers,
            activation,
            dropout,
            input_dropout,
        }
    }

    /// Logits for a batch `[n, input]`, without dropout (evaluation).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_inner(x, None)
    }

    /// Logits for a training batch: dropout masks are drawn from `rng`, so training stays
    /// reproducible even when several models train in parallel threads.
    pub(crate) fn forward_train(&self, x: Tensor<2>, rng: &mut Rng) -> Tensor<2> {
        if self.dropout > 0.0 || self.input_dropout > 0.0 {
            self.forward_inner(x, Some(rng))
        } else {
            self.forward_inner(x, None)
        }
    }

    fn forward_inner(&self, mut x: Tensor<2>, mut rng: Option<&mut Rng>) -> Tensor<2> {
        if let Some(rng) = rng.as_deref_mut()
            && self.input_dropout > 0.0
        {
            x = apply_dropout(x, self.input_dropout, rng);
        }
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = self.activation.apply(x);
                // Hidden dropout between hidden layers only: layer `i + 1` is the output layer
                // when `i + 1 == last`, and nothing is dropped right before it.
                if let Some(rng) = rng.as_deref_mut()
                    && self.dropout > 0.0
                    && i + 1 < last
                {
                    x = apply_dropout(x, self.dropout, rng);
                }
            }
        }
        x
    }

    /// A model without layers, used as a stand-in while a model is moved.
    pub(crate) fn empty() -> Mlp {
        Mlp {
            layers: Vec::new(),
            activation: Activation::Relu,
            dropout: 0.0,
            input_dropout: 0.0,
        }
    }

    /// The hidden dropout probability (between hidden layers).
    pub fn dropout(&self) -> f64 {
        self.dropout
    }

    /// The input dropout probability (on the features).
    pub fn input_dropout(&self) -> f64 {
        self.input_dropout
    }

    /// The activation between the layers.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// All weights and biases flattened into one vector (for comparisons in tests and
    /// notebooks).
    pub fn flat_params(&self) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        for layer in &self.layers {
            out.extend(read_f32(layer.weight.val())?);
            if let Some(b) = &layer.bias {
                out.extend(read_f32(b.val())?);
            }
        }
        Ok(out)
    }
}

/// Zeroes each value with probability `p` (a mask drawn from `rng`) and scales the rest by
/// 1 / (1 - p), so the expected activation is unchanged.
fn apply_dropout(x: Tensor<2>, p: f64, rng: &mut Rng) -> Tensor<2> {
    let [n, d] = x.dims();
    let mask = dropout_mask(n, d, p, rng);
    let mask = Tensor::<2>::from_data(TensorData::new(mask, [n, d]), &x.device());
    x * mask
}

/// The dropout mask of an `[n, d]` activation, row by row: each value is 0 with probability
/// `p` (one draw from `rng` per value) and 1 / (1 - p) otherwise.
pub(crate) fn dropout_mask(n: usize, d: usize, p: f64, rng: &mut Rng) -> Vec<f32> {
    let keep = 1.0 - p;
    let scale = (1.0 / keep) as f32;
    (0..n * d)
        .map(|_| if rng.uniform() < keep { scale } else { 0.0 })
        .collect()
}

/// Reads a tensor back to the host as `f32`.
pub(crate) fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("reading a tensor back: {e:?}")))
}
