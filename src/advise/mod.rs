//! The tuning guide's rules of thumb as functions, with their tables as data.
//!
//! - [`batch_size_for`]: a batch-size range for a dataset size ([`BATCH_SIZE_TABLE`]).
//! - [`scale_lr`]: a learning rate moved to a new batch size (square-root and linear rules).
//! - [`memory_estimate`], [`largest_batch`], [`accumulation_plan`]: what fits in memory, and
//!   gradient accumulation for larger effective batches.
//! - [`regularization_advice`]: dropout and weight decay by how strongly a model overfits
//!   ([`REGULARIZATION_TABLE`]).
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
//! # Ok::<(), tunelab::Error>(())
//! ```

mod accumulation;
mod architectures;
mod batch;
mod lr_scaling;
mod memory;
mod regularization;

pub use accumulation::{
    AccumulationPlan, MAX_EFFECTIVE_BATCH, MIN_MICRO_BATCH_SHARE, accumulation_plan,
};
pub use architectures::{ARCHITECTURES, Architecture};
pub use batch::{
    BATCH_SIZE_TABLE, BATCH_TRADE_OFFS, BatchAdvice, BatchRule, batch_rule, batch_size_for,
};
pub use lr_scaling::{LR_SCALING_CAVEAT, LrScaling, scale_lr};
pub use memory::{
    ACTIVATION_COPIES, F32_BYTES, MemoryEstimate, OPTIMIZER_STATE_SLOTS, largest_batch,
    memory_estimate, optimizer_slots,
};
pub use regularization::{
    MILD_GAP, MODERATE_GAP, Overfitting, REGULARIZATION_TABLE, RegularizationAdvice,
    RegularizationRule, STRONG_GAP, ValueRange, regularization_advice, regularization_rule,
};
