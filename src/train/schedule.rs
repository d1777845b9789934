//! Learning-rate schedules, with an optional linear warm-up in front.
//!
//! Every schedule is a pure function of the step, so a run's LR sequence can be checked,
//! plotted, and reproduced without training.

use crate::error::{Error, Result, Valid};
use serde::{Deserialize, Serialize};

/// How the learning rate changes over training. `base` below is the configured LR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    /// `base` at every step.
    #[default]
    Constant,
    /// `base * gamma^(epoch / every_epochs)` (integer division, epochs counted from 0).
    Step {
        /// Epochs between drops (>= 1).
        every_epochs: usize,
        /// Factor of each drop, in (0, 1) (0.1 is usual).
        gamma: f64,
    },
    /// Cosine annealing from `base` to `base * min_factor` over the steps after warm-up:
    /// `min + (base - min) * (1 + cos(pi * t / T)) / 2`.
    Cosine {
        /// Final LR as a fraction of `base`, in [0, 1) (default 0).
        min_factor: f64,
    },
    /// Smith's one-cycle policy as in PyTorch's `OneCycleLR` (cosine phases): `base` is the
    /// peak; start at `base / div_factor`, rise over the first `pct_start` of the steps, then
    /// fall to `base / (div_factor * final_div_factor)`.
    OneCycle {
        /// Share of steps spent rising, in (0, 1) (default 0.3).
        pct_start: f64,
        /// Start LR is `base / div_factor` (default 25).
        div_factor: f64,
        /// Final LR is the start LR divided by this (default 1e4).
        final_div_factor: f64,
    },
}

impl Schedule {
    /// Step decay by 10x every `every_epochs` epochs.
    pub fn step(every_epochs: usize) -> Schedule {
        Schedule::Step {
            every_epochs,
            gamma: 0.1,
        }
    }

    /// Cosine annealing to zero.
    pub fn cosine() -> Schedule {
        Schedule::Cosine { min_factor: 0.0 }
    }

    /// One-cycle with PyTorch's defaults.
    pub fn one_cycle() -> Schedule {
        Schedule::OneCycle {
            pct_start: 0.3,
            div_factor: 25.0,
            final_div_factor: 1e4,
        }
    }

    /// A short name: constant, step, cosine or one-cycle.
    pub fn name(&self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Step { .. } => "step",
            Schedule::Cosine { .. } => "cosine",
            Schedule::OneCycle { .. } => "one-cycle",
        }
    }

    /// Parses a name, with the defaults above; `step` drops every third of `epochs`.
    pub fn parse(name: &str, epochs: usize) -> Result<Schedule> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "constant" | "none" => Ok(Schedule::Constant),
            "step" => Ok(Schedule::step((epochs / 3).max(1))),
            "cosine" => Ok(Schedule::cosine()),
            "one-cycle" | "onecycle" => Ok(Schedule::one_cycle()),
            _ => Err(Error::unknown(
                "schedule",
                name,
                "constant, step, cosine or one-cycle",
            )),
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step {
                every_epochs,
                gamma,
            } => {
                Error::check(
                    "schedule.every_epochs",
                    every_epochs as f64,
                    Valid::AtLeast(1.0),
                    "",
                )?;
                Error::check("schedule.gamma", gamma, Valid::Open(0.0, 1.0), "e.g. 0.1")?;
                Ok(())
            }
            Schedule::Cosine { min_factor } => {
                Error::check(
                    "schedule.min_factor",
                    min_factor,
                    Valid::HalfOpen(0.0, 1.0),
                    "",
                )?;
                Ok(())
            }
            Schedule::OneCycle {
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                Error::check(
                    "schedule.pct_start",
                    pct_start,
                    Valid::Open(0.0, 1.0),
                    "e.g. 0.3",
                )?;
                Error::check(
                    "schedule.div_factor",
                    div_factor,
                    Valid::AtLeast(1.0),
                    "e.g. 25",
                )?;
                Error::check(
                    "schedule.final_div_factor",
                    final_div_factor,
                    Valid::AtLeast(1.0),
                    "e.g. 1e4",
                )?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_validate() {
        assert_eq!(Schedule::parse("step", 30).unwrap(), Schedule::step(10));
        assert!(Schedule::parse("exponential", 30).is_err());
        assert!(
            Schedule::Step {
                every_epochs: 0,
                gamma: 0.1
            }
            .validate()
            .is_err()
        );
        assert!(
            Schedule::Step {
                every_epochs: 2,
                gamma: 1.5
            }
            .validate()
            .is_err()
        );
        assert!(Schedule::Cosine { min_factor: 1.0 }.validate().is_err());
        assert!(Schedule::one_cycle().validate().is_ok());
    }
}
