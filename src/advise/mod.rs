//! The tuning guide's rules of thumb as functions, with their tables as data.
//!
//! - [`batch_size_for`]: a batch-size range for a dataset size ([`BATCH_SIZE_TABLE`]).
//! - [`scale_lr`]: a learning rate moved to a new batch size (square-root and linear rules).
//! - [`memory_estimate`], [`largest_batch`], [`accumulation_plan`]: what fits in memory, and
//!   gradient accumulation for larger effective batches.
//! - [`regularization_advice`]: dropout and weight decay by how strongly a model overfits
//!   ([`REGULARIZATION_TABLE`]).
//! - [`architectures`]: the hidden-layer shapes to try ([`ARCHITECTURES`]).
//! - Beyond the guide: [`gradient_noise_scale`] (McCandlish et al. 2018), and the sanity
//!   checks [`initial_loss_check`] and [`overfit_one_batch`].
//!
//! Every result prints as a small text table (`Display`) and serialises with serde.
//!
//! ```no_run
//! use tunelab::advise;
//!
//! println!("{}", advise::batch_size_for(1_078)?);
//! println!("{}", advise::scale_lr(1e-3, 32, 128)?);
//! println!("{}", advise::regularization_advice(0.05, 0.30)?);
//! # Ok::<(), tunelab::Error>(())
//! ```

mod accumulation;
mod architectures;
mod batch;
mod lr_scaling;
mod memory;
mod noise_scale;
mod regularization;
mod sanity;
mod table;

pub use accumulation::{
    AccumulationPlan, MAX_EFFECTIVE_BATCH, MIN_MICRO_BATCH_SHARE, accumulation_plan,
};
pub use architectures::{ARCHITECTURES, Architecture, architectures};
pub use batch::{
    BATCH_SIZE_TABLE, BATCH_TRADE_OFFS, BatchAdvice, BatchRule, batch_rule, batch_size_for,
};
pub use lr_scaling::{LR_SCALING_CAVEAT, LrScaling, scale_lr};
pub use memory::{
    ACTIVATION_COPIES, F32_BYTES, MemoryEstimate, OPTIMIZER_STATE_SLOTS, largest_batch,
    memory_estimate, optimizer_slots,
};
pub use noise_scale::{NOISE_SCALE_BAND, NoiseScale, gradient_noise_scale};
pub use regularization::{
    MILD_GAP, MODERATE_GAP, Overfitting, REGULARIZATION_TABLE, RegularizationAdvice,
    RegularizationRule, STRONG_GAP, ValueRange, regularization_advice, regularization_rule,
};
pub use sanity::{
    INITIAL_LOSS_TOLERANCE, Measurement, OVERFIT_ACCURACY_TARGET, OVERFIT_LOSS_TARGET, SanityCheck,
    initial_loss_check, overfit_one_batch,
};
pub use table::fmt_bytes;
