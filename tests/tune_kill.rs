//! `tune --overwrite` killed (SIGKILL) at many moments of a study: the `--out` folder always
//! holds one complete study, the earlier one or the new one, never a mix of the two.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What the study files in a folder say about themselves: the runs in the Parquet log, in
/// the CSV export and in the report, and the study's seed as each of them records it.
#[derive(Debug, Clone, PartialEq)]
struct Study {
    runs: usize,
    seed: u64,
}

/// The study the folder holds, or a panic saying how its files disagree.
fn study_in(dir: &Path) -> Study {
    // A load completes a replacement that a kill interrupted (its journal lists the files).
    let log = tunelab::ExperimentLog::load(dir).unwrap();
    let parquet = Study {
        runs: log.len(),
        seed: log.rows()[0].seed,
    };
    let csv = std::fs::read_to_string(dir.join("experiments.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let seed_col = header.iter().position(|h| *h == "seed").unwrap();
    let rows: Vec<&str> = lines.collect();
    let csv_study = Study {
        runs: rows.len(),
        seed: rows[0].split(',').nth(seed_col).unwrap().parse().unwrap(),
    };
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let runs = report
        .split(" runs in ")
        .next()
        .and_then(|before| before.rsplit(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("the report says how many runs");
    let seed = report
        .split("seed=")
        .nth(1)
        .and_then(|after| after.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("the report names the winner's seed");
    let report_study = Study { runs, seed };
    assert_eq!(
        parquet, csv_study,
        "the Parquet log and the CSV export differ"
    );
    assert_eq!(parquet, report_study, "the log and the report differ");
    // The curves table is of the same study: the baseline's last epoch is its final loss.
    let first = &log.rows()[0];
    let curve = log.curve(first.run_id).expect("the first run has a curve");
    assert_eq!(
        curve.last().unwrap().val_loss,
        first.val_loss,
        "curves of another study"
    );
    parquet
}

fn tune(dir: &Path, seed: u64) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunelab"));
    cmd.args(["tune", "--data", "iris", "--seeds", "2", "--threads", "1"])
        .args(["--seed", &seed.to_string(), "--overwrite", "--out"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn a_killed_tune_leaves_the_earlier_study_or_the_new_one_never_a_mix() {
    let dir = std::env::temp_dir().join(format!("tunelab-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The earlier study, complete.
    let started = Instant::now();
    assert!(tune(&dir, 0).status().unwrap().success());
    let full = started.elapsed();
    let earlier = study_in(&dir);
    assert_eq!(earlier.seed, 0);

    // Kills spread over the whole study (startup, the runs with their autosaves, the final
    // save), each into a study with a new seed so that old and new are told apart.
    let mut current = earlier;
    let mut replaced = 0;
    let moments = [
        0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5, 2.0,
    ];
    let kills = moments.len();
    for (k, moment) in moments.into_iter().enumerate() {
        let seed = 100 + k as u64;
        let delay = full.mul_f64(moment);
        let mut child = tune(&dir, seed).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        let journal = dir.join(".tunelab-replace").exists();
        let partial = dir.join(".experiments.parquet.partial").exists();
        let now = study_in(&dir);
        eprintln!(
            "kill {k} after {delay:?}: {} (autosaved runs beside it: {partial}, replacement in progress: {journal})",
            if now == current {
                "earlier study"
            } else {
                "new study"
            }
        );
        if now != current {
            assert_eq!(
                now.seed, seed,
                "kill {k} after {delay:?}: the folder holds a study from neither run"
            );
            replaced += 1;
        }
        current = now;
    }
    // The kills came both before and after the end of a study.
    assert!(
        replaced < kills,
        "every kill came too late to interrupt a study"
    );
    // A study run to the end replaces the earlier one.
    assert!(tune(&dir, 999).status().unwrap().success());
    assert_eq!(study_in(&dir).seed, 999);
    std::fs::remove_dir_all(&dir).unwrap();
}
