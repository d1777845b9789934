//! Plain-text tables shared by the advice types' `Display`.

use std::fmt;

/// Writes `header` and `rows` as columns padded to their widest cell, two spaces apart.
pub(crate) fn write_table(
    f: &mut fmt::Formatter<'_>,
    header: &[&str],
    rows: &[Vec<String>],
) -> fmt::Result {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    for row in std::iter::once(&header)
        .chain(std::iter::once(&rule))
        .chain(rows)
    {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate().take(columns) {
            let cell = row.get(i).map_or("", String::as_str);
            if i + 1 < columns {
                line.push_str(&format!("{cell:<w$}  "));
            } else {
                line.push_str(cell);
            }
        }
        writeln!(f, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A byte count with a binary unit: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.0 GiB`.
pub fn fmt_bytes(bytes: u64) -> String {
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

/// A number in short scientific notation when small or large (`1e-3`, `2.5e-4`), else plain.
pub(crate) fn fmt_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return crate::train::fmt_value(v);
    }
    let a = v.abs();
    if (1e-2..1e4).contains(&a) {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.3e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            None => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo;
    impl fmt::Display for Demo {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_table(
                f,
                &["a", "long header"],
                &[vec!["wide cell".into(), "x".into()]],
            )
        }
    }

    #[test]
    fn columns_line_up() {
        let text = Demo.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "a          long header");
        assert_eq!(lines[1], "---------  -----------");
        assert_eq!(lines[2], "wide cell  x");
    }

    #[test]
    fn bytes_and_numbers_read_well() {
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(1536), "1.5 KiB");
        assert_eq!(fmt_bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(fmt_num(1e-3), "1e-3");
        assert_eq!(fmt_num(2.5e-4), "2.5e-4");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(2.0), "2");
        assert_eq!(fmt_num(0.0), "0");
    }
}
