//! Helpers shared by the integration tests.

use tunelab::{SplitConfig, Splits, data};

/// The digits set with the default split (seed 0, standardised).
pub fn digits() -> Splits {
    data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
}
