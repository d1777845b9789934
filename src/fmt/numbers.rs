//! Significant-digit formatting for evidence and advice: a few significant digits, learning
//! rates written the way people say them (`0.01`, not `1e-2`), and suggested LRs rounded to
//! one significant digit.

use super::{non_finite, trim_zeros};

/// Significant digits of the numbers quoted as evidence: enough to compare two losses,
/// few enough to read aloud.
const EVIDENCE_DIGITS: i32 = 4;

/// Significant digits of a learning rate as given (`0.003`, `0.00025`).
const LR_DIGITS: i32 = 3;

/// Below this a number is written in scientific notation (`2.5e-5`), where decimals would
/// bury the digits behind zeros.
const SMALLEST_DECIMAL: f64 = 1e-4;

/// From this up a number is written in scientific notation.
const LARGEST_DECIMAL: f64 = 1e5;

/// A number with [`EVIDENCE_DIGITS`] significant digits, trailing zeros dropped:
/// `2.302585` → `2.303`, `0.0810` → `0.081`, NaN → `nan`.
pub(crate) fn num(x: f64) -> String {
    with_digits(x, EVIDENCE_DIGITS)
}

/// A learning rate with up to [`LR_DIGITS`] significant digits: `0.01`, `0.0003`, `2.5e-5`.
pub(crate) fn lr(x: f64) -> String {
    with_digits(x, LR_DIGITS)
}

/// A suggested learning rate rounded to one significant digit, so that the advice reads
/// `try 0.003` rather than `try 0.003333`.
pub(crate) fn nice_lr(x: f64) -> String {
    with_digits(round_to_one_digit(x), LR_DIGITS)
}

/// A fraction as a percentage: `0.234` → `23%`, `0.045` → `4.5%`.
pub(crate) fn pct(fraction: f64) -> String {
    let p = fraction * 100.0;
    if !p.is_finite() {
        return num(p);
    }
    if p.abs() >= 10.0 {
        format!("{p:.0}%")
    } else {
        format!("{}%", trim_zeros(&format!("{p:.1}")))
    }
}

fn round_to_one_digit(x: f64) -> f64 {
    round_significant(x, 1)
}

/// `x` rounded to `digits` significant digits, through its decimal text so that `1e-4`
/// comes out as the nearest double to 0.0001 and not as 0.00009999...
pub(crate) fn round_significant(x: f64, digits: i32) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.*e}", (digits - 1).max(0) as usize, x)
        .parse()
        .unwrap_or(x)
}

fn with_digits(x: f64, digits: i32) -> String {
    if let Some(text) = non_finite(x) {
        return text.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let x = round_significant(x, digits);
    let a = x.abs();
    if !(SMALLEST_DECIMAL..LARGEST_DECIMAL).contains(&a) {
        let text = format!("{:.*e}", (digits - 1) as usize, x);
        return match text.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => text,
        };
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    trim_zeros(&format!("{x:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_numbers_have_four_significant_digits() {
        assert_eq!(num(std::f64::consts::LN_10), "2.303");
        assert_eq!(num(1.23456), "1.235");
        assert_eq!(num(0.0810), "0.081");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(123.456), "123.5");
        assert_eq!(num(0.000012346), "1.235e-5");
        assert_eq!(num(f64::NAN), "nan");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.5), "-0.5");
    }

    #[test]
    fn learning_rates_read_as_decimals() {
        assert_eq!(lr(1e-2), "0.01");
        assert_eq!(lr(1e-3), "0.001");
        assert_eq!(lr(3e-4), "0.0003");
        assert_eq!(lr(2.5e-5), "2.5e-5");
        assert_eq!(nice_lr(1e-2 / 3.0), "0.003");
        assert_eq!(nice_lr(1e-3 * 3.0), "0.003");
        assert_eq!(nice_lr(1e-1 / 10.0), "0.01");
        assert_eq!(nice_lr(0.0096), "0.01");
        assert_eq!(nice_lr(1e-5 * 10.0), "0.0001");
        assert_eq!(lr(0.99999e-4), "0.0001");
    }

    #[test]
    fn percentages_round_sensibly() {
        assert_eq!(pct(0.234), "23%");
        assert_eq!(pct(0.045), "4.5%");
        assert_eq!(pct(0.05), "5%");
    }
}
