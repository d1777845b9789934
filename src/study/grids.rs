//! The values each step of the study tries.

/// The learning rates the guide sweeps around the finder's suggestion.
pub const LR_GRID: &[f64] = &[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1];
/// Batch sizes tried (the LR scaled by the square-root rule).
pub const BATCH_SIZES: &[usize] = &[16, 32, 64, 128];
/// Dropout probabilities tried when the winner overfits.
pub const DROPOUTS: &[f64] = &[0.1, 0.2, 0.3, 0.5];
/// Weight decays tried when the winner overfits.
pub const WEIGHT_DECAYS: &[f64] = &[1e-5, 1e-4, 1e-3];
