//! Learning-rate schedules, with an optional linear warm-up in front.
//!
//! Every schedule is a pure function of the step, so a run's LR sequence can be checked,
//! plotted, and reproduced without training.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

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
            _ => Err(Error::invalid(
                "schedule",
                name,
                "use constant, step, cosine or one-cycle",
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
                if every_epochs == 0 {
                    return Err(Error::invalid("schedule.every_epochs", 0, "must be >= 1"));
                }
                if !(gamma > 0.0 && gamma < 1.0) {
                    return Err(Error::invalid(
                        "schedule.gamma",
                        gamma,
                        "must be in (0, 1), e.g. 0.1",
                    ));
                }
                Ok(())
            }
            Schedule::Cosine { min_factor } => {
                if !(0.0..1.0).contains(&min_factor) {
                    return Err(Error::invalid(
                        "schedule.min_factor",
                        min_factor,
                        "must be in [0, 1)",
                    ));
                }
                Ok(())
            }
            Schedule::OneCycle {
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                if !(pct_start > 0.0 && pct_start < 1.0) {
                    return Err(Error::invalid(
                        "schedule.pct_start",
                        pct_start,
                        "must be in (0, 1), e.g. 0.3",
                    ));
                }
                if !(div_factor >= 1.0 && div_factor.is_finite()) {
                    return Err(Error::invalid(
                        "schedule.div_factor",
                        div_factor,
                        "must be >= 1, e.g. 25",
                    ));
                }
                if !(final_div_factor >= 1.0 && final_div_factor.is_finite()) {
                    return Err(Error::invalid(
                        "schedule.final_div_factor",
                        final_div_factor,
                        "must be >= 1, e.g. 1e4",
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Everything needed to compute the LR of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrPlan {
    /// The configured learning rate.
    pub base: f64,
    /// Optimizer steps in the whole run.
    pub total_steps: usize,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    /// Steps of linear warm-up at the start.
    pub warmup_steps: usize,
}

impl LrPlan {
    /// The LR at optimizer step `step` (0-based). During warm-up it rises linearly:
    /// `base * (step + 1) / warmup_steps`; after it, the schedule runs over the remaining
    /// steps (step decay counts epochs from the start of the run).
    pub fn lr_at(&self, schedule: &Schedule, step: usize) -> f64 {
        let base = self.base;
        if step < self.warmup_steps {
            return base * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let t = (step - self.warmup_steps) as f64;
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1) as f64;
        match *schedule {
            Schedule::Constant => base,
            Schedule::Step {
                every_epochs,
                gamma,
            } => {
                let epoch = step / self.steps_per_epoch.max(1);
                base * gamma.powi((epoch / every_epochs.max(1)) as i32)
            }
            Schedule::Cosine { min_factor } => {
                let min = base * min_factor;
                min + (base - min) * (1.0 + (PI * t / span).cos()) / 2.0
            }
            Schedule::OneCycle {
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                let initial = base / div_factor;
                let min = initial / final_div_factor;
                let peak_step = (pct_start * span).floor() - 1.0;
                let end_step = span - 1.0;
                let anneal = |from: f64, to: f64, pct: f64| {
                    to + (from - to) / 2.0 * (1.0 + (PI * pct).cos())
                };
                if t <= peak_step {
                    anneal(
                        initial,
                        base,
                        if peak_step > 0.0 { t / peak_step } else { 1.0 },
                    )
                } else {
                    let len = (end_step - peak_step).max(1.0);
                    anneal(base, min, ((t - peak_step) / len).min(1.0))
                }
            }
        }
    }

    /// The whole LR sequence.
    pub fn sequence(&self, schedule: &Schedule) -> Vec<f64> {
        (0..self.total_steps)
            .map(|s| self.lr_at(schedule, s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(total: usize, per_epoch: usize, warmup: usize) -> LrPlan {
        LrPlan {
            base: 0.1,
            total_steps: total,
            steps_per_epoch: per_epoch,
            warmup_steps: warmup,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn constant_is_constant() {
        assert!(
            plan(10, 5, 0)
                .sequence(&Schedule::Constant)
                .iter()
                .all(|&lr| lr == 0.1)
        );
    }

    #[test]
    fn step_drops_tenfold_every_k_epochs() {
        let p = plan(60, 10, 0);
        let s = Schedule::step(2);
        assert!(close(p.lr_at(&s, 0), 0.1));
        assert!(close(p.lr_at(&s, 19), 0.1));
        assert!(close(p.lr_at(&s, 20), 0.01));
        assert!(close(p.lr_at(&s, 45), 0.001));
    }

    #[test]
    fn cosine_starts_at_base_halves_midway_and_ends_near_min() {
        let p = plan(100, 10, 0);
        let s = Schedule::cosine();
        assert!(close(p.lr_at(&s, 0), 0.1));
        assert!(close(p.lr_at(&s, 50), 0.05));
        assert!(p.lr_at(&s, 99) < 1e-4);
    }

    #[test]
    fn one_cycle_matches_pytorch_shape() {
        // torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=100) gives
        // 0.004 at step 0, 0.1 at step 29, and 4e-7 at step 99.
        let p = plan(100, 10, 0);
        let s = Schedule::one_cycle();
        assert!(close(p.lr_at(&s, 0), 0.004));
        assert!(close(p.lr_at(&s, 29), 0.1));
        assert!(close(p.lr_at(&s, 99), 0.004 / 1e4));
        let seq = p.sequence(&s);
        assert!(seq[..30].windows(2).all(|w| w[1] >= w[0]));
        assert!(seq[29..].windows(2).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn warmup_rises_linearly_then_hands_over() {
        let p = plan(100, 10, 10);
        assert!(close(p.lr_at(&Schedule::Constant, 0), 0.01));
        assert!(close(p.lr_at(&Schedule::Constant, 4), 0.05));
        assert!(close(p.lr_at(&Schedule::Constant, 9), 0.1));
        assert!(close(p.lr_at(&Schedule::cosine(), 10), 0.1));
        assert!(close(p.lr_at(&Schedule::cosine(), 55), 0.05));
    }

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
