//! Adam and AdamW as burn computes them, in one pass over each parameter on the flex device.
//!
//! burn's Adam updates a parameter with about fifteen tensor operations (the two moments,
//! their bias corrections, the square root, the division, the weight decay, the step), each
//! of which allocates, writes and reads its whole tensor. On the small models the notebooks
//! and the study train, that is about a quarter of a training step (README, "Where flex's
//! time goes"). [`FusedAdam`] does the same arithmetic in one loop over the parameter's
//! values, in place: each element goes through the very same `f32` operations in the very
//! same order (no fused multiply-add, the same scalars rounded the same way), so every
//! result is burn's to the last bit (tested against burn's own optimizers, step by step).
//!
//! It does so only where that is safe to do: on the flex device, for contiguous `f32`
//! tensors, from the second step on. Everywhere else (the first step, which creates the
//! moments; ndarray; libtorch on the CPU or a GPU) it hands the step to burn's own
//! optimizer, and its state is burn's Adam state (AdamW's has the same fields), so a saved
//! optimizer reads back either way.

use burn::optim::{
    Adam, AdamConfig, AdamState, AdamW, AdamWConfig, AdamWState, LearningRate, Optimizer,
};
use burn::tensor::{Device, Tensor};

/// Adam or AdamW, computed in one pass per parameter on flex and by burn elsewhere.
#[derive(Clone)]
pub(crate) struct FusedAdam {
    /// Adam's L2 penalty on the gradient, or AdamW's decoupled decay (0: none).
    weight_decay: f32,
    reference: Reference,
}

/// burn's own optimizer of the same settings, for the steps the fused loop leaves to it.
#[derive(Clone)]
enum Reference {
    Adam(Adam),
    AdamW(AdamW),
}

/// PyTorch's betas and eps, as [`OptimizerKind`](super::OptimizerKind) documents them.
const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-8;

impl FusedAdam {
    /// Adam with an L2 penalty of `weight_decay` on the gradient (none when 0).
    pub(crate) fn adam(weight_decay: f32) -> Self {
        let penalty =
            (weight_decay > 0.0).then(|| burn::optim::decay::WeightDecayConfig::new(weight_decay));
        let reference = AdamConfig::new()
            .with_beta_1(BETA_1)
            .with_beta_2(BETA_2)
            .with_epsilon(EPSILON)
            .with_weight_decay(penalty)
            .build();
        FusedAdam {
            weight_decay,
            reference: Reference::Adam(reference),
        }
    }

    /// AdamW with decoupled weight decay `weight_decay`.
    pub(crate) fn adamw(weight_decay: f32) -> Self {
        let reference = AdamWConfig::new()
            .with_beta_1(BETA_1)
            .with_beta_2(BETA_2)
            .with_epsilon(EPSILON)
            .with_weight_decay(weight_decay)
            .build();
        FusedAdam {
            weight_decay,
            reference: Reference::AdamW(reference),
        }
    }

    /// The step by burn's own optimizer.
    fn reference_step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        match &self.reference {
            Reference::Adam(adam) => adam.step(lr, tensor, grad, state),
            Reference::AdamW(adamw) => {
                let state = state.map(|s| AdamWState::new(s.momentum));
                let (t, s) = adamw.step(lr, tensor, grad, state);
                (t, s.map(|s| AdamState::new(s.momentum)))
            }
        }
    }

    /// The scalars of step `time` (counted from 1), each computed as burn computes it.
    fn scalars(&self, lr: LearningRate, time: usize) -> Scalars {
        let t = time as i32;
        let wd = self.weight_decay;
        let rule = match self.reference {
            Reference::Adam(_) => {
                let bias_correction2_sqrt = (1.0 - BETA_2.powi(t)).sqrt();
                Rule::Adam {
                    factor: bias_correction2_sqrt / (1.0 - BETA_1.powi(t)),
                    epsilon: EPSILON * bias_correction2_sqrt,
                    penalty: (wd > 0.0).then_some(wd),
                }
            }
            Reference::AdamW(_) => {
                let rate = lr * f64::from(wd);
                Rule::AdamW {
                    c1: 1.0 - BETA_1.powi(t),
                    c2: 1.0 - BETA_2.powi(t),
                    epsilon: EPSILON,
                    keep: (rate != 0.0).then_some((1.0 - rate) as f32),
                }
            }
        };
        Scalars {
            rule,
            lr: lr as f32,
        }
    }
}

/// How each of burn's optimizers corrects the moments and decays the weights.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Adam: the L2 penalty `p * wd + g` on the gradient, then
    /// `(m * c) / (sqrt(v) + eps')`, with `c = sqrt(1 - b2^t) / (1 - b1^t)` and
    /// `eps' = eps * sqrt(1 - b2^t)`.
    Adam {
        factor: f32,
        epsilon: f32,
        penalty: Option<f32>,
    },
    /// AdamW: `(m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`, and the parameter kept at
    /// `p * (1 - lr * wd)` before the step.
    AdamW {
        c1: f32,
        c2: f32,
        epsilon: f32,
        keep: Option<f32>,
    },
}

/// One step's scalars, in `f32` as burn's tensor operations round them.
struct Scalars {
    rule: Rule,
    lr: f32,
}

/// One parameter's update, element by element, in the order of burn's tensor operations:
/// Adam's L2 penalty, the moments (`m * b1 + g * (1 - b1)`, `v * b2 + (g * g) * (1 - b2)`),
/// the corrected step and AdamW's decoupled decay ([`Rule`]), and the update
/// (`p - step * lr`).
fn update(s: &Scalars, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let threads = rayon::current_num_threads();
    if threads < 2 || p.len() < PARALLEL_FROM {
        return update_chunk(s, p, g, m, v);
    }
    // Every element's arithmetic is independent of the others': splitting the loop among
    // the kernel threads changes no bit.
    let chunk = p.len().div_ceil(threads).max(PARALLEL_FROM / 2);
    rayon::scope(|scope| {
        for (((p, g), m), v) in p
            .chunks_mut(chunk)
            .zip(g.chunks(chunk))
            .zip(m.chunks_mut(chunk))
            .zip(v.chunks_mut(chunk))
        {
            scope.spawn(move |_| update_chunk(s, p, g, m, v));
        }
    });
}

/// Parameters from this many values up are updated by all the kernel threads at once (a
/// 512-512 layer has 262,144; below that, handing chunks out costs more than it saves).
const PARALLEL_FROM: usize = 1 << 18;

/// [`update`] of one run of values, with the widest vector unit the CPU has.
fn update_chunk(s: &Scalars, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { update_avx512(s, p, g, m, v) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { update_avx2(s, p, g, m, v) };
        }
    }
    update_plain(s, p, g, m, v)
}

/// [`update_plain`] compiled for AVX-512: the same IEEE operations on wider vectors (Rust
/// never contracts a multiply and an add into one), so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn update_avx512(s: &Scalars, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    update_plain(s, p, g, m, v)
}

/// [`update_plain`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2(s: &Scalars, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    update_plain(s, p, g, m, v)
}

#[inline(always)]
fn update_plain(s: &Scalars, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let lr = s.lr;
    match s.rule {
        Rule::Adam {
            factor,
            epsilon,
            penalty,
        } => {
            let step = move |m: f32, v: f32| (m * factor) / (v.sqrt() + epsilon);
            match penalty {
                Some(wd) => update_with(lr, (p, g, m, v), |p, g| p * wd + g, step, |p| p),
                None => update_with(lr, (p, g, m, v), |_, g| g, step, |p| p),
            }
        }
        Rule::AdamW {
            c1,
            c2,
            epsilon,
            keep,
        } => {
            let step = move |m: f32, v: f32| (m / c1) / ((v / c2).sqrt() + epsilon);
            match keep {
                Some(k) => update_with(lr, (p, g, m, v), |_, g| g, step, |p| p * k),
                None => update_with(lr, (p, g, m, v), |_, g| g, step, |p| p),
            }
        }
    }
}

/// The loop of [`update`], with the gradient's penalty, the correction and the parameter's
/// decay fixed before it starts (so that the compiler can vectorise it).
#[inline(always)]
fn update_with(
    lr: f32,
    (p, g, m, v): (&mut [f32], &[f32], &mut [f32], &mut [f32]),
    penalised: impl Fn(f32, f32) -> f32,
    corrected: impl Fn(f32, f32) -> f32,
    decayed: impl Fn(f32) -> f32,
) {
    let n = p.len().min(g.len()).min(m.len()).min(v.len());
    let (p, g, m, v) = (&mut p[..n], &g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = penalised(p[i], g[i]);
        m[i] = m[i] * BETA_1 + gi * (1.0 - BETA_1);
        v[i] = v[i] * BETA_2 + (gi * gi) * (1.0 - BETA_2);
        let step = corrected(m[i], v[i]);
        p[i] = decayed(p[i]) - step * lr;
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        match state {
            Some(state) if on_flex(&tensor, &grad) => {
                let mut momentum = state.momentum;
                if momentum.max_moment_2.is_some() {
                    return self.reference_step(lr, tensor, grad, Some(AdamState::new(momentum)));
                }
                let time = momentum.time + 1;
                let s = self.scalars(lr, time);
                match fused(&s, tensor, grad, momentum.moment_1, momentum.moment_2) {
                    Ok((t, m, v)) => {
                        momentum.time = time;
                        momentum.moment_1 = m;
                        momentum.moment_2 = v;
                        (t, Some(AdamState::new(momentum)))
                    }
                    Err(untouched) => {
                        let (t, g, m, v) = *untouched;
                        momentum.moment_1 = m;
                        momentum.moment_2 = v;
                        self.reference_step(lr, t, g, Some(AdamState::new(momentum)))
                    }
                }
            }
            state => self.reference_step(lr, tensor, grad, state),
        }
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

/// Whether the parameter and its gradient are `f32` tensors on the flex device.
fn on_flex<const D: usize>(tensor: &Tensor<D>, grad: &Tensor<D>) -> bool {
    let flex = Device::flex();
    let f32 = burn::tensor::DType::F32;
    tensor.device() == flex && grad.device() == flex && tensor.dtype() == f32 && grad.dtype() == f32
}

/// The four tensors of a step handed back untouched, for burn's optimizer to take (boxed: a
/// tensor handle is a few hundred bytes).
type Untouched<const D: usize> = Box<(Tensor<D>, Tensor<D>, Tensor<D>, Tensor<D>)>;

/// The fused update on flex tensors: the new parameter and moments, or the four tensors as
/// they came when one of them is not a plain contiguous `f32` buffer of the same length.
fn fused<const D: usize>(
    s: &Scalars,
    tensor: Tensor<D>,
    grad: Tensor<D>,
    m: Tensor<D>,
    v: Tensor<D>,
) -> std::result::Result<(Tensor<D>, Tensor<D>, Tensor<D>), Untouched<D>> {
    use burn_flex::{Flex, FlexTensor};
    let flex = Device::flex();
    if m.device() != flex || v.device() != flex {
        return Err(Box::new((tensor, grad, m, v)));
    }
    let n = tensor.shape().num_elements();
    let plain = |t: &FlexTensor| {
        t.dtype() == burn::tensor::DType::F32 && t.layout().contiguous_offsets() == Some((0, n))
    };
    let back = |t: FlexTensor| Tensor::<D>::from_primitive::<Flex>(t);
    // Each tensor is taken out through a clone, and the original dropped only once that
    // worked: a tensor that is not flex's comes back whole.
    let take = |t: Tensor<D>| match t.clone().try_into_primitive::<Flex>() {
        Ok(inner) => {
            drop(t);
            Ok(inner)
        }
        Err(_) => Err(Box::new(t)),
    };
    let (mut p, g, mut m1, mut m2) = match (take(tensor), take(grad), take(m), take(v)) {
        (Ok(p), Ok(g), Ok(m1), Ok(m2)) => (p, g, m1, m2),
        (p, g, m1, m2) => {
            return Err(Box::new((
                p.map_or_else(|t| *t, back),
                g.map_or_else(|t| *t, back),
                m1.map_or_else(|t| *t, back),
                m2.map_or_else(|t| *t, back),
            )));
        }
    };
    if !(plain(&p) && plain(&g) && plain(&m1) && plain(&m2)) {
        return Err(Box::new((back(p), back(g), back(m1), back(m2))));
    }
    update(
        s,
        &mut p.storage_mut::<f32>()[..n],
        &g.storage::<f32>()[..n],
        &mut m1.storage_mut::<f32>()[..n],
        &mut m2.storage_mut::<f32>()[..n],
    );
    Ok((back(p), back(m1), back(m2)))
}

/// Adam or AdamW steps over a model's parameters without burn's module optimizer: each
/// parameter's state is kept by its place in the model's parameter order, and each step goes
/// straight to [`FusedAdam`]'s own step (the fused loop on flex, burn's Adam otherwise), so
/// the numbers are those of `ModuleOptimizer::step` with the same optimizer, bit for bit.
pub(crate) struct FusedSteps {
    optim: FusedAdam,
    states: Vec<Option<Box<dyn std::any::Any + Send + Sync>>>,
}

impl FusedSteps {
    pub(crate) fn new(optim: FusedAdam) -> Self {
        FusedSteps {
            optim,
            states: Vec::new(),
        }
    }

    /// One step of every parameter of `model` that has a gradient in `grads`. With `track`,
    /// a parameter that required gradients requires them again after its step (burn's
    /// optimizers do that, and it registers the parameter with burn-autodiff's graph);
    /// without, it is left untracked, for steps whose gradients are computed without the
    /// graph ([`super::direct`]), and the caller marks the parameters again before
    /// burn-autodiff needs them.
    pub(crate) fn step<M: burn::module::Module>(
        &mut self,
        lr: LearningRate,
        model: M,
        mut grads: burn::optim::GradientsParams,
        track: bool,
    ) -> M {
        let mut mapper = StepMapper {
            optim: &self.optim,
            states: &mut self.states,
            grads: &mut grads,
            lr,
            at: 0,
            track,
        };
        model.map(&mut mapper)
    }
}

struct StepMapper<'a> {
    optim: &'a FusedAdam,
    states: &'a mut Vec<Option<Box<dyn std::any::Any + Send + Sync>>>,
    grads: &'a mut burn::optim::GradientsParams,
    lr: LearningRate,
    at: usize,
    track: bool,
}

impl burn::module::ModuleMapper for StepMapper<'_> {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        let at = self.at;
        self.at += 1;
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return burn::module::Param::from_mapped_value(id, tensor, mapper);
        };
        if self.states.len() <= at {
            self.states.resize_with(at + 1, || None);
        }
        let state = self.states[at]
            .take()
            .and_then(|s| s.downcast::<AdamState<D>>().ok())
            .map(|s| *s);
        let require_grad = tensor.is_require_grad();
        let (updated, state) = self.optim.step(self.lr, tensor.inner(), grad, state);
        self.states[at] = state.map(|s| Box::new(s) as Box<dyn std::any::Any + Send + Sync>);
        let mut updated = Tensor::from_inner(updated);
        if require_grad && self.track {
            updated = updated.require_grad();
        }
        burn::module::Param::from_mapped_value(id, updated, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    /// One step's parameter, moments (as bits) and step count.
    type StepBits = (Vec<u32>, Vec<u32>, Vec<u32>, usize);

    /// An optimizer's step on one parameter.
    type StepFn<'a, const D: usize> = dyn Fn(
            LearningRate,
            Tensor<D>,
            Tensor<D>,
            Option<AdamState<D>>,
        ) -> (Tensor<D>, Option<AdamState<D>>)
        + 'a;

    /// Deterministic values in about [-scale, scale], with exact zeros among them.
    fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if i % 17 == 0 {
                    0.0
                } else {
                    ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * scale
                }
            })
            .collect()
    }

    fn tensor<const D: usize>(v: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
        Tensor::<D>::from_data(TensorData::new(v, shape), &Device::flex())
    }

    fn bits<const D: usize>(t: &Tensor<D>) -> Vec<u32> {
        t.to_data()
            .try_to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect()
    }

    /// Eight steps of `opt` on one parameter of `shape` (gradients growing and shrinking,
    /// the LR changing every step as a schedule does): every step's parameter, moments and
    /// step count.
    fn trajectory<const D: usize>(optimizer: &StepFn<'_, D>, shape: [usize; D]) -> Vec<StepBits> {
        let n: usize = shape.iter().product();
        let mut param = tensor(values(n, 1, 0.5), shape);
        let mut state = None;
        let mut out = Vec::new();
        for step in 0..8u64 {
            let scale = [1.0, 0.1, 10.0, 1e-3, 1.0, 100.0, 0.5, 1e-6][step as usize];
            let grad = tensor(values(n, 100 + step, scale), shape);
            let lr = 1e-3 * (1.0 + step as f64 / 3.0);
            let (p, s) = optimizer(lr, param, grad, state);
            let s: AdamState<D> = s.expect("Adam keeps a state");
            out.push((
                bits(&p),
                bits(&s.momentum.moment_1),
                bits(&s.momentum.moment_2),
                s.momentum.time,
            ));
            param = p;
            state = Some(s);
        }
        out
    }

    #[test]
    fn fused_adam_is_burns_adam_to_the_last_bit() {
        for wd in [0.0f32, 1e-2, 0.5] {
            let penalty = (wd > 0.0).then(|| burn::optim::decay::WeightDecayConfig::new(wd));
            let burn_adam = AdamConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(penalty)
                .build();
            let fused = FusedAdam::adam(wd);
            assert_eq!(
                trajectory(&|lr, t, g, s| fused.step(lr, t, g, s), [37, 13]),
                trajectory(&|lr, t, g, s| burn_adam.step(lr, t, g, s), [37, 13]),
                "Adam, weight decay {wd}, a matrix"
            );
            assert_eq!(
                trajectory(&|lr, t, g, s| fused.step(lr, t, g, s), [29]),
                trajectory(&|lr, t, g, s| burn_adam.step(lr, t, g, s), [29]),
                "Adam, weight decay {wd}, a bias"
            );
        }
    }

    #[test]
    fn a_large_parameter_split_among_threads_gets_the_same_bits() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let shape = [613, 500];
        assert!(shape[0] * shape[1] > PARALLEL_FROM);
        let burn_adam = AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(Some(burn::optim::decay::WeightDecayConfig::new(1e-3)))
            .build();
        let fused = FusedAdam::adam(1e-3);
        let threaded = pool.install(|| trajectory(&|lr, t, g, s| fused.step(lr, t, g, s), shape));
        assert_eq!(
            threaded,
            trajectory(&|lr, t, g, s| burn_adam.step(lr, t, g, s), shape)
        );
    }

    #[test]
    fn fused_adamw_is_burns_adamw_to_the_last_bit() {
        for wd in [0.0f32, 1e-2, 0.3] {
            let fused = FusedAdam::adamw(wd);
            // burn's AdamW, its state held as Adam's (the same fields).
            assert_eq!(
                trajectory(&|lr, t, g, s| fused.step(lr, t, g, s), [64, 10]),
                trajectory(&|lr, t, g, s| fused.reference_step(lr, t, g, s), [64, 10]),
                "AdamW, weight decay {wd}"
            );
        }
    }

    #[test]
    fn a_parameter_held_elsewhere_keeps_its_values() {
        // Early stopping keeps the best epoch's model: its tensors share their buffers with
        // the model being trained until a step writes to them.
        let fused = FusedAdam::adam(0.0);
        let param = tensor(values(50, 3, 1.0), [5, 10]);
        let kept = param.clone();
        let before = bits(&kept);
        let grad = || tensor(values(50, 4, 1.0), [5, 10]);
        let (p, s) = fused.step(1e-2, param, grad(), None);
        let (p, _) = fused.step(1e-2, p, grad(), s);
        assert_eq!(bits(&kept), before, "the copy held elsewhere changed");
        assert_ne!(bits(&p), before, "the trained parameter did not move");
    }

    #[test]
    fn a_view_that_is_not_contiguous_goes_to_burns_own_step() {
        let burn_adam = AdamConfig::new().with_epsilon(1e-8).build();
        let fused = FusedAdam::adam(0.0);
        let run = |opt: &dyn Fn(
            Tensor<2>,
            Tensor<2>,
            Option<AdamState<2>>,
        ) -> (Tensor<2>, Option<AdamState<2>>)| {
            let param = tensor(values(60, 5, 1.0), [6, 10]);
            let grad = || tensor(values(60, 6, 1.0), [10, 6]).transpose();
            let (p, s) = opt(param, grad(), None);
            let (p, _) = opt(p, grad(), s);
            bits(&p)
        };
        assert_eq!(
            run(&|p, g, s| fused.step(1e-2, p, g, s)),
            run(&|p, g, s| burn_adam.step(1e-2, p, g, s))
        );
    }
}
