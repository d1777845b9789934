//! How deep and how wide a network to start with, and the signs that call for more.
//!
//! The guide's rule: start shallow and narrow, and add layers or neurons only while the model
//! underfits. The dataset size picks the starting band (the same size classes as
//! [`super::BATCH_SIZE_TABLE`]); underfitting moves one band up.

use super::architectures::{ARCHITECTURES, Architecture};
use super::batch::BATCH_SIZE_TABLE;
use crate::error::{Error, Result, Valid};
use crate::fmt::write_table;
use serde::Serialize;
use std::fmt;

/// A band of layer counts or of neurons per layer, with what it suits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerBand {
    /// The smallest count of the band.
    pub min: usize,
    /// The largest count of the band (`None`: no upper end).
    pub max: Option<usize>,
    /// The problems and datasets it suits.
    pub suits: &'static str,
}

impl LayerBand {
    /// The band as text: `3-5`, `512+`.
    pub fn label(&self) -> String {
        match self.max {
            Some(max) => format!("{}-{max}", self.min),
            None => format!("{}+", self.min),
        }
    }

    /// Whether `n` lies in the band.
    pub fn contains(&self, n: usize) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

/// The guide's numbers of hidden layers, shallowest first. Its last band is "10+"; here it
/// starts at 11, since 10 layers belong to the band before.
pub const DEPTH_BANDS: [LayerBand; 4] = [
    LayerBand {
        min: 1,
        max: Some(2),
        suits: "simple problems, small datasets",
    },
    LayerBand {
        min: 3,
        max: Some(5),
        suits: "most problems",
    },
    LayerBand {
        min: 6,
        max: Some(10),
        suits: "complex problems, large datasets",
    },
    LayerBand {
        min: 11,
        max: None,
        suits: "very complex problems; needs skip connections, which tunelab's MLP does not have",
    },
];

/// The guide's neurons per hidden layer (the widest layer), narrowest first.
pub const WIDTH_BANDS: [LayerBand; 3] = [
    LayerBand {
        min: 32,
        max: Some(64),
        suits: "simple problems",
    },
    LayerBand {
        min: 128,
        max: Some(256),
        suits: "most problems",
    },
    LayerBand {
        min: 512,
        max: None,
        suits: "complex problems, large datasets",
    },
];

/// The signs that a network needs more layers or more neurons (the guide gives the same
/// signs for both): it underfits.
pub const CAPACITY_SIGNS: [&str; 3] = [
    "the training loss plateaus at a high value",
    "the model cannot fit the training data (the training accuracy stays low)",
    "training and validation losses are both high (underfitting)",
];

/// Below this many training samples a dataset is small for the depth and width bands (the
/// guide's small and medium datasets of [`BATCH_SIZE_TABLE`]): 1-2 layers of 32-64.
pub const SMALL_DATA_BELOW: usize = BATCH_SIZE_TABLE[1].below;

/// From this many training samples a dataset is large (the guide's very large datasets):
/// 6-10 layers of 512 and more. Sizes in between start with 3-5 layers of 128-256.
pub const LARGE_DATA_FROM: usize = BATCH_SIZE_TABLE[2].below;

/// How deep and wide to start, or to grow to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchitectureAdvice {
    /// Training samples.
    pub n_samples: usize,
    /// Input features.
    pub n_features: usize,
    /// Classes (outputs).
    pub n_classes: usize,
    /// Whether the current model underfits.
    pub underfitting: bool,
    /// Hidden layers to use ([`DEPTH_BANDS`]).
    pub depth: LayerBand,
    /// Neurons in the widest hidden layer ([`WIDTH_BANDS`]).
    pub width: LayerBand,
    /// The shape of the guide's list ([`ARCHITECTURES`]) to start from.
    pub start: Architecture,
    /// Trainable parameters of `start` for these features and classes.
    pub start_params: usize,
    /// The signs that call for more capacity ([`CAPACITY_SIGNS`]).
    pub signs: Vec<String>,
    /// Why this band, and what to watch.
    pub notes: Vec<String>,
}

/// The depth and width bands for a dataset of `n_samples` training samples with
/// `n_features` inputs and `n_classes` outputs, one band up when the current model
/// `underfitting`; the first shape of [`ARCHITECTURES`] in both bands to start from (the
/// largest of the list when none is that deep).
///
/// Errors: a count of 0.
pub fn architecture_advice(
    n_samples: usize,
    n_features: usize,
    n_classes: usize,
    underfitting: bool,
) -> Result<ArchitectureAdvice> {
    for (name, n, what) in [
        ("n_samples", n_samples, "the number of training samples"),
        ("n_features", n_features, "the number of input features"),
        ("n_classes", n_classes, "the number of classes (outputs)"),
    ] {
        Error::check(name, n as f64, Valid::AtLeast(1.0), what)?;
    }
    let (by_size, mut notes) = if n_samples < SMALL_DATA_BELOW {
        (
            0,
            vec![format!(
                "{n_samples} training samples, fewer than {SMALL_DATA_BELOW}: start shallow and narrow"
            )],
        )
    } else if n_samples < LARGE_DATA_FROM {
        (
            1,
            vec![format!(
                "{n_samples} training samples, from {SMALL_DATA_BELOW} to {LARGE_DATA_FROM}: the band of most problems"
            )],
        )
    } else {
        (
            2,
            vec![format!(
                "{n_samples} training samples, {LARGE_DATA_FROM} or more: a large dataset can feed a deep, wide model"
            )],
        )
    };
    let band = by_size + usize::from(underfitting);
    let depth = DEPTH_BANDS[band.min(DEPTH_BANDS.len() - 1)];
    let width = WIDTH_BANDS[band.min(WIDTH_BANDS.len() - 1)];
    if underfitting {
        notes.push(
            "the model underfits: one band deeper and wider than the dataset size alone suggests; \
             change one thing at a time, widen first, then add a layer"
                .into(),
        );
    } else {
        notes.push("grow (wider first, then deeper) only on the signs of underfitting".into());
    }
    let in_bands = |a: &&Architecture| {
        depth.contains(a.hidden.len())
            && width.contains(a.hidden.iter().copied().max().unwrap_or(0))
    };
    let start = match ARCHITECTURES.iter().find(in_bands) {
        Some(a) => *a,
        None => {
            let last = ARCHITECTURES[ARCHITECTURES.len() - 1];
            notes.push(format!(
                "the guide's list stops at {} hidden layers: start from {} and add one layer at a time, \
                 widening towards {} neurons",
                last.hidden.len(),
                last.label(),
                width.label()
            ));
            last
        }
    };
    if depth.max.is_none() {
        notes.push(format!(
            "more than {} layers train well only with skip connections",
            depth.min - 1
        ));
    }
    let narrowest = start.hidden.iter().copied().min().unwrap_or(0);
    if narrowest < n_classes {
        notes.push(format!(
            "with {n_classes} classes keep every hidden layer at least {n_classes} wide: {} narrows to {narrowest}",
            start.label()
        ));
    }
    Ok(ArchitectureAdvice {
        n_samples,
        n_features,
        n_classes,
        underfitting,
        depth,
        width,
        start,
        start_params: start.mlp(n_features, n_classes).num_params(),
        signs: CAPACITY_SIGNS.iter().map(|s| s.to_string()).collect(),
        notes,
    })
}

impl fmt::Display for ArchitectureAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Architecture for {} samples, {} features, {} classes{}",
            self.n_samples,
            self.n_features,
            self.n_classes,
            if self.underfitting {
                ", underfitting"
            } else {
                ""
            }
        )?;
        let rows = vec![
            vec![
                "depth".into(),
                format!("{} hidden layers: {}", self.depth.label(), self.depth.suits),
            ],
            vec![
                "width".into(),
                format!(
                    "{} neurons per layer: {}",
                    self.width.label(),
                    self.width.suits
                ),
            ],
            vec![
                "start with".into(),
                format!(
                    "{} ({} parameters): {}",
                    self.start.label(),
                    self.start_params,
                    self.start.note
                ),
            ],
        ];
        write_table(f, &["", "advice"], &rows)?;
        writeln!(f, "Signs that call for more layers or neurons:")?;
        for s in &self.signs {
            writeln!(f, "- {s}")?;
        }
        for n in &self.notes {
            writeln!(f, "Note: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands(n_samples: usize, underfitting: bool) -> (String, String, String) {
        let a = architecture_advice(n_samples, 64, 10, underfitting).unwrap();
        (a.depth.label(), a.width.label(), a.start.label())
    }

    fn owned(d: &str, w: &str, s: &str) -> (String, String, String) {
        (d.into(), w.into(), s.into())
    }

    #[test]
    fn the_guides_bands() {
        let depth: Vec<String> = DEPTH_BANDS.iter().map(LayerBand::label).collect();
        assert_eq!(depth, ["1-2", "3-5", "6-10", "11+"]);
        let width: Vec<String> = WIDTH_BANDS.iter().map(LayerBand::label).collect();
        assert_eq!(width, ["32-64", "128-256", "512+"]);
        assert!(DEPTH_BANDS[3].suits.contains("skip connections"));
        assert!(DEPTH_BANDS[2].contains(10) && !DEPTH_BANDS[3].contains(10));
        assert!(WIDTH_BANDS[2].contains(4096) && !WIDTH_BANDS[1].contains(512));
        assert_eq!((SMALL_DATA_BELOW, LARGE_DATA_FROM), (10_000, 100_000));
        assert_eq!(CAPACITY_SIGNS.len(), 3);
    }

    #[test]
    fn the_dataset_size_picks_the_band_on_both_sides_of_each_threshold() {
        assert_eq!(bands(1, false), owned("1-2", "32-64", "64"));
        assert_eq!(bands(9_999, false), owned("1-2", "32-64", "64"));
        assert_eq!(bands(10_000, false), owned("3-5", "128-256", "128-64-32"));
        assert_eq!(bands(99_999, false), owned("3-5", "128-256", "128-64-32"));
        assert_eq!(bands(100_000, false), owned("6-10", "512+", "128-64-32"));
    }

    #[test]
    fn underfitting_moves_one_band_up() {
        assert_eq!(bands(1_078, true), owned("3-5", "128-256", "128-64-32"));
        assert_eq!(bands(50_000, true), owned("6-10", "512+", "128-64-32"));
        let a = architecture_advice(500_000, 64, 10, true).unwrap();
        assert_eq!(
            (a.depth.label(), a.width.label()),
            ("11+".into(), "512+".into())
        );
        assert!(
            a.notes.iter().any(|n| n.contains("skip connections")),
            "{a}"
        );
        assert!(a.notes.iter().any(|n| n.contains("list stops at 3")), "{a}");
    }

    #[test]
    fn digits_advice_reads_well_and_bad_counts_are_errors() {
        let a = architecture_advice(1_078, 64, 10, false).unwrap();
        assert_eq!(a.start_params, 64 * 64 + 64 + 64 * 10 + 10);
        let text = a.to_string();
        assert!(
            text.contains("depth       1-2 hidden layers: simple problems, small datasets"),
            "{text}"
        );
        assert!(text.contains("start with  64 (4810 parameters)"), "{text}");
        assert!(
            text.contains("- the training loss plateaus at a high value"),
            "{text}"
        );
        assert!(!a.notes.iter().any(|n| n.contains("classes")), "{text}");
        let many = architecture_advice(20_000, 64, 100, false).unwrap();
        assert!(
            many.notes.iter().any(|n| n.contains("at least 100 wide")),
            "{many}"
        );
        assert!(architecture_advice(0, 64, 10, false).is_err());
        assert!(architecture_advice(10, 0, 10, false).is_err());
        assert!(architecture_advice(10, 64, 0, false).is_err());
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["depth"]["max"], 2);
        assert_eq!(json["start"]["hidden"][0], 64);
    }
}
