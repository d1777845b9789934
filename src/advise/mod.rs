//! The tuning guide's rules of thumb as functions, with their tables as data.
//!
//! - [`batch_size_for`]: a batch-size range for a dataset size ([`BATCH_SIZE_TABLE`]), and
//!   the guide's batch when memory is limited ([`LIMITED_MEMORY_BATCH`]).
//! - [`scale_lr`]: a learning rate moved to a new batch size (square-root and linear rules).
//! - [`memory_estimate`], [`memory_estimate_in`], [`largest_batch`], [`largest_batch_in`],
//!   [`memory_fit`], [`accumulation_plan`]: what fits in memory in f32 or mixed precision
//!   ([`Precision`]), the guide's ways out when a batch does not fit, and gradient
//!   accumulation for larger effective batches.
//! - [`regularization_advice`]: dropout and weight decay by how strongly a model overfits
//!   ([`overfitting_level`], with the diagnosis's gap thresholds), from the guide's tables
//!   ([`DROPOUT_BY_OVERFITTING`], [`DROPOUT_BY_LAYER`], [`WEIGHT_DECAY_TABLE`],
//!   [`REGULARIZATION_TABLE`]).
//! - [`architecture_advice`]: how deep and wide to start ([`DEPTH_BANDS`], [`WIDTH_BANDS`])
//!   and the signs that call for more ([`CAPACITY_SIGNS`]).
//! - [`ARCHITECTURES`]: the hidden-layer shapes to try, which the study's architecture step
//!   trains.
//!
//! Everything here is a pure function of numbers: the checks that train a model (the
//! gradient noise scale, the initial-loss and overfit-one-batch sanity checks) live in
//! [`crate::train::train`].
//!
//! Every result prints as a small text table (`Display`) and serialises with serde.
//!
//! ```no_run
//! use tunelab::advise;
//!
//! println!("{}", advise::batch_size_for(1_078)?);
//! println!("{}", advise::scale_lr(1e-3, 32, 128)?);
//! println!("{}", advise::regularization_advice(0.05, 0.30)?);
//! println!("{}", advise::architecture_advice(1_078, 64, 10, false)?);
//! # Ok::<(), tunelab::Error>(())
//! ```

mod accumulation;
mod architectures;
mod batch;
mod capacity;
mod dropout;
mod lr_scaling;
mod memory;
mod memory_fit;
mod overfitting;
mod precision;
mod range;
mod regularization;
mod weight_decay;

pub use accumulation::{
    AccumulationPlan, MAX_EFFECTIVE_BATCH, MIN_MICRO_BATCH_SHARE, accumulation_plan,
};
pub use architectures::{ARCHITECTURES, Architecture};
pub use batch::{
    BATCH_SIZE_TABLE, BATCH_TRADE_OFFS, BatchAdvice, BatchRule, LIMITED_MEMORY_BATCH, batch_rule,
    batch_size_for,
};
pub use capacity::{
    ArchitectureAdvice, CAPACITY_SIGNS, DEPTH_BANDS, LARGE_DATA_FROM, LayerBand, SMALL_DATA_BELOW,
    WIDTH_BANDS, architecture_advice,
};
pub use dropout::{
    DROPOUT_BY_LAYER, DROPOUT_BY_OVERFITTING, DropoutPlacement, DropoutRule, DropoutSite,
    dropout_at, dropout_for,
};
pub use lr_scaling::{LR_SCALING_CAVEAT, LrScaling, scale_lr};
pub use memory::{
    ACTIVATION_COPIES, F32_BYTES, MemoryEstimate, OPTIMIZER_STATE_SLOTS, largest_batch,
    largest_batch_in, memory_estimate, memory_estimate_in, optimizer_slots,
};
pub use memory_fit::{MemoryFit, memory_fit};
pub use overfitting::{
    MILD_MIN_GAP, MILD_RATIO, MODERATE_MIN_GAP, MODERATE_RATIO, Overfitting, SEVERE_MIN_GAP,
    SEVERE_RATIO, loss_ratio, overfitting_level,
};
pub use precision::{F16_BYTES, MIXED_PRECISION_NOTE, Precision};
pub use range::ValueRange;
pub use regularization::{
    REGULARIZATION_TABLE, RegularizationAdvice, RegularizationRule, regularization_advice,
    regularization_rule,
};
pub use weight_decay::{
    DEFAULT_WEIGHT_DECAY, WEIGHT_DECAY_TABLE, WeightDecayRule, WeightDecayStrength,
};
