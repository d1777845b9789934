//! A trained model with its run and optimizer.

use super::tensors::{DeviceData, evaluate};
use super::{FinalMetrics, Run};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Mlp;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;

/// A trained model with the record of its run and its optimizer (to continue training or
/// to run the LR finder from where training stopped).
#[derive(Clone)]
pub struct Fitted {
    /// The record of the run.
    pub run: Run,
    /// The trained model (the best epoch's weights when early stopping restored them).
    pub model: Mlp,
    /// The optimizer with its state after the last step.
    pub optim: ModuleOptimizer,
    pub(super) device: Device,
}

impl std::fmt::Debug for Fitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fitted")
            .field("run", &self.run)
            .field("model", &self.model)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Fitted {
    /// Loss and accuracy on a dataset (for example the test split, once, at the end).
    pub fn evaluate(&self, data: &Dataset) -> Result<FinalMetrics> {
        evaluate_on(&self.model, &self.device, data)
    }
}

/// A trained trial: its run and model, without the optimizer (the study and the LR
/// finder's check read the run, and the study's winner's model on the test part, nothing
/// else).
pub(crate) struct TrialFit {
    /// The record of the run.
    pub run: Run,
    /// The trained model (the best epoch's weights when early stopping restored them).
    pub model: Mlp,
    pub(super) device: Device,
}

impl TrialFit {
    /// Loss and accuracy on a dataset, as [`Fitted::evaluate`].
    pub(crate) fn evaluate(&self, data: &Dataset) -> Result<FinalMetrics> {
        evaluate_on(&self.model, &self.device, data)
    }
}

/// Loss and accuracy of `model` (trained on `device`) on a dataset.
fn evaluate_on(model: &Mlp, device: &Device, data: &Dataset) -> Result<FinalMetrics> {
    // The model's own widths: what it reads and how many classes it scores.
    let inputs = model.layers.first().map(|l| l.weight.val().dims()[0]);
    let outputs = model.layers.last().map(|l| l.weight.val().dims()[1]);
    if inputs != Some(data.n_features) {
        return Err(Error::ShapeMismatch {
            context: "evaluate".into(),
            expected: format!("{} features", inputs.unwrap_or(0)),
            got: format!("{} features", data.n_features),
        });
    }
    if outputs.is_none_or(|k| data.n_classes() > k) {
        return Err(Error::ShapeMismatch {
            context: "evaluate".into(),
            expected: format!("at most {} classes", outputs.unwrap_or(0)),
            got: format!("{} classes", data.n_classes()),
        });
    }
    let eval_device = device.clone().without_autodiff();
    let model = model.valid();
    let (loss, acc) = evaluate(&model, &DeviceData::upload(data, &eval_device))?;
    Ok(FinalMetrics {
        train_loss: f64::NAN,
        val_loss: loss,
        val_accuracy: acc,
    })
}
