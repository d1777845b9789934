//! A multi-layer perceptron with a chosen activation and dropout.

use crate::error::{Error, Result};
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData, activation};
use serde::{Deserialize, Serialize};

/// The non-linearity between hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x): the default, and the guide's first choice.
    #[default]
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// Gaussian error linear unit.
    Gelu,
    /// Leaky ReLU with slope 0.01 for negative inputs.
    LeakyRelu,
    /// Logistic sigmoid (saturates: a demonstration of slow training).
    Sigmoid,
}

impl Activation {
    /// The lower-case name used in configs and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Gelu => "gelu",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Sigmoid => "sigmoid",
        }
    }

    fn apply(self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Relu => activation::relu(x),
            Activation::Tanh => activation::tanh(x),
            Activation::Gelu => activation::gelu(x),
            Activation::LeakyRelu => activation::leaky_relu(x, 0.01),
            Activation::Sigmoid => activation::sigmoid(x),
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "gelu" => Ok(Activation::Gelu),
            "leaky_relu" => Ok(Activation::LeakyRelu),
            "sigmoid" => Ok(Activation::Sigmoid),
            _ => Err(Error::invalid(
                "activation",
                s,
                "use relu, tanh, gelu, leaky_relu or sigmoid",
            )),
        }
    }
}

/// Shape of an MLP. An empty `hidden` list is a linear (softmax regression) model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Number of input features.
    pub input: usize,
    /// Width of each hidden layer, input side first (default `[128, 64]`).
    pub hidden: Vec<usize>,
    /// Number of classes.
    pub output: usize,
    /// Non-linearity (default ReLU).
    pub activation: Activation,
    /// Dropout probability after each hidden activation, in [0, 1) (default 0).
    pub dropout: f64,
}

impl MlpConfig {
    /// An MLP with hidden layers `[128, 64]`, ReLU and no dropout.
    pub fn new(input: usize, output: usize) -> Self {
        MlpConfig {
            input,
            hidden: vec![128, 64],
            output,
            activation: Activation::Relu,
            dropout: 0.0,
        }
    }

    /// Sets the hidden layer widths.
    pub fn with_hidden(mut self, hidden: impl Into<Vec<usize>>) -> Self {
        self.hidden = hidden.into();
        self
    }

    /// Sets the activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the dropout probability.
    pub fn with_dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }

    /// The hidden sizes as text, like `128-64` (`linear` when there are none).
    pub fn hidden_label(&self) -> String {
        hidden_label(&self.hidden)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if self.input == 0 {
            return Err(Error::invalid(
                "input",
                0,
                "the model needs at least one input feature",
            ));
        }
        if self.output < 2 {
            return Err(Error::invalid(
                "output",
                self.output,
                "classification needs at least 2 classes",
            ));
        }
        if let Some(w) = self.hidden.iter().find(|&&w| w == 0 || w > 65_536) {
            return Err(Error::invalid(
                "hidden",
                w,
                "each hidden width must be between 1 and 65536",
            ));
        }
        if self.hidden.len() > 32 {
            return Err(Error::invalid(
                "hidden",
                self.hidden.len(),
                "at most 32 hidden layers",
            ));
        }
        if !(self.dropout.is_finite() && (0.0..1.0).contains(&self.dropout)) {
            return Err(Error::invalid(
                "dropout",
                self.dropout,
                "must be in [0, 1): 0 turns dropout off, 0.1-0.5 is the usual range",
            ));
        }
        Ok(())
    }

    /// Number of trainable parameters (weights and biases).
    pub fn num_params(&self) -> usize {
        self.widths().windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Layer widths from input to output.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.input];
        w.extend_from_slice(&self.hidden);
        w.push(self.output);
        w
    }

    /// Builds the model on `device` with weights drawn from a seeded generator, using
    /// PyTorch's default scheme for `nn.Linear`: weights and biases uniform in
    /// ±1/sqrt(fan_in).
    pub fn init(&self, device: &Device, seed: u64) -> Result<Mlp> {
        self.validate()?;
        let mut rng = Rng::derive(seed, 0x696e6974);
        let layers = self
            .widths()
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let bound = 1.0 / (fan_in as f64).sqrt();
                let weight: Vec<f32> = (0..fan_in * fan_out)
                    .map(|_| rng.uniform_range(-bound, bound) as f32)
                    .collect();
                let bias: Vec<f32> = (0..fan_out)
                    .map(|_| rng.uniform_range(-bound, bound) as f32)
                    .collect();
                Linear {
                    weight: Param::from_data(TensorData::new(weight, [fan_in, fan_out]), device),
                    bias: Some(Param::from_data(TensorData::new(bias, [fan_out]), device)),
                }
            })
            .collect();
        Ok(Mlp {
            layers,
            activation: self.activation,
            dropout: self.dropout,
        })
    }
}

/// Hidden sizes as text: `128-64`, or `linear` for none.
pub fn hidden_label(hidden: &[usize]) -> String {
    if hidden.is_empty() {
        "linear".to_string()
    } else {
        hidden
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// A multi-layer perceptron: linear layers with an activation (and dropout while training)
/// between them. Outputs logits.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The linear layers, input side first.
    pub layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    dropout: f64,
}

impl Mlp {
    /// Logits for a batch `[n, input]`, without dropout (evaluation).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_inner(x, None)
    }

    /// Logits for a training batch: dropout masks are drawn from `rng`, so training stays
    /// reproducible even when several models train in parallel threads.
    pub fn forward_train(&self, x: Tensor<2>, rng: &mut Rng) -> Tensor<2> {
        if self.dropout > 0.0 {
            self.forward_inner(x, Some(rng))
        } else {
            self.forward_inner(x, None)
        }
    }

    fn forward_inner(&self, mut x: Tensor<2>, mut rng: Option<&mut Rng>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = self.activation.apply(x);
                if let Some(rng) = rng.as_deref_mut() {
                    x = self.apply_dropout(x, rng);
                }
            }
        }
        x
    }

    fn apply_dropout(&self, x: Tensor<2>, rng: &mut Rng) -> Tensor<2> {
        let [n, d] = x.dims();
        let keep = 1.0 - self.dropout;
        let scale = (1.0 / keep) as f32;
        let mask: Vec<f32> = (0..n * d)
            .map(|_| if rng.uniform() < keep { scale } else { 0.0 })
            .collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [n, d]), &x.device());
        x * mask
    }

    /// A model without layers, used as a stand-in while a model is moved.
    pub(crate) fn empty() -> Mlp {
        Mlp {
            layers: Vec::new(),
            activation: Activation::Relu,
            dropout: 0.0,
        }
    }

    /// The dropout probability.
    pub fn dropout(&self) -> f64 {
        self.dropout
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

/// Reads a tensor back to the host as `f32`.
pub(crate) fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("reading a tensor back: {e:?}")))
}
