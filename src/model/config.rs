//! The model's settings: [`ModelConfig`] holds the knobs a user tunes (written once, and
//! held by [`TrainConfig`](crate::train::TrainConfig)); [`MlpConfig`] adds the data's input
//! and output sizes.

use super::Activation;
use super::mlp::Mlp;
use crate::error::{Error, Result, Valid};
use crate::rng::Rng;
use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, TensorData};
use serde::{Deserialize, Serialize};

/// The model's knobs, independent of the data: hidden widths, activation, hidden dropout and
/// input dropout. Defaults: hidden layers `[128, 64]`, ReLU, no dropout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Width of each hidden layer, input side first; empty for a linear (softmax regression)
    /// model.
    pub hidden: Vec<usize>,
    /// Non-linearity between layers.
    pub activation: Activation,
    /// Hidden dropout: the probability of dropping a unit after each hidden layer that feeds
    /// another hidden layer, in [0, 1). Never applied to the last hidden layer (the one that
    /// feeds the output), so it needs at least two hidden layers. The guide: 0.3-0.5.
    pub dropout: f64,
    /// Input dropout: the probability of dropping an input feature, in [0, 1). The guide:
    /// 0.1-0.2, lower than for hidden layers.
    #[serde(default)]
    pub input_dropout: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            hidden: vec![128, 64],
            activation: Activation::Relu,
            dropout: 0.0,
            input_dropout: 0.0,
        }
    }
}

impl ModelConfig {
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

    /// Sets the hidden dropout probability (between hidden layers).
    pub fn with_dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }

    /// Sets the input dropout probability (on the features).
    pub fn with_input_dropout(mut self, input_dropout: f64) -> Self {
        self.input_dropout = input_dropout;
        self
    }

    /// The hidden sizes as text, like `128-64` (`linear` when there are none).
    pub(crate) fn hidden_label(&self) -> String {
        hidden_label(&self.hidden)
    }

    /// The full model config for data with `input` features and `output` classes.
    pub fn for_data(&self, input: usize, output: usize) -> MlpConfig {
        MlpConfig {
            input,
            output,
            model: self.clone(),
        }
    }

    /// Checks the hidden widths and the dropout probability.
    pub fn validate(&self) -> Result<()> {
        for &w in &self.hidden {
            Error::check(
                "hidden",
                w as f64,
                Valid::Between(1.0, 65_536.0),
                "each hidden width",
            )?;
        }
        Error::check(
            "hidden",
            self.hidden.len() as f64,
            Valid::AtMost(32.0),
            "hidden layers",
        )?;
        Error::check(
            "dropout",
            self.dropout,
            Valid::HalfOpen(0.0, 1.0),
            "0 turns dropout off, 0.3-0.5 is the guide's range for hidden layers",
        )?;
        Error::check(
            "input_dropout",
            self.input_dropout,
            Valid::HalfOpen(0.0, 1.0),
            "0 turns it off, 0.1-0.2 is the guide's range for inputs",
        )?;
        if self.dropout > 0.0 && self.hidden.len() < 2 {
            Error::check(
                "dropout",
                self.dropout,
                Valid::AtMost(0.0),
                "hidden dropout goes between hidden layers and never before the output layer, so it needs two hidden layers: use input_dropout (0.1-0.2) or add a layer",
            )?;
        }
        Ok(())
    }
}

/// Shape of an MLP: the data's sizes and the [`ModelConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Number of input features.
    pub input: usize,
    /// Number of classes.
    pub output: usize,
    /// Hidden layers, activation and dropout.
    #[serde(flatten)]
    pub model: ModelConfig,
}

impl MlpConfig {
    /// An MLP with the default [`ModelConfig`] (hidden layers `[128, 64]`, ReLU, no dropout);
    /// for other layers, start from the model config:
    /// `ModelConfig::default().with_hidden([512, 512]).for_data(64, 10)`.
    pub fn new(input: usize, output: usize) -> Self {
        ModelConfig::default().for_data(input, output)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        Error::check(
            "input",
            self.input as f64,
            Valid::AtLeast(1.0),
            "the model needs at least one input feature",
        )?;
        Error::check(
            "output",
            self.output as f64,
            Valid::AtLeast(2.0),
            "classification needs at least 2 classes",
        )?;
        self.model.validate()?;
        self.check_param_count()
    }

    /// Number of trainable parameters (weights and biases); `usize::MAX` for a model whose
    /// count does not fit (which [`validate`](Self::validate) refuses).
    pub fn num_params(&self) -> usize {
        params_of(&self.widths()).unwrap_or(usize::MAX)
    }

    /// Refuses input or output sizes for which the parameter count overflows, naming the
    /// largest size that fits with the other layers.
    fn check_param_count(&self) -> Result<()> {
        if params_of(&self.widths()).is_some() {
            return Ok(());
        }
        let hidden = &self.model.hidden;
        let first = hidden.first().copied().unwrap_or(self.output);
        let with = |input: usize, output: usize| {
            let mut widths = vec![input];
            widths.extend_from_slice(hidden);
            widths.push(output);
            params_of(&widths)
        };
        // The hidden layers alone always fit (at most 32 layers of 65,536), so the input or
        // the output is what overflows: the output when even one input does.
        let (name, value, per_unit, rest) = if with(1, self.output).is_none() {
            let last = hidden.last().copied().unwrap_or(1);
            ("output", self.output, last + 1, with(1, 0))
        } else {
            ("input", self.input, first, with(0, self.output))
        };
        let max = (usize::MAX - rest.unwrap_or(0)) / per_unit.max(1);
        Err(Error::TooLarge {
            name,
            value: value as u64,
            max: max as u64,
            why: "with these layers a larger size overflows the 64-bit parameter count".into(),
        })
    }

    /// Layer widths from input to output.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.input];
        w.extend_from_slice(&self.model.hidden);
        w.push(self.output);
        w
    }

    /// Builds the model on `device` with weights drawn from a seeded generator, using
    /// PyTorch's default scheme for `nn.Linear`: weights and biases uniform in
    /// ±1/sqrt(fan_in).
    ///
    /// A model whose weights, with what the least training needs (gradients, one sample of
    /// activations), would not fit in the memory available is refused with
    /// [`Error::OutOfMemory`] before anything is allocated.
    pub fn init(&self, device: &Device, seed: u64) -> Result<Mlp> {
        self.validate()?;
        self.check_memory("plain sgd", 0, 1)?;
        Ok(self.build(device, seed))
    }

    /// [`init`](Self::init) for a config that its caller has validated.
    pub(crate) fn build(&self, device: &Device, seed: u64) -> Mlp {
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
        Mlp::from_layers(
            layers,
            self.model.activation,
            self.model.dropout,
            self.model.input_dropout,
        )
    }
}

/// The number of weights and biases of layers of these widths, `None` when it overflows.
fn params_of(widths: &[usize]) -> Option<usize> {
    widths.windows(2).try_fold(0usize, |sum, w| {
        w[0].checked_mul(w[1])?.checked_add(w[1])?.checked_add(sum)
    })
}

/// Hidden sizes as text: `128-64`, or `linear` for none.
pub(crate) fn hidden_label(hidden: &[usize]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_count_that_overflows_is_refused_naming_the_size() {
        let ok = ModelConfig::default().for_data(64, 10);
        assert_eq!(ok.num_params(), 17_226);
        let huge_input = ModelConfig::default().for_data(1 << 63, 10);
        assert_eq!(huge_input.num_params(), usize::MAX);
        let err = huge_input.validate().unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge { name: "input", .. }),
            "{err}"
        );
        let max = (usize::MAX - (128 + 128 * 64 + 64 + 64 * 10 + 10)) / 128;
        assert!(
            err.to_string()
                .contains("overflows the 64-bit parameter count"),
            "{err}"
        );
        assert!(ModelConfig::default().for_data(max, 10).validate().is_ok());
        assert!(
            ModelConfig::default()
                .for_data(max + 1, 10)
                .validate()
                .is_err()
        );
        let err = ModelConfig::default()
            .for_data(64, usize::MAX / 2)
            .validate()
            .unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge { name: "output", .. }),
            "{err}"
        );
        let linear = ModelConfig::default()
            .with_hidden(vec![])
            .for_data(1 << 40, 1 << 40);
        assert!(linear.validate().is_err());
    }
}
