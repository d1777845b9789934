//! Seeded 2-D toy problems whose difficulty is set by their noise: good for showing under-
//! and overfitting on purpose.

use super::Dataset;
use crate::error::{Error, Result, Valid};
use crate::rng::Rng;

fn check(n: usize, noise: f64) -> Result<()> {
    Error::check("n_samples", n as f64, Valid::AtLeast(4.0), "")?;
    Error::check("noise", noise, Valid::NonNegative, "")
}

/// Two interleaving half circles, `n` points in all, Gaussian noise of standard deviation
/// `noise` added to each coordinate.
pub fn moons(n: usize, noise: f64, seed: u64) -> Result<Dataset> {
    check(n, noise)?;
    let mut rng = Rng::derive(seed, 0x6d6f6f6e);
    let mut features = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let t = std::f64::consts::PI * rng.uniform();
        let (x, y) = if class == 0 {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        features.push((x + noise * rng.normal()) as f32);
        features.push((y + noise * rng.normal()) as f32);
        labels.push(class);
    }
    Dataset::new(
        "moons",
        features,
        labels,
        vec!["x".into(), "y".into()],
        vec!["0".into(), "1".into()],
    )
}

/// `classes` interleaved spiral arms, `n` points in all, with Gaussian noise.
pub fn spirals(n: usize, classes: usize, noise: f64, seed: u64) -> Result<Dataset> {
    check(n, noise)?;
    Error::check("classes", classes as f64, Valid::Between(2.0, 10.0), "")?;
    let mut rng = Rng::derive(seed, 0x7370_6972);
    let mut features = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % classes;
        let r = rng.uniform();
        let angle = 4.0 * r + 2.0 * std::f64::consts::PI * class as f64 / classes as f64;
        features.push((r * angle.sin() + noise * r * rng.normal()) as f32);
        features.push((r * angle.cos() + noise * r * rng.normal()) as f32);
        labels.push(class);
    }
    Dataset::new(
        "spirals",
        features,
        labels,
        vec!["x".into(), "y".into()],
        (0..classes).map(|c| c.to_string()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_seeded_and_balanced() {
        let a = moons(200, 0.1, 1).unwrap();
        assert_eq!(a, moons(200, 0.1, 1).unwrap());
        assert_ne!(a.features, moons(200, 0.1, 2).unwrap().features);
        assert_eq!(a.class_counts(), vec![100, 100]);
        let s = spirals(300, 3, 0.1, 1).unwrap();
        assert_eq!(s.class_counts(), vec![100, 100, 100]);
        assert!(moons(2, 0.1, 0).is_err());
        assert!(spirals(100, 1, 0.1, 0).is_err());
        assert!(moons(100, f64::NAN, 0).is_err());
    }
}
