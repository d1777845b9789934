//! Helpers shared by the integration tests (each test crate uses some of them).
#![allow(dead_code)]

use tunelab::{SplitConfig, Splits, data};

/// The digits set with the default split (seed 0, standardised).
pub fn digits() -> Splits {
    data::digits()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
}

/// The iris set with the default split: a tiny, fast dataset for log and file tests.
pub fn iris() -> Splits {
    data::iris()
        .unwrap()
        .split(&SplitConfig::default())
        .unwrap()
}
