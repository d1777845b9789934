//! The non-linearity between hidden layers.

use crate::error::{Error, Result};
use burn::tensor::{Tensor, activation};
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

    pub(super) fn apply(self, x: Tensor<2>) -> Tensor<2> {
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
            _ => Err(Error::unknown(
                "activation",
                s,
                "relu, tanh, gelu, leaky_relu or sigmoid",
            )),
        }
    }
}
