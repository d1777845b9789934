//! A ReLU network's training-step gradients on the flex device, computed directly: the same
//! kernels in the same order as burn's autodiff, without its graph.
//!
//! burn-autodiff records every operation of a step in a graph (a node, a place in the
//! graph registry found through one process-wide lock, a checkpoint, a step to run
//! backwards) and then walks it. On the small models the study and the notebooks train,
//! that bookkeeping costs about as much as the arithmetic: a third of a step at batch 16 on
//! the digits network. Here the forward pass runs on flex's tensors untracked, and the
//! backward pass calls, for each operation, exactly the kernels that burn-autodiff's
//! backward step for that operation calls, with the same operands, in the same order:
//!
//! - a linear layer, as burn's dispatch backend composes it: `x @ w + b` (a matrix
//!   product and a broadcast addition). The gradients: `g @ wᵀ` for the input, `xᵀ @ g`
//!   for the weight, `g` summed over the rows for the bias;
//! - ReLU: flex's `relu_backward` on the ReLU's input;
//! - dropout: the gradient times the mask;
//! - the loss, burn's `log_softmax` composition (the row maximum subtracted, `exp`, the row
//!   sum, `log`, the subtraction), the gather of each row's class, the mean and the
//!   negation, each with its backward step.
//!
//! So the gradients, the step loss and the whole run are burn's to the last bit (tested
//! against burn-autodiff step by step in `tests`). It applies to the models it knows (ReLU
//! between layers with biases, `f32` on flex, one micro-batch per step); every other run
//! takes burn-autodiff's path.

use super::tensors::DeviceData;
use crate::model::{Activation, Mlp, dropout_mask};
use crate::rng::Rng;
use burn::optim::GradientsParams;
use burn::tensor::{FloatDType, IndexingUpdateOp, Shape, Tensor};
use burn_backend::ops::{ActivationOps, FloatTensorOps, IntTensorOps};
use burn_backend::{Scalar, TensorMetadata};
use burn_flex::{Flex, FlexDevice, FlexTensor};

/// One layer's parameters as flex tensors.
struct Layer {
    weight: FlexTensor,
    bias: FlexTensor,
    weight_id: burn::module::ParamId,
    bias_id: burn::module::ParamId,
}

fn flex<const D: usize>(t: Tensor<D>) -> Option<FlexTensor> {
    let t = t.inner();
    if t.dtype() != burn::tensor::DType::F32 {
        return None;
    }
    t.try_into_primitive::<Flex>().ok()
}

fn layers(model: &Mlp) -> Option<Vec<Layer>> {
    model
        .layers
        .iter()
        .map(|l| {
            let bias = l.bias.as_ref()?;
            Some(Layer {
                weight: flex(l.weight.val())?,
                bias: flex(bias.val())?,
                weight_id: l.weight.id,
                bias_id: bias.id,
            })
        })
        .collect()
}

/// The step loss (detached, one element) and the gradients of one micro-batch `rows` of
/// `data`, as burn-autodiff would compute them for `model`; `None` (nothing drawn from
/// `rng`) where the direct path does not apply, for burn-autodiff to take the step.
pub(crate) fn gradients(
    model: &Mlp,
    data: &DeviceData,
    rows: &[usize],
    rng: &mut Rng,
) -> Option<(Tensor<1>, GradientsParams)> {
    if model.activation() != Activation::Relu {
        return None;
    }
    let layers = layers(model)?;
    let x_all = flex(data.x.clone())?;
    let y_all = data.y.clone().inner().try_into_primitive::<Flex>().ok()?;
    let device = FlexDevice;
    let n = rows.len();
    let idx: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    let idx = FlexTensor::from_data(burn::tensor::TensorData::new(idx, [n]));
    let mut x = Flex::float_select(x_all, 0, idx.clone());
    let y = Flex::int_select(y_all, 0, idx);

    // Forward, keeping what the backward steps read: each layer's input, each ReLU's input
    // and each dropout mask.
    if model.input_dropout() > 0.0 {
        let d = x.shape()[1];
        let mask = mask_tensor(dropout_mask(n, d, model.input_dropout(), rng), n, d);
        x = Flex::float_mul(x, mask);
    }
    let last = layers.len().saturating_sub(1);
    let mut saved: Vec<Saved> = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let input = x.clone();
        let d_out = layer.bias.shape()[0];
        let bias = Flex::float_reshape(layer.bias.clone(), Shape::new([1, d_out]));
        let z = Flex::float_add(Flex::float_matmul(x, layer.weight.clone()), bias);
        let (mut relu_input, mut mask) = (None, None);
        x = if i < last {
            relu_input = Some(z.clone());
            let h = Flex::relu(z);
            if model.dropout() > 0.0 && i + 1 < last {
                let m = mask_tensor(dropout_mask(n, d_out, model.dropout(), rng), n, d_out);
                mask = Some(m.clone());
                Flex::float_mul(h, m)
            } else {
                h
            }
        } else {
            z
        };
        saved.push(Saved {
            input,
            relu_input,
            mask,
        });
    }
    let logits = x;
    let k = logits.shape()[1];

    // The loss, as burn's log_softmax, gather, mean and neg compose it.
    let max = Flex::float_max_dim(logits.clone(), 1);
    let shifted = Flex::float_sub(logits, max);
    let sum_exp = Flex::float_sum_dim(Flex::float_exp(shifted.clone()), 1);
    let log_sum_exp = Flex::float_log(sum_exp.clone());
    let log_probs = Flex::float_sub(shifted.clone(), log_sum_exp);
    let targets = Flex::int_reshape(y, Shape::new([n, 1]));
    let picked = Flex::float_gather(1, log_probs, targets.clone());
    let loss = Flex::float_neg(Flex::float_mean(picked));

    // Backward, step by step as burn-autodiff runs it from the loss.
    let f32_ = FloatDType::F32;
    let grad = Flex::float_neg(Flex::float_ones(loss.shape(), &device, f32_));
    // mean: ones / count, times the gradient.
    let share = Flex::float_mul_scalar(
        Flex::float_ones(Shape::new([n, 1]), &device, f32_),
        Scalar::from(1_f64 / n as f64),
    );
    let grad = Flex::float_mul(share, Flex::float_reshape(grad, Shape::new([1, 1])));
    // gather: the gradient added into zeros at each row's class.
    let grad = Flex::float_scatter(
        1,
        Flex::float_zeros(Shape::new([n, k]), &device, f32_),
        targets,
        grad,
        IndexingUpdateOp::Add,
    );
    // shifted - log_sum_exp: the gradient for `shifted`, and its negation summed over the
    // classes for `log_sum_exp`.
    let grad_shifted = grad.clone();
    let grad = Flex::float_sum_dim(Flex::float_neg(grad), 1);
    // log: times 1 / its input.
    let grad = Flex::float_mul(grad, Flex::float_recip(sum_exp));
    // sum over the classes: spread back over them.
    let grad = Flex::float_mul(
        Flex::float_ones(Shape::new([n, k]), &device, f32_),
        Flex::float_sum_dim(grad, 1),
    );
    // exp: times exp of its input, recomputed.
    let grad = Flex::float_mul(grad, Flex::float_exp(shifted));
    // `shifted` had two consumers: their gradients add up (the row maximum is detached).
    let mut grad = Flex::float_add(grad, grad_shifted);

    // Layer by layer from the output: the gradient reaching a hidden layer's output goes
    // back through its dropout and its ReLU, then through its product.
    let mut params = GradientsParams::new();
    for (i, (layer, here)) in layers.iter().zip(saved).enumerate().rev() {
        if let Some(mask) = here.mask {
            grad = Flex::float_mul(grad, mask);
        }
        if let Some(relu_input) = here.relu_input {
            grad = Flex::relu_backward(relu_input, grad);
        }
        let grad_input = (i > 0)
            .then(|| Flex::float_matmul(grad.clone(), Flex::float_transpose(layer.weight.clone())));
        let grad_weight = Flex::float_matmul(Flex::float_transpose(here.input), grad.clone());
        let d_out = layer.bias.shape()[0];
        let grad_bias = Flex::float_reshape(Flex::float_sum_dim(grad, 0), Shape::new([d_out]));
        params.register(
            layer.weight_id,
            Tensor::<2>::from_primitive::<Flex>(grad_weight),
        );
        params.register(
            layer.bias_id,
            Tensor::<1>::from_primitive::<Flex>(grad_bias),
        );
        let Some(g) = grad_input else { break };
        grad = g;
    }
    Some((Tensor::<1>::from_primitive::<Flex>(loss), params))
}

/// What the backward pass reads of one layer's forward pass: its input, and for a hidden
/// layer the ReLU's input and the dropout mask after it (if any).
struct Saved {
    input: FlexTensor,
    relu_input: Option<FlexTensor>,
    mask: Option<FlexTensor>,
}

fn mask_tensor(mask: Vec<f32>, n: usize, d: usize) -> FlexTensor {
    FlexTensor::from_data(burn::tensor::TensorData::new(mask, [n, d]))
}

#[cfg(test)]
mod tests {
    use crate::model::Activation;
    use crate::train::trainer::parameter_bits;
    use crate::train::{OptimizerKind, Run, Schedule, TrainConfig};
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::tensor::Tensor;

    /// Each step's loss and gradient norm, and each epoch's four figures, as bits.
    fn run_bits(run: &Run) -> (Vec<[u64; 2]>, Vec<[u64; 4]>) {
        let steps = run
            .steps
            .iter()
            .map(|s| [s.loss.to_bits(), s.grad_norm.to_bits()])
            .collect();
        let epochs = run
            .epochs
            .iter()
            .map(|e| [e.train_loss, e.val_loss, e.train_acc, e.val_acc].map(f64::to_bits))
            .collect();
        (steps, epochs)
    }

    #[test]
    fn direct_gradients_train_burn_autodiffs_run_to_the_last_bit() {
        let digits = crate::data::digits().unwrap();
        let splits = digits.split(&crate::data::SplitConfig::default()).unwrap();
        let configs = [
            // The study's usual shape: Adam, a small batch (and a short last batch: 1079 rows).
            TrainConfig::new(OptimizerKind::Adam)
                .with_batch_size(16)
                .with_epochs(2),
            // Hidden and input dropout (their masks come from the same draws), three hidden
            // layers, AdamW with a schedule.
            TrainConfig::new(OptimizerKind::AdamW)
                .with_hidden(vec![48, 32, 24])
                .with_dropout(0.3)
                .with_input_dropout(0.1)
                .with_batch_size(64)
                .with_epochs(2)
                .with_schedule(Schedule::one_cycle()),
            // One hidden layer (no dropout allowed there), burn's own optimizer.
            TrainConfig::new(OptimizerKind::SgdMomentum)
                .with_hidden(vec![32])
                .with_lr(0.05)
                .with_batch_size(100)
                .with_epochs(3),
            // No hidden layer: a linear model.
            TrainConfig::new(OptimizerKind::RmsProp)
                .with_hidden(Vec::<usize>::new())
                .with_batch_size(8)
                .with_epochs(1),
        ];
        for config in configs {
            let mut autodiff = crate::train::trainer::start(&splits, &config)
                .unwrap()
                .with_autodiff_gradients();
            let mut direct = crate::train::trainer::start(&splits, &config).unwrap();
            autodiff.run_all(&mut |_, _| {}).unwrap();
            direct.run_all(&mut |_, _| {}).unwrap();
            assert!(direct.direct_gradients, "{config}: took autodiff's path");
            let (autodiff, direct) = (autodiff.finish(), direct.finish());
            assert!(direct.run.steps.len() > 30, "{config}");
            assert!(
                direct.run.steps.iter().all(|s| s.grad_norm > 0.0),
                "{config}"
            );
            assert_eq!(run_bits(&autodiff.run), run_bits(&direct.run), "{config}");
            assert_eq!(
                parameter_bits(&autodiff.model),
                parameter_bits(&direct.model),
                "{config}"
            );
        }
    }

    #[test]
    fn other_activations_and_accumulated_steps_take_autodiffs_path() {
        let digits = crate::data::digits().unwrap();
        let splits = digits.split(&crate::data::SplitConfig::default()).unwrap();
        let tanh = TrainConfig::new(OptimizerKind::Adam)
            .with_activation(Activation::Tanh)
            .with_dropout(0.3)
            .with_epochs(1);
        let mut state = crate::train::trainer::start(&splits, &tanh).unwrap();
        state.run_all(&mut |_, _| {}).unwrap();
        assert!(!state.direct_gradients);
        let model = &state.model;
        let data = crate::train::tensors::DeviceData::upload(
            &splits.train,
            &burn::tensor::Device::flex().autodiff(),
        );
        let mut rng = crate::rng::Rng::new(1);
        let before = rng.clone().uniform();
        assert!(super::gradients(model, &data, &[0, 1, 2], &mut rng).is_none());
        assert_eq!(
            rng.uniform(),
            before,
            "nothing drawn when the path does not apply"
        );
        // Accumulated micro-batches are burn-autodiff's steps: the run is still the same.
        let accumulated = TrainConfig::new(OptimizerKind::Adam)
            .with_batch_size(16)
            .with_accumulate(2)
            .with_epochs(1);
        let mut a = crate::train::trainer::start(&splits, &accumulated).unwrap();
        let mut b = crate::train::trainer::start(&splits, &accumulated)
            .unwrap()
            .with_autodiff_gradients();
        a.run_all(&mut |_, _| {}).unwrap();
        b.run_all(&mut |_, _| {}).unwrap();
        assert_eq!(run_bits(&a.finish().run), run_bits(&b.finish().run));
    }

    #[test]
    fn a_trial_hands_its_model_back_with_every_parameter_tracked() {
        struct Tracked(Vec<bool>);
        impl ModuleVisitor for Tracked {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                self.0.push(param.val().is_require_grad());
            }
        }
        let digits = crate::data::digits().unwrap();
        let splits = digits.split(&crate::data::SplitConfig::default()).unwrap();
        // Early stopping that restores the best epoch: the kept copy is handed back too.
        let config = TrainConfig::new(OptimizerKind::Adam)
            .with_lr(0.05)
            .with_epochs(6)
            .with_early_stopping(crate::train::EarlyStopping::new(1));
        let trial = crate::train::trainer::fit_trial(&splits, &config).unwrap();
        let mut tracked = Tracked(Vec::new());
        trial.model.visit(&mut tracked);
        assert_eq!(tracked.0, vec![true; 6]);
        // And it trains on under burn-autodiff.
        let data = crate::train::tensors::DeviceData::upload(
            &splits.train,
            &burn::tensor::Device::flex().autodiff(),
        );
        let mut rng = crate::rng::Rng::new(0);
        let (_, grads) =
            crate::train::tensors::group_gradients(&trial.model, &data, &[&[0, 1, 2, 3]], &mut rng);
        assert_eq!(grads.len(), 6);
    }
}
