//! The learning rate of every step of a run: the schedule applied to the run's step count,
//! behind an optional linear warm-up.

use super::Schedule;
use std::f64::consts::PI;

/// Everything needed to compute the LR of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LrPlan {
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
    #[cfg(test)]
    pub(crate) fn sequence(&self, schedule: &Schedule) -> Vec<f64> {
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
}
