//! The guide's weight decay (L2) strengths.

use serde::Serialize;

/// How strong a weight decay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightDecayStrength {
    /// No weight decay.
    None,
    /// 1e-5.
    Light,
    /// 1e-4, a good default.
    Moderate,
    /// 1e-3.
    Strong,
    /// 1e-2.
    VeryStrong,
}

impl WeightDecayStrength {
    /// The name in words.
    pub fn name(self) -> &'static str {
        match self {
            WeightDecayStrength::None => "none",
            WeightDecayStrength::Light => "light",
            WeightDecayStrength::Moderate => "moderate",
            WeightDecayStrength::Strong => "strong",
            WeightDecayStrength::VeryStrong => "very strong",
        }
    }

    /// The weight decay of this strength ([`WEIGHT_DECAY_TABLE`]).
    pub const fn value(self) -> f64 {
        WEIGHT_DECAY_TABLE[self as usize].weight_decay
    }
}

/// One row of [`WEIGHT_DECAY_TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeightDecayRule {
    /// The strength.
    pub strength: WeightDecayStrength,
    /// The weight decay (the optimizer's `weight_decay`).
    pub weight_decay: f64,
    /// When to use it.
    pub note: &'static str,
}

/// The guide's weight decay values, weakest first.
pub const WEIGHT_DECAY_TABLE: [WeightDecayRule; 5] = [
    WeightDecayRule {
        strength: WeightDecayStrength::None,
        weight_decay: 0.0,
        note: "no regularisation (tunelab's default for every optimizer but AdamW)",
    },
    WeightDecayRule {
        strength: WeightDecayStrength::Light,
        weight_decay: 1e-5,
        note: "a light pull towards small weights",
    },
    WeightDecayRule {
        strength: WeightDecayStrength::Moderate,
        weight_decay: 1e-4,
        note: "a good default, and the value of the guide's AdamW example",
    },
    WeightDecayRule {
        strength: WeightDecayStrength::Strong,
        weight_decay: 1e-3,
        note: "clear overfitting",
    },
    WeightDecayRule {
        strength: WeightDecayStrength::VeryStrong,
        weight_decay: 1e-2,
        note: "severe overfitting; also PyTorch's AdamW default, which tunelab's AdamW uses \
               when no weight decay is set",
    },
];

/// The guide's default weight decay ("moderate").
pub const DEFAULT_WEIGHT_DECAY: f64 = WeightDecayStrength::Moderate.value();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::OptimizerKind;

    #[test]
    fn the_guides_values_in_order() {
        let values: Vec<f64> = WEIGHT_DECAY_TABLE.iter().map(|r| r.weight_decay).collect();
        assert_eq!(values, [0.0, 1e-5, 1e-4, 1e-3, 1e-2]);
        for (i, rule) in WEIGHT_DECAY_TABLE.iter().enumerate() {
            assert_eq!(rule.strength as usize, i);
            assert_eq!(rule.strength.value(), rule.weight_decay);
        }
        assert_eq!(DEFAULT_WEIGHT_DECAY, 1e-4);
        assert_eq!(WeightDecayStrength::VeryStrong.name(), "very strong");
    }

    #[test]
    fn the_notes_about_tunelabs_defaults_hold() {
        assert_eq!(
            OptimizerKind::AdamW.default_weight_decay(),
            WeightDecayStrength::VeryStrong.value()
        );
        for o in OptimizerKind::ALL {
            if o != OptimizerKind::AdamW {
                assert_eq!(o.default_weight_decay(), WeightDecayStrength::None.value());
            }
        }
    }
}
