//! The gradient noise scale (McCandlish et al. 2018, "An Empirical Model of Large-Batch
//! Training"): the batch size beyond which larger batches give diminishing returns.

use crate::data::Splits;
use crate::error::{Error, Result, Valid};
use crate::fmt::{short, write_table};
use crate::model::Mlp;
use crate::rng::Rng;
use crate::train::TrainConfig;
use crate::train::tensors::{DeviceData, cross_entropy, grad_sq_norm, read_f64};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Tensor;
use serde::Serialize;
use std::fmt;

/// A batch more than this factor below (or above) `B_simple` counts as "much smaller" (or
/// "much larger").
pub const NOISE_SCALE_BAND: f64 = 4.0;

/// Purpose tags for the seeded streams (sample choice, dropout masks).
const SAMPLE_STREAM: u64 = 0x6e6f_6973;
const DROPOUT_STREAM: u64 = 0x6e64_726f;

/// The simple gradient noise scale `B_simple = tr(Σ) / |G|²`, estimated at initialisation
/// from the gradient norms of small and large batches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseScale {
    /// Samples per small batch (`B_small`).
    pub micro_batch: usize,
    /// Small batches drawn; the large batch is their union.
    pub n_micro: usize,
    /// Samples in the large batch (`B_big = micro_batch * n_micro`).
    pub big_batch: usize,
    /// `|G_small|²`, averaged over the small batches.
    pub small_grad_sq: f64,
    /// `|G_big|²`, the squared norm of the mean of the small batches' gradients.
    pub big_grad_sq: f64,
    /// Unbiased estimate of the true gradient's squared norm `|G|²`.
    pub grad_sq: f64,
    /// Unbiased estimate of the trace of the per-sample gradient covariance `tr(Σ)`.
    pub trace_sigma: f64,
    /// `tr(Σ) / |G|²`, or `None` when either estimate came out non-positive (too few or too
    /// small batches to tell signal from noise).
    pub b_simple: Option<f64>,
    /// The effective batch of the config, compared with `b_simple`.
    pub batch: usize,
    /// What the number means for the batch size.
    pub interpretation: String,
}

/// Estimates the gradient noise scale of `config`'s model at its (seeded) initialisation on
/// `splits.train`, from `n_micro` disjoint batches of `micro_batch` samples. Deterministic
/// for a seed.
///
/// With `B_small = micro_batch` and `B_big = micro_batch * n_micro`:
/// `|G|² ≈ (B_big |G_big|² − B_small |G_small|²) / (B_big − B_small)` and
/// `tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)`.
pub fn gradient_noise_scale(
    splits: &Splits,
    config: &TrainConfig,
    micro_batch: usize,
    n_micro: usize,
) -> Result<NoiseScale> {
    config.validate()?;
    Error::check(
        "micro_batch",
        micro_batch as f64,
        Valid::AtLeast(1.0),
        "e.g. 16",
    )?;
    Error::check(
        "n_micro",
        n_micro as f64,
        Valid::AtLeast(2.0),
        "the estimate compares small batches with their union, e.g. 16",
    )?;
    let n_train = splits.train.n_samples();
    let big_batch = micro_batch.saturating_mul(n_micro);
    Error::check(
        "micro_batch * n_micro",
        big_batch as f64,
        Valid::AtMost(n_train as f64),
        "the training samples: use fewer or smaller micro-batches",
    )?;
    let device = config.device.to_device()?.autodiff();
    let model = config
        .mlp(splits.train.n_features, splits.train.n_classes())
        .init(&device, config.seed)?;
    let data = DeviceData::upload(&splits.train, &device);
    let mut rows: Vec<usize> = (0..n_train).collect();
    Rng::derive(config.seed, SAMPLE_STREAM).shuffle(&mut rows);
    let (small, big_sum) =
        gradient_norms(&model, &data, &rows[..big_batch], micro_batch, config.seed)?;
    let small_grad_sq = small.iter().sum::<f64>() / small.len() as f64;
    let big_grad_sq = big_sum / (n_micro * n_micro) as f64;
    let (bs, bb) = (micro_batch as f64, big_batch as f64);
    let grad_sq = (bb * big_grad_sq - bs * small_grad_sq) / (bb - bs);
    let trace_sigma = (small_grad_sq - big_grad_sq) / (1.0 / bs - 1.0 / bb);
    let b_simple = (grad_sq > 0.0 && trace_sigma > 0.0)
        .then_some(trace_sigma / grad_sq)
        .filter(|b| b.is_finite());
    let batch = config.effective_batch();
    Ok(NoiseScale {
        micro_batch,
        n_micro,
        big_batch,
        small_grad_sq,
        big_grad_sq,
        grad_sq,
        trace_sigma,
        b_simple,
        batch,
        interpretation: interpret(b_simple, batch),
    })
}

/// Squared gradient norms of each micro-batch, and of the sum of their gradients.
fn gradient_norms(
    model: &Mlp,
    data: &DeviceData,
    rows: &[usize],
    micro_batch: usize,
    seed: u64,
) -> Result<(Vec<f64>, f64)> {
    let mut dropout_rng = Rng::derive(seed, DROPOUT_STREAM);
    let mut accumulator = GradientsAccumulator::<Mlp>::new();
    let mut norms: Vec<Tensor<1>> = Vec::new();
    for chunk in rows.chunks(micro_batch) {
        let (x, y) = data.batch(chunk);
        let loss = cross_entropy(model.forward_train(x, &mut dropout_rng), y);
        let grads = GradientsParams::from_grads(loss.backward(), model);
        norms.push(grad_sq_norm(model, &grads).ok_or_else(no_gradients)?);
        accumulator.accumulate(model, grads);
    }
    let n_small = norms.len();
    let sum = accumulator.grads();
    norms.push(grad_sq_norm(model, &sum).ok_or_else(no_gradients)?);
    let mut values = read_f64(Tensor::cat(norms, 0))?;
    let big = values.pop().unwrap_or(f64::NAN);
    values.truncate(n_small);
    Ok((values, big))
}

fn no_gradients() -> Error {
    Error::Backend("the model has no gradients: is the device an autodiff device?".into())
}

fn interpret(b_simple: Option<f64>, batch: usize) -> String {
    let general = "batches much smaller than B_simple waste little compute but need more steps; \
                   much larger ones give diminishing returns (each doubling saves few steps). \
                   Measured at initialisation: the noise scale usually grows as the loss falls.";
    let Some(b) = b_simple else {
        return format!(
            "no reliable estimate: the small- and large-batch gradients did not separate signal from \
             noise; use more or larger micro-batches. In general, {general}"
        );
    };
    let ratio = batch as f64 / b;
    let verdict = if ratio < 1.0 / NOISE_SCALE_BAND {
        format!(
            "your batch {batch} is much smaller than B_simple ≈ {b:.0}: data-efficient; a larger batch \
             (with a scaled learning rate) would cut the number of steps almost proportionally"
        )
    } else if ratio > NOISE_SCALE_BAND {
        format!(
            "your batch {batch} is much larger than B_simple ≈ {b:.0}: diminishing returns; a smaller \
             batch would reach the same loss with fewer samples"
        )
    } else {
        format!("your batch {batch} is near B_simple ≈ {b:.0}: a good balance of steps and compute")
    };
    format!("{verdict}. In general, {general}")
}

impl fmt::Display for NoiseScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Gradient noise scale at initialisation ({} batches of {}, union {})",
            self.n_micro, self.micro_batch, self.big_batch
        )?;
        let rows = vec![
            vec![
                "|G_small|^2".into(),
                short(self.small_grad_sq),
                "mean over the small batches".into(),
            ],
            vec![
                "|G_big|^2".into(),
                short(self.big_grad_sq),
                "the union's gradient".into(),
            ],
            vec![
                "|G|^2".into(),
                short(self.grad_sq),
                "true gradient (estimate)".into(),
            ],
            vec![
                "tr(Sigma)".into(),
                short(self.trace_sigma),
                "per-sample noise (estimate)".into(),
            ],
            vec![
                "B_simple".into(),
                self.b_simple.map_or("n/a".into(), short),
                "tr(Sigma) / |G|^2".into(),
            ],
        ];
        write_table(f, &["quantity", "value", "meaning"], &rows)?;
        writeln!(f, "{}", self.interpretation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data;
    use crate::data::SplitConfig;
    use crate::train::OptimizerKind;

    #[test]
    fn noise_scale_on_digits_is_positive_finite_and_seeded() {
        let splits = data::digits()
            .unwrap()
            .split(&SplitConfig::default())
            .unwrap();
        let config = TrainConfig::new(OptimizerKind::Adam).with_seed(3);
        let a = gradient_noise_scale(&splits, &config, 16, 8).unwrap();
        let b = gradient_noise_scale(&splits, &config, 16, 8).unwrap();
        assert_eq!(a, b);
        let value = a.b_simple.unwrap();
        assert!(value.is_finite() && value > 0.0, "{a}");
        assert!(a.small_grad_sq > a.big_grad_sq, "{a}");
        assert!(a.to_string().contains("B_simple"), "{a}");
        let other = gradient_noise_scale(&splits, &config.clone().with_seed(4), 16, 8).unwrap();
        assert_ne!(other.small_grad_sq, a.small_grad_sq);
        crate::out::errln!("{a}");
    }

    #[test]
    fn bad_batch_counts_are_errors() {
        let splits = data::iris()
            .unwrap()
            .split(&SplitConfig::default())
            .unwrap();
        let config = TrainConfig::default();
        assert!(gradient_noise_scale(&splits, &config, 0, 4).is_err());
        assert!(gradient_noise_scale(&splits, &config, 8, 1).is_err());
        assert!(gradient_noise_scale(&splits, &config, 64, 64).is_err());
    }

    #[test]
    fn interpretation_compares_the_batch() {
        assert!(interpret(Some(1_000.0), 32).contains("much smaller"));
        assert!(interpret(Some(10.0), 256).contains("much larger"));
        assert!(interpret(Some(64.0), 64).contains("near"));
        assert!(interpret(None, 64).contains("no reliable estimate"));
    }
}
