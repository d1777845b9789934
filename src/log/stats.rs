//! Means with 95% t-intervals, for comparing configurations across seeds.

use crate::error::{Error, Result, Valid};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The two-sided 95% critical value of Student's t with `df` degrees of freedom (fractional
/// degrees, from Welch's formula, are used as they are); NaN below 1 degree of freedom.
pub fn t_critical_95(df: f64) -> f64 {
    if df.is_nan() || df < 1.0 {
        return f64::NAN;
    }
    if df.is_infinite() {
        // The normal distribution's 97.5% quantile, the limit of t.
        return 1.959_963_984_540_054;
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// A sample mean with its 95% t-interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanInterval {
    /// Number of values.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator).
    pub std: f64,
    /// Half-width of the 95% interval: t * std / sqrt(n).
    pub half_width: f64,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl MeanInterval {
    /// Mean and 95% t-interval of at least two finite values.
    pub fn from_values(values: &[f64]) -> Result<MeanInterval> {
        Error::check(
            "seeds",
            values.len() as f64,
            Valid::AtLeast(2.0),
            "values (seeds), for an interval",
        )?;
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(Error::data(
                "seed repeats",
                format!("value {v} is not finite: a run diverged; compare runs that train"),
            ));
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let std = var.sqrt();
        let half_width = t_critical_95(n - 1.0) * std / n.sqrt();
        Ok(MeanInterval {
            n: values.len(),
            mean,
            std,
            half_width,
            lo: mean - half_width,
            hi: mean + half_width,
        })
    }
}

impl std::fmt::Display for MeanInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ± {} (95% CI {} to {}, n={})",
            crate::fmt::fixed_decimals(self.mean, 4),
            crate::fmt::fixed_decimals(self.half_width, 4),
            crate::fmt::fixed_decimals(self.lo, 4),
            crate::fmt::fixed_decimals(self.hi, 4),
            self.n
        )
    }
}

/// Welch's 95% interval for the difference of two means (a - b): `(diff, half_width)`.
pub(crate) fn welch_difference(a: &MeanInterval, b: &MeanInterval) -> (f64, f64) {
    let (va, vb) = (a.std.powi(2) / a.n as f64, b.std.powi(2) / b.n as f64);
    let se = (va + vb).sqrt();
    let diff = a.mean - b.mean;
    if se == 0.0 {
        return (diff, 0.0);
    }
    let df =
        (va + vb).powi(2) / (va.powi(2) / (a.n as f64 - 1.0) + vb.powi(2) / (b.n as f64 - 1.0));
    (diff, t_critical_95(df) * se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_matches_a_hand_computation() {
        // values 0.90, 0.92, 0.94: mean 0.92, sample sd 0.02; with 2 degrees of freedom the
        // t quantile has a closed form, t = (2p - 1) / sqrt(2p(1 - p)) at p = 0.975, so
        // t(2) = 0.95 / sqrt(0.04875) = 4.3026527 and
        // half-width = 4.3026527 * 0.02 / sqrt(3) = 0.0496828.
        let m = MeanInterval::from_values(&[0.90, 0.92, 0.94]).unwrap();
        assert!((m.mean - 0.92).abs() < 1e-12);
        assert!((m.std - 0.02).abs() < 1e-12);
        assert!(
            (m.half_width - 0.049_682_8).abs() < 1e-6,
            "{}",
            m.half_width
        );
        assert!((m.lo - (0.92 - m.half_width)).abs() < 1e-15);
    }

    #[test]
    fn critical_values_and_errors() {
        // Printed tables: t(1) = 12.706, t(4) = 2.776, t(5) = 2.571, t(1000) = 1.962.
        assert!((t_critical_95(1.0) - 12.706).abs() < 1e-3);
        assert!((t_critical_95(4.0) - 2.776).abs() < 1e-3);
        let between = t_critical_95(4.7);
        assert!(
            between > t_critical_95(5.0) && between < t_critical_95(4.0),
            "{between}"
        );
        assert!((t_critical_95(1000.0) - 1.962).abs() < 1e-3);
        assert!(t_critical_95(0.5).is_nan());
        assert!(MeanInterval::from_values(&[1.0]).is_err());
        assert!(MeanInterval::from_values(&[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn welch_difference_by_hand() {
        // a: 0.95, 0.96, 0.97 (mean 0.96, sd 0.01); b: 0.90, 0.91, 0.92 (mean 0.91, sd 0.01).
        // se = sqrt(2 * 0.0001 / 3) = 0.0081650; df = 4; t = 2.776; half = 0.022666.
        let a = MeanInterval::from_values(&[0.95, 0.96, 0.97]).unwrap();
        let b = MeanInterval::from_values(&[0.90, 0.91, 0.92]).unwrap();
        let (d, h) = welch_difference(&a, &b);
        assert!((d - 0.05).abs() < 1e-12);
        assert!((h - 0.022_666).abs() < 1e-5, "{h}");
    }
}
