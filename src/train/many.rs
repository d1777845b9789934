//! Training several independent configurations at once, one per CPU thread.

use super::{Run, TrainConfig, train};
use crate::data::Splits;
use crate::error::Result;
use crate::parallel::parallel_map;

/// Trains every configuration on `splits` with up to `threads` at a time (0 means every
/// available CPU thread) and returns the results in the configurations' order. Each run is
/// seeded by its own config, so the results do not depend on the number of threads; a
/// configuration that fails gives its error in its place without stopping the others.
///
/// ```no_run
/// use tunelab::{OptimizerKind, SplitConfig, TrainConfig, data, train_all};
///
/// let splits = data::iris()?.split(&SplitConfig::default())?;
/// let base = TrainConfig::new(OptimizerKind::Adam).with_epochs(5);
/// let configs: Vec<TrainConfig> = [1e-3, 1e-2].map(|lr| base.clone().with_lr(lr)).to_vec();
/// for run in train_all(&splits, &configs, 0) {
///     println!("{}", run?.config.lr());
/// }
/// # Ok::<(), tunelab::Error>(())
/// ```
pub fn train_all(splits: &Splits, configs: &[TrainConfig], threads: usize) -> Vec<Result<Run>> {
    parallel_map(configs.iter().collect(), threads, |c| train(splits, c))
}
