//! The optimizers of the tuning guide, with its default learning rates.

#[cfg(feature = "flex")]
use super::fused::FusedAdam;
use crate::error::{Error, Result};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{ModuleOptimizer, RmsPropConfig, SgdConfig};
use serde::{Deserialize, Serialize};

/// Which optimizer to train with.
///
/// Hyperparameters other than the learning rate and weight decay follow PyTorch's defaults,
/// so that results compare with a PyTorch notebook: Adam/AdamW betas (0.9, 0.999) and eps
/// 1e-8; SGD momentum 0.9 without dampening; RMSprop alpha 0.99, eps 1e-8, no momentum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Adam; default learning rate 1e-3. Weight decay is an L2 penalty on the gradient.
    Adam,
    /// AdamW (decoupled weight decay); default learning rate 1e-3, weight decay 1e-2.
    #[serde(rename = "adamw")]
    AdamW,
    /// Plain stochastic gradient descent; default learning rate 1e-2.
    Sgd,
    /// SGD with momentum 0.9; default learning rate 1e-2.
    SgdMomentum,
    /// RMSprop; default learning rate 1e-3.
    #[serde(rename = "rmsprop")]
    RmsProp,
}

impl OptimizerKind {
    /// Every optimizer, in the guide's order.
    pub const ALL: [OptimizerKind; 5] = [
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
        OptimizerKind::Sgd,
        OptimizerKind::SgdMomentum,
        OptimizerKind::RmsProp,
    ];

    /// The guide's starting learning rate: 1e-3 for the adaptive methods, 1e-2 for SGD.
    pub fn default_lr(self) -> f64 {
        if self.is_adaptive() { 1e-3 } else { 1e-2 }
    }

    /// Whether the optimizer scales each parameter's step by its own gradient history (Adam,
    /// AdamW, RMSprop): a step then moves each weight by about the LR whatever the gradient's
    /// size, where SGD's step is the LR times the gradient.
    pub fn is_adaptive(self) -> bool {
        matches!(
            self,
            OptimizerKind::Adam | OptimizerKind::AdamW | OptimizerKind::RmsProp
        )
    }

    /// The weight decay used when none is given: 1e-2 for AdamW (PyTorch's default), 0 for
    /// the others.
    pub fn default_weight_decay(self) -> f64 {
        match self {
            OptimizerKind::AdamW => 1e-2,
            _ => 0.0,
        }
    }

    /// Values of state the optimizer keeps per parameter: two moments for Adam and AdamW,
    /// one running average for SGD with momentum and RMSprop, nothing for plain SGD.
    pub const fn state_slots(self) -> usize {
        match self {
            OptimizerKind::Adam | OptimizerKind::AdamW => 2,
            OptimizerKind::SgdMomentum | OptimizerKind::RmsProp => 1,
            OptimizerKind::Sgd => 0,
        }
    }

    /// The name used in configs, logs and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::SgdMomentum => "sgd-momentum",
            OptimizerKind::RmsProp => "rmsprop",
        }
    }

    /// Adam's or AdamW's one-pass optimizer, for steps taken without burn's module
    /// optimizer; `None` for the others.
    #[cfg(feature = "flex")]
    pub(crate) fn fused(self, weight_decay: f64) -> Option<FusedAdam> {
        match self {
            OptimizerKind::Adam => Some(FusedAdam::adam(weight_decay as f32)),
            OptimizerKind::AdamW => Some(FusedAdam::adamw(weight_decay as f32)),
            _ => None,
        }
    }

    /// Builds the burn optimizer. On the flex device Adam and AdamW take each step in one
    /// in-place pass per parameter, with burn's own arithmetic to the last bit (README,
    /// "A fused Adam"); elsewhere, and for the other optimizers, burn's own.
    pub fn build(self, weight_decay: f64) -> ModuleOptimizer {
        let wd = weight_decay as f32;
        let penalty = (weight_decay > 0.0).then(|| WeightDecayConfig::new(wd));
        match self {
            // burn's Adam and AdamW to the last bit, in one pass per parameter on flex.
            #[cfg(feature = "flex")]
            OptimizerKind::Adam => ModuleOptimizer::from(FusedAdam::adam(wd)),
            #[cfg(feature = "flex")]
            OptimizerKind::AdamW => ModuleOptimizer::from(FusedAdam::adamw(wd)),
            #[cfg(not(feature = "flex"))]
            OptimizerKind::Adam => burn::optim::AdamConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(penalty)
                .init(),
            #[cfg(not(feature = "flex"))]
            OptimizerKind::AdamW => burn::optim::AdamWConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(wd)
                .init(),
            OptimizerKind::Sgd => SgdConfig::new().with_weight_decay(penalty).init(),
            OptimizerKind::SgdMomentum => SgdConfig::new()
                .with_weight_decay(penalty)
                .with_momentum(Some(
                    MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
                ))
                .init(),
            OptimizerKind::RmsProp => RmsPropConfig::new()
                .with_alpha(0.99)
                .with_momentum(0.0)
                .with_epsilon(1e-8)
                .with_weight_decay(penalty)
                .init(),
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "adam" => Ok(OptimizerKind::Adam),
            "adamw" => Ok(OptimizerKind::AdamW),
            "sgd" => Ok(OptimizerKind::Sgd),
            "sgd-momentum" | "momentum" => Ok(OptimizerKind::SgdMomentum),
            "rmsprop" => Ok(OptimizerKind::RmsProp),
            _ => Err(Error::unknown(
                "optimizer",
                s,
                "adam, adamw, sgd, sgd-momentum or rmsprop",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_learning_rates_follow_the_guide() {
        let lrs: Vec<f64> = OptimizerKind::ALL.iter().map(|o| o.default_lr()).collect();
        assert_eq!(lrs, vec![1e-3, 1e-3, 1e-2, 1e-2, 1e-3]);
        for o in OptimizerKind::ALL {
            assert_eq!(o.name().parse::<OptimizerKind>().unwrap(), o);
        }
        assert!("lbfgs".parse::<OptimizerKind>().is_err());
    }
}
