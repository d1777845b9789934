//! The small real datasets shipped in `data/` and embedded in the crate, so that code and
//! notebooks never depend on the working directory. Sources and licences: `data/README.md`.

use super::Dataset;
use crate::error::{Error, Result};
use std::io::Read;

const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");
const WINE_CSV: &str = include_str!("../../data/wine_data.csv");
const BREAST_CANCER_CSV: &str = include_str!("../../data/breast_cancer.csv");
const IRIS_CSV: &str = include_str!("../../data/iris.csv");

/// The names accepted by [`load`].
pub const DATASET_NAMES: &[&str] = &[
    "digits",
    "wine",
    "breast_cancer",
    "iris",
    "moons",
    "spirals",
];

/// Loads an embedded or generated dataset by name (`moons` and `spirals` with their
/// default size and noise, seed 0).
pub fn load(name: &str) -> Result<Dataset> {
    match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "digits" => digits(),
        "wine" => wine(),
        "breast_cancer" | "cancer" => breast_cancer(),
        "iris" => iris(),
        "moons" => super::moons(1000, 0.2, 0),
        "spirals" => super::spirals(1000, 3, 0.2, 0),
        _ => Err(Error::UnknownDataset {
            name: name.to_string(),
            known: DATASET_NAMES.join(", "),
        }),
    }
}

/// The 8x8 handwritten digits: 1797 images of 64 pixels (0-16), 10 classes.
pub fn digits() -> Result<Dataset> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| Error::data("digits", format!("embedded file unreadable: {e}")))?;
    let feature_names = (0..64)
        .map(|i| format!("pixel_{}_{}", i / 8, i % 8))
        .collect();
    let class_names = (0..10).map(|d| d.to_string()).collect();
    parse_rows("digits", &text, 0, feature_names, class_names)
}

/// The wine recognition set: 178 wines, 13 chemical measurements, 3 cultivars.
pub fn wine() -> Result<Dataset> {
    let names = [
        "alcohol",
        "malic_acid",
        "ash",
        "alcalinity_of_ash",
        "magnesium",
        "total_phenols",
        "flavanoids",
        "nonflavanoid_phenols",
        "proanthocyanins",
        "color_intensity",
        "hue",
        "od280/od315_of_diluted_wines",
        "proline",
    ];
    parse_sklearn(
        "wine",
        WINE_CSV,
        names.iter().map(|s| s.to_string()).collect(),
    )
}

/// The Wisconsin diagnostic breast cancer set: 569 samples, 30 features, 2 classes.
pub fn breast_cancer() -> Result<Dataset> {
    let base = [
        "radius",
        "texture",
        "perimeter",
        "area",
        "smoothness",
        "compactness",
        "concavity",
        "concave points",
        "symmetry",
        "fractal dimension",
    ];
    let mut names = Vec::new();
    for prefix in ["mean ", "", "worst "] {
        for b in base {
            if prefix.is_empty() {
                names.push(format!("{b} error"));
            } else {
                names.push(format!("{prefix}{b}"));
            }
        }
    }
    parse_sklearn("breast_cancer", BREAST_CANCER_CSV, names)
}

/// Fisher's iris: 150 flowers, 4 measurements, 3 species.
pub fn iris() -> Result<Dataset> {
    let names = [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ];
    parse_sklearn(
        "iris",
        IRIS_CSV,
        names.iter().map(|s| s.to_string()).collect(),
    )
}

/// scikit-learn's layout: a first line `n_samples,n_features,class names...`, then rows of
/// features followed by the integer class.
fn parse_sklearn(name: &str, text: &str, feature_names: Vec<String>) -> Result<Dataset> {
    let header = text
        .lines()
        .next()
        .ok_or_else(|| Error::data(name, "embedded file is empty"))?;
    let class_names = header
        .split(',')
        .skip(2)
        .map(|s| s.trim().to_string())
        .collect();
    parse_rows(name, text, 1, feature_names, class_names)
}

fn parse_rows(
    name: &str,
    text: &str,
    skip: usize,
    feature_names: Vec<String>,
    class_names: Vec<String>,
) -> Result<Dataset> {
    let d = feature_names.len();
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate().skip(skip) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != d + 1 {
            return Err(Error::data(
                name,
                format!(
                    "line {} has {} cells, expected {}",
                    i + 1,
                    cells.len(),
                    d + 1
                ),
            ));
        }
        for c in &cells[..d] {
            let v: f32 = c
                .trim()
                .parse()
                .map_err(|_| Error::data(name, format!("line {}: '{c}' is not a number", i + 1)))?;
            features.push(v);
        }
        let label: f64 = cells[d]
            .trim()
            .parse()
            .map_err(|_| Error::data(name, format!("line {}: bad class '{}'", i + 1, cells[d])))?;
        labels.push(label as usize);
    }
    Dataset::new(name, features, labels, feature_names, class_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_sets_have_their_documented_shapes() {
        let d = digits().unwrap();
        assert_eq!((d.n_samples(), d.n_features, d.n_classes()), (1797, 64, 10));
        assert!(d.features.iter().all(|&v| (0.0..=16.0).contains(&v)));
        let w = wine().unwrap();
        assert_eq!((w.n_samples(), w.n_features, w.n_classes()), (178, 13, 3));
        assert_eq!(w.class_counts(), vec![59, 71, 48]);
        let b = breast_cancer().unwrap();
        assert_eq!((b.n_samples(), b.n_features, b.n_classes()), (569, 30, 2));
        assert_eq!(b.class_counts(), vec![212, 357]);
        let i = iris().unwrap();
        assert_eq!((i.n_samples(), i.n_features, i.n_classes()), (150, 4, 3));
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = load("mnist").unwrap_err().to_string();
        assert!(
            err.contains("mnist") && err.contains("digits") && err.contains("wine"),
            "{err}"
        );
    }
}
