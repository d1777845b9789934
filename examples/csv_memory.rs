//! Peak memory of loading a CSV dataset, against the file's size: a table of 2 million rows x
//! 1 feature and one of 100k rows x 64 features, generated (seeded) into a temporary folder,
//! each loaded by a fresh process that reports its peak resident memory over what it held
//! before loading. Linux only (it reads /proc/self/status).
//!
//! ```text
//! cargo run --release --example csv_memory
//! ```

use std::io::Write;
use std::process::Command;

/// A `/proc/self/status` field in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Writes `rows` rows of `features` seeded numbers and a class in 0..10.
fn generate(path: &std::path::Path, rows: usize, features: usize) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let names: Vec<String> = (0..features).map(|j| format!("f{j}")).collect();
    writeln!(out, "{},target", names.join(","))?;
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    for _ in 0..rows {
        for _ in 0..features {
            write!(out, "{:.3},", (next() % 10_000) as f64 / 1000.0)?;
        }
        writeln!(out, "{}", next() % 10)?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "load" {
        let before = status_bytes("VmRSS");
        let data = tunelab::Dataset::from_csv(&args[2], "target")?;
        let peak = status_bytes("VmHWM");
        println!(
            "{} {} {} {}",
            data.n_samples(),
            data.n_features,
            before,
            peak.saturating_sub(before)
        );
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("tunelab-csv-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("table                 file       peak over baseline   ratio");
    for (name, rows, features) in [("2M x 1", 2_000_000, 1), ("100k x 64", 100_000, 64)] {
        let path = dir.join("table.csv");
        let size = generate(&path, rows, features)?;
        let out = Command::new(std::env::current_exe()?)
            .args(["load", path.to_str().ok_or("temporary path is not UTF-8")?])
            .output()?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
        }
        let text = String::from_utf8(out.stdout)?;
        let fields: Vec<u64> = text
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let peak = fields.get(3).copied().unwrap_or(0);
        println!(
            "{name:<12} {:>10.1} MB {:>14.1} MB {:>10.2}x",
            size as f64 / 1e6,
            peak as f64 / 1e6,
            peak as f64 / size as f64
        );
        println!(
            "csv_memory_ratio_{}={:.2}",
            name.replace(' ', ""),
            peak as f64 / size as f64
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
