//! The guide's dropout rates: how much by the strength of overfitting, and where in the
//! network.

use super::overfitting::Overfitting;
use super::range::ValueRange;
use serde::Serialize;

/// One row of [`DROPOUT_BY_OVERFITTING`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DropoutRule {
    /// The strength of overfitting this row is for.
    pub level: Overfitting,
    /// Dropout probabilities to try.
    pub dropout: ValueRange,
    /// Why this much.
    pub note: &'static str,
}

/// The guide's dropout by strength of overfitting, weakest first.
pub const DROPOUT_BY_OVERFITTING: [DropoutRule; 4] = [
    DropoutRule {
        level: Overfitting::None,
        dropout: ValueRange::one(0.0),
        note: "no overfitting: dropout would only slow the fit down",
    },
    DropoutRule {
        level: Overfitting::Mild,
        dropout: ValueRange::new(0.1, 0.2),
        note: "mild overfitting: a light touch",
    },
    DropoutRule {
        level: Overfitting::Moderate,
        dropout: ValueRange::new(0.3, 0.4),
        note: "moderate overfitting",
    },
    DropoutRule {
        level: Overfitting::Severe,
        dropout: ValueRange::one(0.5),
        note: "severe overfitting: half the units; more than that rarely helps an MLP",
    },
];

/// Where in the network a dropout layer sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropoutSite {
    /// On the input features (tunelab's `input_dropout`).
    Input,
    /// After the hidden layers that feed other hidden layers (tunelab's `dropout`).
    Hidden,
    /// On the last hidden layer, the one that feeds the output layer.
    BeforeOutput,
}

impl DropoutSite {
    /// The site in words.
    pub fn name(self) -> &'static str {
        match self {
            DropoutSite::Input => "input layer",
            DropoutSite::Hidden => "hidden layers",
            DropoutSite::BeforeOutput => "before the output layer",
        }
    }
}

/// One row of [`DROPOUT_BY_LAYER`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DropoutPlacement {
    /// Where the dropout sits.
    pub site: DropoutSite,
    /// The usual probabilities there.
    pub dropout: ValueRange,
    /// Why.
    pub note: &'static str,
}

/// The guide's dropout by position in the network, input side first.
pub const DROPOUT_BY_LAYER: [DropoutPlacement; 3] = [
    DropoutPlacement {
        site: DropoutSite::Input,
        dropout: ValueRange::new(0.1, 0.2),
        note: "lower than in hidden layers: a dropped feature is information no later layer can \
               get back",
    },
    DropoutPlacement {
        site: DropoutSite::Hidden,
        dropout: ValueRange::new(0.3, 0.5),
        note: "where dropout does its work: hidden units learn not to rely on each other",
    },
    DropoutPlacement {
        site: DropoutSite::BeforeOutput,
        dropout: ValueRange::one(0.0),
        note: "never: the output layer needs all of its inputs to give steady predictions",
    },
];

/// The row of [`DROPOUT_BY_OVERFITTING`] for `level`.
pub fn dropout_for(level: Overfitting) -> DropoutRule {
    DROPOUT_BY_OVERFITTING[level as usize]
}

/// The row of [`DROPOUT_BY_LAYER`] for `site`.
pub fn dropout_at(site: DropoutSite) -> DropoutPlacement {
    DROPOUT_BY_LAYER[site as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_by_level_is_the_guides() {
        let text: Vec<String> = DROPOUT_BY_OVERFITTING
            .iter()
            .map(|r| format!("{} {}", r.level, r.dropout))
            .collect();
        assert_eq!(
            text,
            ["none 0", "mild 0.1-0.2", "moderate 0.3-0.4", "severe 0.5"]
        );
        for level in Overfitting::ALL {
            assert_eq!(dropout_for(level).level, level);
        }
        for pair in DROPOUT_BY_OVERFITTING.windows(2) {
            assert!(pair[0].dropout.high < pair[1].dropout.low);
        }
    }

    #[test]
    fn dropout_by_layer_is_lower_at_the_input_and_zero_before_the_output() {
        let input = dropout_at(DropoutSite::Input);
        let hidden = dropout_at(DropoutSite::Hidden);
        let output = dropout_at(DropoutSite::BeforeOutput);
        assert_eq!(input.site, DropoutSite::Input);
        assert_eq!(hidden.site, DropoutSite::Hidden);
        assert_eq!(output.site, DropoutSite::BeforeOutput);
        assert_eq!(input.dropout, ValueRange::new(0.1, 0.2));
        assert_eq!(hidden.dropout, ValueRange::new(0.3, 0.5));
        assert_eq!(output.dropout, ValueRange::one(0.0));
        assert!(input.dropout.high < hidden.dropout.low);
        assert!(output.note.starts_with("never"));
    }
}
