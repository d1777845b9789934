//! The memory guard: training whose tensors would not fit in the memory of this machine is
//! refused before anything is allocated, with what would fit, instead of the process being
//! killed by a failed allocation.
//!
//! The count is [`MlpConfig::memory_cost`] in f32 (parameters, gradients, optimizer state,
//! activations of one batch kept for the backward pass), plus the copy of the weights made on
//! the host while the model is built. That formula is the only one: the memory advice
//! ([`crate::advise::memory_estimate`]) splits the same count into its parts.

use super::MlpConfig;
use crate::error::{Error, Result};

/// Bytes per value in f32 training.
pub(crate) const F32_BYTES: usize = 4;
/// Activations are kept twice: the forward values (needed by backward) and their gradients.
pub(crate) const ACTIVATION_COPIES: usize = 2;

/// How training stores its numbers, in bytes per value: weights, gradients and activations
/// (`value`), the master copy of the weights that mixed precision keeps (`master`, 0
/// without one) and the optimizer's state (`state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueBytes {
    pub(crate) value: usize,
    pub(crate) master: usize,
    pub(crate) state: usize,
}

impl ValueBytes {
    /// Every value in `bytes` bytes, no master copy.
    pub(crate) const fn uniform(bytes: usize) -> Self {
        ValueBytes {
            value: bytes,
            master: 0,
            state: bytes,
        }
    }
}
/// The memory assumed available where the system does not say how much there is (no
/// `/proc/meminfo`): 16 GiB.
pub const FALLBACK_AVAILABLE_BYTES: u64 = 16 << 30;

/// The memory available for training now: `MemAvailable` of `/proc/meminfo` on Linux (less
/// when the process's control group allows less), else [`FALLBACK_AVAILABLE_BYTES`].
pub fn available_memory() -> u64 {
    let system = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_available(&text));
    match (system, cgroup_room()) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => FALLBACK_AVAILABLE_BYTES,
    }
}

/// `MemAvailable` in bytes, from the text of `/proc/meminfo`.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line.split_whitespace().skip(1);
    let value: u64 = words.next()?.parse().ok()?;
    let unit = match words.next() {
        Some("kB") => 1024,
        None => 1,
        Some(_) => return None,
    };
    Some(value.saturating_mul(unit))
}

/// What the control group (cgroup v2) still lets this process use, when it sets a limit.
fn cgroup_room() -> Option<u64> {
    let read = |name: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{name}")).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?;
    let current: u64 = read("memory.current")
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    Some(max.saturating_sub(current))
}

/// Layer widths joined by `-`, three or more equal ones in a row written once with their
/// count: `4-65536(x32)-3`.
fn widths_text(widths: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < widths.len() {
        let run = widths[i..].iter().take_while(|&&w| w == widths[i]).count();
        if run >= 3 {
            parts.push(format!("{}(x{run})", widths[i]));
        } else {
            parts.extend(widths[i..i + run].iter().map(|w| w.to_string()));
        }
        i += run;
    }
    parts.join("-")
}

impl MlpConfig {
    /// Bytes of f32 tensors that training this model needs with `state_slots` optimizer
    /// values per parameter (2 for Adam, see
    /// [`OptimizerKind::state_slots`](crate::train::OptimizerKind::state_slots)) and `batch`
    /// samples per forward pass: parameters, gradients, optimizer state and activations;
    /// the total of [`crate::advise::memory_estimate`] in f32. Saturates instead of
    /// overflowing.
    pub fn training_bytes(&self, state_slots: usize, batch: usize) -> u64 {
        let (fixed, per_sample) = self.memory_cost(state_slots, ValueBytes::uniform(F32_BYTES));
        fixed.saturating_add(per_sample.saturating_mul(batch as u64))
    }

    /// The memory of training this model, as bytes that do not grow with the batch
    /// (weights, their master copy, gradients, `state_slots` optimizer values per parameter)
    /// and bytes per sample of the batch (every layer's values, input included, forward and
    /// backward). Saturates instead of overflowing.
    pub(crate) fn memory_cost(&self, state_slots: usize, bytes: ValueBytes) -> (u64, u64) {
        let params = self.num_params() as u64;
        let per_param = (2 * bytes.value + bytes.master + state_slots * bytes.state) as u64;
        let width_sum = self
            .widths()
            .iter()
            .fold(0u64, |sum, &w| sum.saturating_add(w as u64));
        let per_sample = width_sum.saturating_mul((ACTIVATION_COPIES * bytes.value) as u64);
        (params.saturating_mul(per_param), per_sample)
    }

    /// What building and training this model needs: [`training_bytes`](Self::training_bytes)
    /// and the host copy of the weights made while it is built.
    fn bytes_needed(&self, state_slots: usize, batch: usize) -> u64 {
        let host_copy = (self.num_params() as u64).saturating_mul(F32_BYTES as u64);
        self.training_bytes(state_slots, batch)
            .saturating_add(host_copy)
    }

    /// Refuses training with `optimizer` (named, keeping `state_slots` values per parameter)
    /// at `batch` samples per forward pass when it needs more than the
    /// [`available_memory`], with what would fit.
    pub(crate) fn check_memory(
        &self,
        optimizer: &str,
        state_slots: usize,
        batch: usize,
    ) -> Result<()> {
        self.check_memory_within(optimizer, state_slots, batch, available_memory())
    }

    /// [`check_memory`](Self::check_memory) against `available` bytes.
    pub(crate) fn check_memory_within(
        &self,
        optimizer: &str,
        state_slots: usize,
        batch: usize,
        available: u64,
    ) -> Result<()> {
        let needed = self.bytes_needed(state_slots, batch);
        if needed <= available {
            return Ok(());
        }
        Err(Error::OutOfMemory {
            what: format!(
                "training MLP {} ({} parameters) with {optimizer} at batch {batch} (weights, gradients, optimizer state, activations)",
                widths_text(&self.widths()),
                self.num_params()
            ),
            needed,
            available,
            advice: self.what_fits(state_slots, batch, available),
        })
    }

    /// What fits in `available` bytes: a smaller batch, narrower hidden layers, or nothing
    /// short of fewer features.
    fn what_fits(&self, state_slots: usize, batch: usize, available: u64) -> String {
        let fits = |m: &MlpConfig, b: usize| m.bytes_needed(state_slots, b) <= available;
        let mut options = Vec::new();
        if fits(self, 1) {
            // The largest batch that fits: `lo` fits, `hi` does not.
            let (mut lo, mut hi) = (1usize, batch);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if fits(self, mid) { lo = mid } else { hi = mid }
            }
            options.push(format!("batch_size {lo} or smaller"));
        }
        if !self.model.hidden.is_empty() {
            let scaled = |s: f64| {
                let hidden: Vec<usize> = self
                    .model
                    .hidden
                    .iter()
                    .map(|&w| ((w as f64 * s).floor() as usize).max(1))
                    .collect();
                MlpConfig {
                    model: self.model.clone().with_hidden(hidden),
                    ..self.clone()
                }
            };
            if fits(&scaled(0.0), batch) {
                let (mut lo, mut hi) = (0.0f64, 1.0f64);
                for _ in 0..60 {
                    let mid = (lo + hi) / 2.0;
                    if fits(&scaled(mid), batch) {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                options.push(format!(
                    "hidden layers {} at batch {batch}",
                    widths_text(&scaled(lo).model.hidden)
                ));
            }
        }
        if options.is_empty() {
            "not even one sample of the smallest model fits: use fewer input features".into()
        } else {
            format!("{} would fit", options.join(", or "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    #[test]
    fn long_runs_of_equal_widths_are_written_once() {
        assert_eq!(widths_text(&[64, 128, 64, 10]), "64-128-64-10");
        assert_eq!(widths_text(&[4, 8, 8, 3]), "4-8-8-3");
        let mut deep = vec![4];
        deep.extend([65_536; 32]);
        deep.push(3);
        assert_eq!(widths_text(&deep), "4-65536(x32)-3");
    }

    #[test]
    fn mem_available_is_read_in_bytes() {
        let text = "MemTotal:       32000000 kB\nMemFree:  100 kB\nMemAvailable:   24092880 kB\n";
        assert_eq!(mem_available(text), Some(24_092_880 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert_eq!(mem_available("MemAvailable: x kB\n"), None);
        assert!(available_memory() > 0);
    }

    #[test]
    fn a_model_too_large_for_memory_is_refused_with_what_would_fit() {
        let huge = ModelConfig::default()
            .with_hidden(vec![65_536, 65_536])
            .for_data(64, 10);
        let available = 24 << 30;
        let err = huge
            .check_memory_within("adam", 2, 64, available)
            .unwrap_err();
        let Error::OutOfMemory { needed, advice, .. } = &err else {
            panic!("{err}");
        };
        // 4,299,948,042 parameters x (4 weights + 4 gradients + 8 Adam + 4 host copy) bytes,
        // and (64 + 65,536 + 65,536 + 10) x 64 samples x 2 copies x 4 bytes of activations.
        assert_eq!(*needed, 4_299_948_042 * 20 + 131_146 * 64 * 2 * 4);
        let text = err.to_string();
        assert!(
            text.starts_with("not enough memory: training MLP 64-65536-65536-10 (4299948042 parameters) with adam at batch 64"),
            "{text}"
        );
        assert!(
            text.contains("GiB is available") && text.contains("hidden layers "),
            "{text}"
        );
        assert!(
            !advice.contains("batch_size"),
            "no batch makes the weights fit: {advice}"
        );
        // The suggested layers fit, and are the largest uniform shrink that does.
        let widths: Vec<usize> = advice
            .split("hidden layers ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap()
            .split('-')
            .map(|w| w.parse().unwrap())
            .collect();
        let fitting = ModelConfig::default()
            .with_hidden(widths.clone())
            .for_data(64, 10);
        fitting
            .check_memory_within("adam", 2, 64, available)
            .unwrap();
        let wider = ModelConfig::default()
            .with_hidden(widths.iter().map(|w| w + 64).collect::<Vec<_>>())
            .for_data(64, 10);
        assert!(wider.check_memory_within("adam", 2, 64, available).is_err());
        // A batch too large for a small model: a smaller batch is offered.
        let small = ModelConfig::default().for_data(64, 10);
        let err = small
            .check_memory_within("sgd", 0, 1 << 40, 1 << 30)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("batch_size ") && err.contains("or smaller"),
            "{err}"
        );
        small.check_memory_within("adam", 2, 64, 1 << 30).unwrap();
    }
}
