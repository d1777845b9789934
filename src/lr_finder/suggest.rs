//! Turning a range-test curve into LR suggestions, and deciding whether to trust them.
//! Pure functions on plain vectors, so they are tested without training.

use serde::{Deserialize, Serialize};

/// Fewer usable points than this and the curve says nothing reliable: the sweep stopped
/// almost at once, so the LR where the loss falls was never seen.
pub const MIN_POINTS: usize = 10;

/// If the smoothed loss never falls by at least this share of its starting value, the curve
/// is flat: the range is wrong or the model cannot learn, and no LR can be read off it.
pub const FLAT_RELATIVE_DROP: f64 = 0.05;

/// If the typical distance between the raw and the smoothed loss exceeds this share of the
/// smoothed curve's total fall, noise dominates the signal and the suggestions jump between
/// repeats (the instability users report of other finders).
pub const NOISE_RATIO: f64 = 0.5;

/// Suggestions that disagree by more than this many decades (powers of ten) mean the curve
/// has no clear shape.
pub const MAX_DISAGREEMENT_DECADES: f64 = 2.0;

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

/// The recommendation: an LR with the reason, or none with the reason why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The recommended LR, `None` when the curve cannot be trusted ("uncertain").
    pub lr: Option<f64>,
    /// Which suggestion was chosen (`uncertain` when none).
    pub name: String,
    /// Why.
    pub reason: String,
}

/// Exponential moving average with bias correction: `avg = beta*avg + (1-beta)*loss`,
/// reported as `avg / (1 - beta^(i+1))`.
pub fn smooth(losses: &[f64], beta: f64) -> Vec<f64> {
    let mut avg = 0.0;
    losses
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            avg = beta * avg + (1.0 - beta) * l;
            avg / (1.0 - beta.powi(i as i32 + 1))
        })
        .collect()
}

/// Slope of `y` against log10(x) by central differences (one-sided at the ends).
pub fn log_slope(x: &[f64], y: &[f64]) -> Vec<f64> {
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

/// Index of the smallest finite value (0 when none is finite).
fn argmin(v: &[f64]) -> usize {
    crate::curve::argmin(v).map_or(0, |(i, _)| i)
}

/// All four suggestions for a curve of at least 3 points (fewer gives none).
pub fn suggest(lrs: &[f64], smoothed: &[f64]) -> Vec<Suggestion> {
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

/// Chooses the valley suggestion when the curve can be trusted, and says "uncertain" with the
/// reason when it cannot: too few points, a flat curve, noise larger than the signal, or
/// suggestions that disagree by more than [`MAX_DISAGREEMENT_DECADES`].
pub fn recommend(raw: &[f64], smoothed: &[f64], suggestions: &[Suggestion]) -> Recommendation {
    let uncertain = |reason: String| Recommendation {
        lr: None,
        name: "uncertain".into(),
        reason,
    };
    let n = smoothed.iter().take_while(|v| v.is_finite()).count();
    if n < MIN_POINTS || suggestions.is_empty() {
        return uncertain(format!(
            "only {n} usable points before the loss blew up (need {MIN_POINTS}): start the sweep at a lower LR"
        ));
    }
    let first = smoothed[0];
    let min = smoothed[argmin(smoothed)];
    let drop = (first - min) / first.abs().max(f64::MIN_POSITIVE);
    if drop < FLAT_RELATIVE_DROP {
        return uncertain(format!(
            "the smoothed loss fell only {:.1}% ({first:.4} to {min:.4}) over the whole range: widen the range, train on more steps, or check the data and model",
            drop * 100.0
        ));
    }
    let mut deviations: Vec<f64> = raw
        .iter()
        .zip(smoothed)
        .take(n)
        .map(|(r, s)| (r - s).abs())
        .filter(|d| d.is_finite())
        .collect();
    deviations.sort_by(f64::total_cmp);
    let noise = deviations.get(deviations.len() / 2).copied().unwrap_or(0.0);
    let fall = first - min;
    if noise > NOISE_RATIO * fall {
        return uncertain(format!(
            "too noisy to trust: the raw loss strays {noise:.4} from the smoothed curve, against a total fall of {fall:.4}; use a larger batch or repeat over seeds"
        ));
    }
    let logs: Vec<f64> = suggestions.iter().map(|s| s.lr.log10()).collect();
    let spread = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        - logs.iter().cloned().fold(f64::INFINITY, f64::min);
    if spread > MAX_DISAGREEMENT_DECADES {
        return uncertain(format!(
            "the suggestions disagree by {spread:.1} decades ({}): the curve has no clear valley",
            suggestions
                .iter()
                .map(|s| format!("{} {}", s.name, crate::fmt::sci(s.lr, 2)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let valley = suggestions
        .iter()
        .find(|s| s.name == "valley")
        .unwrap_or(&suggestions[0]);
    Recommendation {
        lr: Some(valley.lr),
        name: valley.name.clone(),
        reason: format!(
            "{}: {}; the four suggestions agree within {spread:.1} decades",
            valley.name, valley.reason
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textbook curve: flat at 2.3, falling between 1e-4 and 1e-2, blowing up after 1e-1.
    fn textbook() -> (Vec<f64>, Vec<f64>) {
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

    #[test]
    fn smoothing_is_bias_corrected() {
        let s = smooth(&[2.0, 2.0, 2.0], 0.98);
        assert!(s.iter().all(|v| (v - 2.0).abs() < 1e-12));
    }

    #[test]
    fn textbook_curve_gives_agreeing_suggestions_in_the_fall() {
        let (lrs, loss) = textbook();
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
        let (lrs, mut loss) = textbook();
        let last = loss.len() - 1;
        loss[last] = 9000.0;
        let sm = smooth(&loss, 0.0);
        let s = suggest(&lrs, &sm);
        let valley = s.iter().find(|x| x.name == "valley").unwrap();
        assert!(valley.lr > 1e-4 && valley.lr < 1e-1, "{valley:?}");
        assert_eq!(recommend(&loss, &sm, &s).name, "valley");
    }

    #[test]
    fn flat_curve_is_uncertain() {
        let lrs: Vec<f64> = (0..50).map(|i| 1e-7 * 10f64.powf(i as f64 / 6.0)).collect();
        let loss = vec![2.3; 50];
        let sm = smooth(&loss, 0.98);
        let r = recommend(&loss, &sm, &suggest(&lrs, &sm));
        assert_eq!(r.lr, None);
        assert!(r.reason.contains("fell only"), "{}", r.reason);
    }

    #[test]
    fn noisy_curve_is_uncertain() {
        let (lrs, loss) = textbook();
        let mut rng = crate::rng::Rng::new(1);
        let noisy: Vec<f64> = loss
            .iter()
            .map(|l| l + 3.0 * (rng.uniform() - 0.5))
            .collect();
        let sm = smooth(&noisy, 0.98);
        let r = recommend(&noisy, &sm, &suggest(&lrs, &sm));
        assert_eq!(r.lr, None, "{}", r.reason);
    }

    #[test]
    fn too_short_curve_is_uncertain() {
        let lrs = vec![1e-3, 1e-2, 1e-1, 1.0];
        let loss = vec![2.3, 2.0, 5.0, 20.0];
        let sm = smooth(&loss, 0.98);
        let r = recommend(&loss, &sm, &suggest(&lrs, &sm));
        assert_eq!(r.lr, None);
        assert!(r.reason.contains("usable points"));
    }
}
