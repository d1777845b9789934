//! Moving data to the device once, the loss, and batched read-back of scalars.

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::rng::Rng;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData, activation};

/// A dataset as two tensors on a device, uploaded once.
#[derive(Debug, Clone)]
pub(crate) struct DeviceData {
    pub x: Tensor<2>,
    pub y: Tensor<1, Int>,
    pub n: usize,
}

impl DeviceData {
    pub fn upload(data: &Dataset, device: &Device) -> DeviceData {
        let n = data.n_samples();
        let x = Tensor::<2>::from_data(
            TensorData::new(data.features.clone(), [n, data.n_features]),
            device,
        );
        let labels: Vec<i64> = data.labels.iter().map(|&l| l as i64).collect();
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device);
        DeviceData { x, y, n }
    }

    /// The rows with the given indices.
    pub fn batch(&self, rows: &[usize]) -> (Tensor<2>, Tensor<1, Int>) {
        let idx: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [rows.len()]), &self.x.device());
        (
            self.x.clone().select(0, idx.clone()),
            self.y.clone().select(0, idx),
        )
    }
}

/// Mean cross-entropy of logits `[n, k]` against class ids `[n]`, as a one-element tensor.
pub(crate) fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let log_probs = activation::log_softmax(logits, 1);
    let picked = log_probs.gather(1, targets.unsqueeze_dim::<2>(1));
    picked.mean().neg()
}

/// Loss and accuracy of a model (in evaluation mode) on data, read back together.
pub(crate) fn evaluate(model: &Mlp, data: &DeviceData) -> Result<(f64, f64)> {
    let logits = model.forward(data.x.clone());
    let loss = cross_entropy(logits.clone(), data.y.clone());
    let predicted = logits.argmax(1).reshape([data.n]);
    let acc = predicted.equal(data.y.clone()).float().mean();
    let values = read_f64(Tensor::cat(vec![loss, acc], 0))?;
    Ok((values[0], values[1]))
}

/// Reads a 1-D tensor back as `f64`s.
pub(crate) fn read_f64(t: Tensor<1>) -> Result<Vec<f64>> {
    t.into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .map_err(|e| Error::Backend(format!("reading values back from the device: {e:?}")))
}

/// Squared L2 norm of all gradients, as a one-element tensor (not read back).
pub(crate) fn grad_sq_norm(model: &Mlp, grads: &GradientsParams) -> Option<Tensor<1>> {
    struct Visitor<'a> {
        grads: &'a GradientsParams,
        total: Option<Tensor<1>>,
    }
    impl ModuleVisitor for Visitor<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let sq = g.powi_scalar(2).sum();
                self.total = Some(match self.total.take() {
                    Some(t) => t + sq,
                    None => sq,
                });
            }
        }
    }
    let mut v = Visitor { grads, total: None };
    model.visit(&mut v);
    v.total
}

/// Loss and gradients of one optimizer step over a group of micro-batches (gradient
/// accumulation when there are several). Each micro-batch's loss is weighted by its share of
/// the group's samples, so the summed gradients equal those of one batch of all the rows.
/// The returned loss is detached.
pub(crate) fn group_gradients(
    model: &Mlp,
    data: &DeviceData,
    group: &[&[usize]],
    rng: &mut Rng,
) -> (Tensor<1>, GradientsParams) {
    let total: usize = group.iter().map(|b| b.len()).sum();
    if let [rows] = group {
        return micro_batch(model, data, rows, 1.0, rng);
    }
    let mut acc = GradientsAccumulator::<Mlp>::new();
    let mut step_loss: Option<Tensor<1>> = None;
    for rows in group {
        let weight = rows.len() as f64 / total as f64;
        let (loss, grads) = micro_batch(model, data, rows, weight, rng);
        step_loss = Some(match step_loss.take() {
            Some(s) => s + loss,
            None => loss,
        });
        acc.accumulate(model, grads);
    }
    let loss = step_loss.unwrap_or_else(|| Tensor::zeros([1], &data.x.device()));
    (loss, acc.grads())
}

/// Forward and backward of one micro-batch, its loss scaled by `weight`.
fn micro_batch(
    model: &Mlp,
    data: &DeviceData,
    rows: &[usize],
    weight: f64,
    rng: &mut Rng,
) -> (Tensor<1>, GradientsParams) {
    let (x, y) = data.batch(rows);
    let logits = model.forward_train(x, rng);
    let mut loss = cross_entropy(logits, y);
    if weight != 1.0 {
        loss = loss.mul_scalar(weight);
    }
    let grads = GradientsParams::from_grads(loss.backward(), model);
    (loss.detach(), grads)
}
