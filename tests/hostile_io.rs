//! The `tunelab` command against hostile plumbing: a closed pipe, a full device, two writers
//! on one output, inputs that are not files, paths through a file, absurd thread counts.
//! Each ends with a clear error or the right result, never a panic, a hang or lost data.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tunelab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tunelab"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("tunelab-hostile-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Waits for `child` at most `limit`; kills it and fails the test if it is still running.
fn wait_at_most(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Exit status 2 and one stderr line with every needle.
fn refused(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for needle in needles {
        assert!(err.contains(needle), "no '{needle}' in: {err}");
    }
}

/// Runs `args` with stdout into a pipe of which one line is read before the pipe is closed.
fn first_line_then_close(args: &[&str]) -> (String, Output) {
    let mut child = tunelab()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // The reader is dropped here: the pipe is closed, as `| head -1` does.
    (
        line,
        wait_at_most(child, Duration::from_secs(120), "the command"),
    )
}

#[test]
fn a_closed_pipe_ends_train_and_tune_quietly_and_the_study_is_still_written() {
    let (line, out) = first_line_then_close(&["train", "--data", "digits", "--epochs", "30"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!line.is_empty());
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let dir = scratch("pipe");
    let (_, out) = first_line_then_close(&["tune", "--data", "iris", "--out", path(&dir)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for name in [
        "experiments.parquet",
        "experiments.csv",
        "curves.parquet",
        "report.html",
    ] {
        assert!(
            dir.join(name).is_file(),
            "{name} missing after a closed pipe"
        );
    }
    let partial = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .count();
    assert_eq!(partial, 0, "staged files left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_device_on_stdout_is_an_error_that_names_it() {
    let Ok(full) = std::fs::File::create("/dev/full") else {
        return; // not on this system
    };
    let out = tunelab()
        .args(["train", "--data", "iris", "--epochs", "2", "--json"])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("stdout") && err.contains("No space left on device"),
        "{err}"
    );
}

/// Holds the lock a tunelab process takes on `lock`, as a running one would.
fn hold(lock: &Path) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(lock)
        .unwrap();
    file.try_lock().unwrap();
    std::fs::write(lock, "4242").unwrap();
    file
}

#[test]
fn a_second_writer_on_the_same_output_is_refused_naming_the_first() {
    let dir = scratch("lock");
    let out = dir.join("study");
    std::fs::create_dir_all(&out).unwrap();
    let held = hold(&out.join(".tunelab-lock"));
    let second = tunelab()
        .args(["tune", "--data", "iris", "--out", path(&out)])
        .output()
        .unwrap();
    refused(
        &second,
        &[
            "--out",
            "being written by another tunelab process (pid 4242)",
        ],
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "the second tune wrote nothing"
    );
    drop(held);

    let history = dir.join("h.csv");
    let held = hold(&dir.join(".h.csv.tunelab-lock"));
    let second = tunelab()
        .args(["train", "--data", "iris", "--epochs", "1"])
        .args(["--history-csv", path(&history)])
        .output()
        .unwrap();
    refused(&second, &["--history-csv", "pid 4242"]);
    assert!(!history.exists());
    drop(held);
    // Once the first is done, the same command goes through.
    let again = tunelab()
        .args(["train", "--data", "iris", "--epochs", "1"])
        .args(["--history-csv", path(&history)])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(history.is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inputs_that_are_not_files_are_refused_at_once() {
    let dir = scratch("fifo");
    let fifo = dir.join("data.csv");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let child = tunelab()
            .args(["train", "--data", path(&fifo)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_at_most(child, Duration::from_secs(20), "train on a FIFO");
        refused(&out, &["data.csv", "not a regular file"]);
        let child = tunelab()
            .args(["diagnose", "--history", path(&fifo)])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_at_most(child, Duration::from_secs(20), "diagnose on a FIFO");
        refused(&out, &["not a regular file"]);
    }
    if Path::new("/dev/zero").exists() {
        let child = tunelab()
            .args(["diagnose", "--history", "/dev/zero"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_at_most(child, Duration::from_secs(20), "diagnose on /dev/zero");
        refused(&out, &["/dev/zero", "not a regular file"]);
    }
    let out = tunelab()
        .args(["train", "--data", "/dev/stdin"])
        .stdin(Stdio::piped())
        .output()
        .unwrap();
    refused(&out, &["/dev/stdin", "not a regular file"]);
    let out = tunelab()
        .args(["train", "--data", path(&dir)])
        .output()
        .unwrap();
    refused(&out, &["is a folder"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_output_path_through_a_file_says_which_part_is_not_a_folder() {
    let dir = scratch("notadir");
    let file = dir.join("notadir.txt");
    std::fs::write(&file, "keep me").unwrap();
    let out = tunelab()
        .args(["train", "--data", "iris", "--epochs", "1"])
        .args(["--history-csv", path(&file.join("h.csv"))])
        .output()
        .unwrap();
    refused(&out, &["notadir.txt", "is a file, not a folder"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_absurd_thread_count_is_capped_and_said() {
    let dir = scratch("threads");
    let out = tunelab()
        .args(["tune", "--data", "iris", "--threads", "100000"])
        .args(["--out", path(&dir)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("threads: 100000 asked for"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_zero_memory_budget_is_refused_by_the_flag() {
    let dir = scratch("mib");
    let out = tunelab()
        .args(["tune", "--data", "iris", "--memory-mib", "0"])
        .args(["--out", path(&dir)])
        .output()
        .unwrap();
    refused(&out, &["--memory-mib", "0"]);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A seeded stream of numbers in [0, 1), for the test files.
fn uniform(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// Writes rows `features..., target` under `header` into `dir/name`.
fn write_csv(dir: &Path, name: &str, header: &str, rows: &[(Vec<f64>, u64)]) -> PathBuf {
    let mut text = format!("{header}\n");
    for (features, target) in rows {
        let cells: Vec<String> = features.iter().map(|v| format!("{v}")).collect();
        text.push_str(&format!("{},{target}\n", cells.join(",")));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Stdout of `train` on `csv` for one epoch, with exit status 0.
fn train_summary(csv: &Path, extra: &[&str]) -> String {
    let out = tunelab()
        .args(["train", "--data", path(csv), "--epochs", "1"])
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_index_column_is_dropped_and_a_leaking_column_is_named() {
    let dir = scratch("index");
    let mut seed = 7;
    // Rows sorted by class, as a file exported after sorting: the row number is the label.
    let rows: Vec<(Vec<f64>, u64)> = (0..300)
        .map(|i| {
            let class = (i / 100) as u64;
            (
                vec![i as f64, uniform(&mut seed), uniform(&mut seed)],
                class,
            )
        })
        .collect();
    for header in ["Unnamed: 0,a,b,target", ",a,b,target", "row,a,b,target"] {
        let csv = write_csv(&dir, "sorted.csv", header, &rows);
        let text = train_summary(&csv, &[]);
        assert!(text.contains("2 features"), "{header}: {text}");
        assert!(
            text.contains("dropped: it is the file's index"),
            "{header}: {text}"
        );
    }
    // The label in another form: a warning names the column, the data is still trained.
    let leaky: Vec<(Vec<f64>, u64)> = (0..300)
        .map(|i| {
            let class = (i % 3) as u64;
            let code = 100.0 * class as f64 + uniform(&mut seed);
            (vec![uniform(&mut seed), code], class)
        })
        .collect();
    let csv = write_csv(&dir, "leak.csv", "a,code,target", &leaky);
    let text = train_summary(&csv, &[]);
    assert!(
        text.contains("column 'code' alone predicts the class"),
        "{text}"
    );
    assert!(!text.contains("column 'a' alone"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn repeated_rows_are_counted_and_dedupe_removes_them() {
    let dir = scratch("dupes");
    let mut seed = 11;
    let mut rows = Vec::new();
    for _ in 0..100 {
        let row = vec![uniform(&mut seed), uniform(&mut seed)];
        let class = (uniform(&mut seed) * 2.0) as u64;
        for _ in 0..5 {
            rows.push((row.clone(), class));
        }
    }
    let csv = write_csv(&dir, "dupes.csv", "a,b,target", &rows);
    let text = train_summary(&csv, &[]);
    assert!(
        text.contains("validation rows") && text.contains("repeat a training row"),
        "{text}"
    );
    let text = train_summary(&csv, &["--dedupe", "--batch-size", "16"]);
    assert!(
        text.contains("--dedupe removed 400 repeated rows"),
        "{text}"
    );
    assert!(!text.contains("repeat a training row"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_regression_target_is_refused_unless_forced() {
    let dir = scratch("regression");
    let mut seed = 5;
    let rows: Vec<(Vec<f64>, u64)> = (0..1000)
        .map(|_| {
            let size = uniform(&mut seed);
            let price = 100_000 + 10_000 * ((size * 57.0).round() as u64);
            (vec![size], price)
        })
        .collect();
    let csv = write_csv(&dir, "houses.csv", "size,price", &rows);
    let out = tunelab()
        .args(["train", "--data", path(&csv), "--target", "price"])
        .output()
        .unwrap();
    refused(
        &out,
        &["'price' looks like a regression target", "--force-classes"],
    );
    let text = train_summary(&csv, &["--target", "price", "--force-classes"]);
    assert!(text.contains("classes"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small tmpfs, unmounted on drop (where the test may mount one: root with the right to).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                path(dir),
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_named_and_leaves_no_staged_files() {
    let dir = scratch("disk");
    let Some(disk) = SmallDisk::mount(&dir, "48k") else {
        return; // no right to mount a filesystem here
    };
    // Nearly full: a few KB left.
    std::fs::write(dir.join("filler"), vec![0u8; 40_000]).unwrap();
    let out_dir = dir.join("study");
    let out = tunelab()
        .args(["tune", "--data", "iris", "--out", path(&out_dir)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    let left: Vec<String> = std::fs::read_dir(&out_dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".partial"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    drop(disk);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_studies_started_on_one_folder_the_second_is_refused_and_the_first_completes() {
    let dir = scratch("two");
    let out = dir.join("study");
    let first = tunelab()
        .args(["tune", "--data", "digits", "--out", path(&out)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id().to_string();
    // Wait until the first holds the folder.
    let start = Instant::now();
    while std::fs::read_to_string(out.join(".tunelab-lock")).unwrap_or_default() != pid {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first never locked"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = tunelab()
        .args(["tune", "--data", "digits", "--out", path(&out)])
        .output()
        .unwrap();
    let done = wait_at_most(first, Duration::from_secs(300), "the first study");
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    refused(&second, &[&format!("(pid {pid})")]);
    assert!(out.join("report.html").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}
