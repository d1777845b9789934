//! The hidden-layer shapes the tuning guide tries, smallest first.

use crate::model::{MlpConfig, ModelConfig};
use serde::Serialize;
use std::fmt;

/// One candidate shape of hidden layers, with what it tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Architecture {
    /// Hidden layer widths, input side first.
    pub hidden: &'static [usize],
    /// What trying this shape tells you.
    pub note: &'static str,
}

/// The guide's architectures to try, in order: widen one layer first, then add depth.
pub const ARCHITECTURES: [Architecture; 5] = [
    Architecture {
        hidden: &[64],
        note: "one small layer: the baseline; if it already fits well, stop here",
    },
    Architecture {
        hidden: &[128],
        note: "one wider layer: does more width help?",
    },
    Architecture {
        hidden: &[64, 32],
        note: "two layers, few parameters: does depth help at a similar size?",
    },
    Architecture {
        hidden: &[128, 64],
        note: "two wider layers: the usual default for small tabular data",
    },
    Architecture {
        hidden: &[128, 64, 32],
        note: "three layers: only if the two-layer models still underfit",
    },
];

impl Architecture {
    /// The model config of this shape for `input` features and `output` classes.
    pub fn mlp(&self, input: usize, output: usize) -> MlpConfig {
        ModelConfig::default()
            .with_hidden(self.hidden)
            .for_data(input, output)
    }

    /// The shape as text, like `128-64`.
    pub fn label(&self) -> String {
        crate::model::hidden_label(self.hidden)
    }
}

impl fmt::Display for Architecture {
    /// One aligned row: the shape padded to the widest in [`ARCHITECTURES`], then the note,
    /// so that printing the list line by line gives a table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<10}  {}", self.label(), self.note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_list_in_order() {
        let hidden: Vec<Vec<usize>> = ARCHITECTURES.iter().map(|a| a.hidden.to_vec()).collect();
        assert_eq!(
            hidden,
            vec![
                vec![64],
                vec![128],
                vec![64, 32],
                vec![128, 64],
                vec![128, 64, 32]
            ]
        );
        let widest = ARCHITECTURES.iter().map(|a| a.label().len()).max().unwrap();
        assert!(widest <= 10, "label column too narrow for {widest}");
    }

    #[test]
    fn each_builds_a_model_and_prints_a_row() {
        let a = ARCHITECTURES[3];
        assert_eq!(a.mlp(64, 10).num_params(), 17_226);
        assert!(a.to_string().starts_with("128-64      two wider"), "{a}");
        for a in ARCHITECTURES {
            a.mlp(4, 3).validate().unwrap();
            assert!(!a.note.is_empty());
        }
    }
}
