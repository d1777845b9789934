//! A closed range of hyperparameter values, as the advice tables give them.

use crate::fmt::short;
use serde::Serialize;
use std::fmt;

/// A closed range of values to try, `low..=high` (one value when both ends are equal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ValueRange {
    /// The low end.
    pub low: f64,
    /// The high end.
    pub high: f64,
}

impl ValueRange {
    /// The range `low..=high`.
    pub const fn new(low: f64, high: f64) -> Self {
        ValueRange { low, high }
    }

    /// The single value `value`.
    pub const fn one(value: f64) -> Self {
        ValueRange {
            low: value,
            high: value,
        }
    }

    /// Whether `value` lies in the range, ends included.
    pub fn contains(&self, value: f64) -> bool {
        (self.low..=self.high).contains(&value)
    }
}

impl fmt::Display for ValueRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            f.write_str(&short(self.low))
        } else {
            write!(f, "{}-{}", short(self.low), short(self.high))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_prints_like_the_guide_and_one_value_once() {
        assert_eq!(ValueRange::new(0.1, 0.2).to_string(), "0.1-0.2");
        assert_eq!(ValueRange::new(1e-4, 1e-3).to_string(), "1e-4-1e-3");
        assert_eq!(ValueRange::one(0.5).to_string(), "0.5");
        assert_eq!(ValueRange::one(0.0).to_string(), "0");
        assert!(ValueRange::new(0.3, 0.4).contains(0.3));
        assert!(!ValueRange::new(0.3, 0.4).contains(0.41));
    }
}
