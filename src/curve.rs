//! Plain statistics of a curve (a `&[f64]`, one value per epoch, step or learning rate),
//! shared by the LR finder and the diagnosis rules.

/// A denominator below this counts as zero when forming ratios.
const TINY: f64 = 1e-12;

/// `(a - b) / b`, or 0 when `b` is (nearly) zero.
pub(crate) fn rel_change(from: f64, to: f64) -> f64 {
    if from.abs() < TINY {
        0.0
    } else {
        (to - from) / from.abs()
    }
}

/// The mean, or 0 for an empty slice.
pub(crate) fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Index and value of the smallest finite value (the first one on ties); `None` when no
/// value is finite.
pub(crate) fn argmin(xs: &[f64]) -> Option<(usize, f64)> {
    xs.iter()
        .copied()
        .enumerate()
        .filter(|(_, x)| x.is_finite())
        .reduce(|best, cur| if cur.1 < best.1 { cur } else { best })
}

/// Index and value of the largest value (the first one on ties).
pub(crate) fn argmax(xs: &[f64]) -> Option<(usize, f64)> {
    xs.iter()
        .copied()
        .enumerate()
        .reduce(|best, cur| if cur.1 > best.1 { cur } else { best })
}

/// Each value replaced by the median of itself and its two neighbours (the ends are
/// kept): removes one-epoch spikes and dips but keeps the shape.
pub(crate) fn median3(xs: &[f64]) -> Vec<f64> {
    let n = xs.len();
    (0..n)
        .map(|i| {
            if i == 0 || i + 1 == n {
                xs[i]
            } else {
                let (a, b, c) = (xs[i - 1], xs[i], xs[i + 1]);
                a.max(b).min(a.min(b).max(c))
            }
        })
        .collect()
}

/// Means of consecutive blocks of `size` values (the last block may be shorter).
pub(crate) fn block_means(xs: &[f64], size: usize) -> Vec<f64> {
    xs.chunks(size.max(1)).map(mean).collect()
}

/// Medians of a sliding window of `size` values (NaN counts as infinite): a single spike cannot move it.
pub(crate) fn moving_median(xs: &[f64], size: usize) -> Vec<f64> {
    xs.windows(size.max(1))
        .map(|w| {
            let mut w: Vec<f64> = w
                .iter()
                .map(|v| if v.is_nan() { f64::INFINITY } else { *v })
                .collect();
            w.sort_by(f64::total_cmp);
            w[w.len() / 2]
        })
        .collect()
}

/// How a curve moves from point to point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Wiggle {
    /// Share of interior points that are a local peak or trough (0 for a monotone curve,
    /// about 2/3 for pure noise, 1 for a perfect zig-zag).
    pub turning: f64,
    /// Mean absolute change between consecutive points.
    pub mean_step: f64,
    /// `mean_step` relative to the mean level of the curve.
    pub rel_step: f64,
    /// Net decrease from first to last point over the total distance travelled: 1 for a
    /// curve that only goes down, about 0 for one that goes nowhere.
    pub trend: f64,
}

/// The [`Wiggle`] of a curve with at least three points.
pub(crate) fn wiggle(xs: &[f64]) -> Option<Wiggle> {
    if xs.len() < 3 {
        return None;
    }
    let diffs: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    let turns = diffs.windows(2).filter(|d| d[0] * d[1] < 0.0).count();
    let travelled: f64 = diffs.iter().map(|d| d.abs()).sum();
    let mean_step = travelled / diffs.len() as f64;
    let level = mean(xs).abs();
    let net_decrease = xs[0] - xs[xs.len() - 1];
    Some(Wiggle {
        turning: turns as f64 / (diffs.len() - 1) as f64,
        mean_step,
        rel_step: if level < TINY { 0.0 } else { mean_step / level },
        trend: if travelled < TINY {
            0.0
        } else {
            net_decrease / travelled
        },
    })
}

/// The typical size of point-to-point noise relative to the level: the mean distance from
/// the [`median3`]-smoothed curve over the mean level.
pub(crate) fn rel_noise(xs: &[f64]) -> f64 {
    let smooth = median3(xs);
    let dev: Vec<f64> = xs.iter().zip(&smooth).map(|(x, s)| (x - s).abs()).collect();
    let level = mean(xs).abs();
    if level < TINY {
        0.0
    } else {
        mean(&dev) / level
    }
}

/// An exponential moving average with bias correction, fed one value at a time (the LR
/// finder smooths its loss while it sweeps): `avg = beta*avg + (1-beta)*x`, reported as
/// `avg / (1 - beta^n)` after `n` values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ema {
    beta: f64,
    avg: f64,
    n: i32,
}

impl Ema {
    /// An average with weight `beta` on the past (0 follows the values exactly).
    pub(crate) fn new(beta: f64) -> Self {
        Ema {
            beta,
            avg: 0.0,
            n: 0,
        }
    }

    /// Adds a value and returns the bias-corrected average so far.
    pub(crate) fn push(&mut self, x: f64) -> f64 {
        self.avg = self.beta * self.avg + (1.0 - self.beta) * x;
        self.n += 1;
        self.avg / (1.0 - self.beta.powi(self.n))
    }
}

/// A whole curve smoothed by an [`Ema`] (the tests build range-test curves with it).
#[cfg(test)]
pub(crate) fn smooth(losses: &[f64], beta: f64) -> Vec<f64> {
    let mut ema = Ema::new(beta);
    losses.iter().map(|&l| ema.push(l)).collect()
}

/// Slope of `y` against log10(x) by central differences (one-sided at the ends).
pub(crate) fn log_slope(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = y.len().min(x.len());
    let lx: Vec<f64> = x[..n].iter().map(|v| v.log10()).collect();
    (0..n)
        .map(|i| {
            let (a, b) = match i {
                0 => (0, 1.min(n - 1)),
                _ if i == n - 1 => (i - 1, i),
                _ => (i - 1, i + 1),
            };
            if a == b {
                0.0
            } else {
                (y[b] - y[a]) / (lx[b] - lx[a])
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moving_median_ignores_one_spike_in_its_window() {
        let xs = [1.0, 1.0, 50.0, 1.0, 1.0, f64::NAN, 1.0];
        assert_eq!(moving_median(&xs, 5), vec![1.0, 1.0, 1.0]);
        assert_eq!(moving_median(&[2.0, 4.0], 5), Vec::<f64>::new());
        assert_eq!(moving_median(&[3.0, 1.0, 2.0], 1), vec![3.0, 1.0, 2.0]);
    }

    #[test]
    fn median3_removes_a_single_spike_and_keeps_the_ends() {
        assert_eq!(
            median3(&[3.0, 2.0, 9.0, 1.0, 0.5]),
            vec![3.0, 3.0, 2.0, 1.0, 0.5]
        );
        assert_eq!(median3(&[1.0]), vec![1.0]);
        assert!(median3(&[]).is_empty());
    }

    #[test]
    fn wiggle_tells_a_zig_zag_from_a_decline() {
        let zig = [1.0, 1.5, 1.0, 1.5, 1.0, 1.5, 1.0];
        let w = wiggle(&zig).unwrap();
        assert_eq!(w.turning, 1.0);
        assert!((w.mean_step - 0.5).abs() < 1e-12);
        assert!(w.trend.abs() < 1e-12);
        let decline = [2.0, 1.5, 1.2, 1.0, 0.9];
        let w = wiggle(&decline).unwrap();
        assert_eq!(w.turning, 0.0);
        assert!((w.trend - 1.0).abs() < 1e-12);
        assert!(wiggle(&[1.0, 2.0]).is_none());
    }

    #[test]
    fn small_helpers() {
        assert_eq!(argmin(&[3.0, 1.0, 2.0, 1.0]), Some((1, 1.0)));
        assert_eq!(argmax(&[3.0, 1.0, 3.0]), Some((0, 3.0)));
        assert_eq!(argmin(&[]), None);
        assert_eq!(
            block_means(&[1.0, 3.0, 5.0, 7.0, 9.0], 2),
            vec![2.0, 6.0, 9.0]
        );
        assert!((rel_change(2.0, 1.5) + 0.25).abs() < 1e-12);
        assert_eq!(rel_change(0.0, 1.0), 0.0);
        assert_eq!(rel_noise(&[1.0, 0.9, 0.8, 0.7]), 0.0);
        assert!(rel_noise(&[1.0, 1.5, 1.0, 1.5, 1.0]) > 0.1);
    }

    #[test]
    fn smoothing_is_bias_corrected() {
        let s = smooth(&[2.0, 2.0, 2.0], 0.98);
        assert!(s.iter().all(|v| (v - 2.0).abs() < 1e-12));
    }
}
