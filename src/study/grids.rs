//! The values each step of the study tries.

/// The guide's learning rates for step 2; the study tries those within 10x of the LR
/// finder's recommendation.
pub const LR_GRID: &[f64] = &[1e-4, 1e-3, 1e-2, 1e-1];
/// Batch sizes tried (the LR scaled by the square-root rule).
pub const BATCH_SIZES: &[usize] = &[16, 32, 64, 128];
/// Hidden dropout probabilities tried when the winner overfits (between hidden layers: the
/// guide's mild, moderate and severe levels).
pub const DROPOUTS: &[f64] = &[0.1, 0.2, 0.3, 0.5];
/// Input dropout probabilities tried when an overfitting winner has one hidden layer (the
/// guide's range for inputs).
pub const INPUT_DROPOUTS: &[f64] = &[0.1, 0.2];
/// Weight decays tried when the winner overfits: the guide's light, moderate, strong and very
/// strong levels.
pub const WEIGHT_DECAYS: &[f64] = &[1e-5, 1e-4, 1e-3, 1e-2];
