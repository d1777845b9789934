//! The recommendation: the valley suggestion when the curve can be trusted, or "uncertain"
//! with the reason.

use super::suggest::Suggestion;
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

impl Recommendation {
    /// No recommendation, with the reason why not.
    pub(crate) fn uncertain(reason: impl Into<String>) -> Self {
        Recommendation {
            lr: None,
            name: "uncertain".into(),
            reason: reason.into(),
        }
    }
}

/// What makes a curve untrustworthy, if anything: too few points, a flat curve, or noise
/// larger than the signal.
pub(crate) fn curve_problem(raw: &[f64], smoothed: &[f64], n_suggestions: usize) -> Option<String> {
    let n = smoothed.iter().take_while(|v| v.is_finite()).count();
    if n < MIN_POINTS || n_suggestions == 0 {
        return Some(format!(
            "only {n} usable points before the loss blew up (need {MIN_POINTS}): start the sweep at a lower LR"
        ));
    }
    let first = smoothed[0];
    let min = smoothed[crate::curve::argmin(smoothed).map_or(0, |(i, _)| i)];
    let drop = (first - min) / first.abs().max(f64::MIN_POSITIVE);
    if drop < FLAT_RELATIVE_DROP {
        return Some(format!(
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
        return Some(format!(
            "too noisy to trust: the raw loss strays {noise:.4} from the smoothed curve, against a total fall of {fall:.4}; use a larger batch or repeat over seeds"
        ));
    }
    None
}

/// The recommendation from the curve alone (used when the check at the training budget is
/// off): the valley suggestion when the curve can be trusted, "uncertain" with the reason
/// when it cannot ([`curve_problem`]) or when the suggestions disagree by more than
/// [`MAX_DISAGREEMENT_DECADES`].
pub(crate) fn recommend(
    raw: &[f64],
    smoothed: &[f64],
    suggestions: &[Suggestion],
) -> Recommendation {
    let uncertain = Recommendation::uncertain;
    if let Some(problem) = curve_problem(raw, smoothed, suggestions.len()) {
        return uncertain(problem);
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
    use crate::curve::smooth;
    use crate::lr_finder::suggest::{suggest, textbook_curve};

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
        let (lrs, loss) = textbook_curve();
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
