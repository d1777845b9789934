//! Every way tunelab writes a number, in one place, so that a value reads the same in a CSV
//! file, a text table, an HTML table and a diagnosis. Non-finite values are always spelled
//! `nan`, `inf` and `-inf` (the spelling the CSV files use and read back).
//!
//! - [`csv`]: shortest exact text, for files that are read back.
//! - [`fixed`]: a table cell with fixed decimals (scientific when tiny or huge).
//! - [`short`]: a hyperparameter as people write it (`1e-3`, `0.25`).
//! - [`num`], [`lr`], [`nice_lr`], [`pct`]: evidence and advice with a few significant
//!   digits.
//! - [`sci`]: scientific notation with a fixed number of decimals (`7.05e-3`).
//! - [`bytes`]: a byte count with a binary unit.

mod numbers;
mod table;

pub(crate) use numbers::{lr, nice_lr, num, pct, round_significant};
pub(crate) use table::write_table;

/// The one spelling of a non-finite value: `nan`, `inf`, `-inf`; `None` for a finite one.
pub(crate) fn non_finite(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("nan")
    } else if v == f64::INFINITY {
        Some("inf")
    } else if v == f64::NEG_INFINITY {
        Some("-inf")
    } else {
        None
    }
}

/// A number for `format!` with width and precision (`{:>10.4}`, `{:.2e}`), whose
/// non-finite values read `nan`, `inf` and `-inf` like everywhere else.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match non_finite(self.0) {
            Some(text) => pad_like_a_number(f, text),
            None => std::fmt::Display::fmt(&self.0, f),
        }
    }
}

impl std::fmt::LowerExp for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match non_finite(self.0) {
            Some(text) => pad_like_a_number(f, text),
            None => std::fmt::LowerExp::fmt(&self.0, f),
        }
    }
}

/// Writes `text` in the formatter's width, right-aligned unless asked otherwise (as numbers
/// are), ignoring the precision (which would cut text short).
fn pad_like_a_number(f: &mut std::fmt::Formatter<'_>, text: &str) -> std::fmt::Result {
    use std::fmt::{Alignment, Write};
    let gap = f.width().unwrap_or(0).saturating_sub(text.chars().count());
    let (before, after) = match f.align() {
        Some(Alignment::Left) => (0, gap),
        Some(Alignment::Center) => (gap / 2, gap - gap / 2),
        _ => (gap, 0),
    };
    let fill = f.fill();
    for _ in 0..before {
        f.write_char(fill)?;
    }
    f.write_str(text)?;
    for _ in 0..after {
        f.write_char(fill)?;
    }
    Ok(())
}

/// The shortest text that reads back as the same `f64` (for CSV files).
pub(crate) fn csv(v: f64) -> String {
    match non_finite(v) {
        Some(text) => text.into(),
        None => format!("{v}"),
    }
}

/// A table cell: `decimals` fixed decimals, scientific notation when the value is below 1e-3
/// or from 1e6 up (`1.00e-5`).
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    if let Some(text) = non_finite(v) {
        text.into()
    } else if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
        format!("{v:.2e}")
    } else {
        format!("{v:.decimals$}")
    }
}

/// `v` with `decimals` fixed decimals, never `-0.0000`: a value that rounds to zero prints
/// without a sign (`fixed_decimals(-1e-7, 4)` is `0.0000`), as every figure tunelab prints.
pub fn fixed_decimals(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    match text.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => text,
    }
}

/// Like [`fixed_decimals`] with an explicit sign (`+0.0120`, `-0.0031`), and no sign for a
/// value that rounds to zero (`0.0000`).
pub(crate) fn signed_decimals(v: f64, decimals: usize) -> String {
    let text = fixed_decimals(v, decimals);
    if text.starts_with('-') || text.bytes().all(|b| b == b'0' || b == b'.') || !v.is_finite() {
        text
    } else {
        format!("+{text}")
    }
}

/// A hyperparameter as people write it: plain with up to 4 decimals from 0.01 to 10^4
/// (`0.25`, `2`), else short scientific notation (`1e-3`, `2.5e-4`).
pub(crate) fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if let Some(text) = non_finite(v) {
        return text.into();
    }
    if (1e-2..1e4).contains(&v.abs()) {
        trim_zeros(&format!("{v:.4}"))
    } else {
        let s = format!("{v:.3e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
            None => s,
        }
    }
}

/// Scientific notation with `decimals` decimals: `sci(7.05e-3, 2)` is `7.05e-3`.
pub(crate) fn sci(v: f64, decimals: usize) -> String {
    match non_finite(v) {
        Some(text) => text.into(),
        None => format!("{v:.decimals$e}"),
    }
}

/// A byte count with a binary unit: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.0 GiB`.
pub(crate) fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Drops trailing zeros after a decimal point, and the point itself if nothing is left.
pub(crate) fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_decimals_never_print_negative_zero() {
        assert_eq!(fixed_decimals(-0.00001, 4), "0.0000");
        assert_eq!(fixed_decimals(-0.0, 4), "0.0000");
        assert_eq!(fixed_decimals(-0.0031, 4), "-0.0031");
        assert_eq!(signed_decimals(0.012, 4), "+0.0120");
        assert_eq!(signed_decimals(-0.00001, 4), "0.0000");
        assert_eq!(signed_decimals(-0.5, 2), "-0.50");
        assert_eq!(signed_decimals(f64::NEG_INFINITY, 2), "-inf");
    }

    #[test]
    fn non_finite_values_are_spelled_one_way_by_every_formatter() {
        for (v, text) in [
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(csv(v), text);
            assert_eq!(fixed(v, 4), text);
            assert_eq!(short(v), text);
            assert_eq!(sci(v, 2), text);
            assert_eq!(num(v), text);
            assert_eq!(lr(v), text);
        }
    }

    #[test]
    fn num_keeps_width_and_precision_and_spells_non_finite_values_one_way() {
        assert_eq!(format!("{:>8.3}", Num(0.5)), "   0.500");
        assert_eq!(format!("{:>8.3}", Num(f64::NAN)), "     nan");
        assert_eq!(format!("{:.2e}", Num(0.00705)), "7.05e-3");
        assert_eq!(format!("{:<5.2e}|", Num(f64::NEG_INFINITY)), "-inf |");
    }

    #[test]
    fn csv_text_reads_back_exactly() {
        for v in [0.1, 1.0 / 3.0, 1e-300, 12345.678] {
            assert_eq!(csv(v).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn table_cells_switch_to_scientific_for_tiny_and_huge_values() {
        assert_eq!(fixed(0.12345, 4), "0.1235");
        assert_eq!(fixed(1e-5, 2), "1.00e-5");
        assert_eq!(fixed(2e6, 1), "2.00e6");
        assert_eq!(fixed(0.0, 3), "0.000");
    }

    #[test]
    fn bytes_and_hyperparameters_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(short(1e-3), "1e-3");
        assert_eq!(short(2.5e-4), "2.5e-4");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(2.0), "2");
        assert_eq!(short(0.0), "0");
        assert_eq!(sci(7.0534e-3, 2), "7.05e-3");
    }
}
