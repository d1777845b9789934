//! The four suggestions read off a range-test curve: steepest descent, the minimum / 10,
//! the valley (the longest steady descent) and the slide.

use crate::curve::log_slope;
use serde::{Deserialize, Serialize};

/// A point belongs to a descending stretch when the loss falls by at least this share of
/// the curve's range per decade of LR: nearly flat starts (where nothing is learned yet) do
/// not count as descent, or the valley would drift to the tiny LRs at the left edge.
const VALLEY_MIN_SLOPE: f64 = 0.05;

/// Width of the slide window, as a share of the points.
const SLIDE_WINDOW: f64 = 0.15;

/// The slide stops where the slopes at both window ends differ by less than this share of
/// the curve's range per decade.
const SLIDE_THRESHOLD: f64 = 0.05;

/// One suggested learning rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// `steepest`, `min_div_10`, `valley` or `slide`.
    pub name: String,
    /// The suggested learning rate.
    pub lr: f64,
    /// Index of the point in the sweep.
    pub index: usize,
    /// One line on how it was found.
    pub reason: String,
}

/// Index of the smallest finite value (0 when none is finite).
fn argmin(v: &[f64]) -> usize {
    crate::curve::argmin(v).map_or(0, |(i, _)| i)
}

/// All four suggestions for a curve of at least 3 points (fewer gives none).
pub(crate) fn suggest(lrs: &[f64], smoothed: &[f64]) -> Vec<Suggestion> {
    let n = smoothed.len().min(lrs.len());
    if n < 3 {
        return Vec::new();
    }
    let (lrs, smoothed) = (&lrs[..n], &smoothed[..n]);
    let min_i = argmin(smoothed);
    let slope = log_slope(lrs, smoothed);
    let mut out = Vec::new();

    // Steepest descent, searched before the minimum (past it the loss is blowing up).
    let upto = min_i.max(1);
    let steep_i = (0..=upto)
        .min_by(|&a, &b| slope[a].total_cmp(&slope[b]))
        .unwrap_or(0);
    out.push(Suggestion {
        name: "steepest".into(),
        lr: lrs[steep_i],
        index: steep_i,
        reason: format!(
            "steepest fall of the smoothed loss: {:.3} per decade at lr {}",
            slope[steep_i],
            crate::fmt::sci(lrs[steep_i], 2)
        ),
    });

    out.push(Suggestion {
        name: "min_div_10".into(),
        lr: lrs[min_i] / 10.0,
        index: min_i,
        reason: format!(
            "a tenth of lr {} where the smoothed loss is lowest ({:.4})",
            crate::fmt::sci(lrs[min_i], 2),
            smoothed[min_i]
        ),
    });

    // The valley looks at the curve up to its minimum: past it the loss is blowing up, and a
    // blow-up spike (thousands, against a fall of about 2) must not set the scale of what
    // counts as "falling".
    let head = min_i.max(1).min(n - 1);
    let (vs, ve) = longest_descent(&lrs[..=head], &smoothed[..=head]);
    let valley_i = (vs + ve) / 2;
    out.push(Suggestion {
        name: "valley".into(),
        lr: lrs[valley_i],
        index: valley_i,
        reason: format!(
            "middle of the longest descending stretch, lr {} to {} ({} points)",
            crate::fmt::sci(lrs[vs], 2),
            crate::fmt::sci(lrs[ve], 2),
            ve - vs + 1
        ),
    });

    let slide_i = slide(&slope[..=head], smoothed);
    out.push(Suggestion {
        name: "slide".into(),
        lr: lrs[slide_i],
        index: slide_i,
        reason: format!(
            "sliding back from the minimum until the slope stops changing, at lr {}",
            crate::fmt::sci(lrs[slide_i], 2)
        ),
    });
    out
}

/// The longest run of points over which the curve keeps falling at a meaningful rate.
fn longest_descent(lrs: &[f64], y: &[f64]) -> (usize, usize) {
    let (lo, hi) = y
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let min_slope = VALLEY_MIN_SLOPE * (hi - lo).max(0.0);
    let (mut best, mut start) = ((0, 0), 0);
    for i in 1..y.len() {
        let decades = (lrs[i] / lrs[i - 1]).log10().max(f64::MIN_POSITIVE);
        let falling = y[i].is_finite() && (y[i - 1] - y[i]) / decades >= min_slope;
        if !falling {
            start = i;
        } else if i - start > best.1 - best.0 {
            best = (start, i);
        }
    }
    best
}

/// Slides a window leftwards from the right end of `slope` until the slopes at its two ends
/// agree, and returns the left end.
fn slide(slope: &[f64], smoothed: &[f64]) -> usize {
    let n = slope.len();
    let width = ((n as f64 * SLIDE_WINDOW).round() as usize).max(1);
    if n <= width {
        return 0;
    }
    let (lo, hi) = smoothed
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let thresh = SLIDE_THRESHOLD * (hi - lo).max(f64::MIN_POSITIVE);
    let mut r = n - 1;
    let mut l = r - width;
    while l > 0 && (slope[r] - slope[l]).abs() > thresh {
        r -= 1;
        l -= 1;
    }
    l
}

/// A textbook curve: flat at 2.3, falling between 1e-4 and 1e-2, blowing up after 1e-1.
#[cfg(test)]
pub(super) fn textbook_curve() -> (Vec<f64>, Vec<f64>) {
    let lrs: Vec<f64> = (0..100)
        .map(|i| 1e-7 * 1e8f64.powf(i as f64 / 99.0))
        .collect();
    let loss = lrs
        .iter()
        .map(|lr| {
            let x = lr.log10();
            let fall = 2.0 / (1.0 + (-(x + 3.0) * 3.0).exp());
            let blow = if x > -1.0 {
                (x + 1.0).powi(2) * 5.0
            } else {
                0.0
            };
            2.3 - fall + blow
        })
        .collect();
    (lrs, loss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::smooth;
    use crate::lr_finder::recommend::recommend;

    #[test]
    fn textbook_curve_gives_agreeing_suggestions_in_the_fall() {
        let (lrs, loss) = textbook_curve();
        let sm = smooth(&loss, 0.0);
        let s = suggest(&lrs, &sm);
        let get = |n: &str| s.iter().find(|x| x.name == n).unwrap().lr;
        assert!(
            (get("steepest").log10() + 3.0).abs() < 0.3,
            "steepest {}",
            get("steepest")
        );
        assert!(
            get("valley") > 1e-4 && get("valley") < 1e-1,
            "valley {}",
            get("valley")
        );
        assert!(get("min_div_10") > 1e-3 && get("min_div_10") < 1e-1);
        assert!(
            get("slide") > 1e-5 && get("slide") < 1e-1,
            "slide {}",
            get("slide")
        );
        let r = recommend(&loss, &sm, &s);
        assert_eq!(r.name, "valley");
        assert_eq!(r.lr, Some(get("valley")));
    }

    #[test]
    fn a_blow_up_spike_at_the_end_does_not_hide_the_valley() {
        // The range test stops at the first point that blows up; that point can be thousands
        // of times the starting loss.
        let (lrs, mut loss) = textbook_curve();
        let last = loss.len() - 1;
        loss[last] = 9000.0;
        let sm = smooth(&loss, 0.0);
        let s = suggest(&lrs, &sm);
        let valley = s.iter().find(|x| x.name == "valley").unwrap();
        assert!(valley.lr > 1e-4 && valley.lr < 1e-1, "{valley:?}");
        assert_eq!(recommend(&loss, &sm, &s).name, "valley");
    }
}
