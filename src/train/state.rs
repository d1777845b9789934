//! The state of a run while it trains, and the loop over epochs and steps.

use super::fitted::TrialFit;
use super::plan::LrPlan;
use super::progress::EpochObserver;
use super::tensors::{DeviceData, evaluate, grad_sq_norm, group_gradients, read_f64};
use super::trainer::EXPLODED_LOSS_FACTOR;
use super::{EpochRecord, Fitted, Outcome, Run, StepRecord, TrainConfig};
use crate::data::Splits;
use crate::error::Result;
use crate::model::{Mlp, MlpConfig};
use crate::rng::Rng;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use std::time::Instant;

/// Step losses are read back from the device in groups of this many steps, not one scalar
/// per step, so that the device is not synchronised at every step.
const READBACK_EVERY: usize = 32;

/// Everything that changes during a run.
pub(crate) struct TrainState<'a> {
    config: &'a TrainConfig,
    train: DeviceData,
    train_eval: DeviceData,
    val: DeviceData,
    pub(crate) model: Mlp,
    optim: ModuleOptimizer,
    device: Device,
    plan: LrPlan,
    shuffle_rng: Rng,
    dropout_rng: Rng,
    run: Run,
    pending_loss: Vec<Tensor<1>>,
    pending_norm: Vec<Tensor<1>>,
    pending_steps: Vec<StepRecord>,
    best_model: Option<Mlp>,
    step_seconds: f64,
    samples_seen: usize,
    loss_ceiling: Option<f64>,
    started: Instant,
    /// Epochs finished so far.
    epochs_done: usize,
    /// Optimizer steps taken so far.
    steps_done: usize,
    /// Epochs since the validation loss last improved.
    since_best: usize,
    /// The run ended before its last epoch (diverged or stopped early) or reached its step
    /// limit.
    ended: bool,
    /// A one-thread pool the steps run in when the model is too small for threaded matrix
    /// products to pay ([`kernel_threads`]); `None` to use the current pool.
    kernel_pool: Option<rayon::ThreadPool>,
    /// Whether every step's gradient norm is computed and recorded (see
    /// [`TrainState::for_comparison`]).
    grad_norms: bool,
    /// Adam's steps taken without burn's module optimizer (see
    /// [`TrainState::for_comparison`]).
    #[cfg(feature = "flex")]
    fused_steps: Option<super::fused::FusedSteps>,
    /// Whether single-micro-batch steps compute their gradients without burn-autodiff's
    /// graph ([`super::direct`]), to the same bits, where the model allows it.
    #[cfg(feature = "flex")]
    pub(super) direct_gradients: bool,
    /// Whether the model's parameters are registered with burn-autodiff's graph (require
    /// gradients). Steps with direct gradients leave them unregistered, which saves the
    /// registration at every step; they are registered again before burn-autodiff computes
    /// a step and before the model is handed back.
    params_tracked: bool,
}

/// Below this many multiply-adds in a step's largest matrix product (batch x inputs x
/// outputs of one layer), flex's threaded matrix products cost more than they save: measured
/// on 2 cores, 64 x 512 x 512 (16.8M) trains 30% slower threaded, 256 x 512 x 512 (67M) 7%
/// faster and 1024 x 2048 x 2048 45% faster. flex threads every product above 192^3 (7.1M).
pub(crate) const THREADED_KERNELS_FROM: usize = 32 * 1024 * 1024;

/// Whether every matrix product of a run of `config` on a model of `widths` stays below
/// [`THREADED_KERNELS_FROM`] on flex: a run whose kernels keep to one thread.
pub(crate) fn single_threaded_kernels(config: &TrainConfig, widths: &[usize]) -> bool {
    let largest = widths
        .windows(2)
        .map(|w| config.batch_size.saturating_mul(w[0]).saturating_mul(w[1]))
        .max()
        .unwrap_or(0);
    matches!(config.device, super::DeviceSpec::Flex) && largest < THREADED_KERNELS_FROM
}

/// The threads a run's kernels should use: 1 for a flex run whose largest matrix product is
/// below [`THREADED_KERNELS_FROM`], otherwise `None` (the current pool's threads).
pub(crate) fn kernel_threads(config: &TrainConfig, widths: &[usize]) -> Option<usize> {
    (single_threaded_kernels(config, widths) && rayon::current_num_threads() > 1).then_some(1)
}

impl<'a> TrainState<'a> {
    pub(crate) fn new(
        splits: &Splits,
        config: &'a TrainConfig,
        mlp: &MlpConfig,
        device: Device,
        model: Mlp,
        optim: ModuleOptimizer,
    ) -> Self {
        let eval_device = device.clone().without_autodiff();
        let n_train = splits.train.n_samples();
        // `fit` checked that the count does not overflow.
        let (steps_per_epoch, mut total_steps) =
            super::trainer::step_counts(n_train, config).unwrap_or((1, usize::MAX));
        if let Some(max) = config.max_steps {
            total_steps = total_steps.min(max);
        }
        let plan = LrPlan {
            base: config.lr(),
            total_steps,
            steps_per_epoch,
            warmup_steps: config.warmup_epochs.saturating_mul(steps_per_epoch),
        };
        let (feature_scale_ratio, feature_scale_max) = splits.train.feature_scales();
        let run = Run {
            config: config.clone(),
            dataset: splits.train.name.clone(),
            n_train,
            n_val: splits.val.n_samples(),
            n_classes: splits.train.n_classes(),
            class_shares: splits.train.class_shares(),
            feature_scale_ratio,
            feature_scale_max,
            n_params: mlp.num_params(),
            steps: Vec::new(),
            epochs: Vec::new(),
            outcome: Outcome::Completed,
            best_epoch: None,
            restored_best: false,
            wall_s: 0.0,
            samples_per_s: 0.0,
        };
        let kernel_pool = kernel_threads(config, &mlp.widths())
            .and_then(|n| rayon::ThreadPoolBuilder::new().num_threads(n).build().ok());
        TrainState {
            kernel_pool,
            config,
            train: DeviceData::upload(&splits.train, &device),
            train_eval: DeviceData::upload(&splits.train, &eval_device),
            val: DeviceData::upload(&splits.val, &eval_device),
            model,
            optim,
            device,
            plan,
            shuffle_rng: Rng::derive(config.seed, 0x7368_7566),
            dropout_rng: Rng::derive(config.seed, 0x6472_6f70),
            run,
            pending_loss: Vec::new(),
            pending_norm: Vec::new(),
            pending_steps: Vec::new(),
            best_model: None,
            step_seconds: 0.0,
            samples_seen: 0,
            loss_ceiling: None,
            started: Instant::now(),
            epochs_done: 0,
            steps_done: 0,
            since_best: 0,
            ended: false,
            grad_norms: true,
            #[cfg(feature = "flex")]
            fused_steps: None,
            #[cfg(feature = "flex")]
            direct_gradients: true,
            params_tracked: true,
        }
    }

    /// Sets the run up for a comparison only (the study's trials, the LR finder's checks):
    /// every step's gradient norm is left unrecorded (NaN in [`StepRecord::grad_norm`]), where
    /// nothing looks at it and it costs about a tenth of a small model's step (a squared sum
    /// and an addition per parameter tensor); and Adam's and AdamW's steps go straight to the
    /// one-pass optimizer instead of through burn's module optimizer (its per-parameter
    /// bookkeeping was a tenth of a small model's step), so the run ends with
    /// [`TrainState::finish_trial`], without an optimizer to hand back. Nothing else about
    /// the run changes, to the last bit.
    pub(crate) fn for_comparison(mut self) -> Self {
        self.grad_norms = false;
        #[cfg(feature = "flex")]
        {
            self.fused_steps = self
                .config
                .optimizer
                .fused(self.config.weight_decay())
                .map(super::fused::FusedSteps::new);
        }
        self
    }

    /// The run as it stands.
    pub(crate) fn run(&self) -> &Run {
        &self.run
    }

    /// Epochs finished so far.
    pub(crate) fn epochs_done(&self) -> usize {
        self.epochs_done
    }

    /// Optimizer steps taken so far.
    pub(crate) fn steps_done(&self) -> usize {
        self.steps_done
    }

    pub(crate) fn run_all(&mut self, observer: EpochObserver<'_>) -> Result<()> {
        self.run_until(self.config.epochs, observer)
    }

    /// Trains on up to epoch `last` (counted from 1) and pauses there; a later call goes on
    /// from where this one stopped, exactly as one call to epoch `last` of both would have
    /// (the LR plan is the whole run's). Does nothing once the run has
    /// [`finished`](Self::finished).
    pub(crate) fn run_until(&mut self, last: usize, observer: EpochObserver<'_>) -> Result<()> {
        let result = self.epochs_until(last, observer);
        if result.is_err() {
            self.ended = true;
        }
        result
    }

    /// The steps of one epoch over the training rows in `order`; true when the run diverged.
    fn epoch_steps(&mut self, epoch: usize, order: &[usize]) -> Result<bool> {
        let batches: Vec<&[usize]> = order.chunks(self.config.batch_size).collect();
        for group in batches.chunks(self.config.accumulate) {
            if self.steps_done >= self.plan.total_steps {
                break;
            }
            self.step(self.steps_done, epoch, group);
            self.steps_done += 1;
            if self.pending_steps.len() >= READBACK_EVERY && self.flush()? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Runs `f` in the run's kernel pool, if it has one.
    fn in_kernel_pool<R: Send>(&mut self, f: impl FnOnce(&mut Self) -> R + Send) -> R {
        match self.kernel_pool.take() {
            Some(pool) => {
                let r = pool.install(|| f(self));
                self.kernel_pool = Some(pool);
                r
            }
            None => f(self),
        }
    }

    fn epochs_until(&mut self, last: usize, observer: EpochObserver<'_>) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        for epoch in self.epochs_done + 1..=last.min(self.config.epochs) {
            let epoch_start = Instant::now();
            let mut order: Vec<usize> = (0..self.train.n).collect();
            if self.config.shuffle {
                self.shuffle_rng.shuffle(&mut order);
            }
            if self.in_kernel_pool(|s| s.epoch_steps(epoch, &order))? {
                self.ended = true;
                return self.end_diverged(epoch, epoch_start, observer);
            }
            if self.flush()? {
                self.ended = true;
                return self.end_diverged(epoch, epoch_start, observer);
            }
            let record = self.evaluate_epoch(epoch, epoch_start)?;
            let val_loss = record.val_loss;
            self.run.epochs.push(record.clone());
            self.epochs_done = epoch;
            observer(&self.run, &record);
            if !(record.train_loss.is_finite() && val_loss.is_finite()) {
                let value = if val_loss.is_finite() {
                    record.train_loss
                } else {
                    val_loss
                };
                self.run.outcome = Outcome::Diverged {
                    step: self.steps_done.saturating_sub(1),
                    value,
                };
                self.ended = true;
                return Ok(());
            }
            let min_delta = self
                .config
                .early_stopping
                .as_ref()
                .map_or(0.0, |e| e.min_delta);
            let improved = match self.run.best() {
                None => true,
                Some(best) => val_loss < best.val_loss - min_delta,
            };
            if improved {
                self.run.best_epoch = Some(epoch);
                self.since_best = 0;
                if self
                    .config
                    .early_stopping
                    .as_ref()
                    .is_some_and(|e| e.restore_best)
                {
                    self.best_model = Some(self.model.clone());
                }
            } else {
                self.since_best += 1;
            }
            if let Some(es) = &self.config.early_stopping
                && self.since_best >= es.patience
            {
                self.run.outcome = Outcome::EarlyStopped { epoch };
                self.ended = true;
                return Ok(());
            }
            if self.steps_done >= self.plan.total_steps {
                self.ended = true;
                return Ok(());
            }
        }
        Ok(())
    }

    /// One optimizer step over a group of micro-batches.
    fn step(&mut self, step: usize, epoch: usize, group: &[&[usize]]) {
        let t0 = Instant::now();
        let lr = self.plan.lr_at(&self.config.schedule, step);
        let total: usize = group.iter().map(|b| b.len()).sum();
        let (step_loss, grads) = self.gradients(group);
        if self.grad_norms
            && let Some(norm) = grad_sq_norm(&self.model, &grads)
        {
            self.pending_norm.push(norm);
        }
        let model = std::mem::replace(&mut self.model, Mlp::empty());
        self.model = self.optimizer_step(lr, model, grads);
        self.pending_loss.push(step_loss);
        self.pending_steps.push(StepRecord {
            step,
            epoch,
            lr,
            loss: f64::NAN,
            grad_norm: f64::NAN,
        });
        self.samples_seen += total;
        self.step_seconds += t0.elapsed().as_secs_f64();
    }

    /// The step loss and gradients of a group of micro-batches: computed directly where the
    /// model and the step allow it ([`super::direct`]), by burn-autodiff otherwise; the same
    /// numbers either way.
    fn gradients(&mut self, group: &[&[usize]]) -> (Tensor<1>, GradientsParams) {
        #[cfg(feature = "flex")]
        if self.direct_gradients
            && let [rows] = group
        {
            match super::direct::gradients(&self.model, &self.train, rows, &mut self.dropout_rng) {
                Some(step) => return step,
                // Not a model or a device the direct path knows: the run's other steps
                // would not be either.
                None => self.direct_gradients = false,
            }
        }
        self.track_params();
        group_gradients(&self.model, &self.train, group, &mut self.dropout_rng)
    }

    /// Registers the model's parameters with burn-autodiff's graph again where direct
    /// steps left them unregistered.
    fn track_params(&mut self) {
        if !self.params_tracked {
            let model = std::mem::replace(&mut self.model, Mlp::empty());
            self.model = model.set_require_grad(true);
            if let Some(best) = self.best_model.take() {
                self.best_model = Some(best.set_require_grad(true));
            }
            self.params_tracked = true;
        }
    }

    /// Turns off the direct gradients ([`super::direct`]): every step's gradients come from
    /// burn-autodiff (to check that both give the same run).
    #[cfg(all(test, feature = "flex"))]
    pub(crate) fn with_autodiff_gradients(mut self) -> Self {
        self.direct_gradients = false;
        self
    }

    /// The optimizer's step of `model`: the fused steps of a run set up
    /// [`for_comparison`](Self::for_comparison) with Adam or AdamW, burn's module optimizer
    /// otherwise.
    fn optimizer_step(&mut self, lr: f64, model: Mlp, grads: GradientsParams) -> Mlp {
        #[cfg(feature = "flex")]
        if let Some(steps) = &mut self.fused_steps {
            // Direct gradients need no graph on the parameters.
            let track = !self.direct_gradients;
            self.params_tracked &= track;
            return steps.step(lr, model, grads, track);
        }
        self.optim.step(lr, model, grads)
    }

    /// Reads pending step losses back; returns true when the run diverged.
    fn flush(&mut self) -> Result<bool> {
        if self.pending_steps.is_empty() {
            return Ok(false);
        }
        let losses = read_f64(Tensor::cat(std::mem::take(&mut self.pending_loss), 0))?;
        let norms = if self.pending_norm.is_empty() {
            vec![f64::NAN; losses.len()]
        } else {
            read_f64(Tensor::cat(std::mem::take(&mut self.pending_norm), 0))?
                .into_iter()
                .map(f64::sqrt)
                .collect()
        };
        let ln_k = (self.run.n_classes as f64).ln();
        for (i, mut rec) in std::mem::take(&mut self.pending_steps)
            .into_iter()
            .enumerate()
        {
            rec.loss = losses.get(i).copied().unwrap_or(f64::NAN);
            rec.grad_norm = norms.get(i).copied().unwrap_or(f64::NAN);
            let ceiling = *self
                .loss_ceiling
                .get_or_insert(EXPLODED_LOSS_FACTOR * rec.loss.max(ln_k));
            let bad = !rec.loss.is_finite() || rec.loss > ceiling;
            let (step, value) = (rec.step, rec.loss);
            self.run.steps.push(rec);
            if bad {
                self.run.outcome = Outcome::Diverged { step, value };
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records the partial epoch in which the run diverged (evaluated as it stands, so the
    /// curves show the blow-up) and stops.
    fn end_diverged(
        &mut self,
        epoch: usize,
        epoch_start: Instant,
        observer: EpochObserver<'_>,
    ) -> Result<()> {
        self.pending_loss.clear();
        self.pending_norm.clear();
        self.pending_steps.clear();
        let record = self.evaluate_epoch(epoch, epoch_start)?;
        self.run.epochs.push(record.clone());
        observer(&self.run, &record);
        Ok(())
    }

    fn evaluate_epoch(&mut self, epoch: usize, epoch_start: Instant) -> Result<EpochRecord> {
        let model = self.model.valid();
        let (train_loss, train_acc) = evaluate(&model, &self.train_eval)?;
        let (val_loss, val_acc) = evaluate(&model, &self.val)?;
        Ok(EpochRecord {
            epoch,
            train_loss,
            val_loss,
            train_acc,
            val_acc,
            lr: self.run.steps.last().map_or(self.plan.base, |s| s.lr),
            seconds: epoch_start.elapsed().as_secs_f64(),
        })
    }

    /// The run, its model and its optimizer, at the end of a run started for [`fit`]
    /// (not [`for_comparison`](Self::for_comparison), whose optimizer state is not burn's).
    ///
    /// [`fit`]: super::fit
    pub(crate) fn finish(mut self) -> Fitted {
        self.wrap_up();
        Fitted {
            run: self.run,
            model: self.model,
            optim: self.optim,
            device: self.device,
        }
    }

    /// The run and its model at the end of a run.
    pub(crate) fn finish_trial(mut self) -> TrialFit {
        self.wrap_up();
        TrialFit {
            run: self.run,
            model: self.model,
            device: self.device,
        }
    }

    /// Puts back the best epoch's model where early stopping kept it, and the run's times.
    fn wrap_up(&mut self) {
        self.track_params();
        if let Some(best) = self.best_model.take()
            && !self.run.outcome.is_diverged()
        {
            self.model = best;
            self.run.restored_best = true;
        }
        self.run.wall_s = self.started.elapsed().as_secs_f64();
        self.run.samples_per_s = if self.step_seconds > 0.0 {
            self.samples_seen as f64 / self.step_seconds
        } else {
            0.0
        };
    }
}

#[cfg(test)]
mod kernel_thread_tests {
    use super::*;
    use crate::train::{DeviceSpec, OptimizerKind};

    #[test]
    fn small_flex_models_keep_their_kernels_on_one_thread_and_large_ones_thread() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            let small = TrainConfig::new(OptimizerKind::Adam)
                .with_batch_size(64)
                .with_device(DeviceSpec::Flex);
            // 64 x 512 x 512 = 16.8M multiply-adds: below the crossover.
            assert_eq!(kernel_threads(&small, &[64, 512, 512, 10]), Some(1));
            // 1024 x 2048 x 2048: threaded.
            let large = small.clone().with_batch_size(1024);
            assert_eq!(kernel_threads(&large, &[64, 2048, 2048, 10]), None);
            // Only flex threads its products this way.
            let nd = small.clone().with_device(DeviceSpec::Ndarray);
            assert_eq!(kernel_threads(&nd, &[64, 512, 512, 10]), None);
        });
        // In a one-thread pool there is nothing to limit.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        one.install(|| {
            let small = TrainConfig::new(OptimizerKind::Adam);
            assert_eq!(kernel_threads(&small, &[64, 128, 64, 10]), None);
        });
    }
}
