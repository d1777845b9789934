//! What a finding tells you to do, as data: the study applies these, the diagnosis benchmark
//! applies them to rerun a run with the change, and [`Display`](std::fmt::Display) gives the
//! sentence a student reads.

use crate::fmt::{lr, nice_lr, num};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One change to a run's configuration (or to its data), as a finding suggests it.
///
/// The values are the suggested ones: `ScaleLr { factor: 0.1, to: Some(1e-4) }` is "cut the
/// LR 10x, to 1e-4". A finding lists its actions most likely first
/// ([`Finding::actions`](super::Finding::actions)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to fix: keep this configuration and go on with the next tuning step.
    Keep,
    /// Multiply the learning rate by `factor` (below 1 cuts it); `to` is the LR to try,
    /// rounded to one significant digit, when the run's LR is known.
    ScaleLr {
        /// The multiplier.
        factor: f64,
        /// The LR to try next, when the run's LR is known.
        to: Option<f64>,
    },
    /// Set the dropout probability (add it, raise it, cut it or remove it with 0).
    SetDropout {
        /// Dropout now, when known.
        from: Option<f64>,
        /// Dropout to try.
        to: f64,
    },
    /// Set the weight decay (add it, raise it, cut it or remove it with 0).
    SetWeightDecay {
        /// Weight decay now, when known.
        from: Option<f64>,
        /// Weight decay to try.
        to: f64,
    },
    /// Train for `factor` times as many epochs.
    TrainLonger {
        /// The multiplier of the epoch count.
        factor: f64,
    },
    /// Stop at the epoch where the validation loss was lowest (`epoch`), or use early
    /// stopping when that epoch is not known.
    StopEarly {
        /// The epoch to stop at, counted from 1.
        epoch: Option<usize>,
    },
    /// Add a decaying LR schedule (cosine or step): smaller steps for a loss that bounces
    /// around a minimum.
    AddSchedule,
    /// A schedule that first warms the LR up to a peak above the current LR, then decays it
    /// (one-cycle): larger steps for a while, for a loss stalled by an LR too low.
    WarmUpSchedule {
        /// The peak LR to try, when the run's LR is known.
        peak: Option<f64>,
    },
    /// A larger model: wider or deeper.
    GrowModel,
    /// A smaller model: fewer layers or neurons.
    ShrinkModel,
    /// Shuffle the training rows every epoch.
    Shuffle,
    /// A larger batch (or gradient accumulation over several small ones).
    LargerBatch {
        /// The batch to try, when the run's batch is known.
        to: Option<usize>,
    },
    /// Get more training data.
    MoreData,
    /// Check the data before tuning anything: labels in step with the features, the same
    /// preprocessing for every split, features that carry information.
    CheckData,
    /// Check the output layer, the loss and the labels: the first loss is far from ln(classes).
    CheckModelOutput,
}

impl Action {
    /// The snake_case name of the kind of change, as in JSON: `scale_lr`, `set_dropout`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::ScaleLr { .. } => "scale_lr",
            Action::SetDropout { .. } => "set_dropout",
            Action::SetWeightDecay { .. } => "set_weight_decay",
            Action::TrainLonger { .. } => "train_longer",
            Action::StopEarly { .. } => "stop_early",
            Action::AddSchedule => "add_schedule",
            Action::WarmUpSchedule { .. } => "warm_up_schedule",
            Action::GrowModel => "grow_model",
            Action::ShrinkModel => "shrink_model",
            Action::Shuffle => "shuffle",
            Action::LargerBatch { .. } => "larger_batch",
            Action::MoreData => "more_data",
            Action::CheckData => "check_data",
            Action::CheckModelOutput => "check_model_output",
        }
    }

    /// An LR change of `factor` from the run's LR `base` (if known), the suggested value
    /// rounded to one significant digit.
    pub fn scale_lr(factor: f64, base: Option<f64>) -> Action {
        Action::ScaleLr {
            factor,
            to: base.map(|b| crate::fmt::round_significant(b * factor, 1)),
        }
    }

    /// A one-cycle schedule peaking at `factor` times the run's LR `base` (if known), the
    /// peak rounded to one significant digit.
    pub fn warm_up_schedule(factor: f64, base: Option<f64>) -> Action {
        Action::WarmUpSchedule {
            peak: base.map(|b| crate::fmt::round_significant(b * factor, 1)),
        }
    }

    /// The LR factor, when this is an LR change.
    pub fn lr_factor(&self) -> Option<f64> {
        match self {
            Action::ScaleLr { factor, .. } => Some(*factor),
            _ => None,
        }
    }

    /// Whether this changes nothing but says to look at the data or the code.
    pub fn is_a_check(&self) -> bool {
        matches!(self, Action::CheckData | Action::CheckModelOutput)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Keep => f.write_str("keep this configuration"),
            Action::ScaleLr { factor, to } => {
                let verb = if *factor < 1.0 { "cut" } else { "raise" };
                let times = if *factor < 1.0 { 1.0 / factor } else { *factor };
                write!(
                    f,
                    "{verb} the LR {}x",
                    num(crate::fmt::round_significant(times, 2))
                )?;
                if let Some(to) = to {
                    write!(f, " (try {})", nice_lr(*to))?;
                }
                Ok(())
            }
            Action::SetDropout { from, to } => change(f, "dropout", *from, *to, num),
            Action::SetWeightDecay { from, to } => change(f, "weight decay", *from, *to, lr),
            Action::TrainLonger { factor } => write!(f, "train {}x as many epochs", num(*factor)),
            Action::StopEarly { epoch: Some(e) } => write!(f, "stop early, at epoch {e}"),
            Action::StopEarly { epoch: None } => f.write_str("use early stopping"),
            Action::AddSchedule => f.write_str("add a decaying LR schedule (cosine / step)"),
            Action::WarmUpSchedule { peak } => {
                f.write_str("use a schedule that warms up to a higher LR first (one-cycle")?;
                if let Some(peak) = peak {
                    write!(f, ", peak {}", nice_lr(*peak))?;
                }
                f.write_str(")")
            }
            Action::GrowModel => f.write_str("grow the model (wider or deeper)"),
            Action::ShrinkModel => f.write_str("shrink the model (fewer layers or neurons)"),
            Action::Shuffle => f.write_str("shuffle the training rows every epoch"),
            Action::LargerBatch { to: Some(b) } => write!(f, "use a larger batch ({b})"),
            Action::LargerBatch { to: None } => f.write_str("use a larger batch"),
            Action::MoreData => f.write_str("get more training data"),
            Action::CheckData => f.write_str("check the data and labels"),
            Action::CheckModelOutput => {
                f.write_str("check the output layer, the loss and the labels")
            }
        }
    }
}

/// "add dropout 0.3", "raise weight decay from 0.0001 to 0.001", "remove dropout 0.5".
fn change(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    from: Option<f64>,
    to: f64,
    show: fn(f64) -> String,
) -> fmt::Result {
    match from {
        Some(from) if to <= 0.0 => write!(f, "remove {what} {}", show(from)),
        None | Some(0.0) => write!(f, "add {what} {}", show(to)),
        Some(from) if to > from => write!(f, "raise {what} from {} to {}", show(from), show(to)),
        Some(from) => write!(f, "cut {what} from {} to {}", show(from), show(to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_reads_as_a_sentence_with_its_values() {
        let cases = [
            (
                Action::scale_lr(0.1, Some(0.3)),
                "cut the LR 10x (try 0.03)",
            ),
            (
                Action::scale_lr(3.0, Some(1e-3)),
                "raise the LR 3x (try 0.003)",
            ),
            (Action::scale_lr(1.0 / 3.0, None), "cut the LR 3x"),
            (
                Action::SetDropout {
                    from: Some(0.0),
                    to: 0.3,
                },
                "add dropout 0.3",
            ),
            (
                Action::SetWeightDecay {
                    from: Some(1e-4),
                    to: 1e-3,
                },
                "raise weight decay from 0.0001 to 0.001",
            ),
            (
                Action::SetDropout {
                    from: Some(0.5),
                    to: 0.0,
                },
                "remove dropout 0.5",
            ),
            (
                Action::SetDropout {
                    from: Some(0.5),
                    to: 0.25,
                },
                "cut dropout from 0.5 to 0.25",
            ),
            (
                Action::StopEarly { epoch: Some(7) },
                "stop early, at epoch 7",
            ),
            (
                Action::TrainLonger { factor: 3.0 },
                "train 3x as many epochs",
            ),
            (Action::Keep, "keep this configuration"),
            (
                Action::AddSchedule,
                "add a decaying LR schedule (cosine / step)",
            ),
            (
                Action::warm_up_schedule(10.0, Some(3.1e-4)),
                "use a schedule that warms up to a higher LR first (one-cycle, peak 0.003)",
            ),
            (
                Action::WarmUpSchedule { peak: None },
                "use a schedule that warms up to a higher LR first (one-cycle)",
            ),
        ];
        for (action, text) in cases {
            assert_eq!(action.to_string(), text, "{action:?}");
        }
    }

    #[test]
    fn actions_are_tagged_json_by_kind() {
        let a = Action::scale_lr(0.1, Some(0.01));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"kind":"scale_lr","factor":0.1,"to":0.001}"#);
        let back: Action = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(a.kind(), "scale_lr");
        assert_eq!(a.lr_factor(), Some(0.1));
        assert_eq!(
            serde_json::to_string(&Action::Shuffle).unwrap(),
            r#"{"kind":"shuffle"}"#
        );
        assert_eq!(
            serde_json::to_string(&Action::WarmUpSchedule { peak: None }).unwrap(),
            r#"{"kind":"warm_up_schedule","peak":null}"#
        );
        assert!(Action::CheckData.is_a_check() && !Action::Shuffle.is_a_check());
    }
}
