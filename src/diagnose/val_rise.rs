//! How the validation loss moved after its minimum: the measurement behind the overfitting
//! and the uncertain ("maybe noise") findings.

use super::History;
use crate::curve::{argmin, median3, rel_change, rel_noise};

/// The validation loss rising this fraction above its minimum (while the training loss
/// falls) is overfitting; smaller rises are within the epoch-to-epoch wobble of a
/// validation set of a few hundred samples.
pub const OVERFIT_VAL_RISE: f64 = 0.1;

/// The rise must also be this many times the validation curve's own epoch-to-epoch noise
/// (its mean distance from the median-smoothed curve, relative to its level); a smaller rise
/// is reported as "uncertain" instead of overfitting.
pub const OVERFIT_NOISE_MULTIPLE: f64 = 2.0;

/// How the validation loss moved after its minimum.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ValRise {
    /// Index of the epoch with the lowest validation loss.
    pub min_index: usize,
    /// The lowest validation loss.
    pub min: f64,
    /// The last validation loss.
    pub last: f64,
    /// `last` over `min`, minus 1.
    pub rise: f64,
    /// The same rise on the median-smoothed curve (robust to one lucky epoch).
    pub smooth_rise: f64,
    /// The validation curve's relative epoch-to-epoch noise.
    pub noise: f64,
    /// Training loss at the minimum and at the end.
    pub train_at_min: f64,
    /// Training loss at the end.
    pub train_last: f64,
}

impl ValRise {
    /// Whether the rise is large and the training loss still fell: a candidate overfit.
    pub fn is_candidate(&self) -> bool {
        self.rise >= OVERFIT_VAL_RISE && self.train_last < self.train_at_min
    }

    /// Whether the rise also stands out from the noise.
    pub fn is_clear(&self) -> bool {
        self.is_candidate()
            && self.smooth_rise >= OVERFIT_VAL_RISE
            && self.smooth_rise >= OVERFIT_NOISE_MULTIPLE * self.noise
    }
}

/// The rise of the validation loss after its minimum, if the minimum is before the end.
pub(super) fn val_rise(h: &History) -> Option<ValRise> {
    let n = h.n_epochs();
    if n < 3 || h.val_loss.len() != n {
        return None;
    }
    let (min_index, min) = argmin(&h.val_loss)?;
    if min_index + 1 == n || min <= 0.0 {
        return None;
    }
    let smooth = median3(&h.val_loss);
    let (_, smooth_min) = argmin(&smooth)?;
    let last = h.val_loss[n - 1];
    Some(ValRise {
        min_index,
        min,
        last,
        rise: rel_change(min, last),
        smooth_rise: rel_change(smooth_min, smooth[n - 1]),
        noise: rel_noise(&h.val_loss),
        train_at_min: h.train_loss[min_index],
        train_last: h.train_loss[n - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_the_rise_after_the_minimum() {
        let h = History::new(vec![1.0, 0.8, 0.6, 0.5, 0.4], vec![1.0, 0.8, 0.7, 0.8, 0.9]);
        let r = val_rise(&h).unwrap();
        assert_eq!((r.min_index, r.min, r.last), (2, 0.7, 0.9));
        assert!((r.rise - 0.2 / 0.7).abs() < 1e-12);
        assert_eq!((r.train_at_min, r.train_last), (0.6, 0.4));
        assert!(r.is_candidate() && r.is_clear(), "{r:?}");
        let falling = History::new(vec![1.0, 0.8, 0.6], vec![1.0, 0.8, 0.7]);
        assert!(val_rise(&falling).is_none(), "minimum at the end");
    }
}
