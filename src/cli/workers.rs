//! `tunelab tune`'s trials in worker processes: each trial that runs at once trains in a
//! `tunelab trial-worker` child of its own instead of a thread. On 2 cores, two processes
//! train two trials at 1.9x the speed of one, where two threads of one process reach 1.7x
//! (burn-autodiff locates every operation of every graph of a process through one lock; the
//! README's "Parallel trials" has the figures).
//!
//! The parent sends a worker the study's training and validation parts once, when it starts
//! it, then one JSON line per trial (the configuration, and whether to evaluate the model on
//! the test part, which it also holds); the worker answers one JSON line with the run. A
//! seeded run is the same run in any process, so the study decides exactly as it does with
//! threads. Workers live as long as the trainer (the study) and end when it is dropped.

use crate::data::{Dataset, Splits};
use crate::error::{Error, Result};
use crate::study::{TrialRun, TrialTrainer, train_here};
use crate::train::{FinalMetrics, Run, TrainConfig};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first bytes a worker reads: the protocol and its version.
const MAGIC: &[u8] = b"tunelab trial worker 1\n";

/// One trial to train.
#[derive(Serialize, Deserialize)]
struct Request {
    config: TrainConfig,
    with_test: bool,
}

/// A worker's answer to a [`Request`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Trained {
        run: Box<Run>,
        test: Option<FinalMetrics>,
    },
    Failed {
        message: String,
    },
}

/// Trains the trials of a study in `tunelab trial-worker` processes, one per trial that runs at
/// once, each with its share of the threads.
pub struct WorkerTrainer {
    exe: PathBuf,
    splits: Vec<u8>,
    idle: Mutex<Vec<Worker>>,
    fell_back: AtomicBool,
}

impl WorkerTrainer {
    /// Workers of the `tunelab` binary at `exe` (the running one for the command line), for
    /// trials on `splits`.
    pub fn new(exe: PathBuf, splits: &Splits) -> Self {
        let mut blob = Vec::new();
        for part in [&splits.train, &splits.val, &splits.test] {
            encode_dataset(part, &mut blob);
        }
        WorkerTrainer {
            exe,
            splits: blob,
            idle: Mutex::new(Vec::new()),
            fell_back: AtomicBool::new(false),
        }
    }

    /// The workers started so far that are waiting for a trial.
    pub fn idle_workers(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }

    fn take_idle(&self, threads: usize) -> Option<Worker> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let at = idle.iter().position(|w| w.threads == threads)?;
        Some(idle.swap_remove(at))
    }

    fn put_back(&self, worker: Worker) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(worker);
    }
}

impl TrialTrainer for WorkerTrainer {
    fn train(&self, splits: &Splits, config: &TrainConfig, with_test: bool) -> Result<TrialRun> {
        let threads = rayon::current_num_threads().max(1);
        let worker = match self.take_idle(threads) {
            Some(worker) => worker,
            None => match Worker::start(&self.exe, threads, &self.splits) {
                Ok(worker) => worker,
                Err(e) => {
                    // No worker can start (the binary was replaced, the system refuses a
                    // process): the trials train in this process instead, as the library's.
                    if !self.fell_back.swap(true, Ordering::Relaxed) {
                        crate::out::errln!(
                            "note: no trial worker process could start ({e}); the trials train in threads of this process"
                        );
                    }
                    return train_here(splits, config, with_test);
                }
            },
        };
        let mut worker = worker;
        match worker.ask(&Request {
            config: config.clone(),
            with_test,
        }) {
            Ok(Reply::Trained { run, test }) => {
                self.put_back(worker);
                Ok(TrialRun { run: *run, test })
            }
            Ok(Reply::Failed { .. }) => {
                self.put_back(worker);
                // The same seeded training fails the same way here, with its typed error
                // (a device that is missing, a model too large).
                train_here(splits, config, with_test)
            }
            Err(e) => Err(Error::Backend(format!(
                "a trial worker process stopped in the middle of a trial ({e}); run tune again, or with --trials-in threads to train in this process"
            ))),
        }
    }
}

/// One running `tunelab trial-worker`.
struct Worker {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
    threads: usize,
}

impl Worker {
    fn start(exe: &std::path::Path, threads: usize, splits: &[u8]) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .args(["trial-worker", "--threads", &threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("the worker's pipes were not set up"));
        };
        let mut worker = Worker {
            child,
            stdin: Some(BufWriter::new(stdin)),
            stdout: BufReader::new(stdout),
            threads,
        };
        if let Some(w) = worker.stdin.as_mut() {
            w.write_all(MAGIC)?;
            w.write_all(&(splits.len() as u64).to_le_bytes())?;
            w.write_all(splits)?;
        }
        Ok(worker)
    }

    fn ask(&mut self, request: &Request) -> std::io::Result<Reply> {
        let w = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the worker's input is closed"))?;
        serde_json::to_writer(&mut *w, request).map_err(std::io::Error::other)?;
        w.write_all(b"\n")?;
        w.flush()?;
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            let status = self.child.wait()?;
            return Err(std::io::Error::other(format!("it exited: {status}")));
        }
        serde_json::from_str(&line).map_err(std::io::Error::other)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Its input closed, an idle worker ends by itself; one in the middle of a trial (the
        // study failed) is not waited for.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tunelab trial-worker`: reads the splits, then trains one trial per line of its input,
/// until the input ends. Not for people: `tune` starts it.
pub(crate) fn serve(threads: usize) -> Result<()> {
    let mut input = BufReader::new(std::io::stdin().lock());
    let splits = read_splits(&mut input)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::Backend(format!("no thread pool for the trial worker: {e}")))?;
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line).map_err(input_error)? == 0 {
            return Ok(());
        }
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                match pool.install(|| train_here(&splits, &request.config, request.with_test)) {
                    Ok(t) => Reply::Trained {
                        run: Box::new(t.run),
                        test: t.test,
                    },
                    Err(e) => Reply::Failed {
                        message: e.to_string(),
                    },
                }
            }
            Err(e) => Reply::Failed {
                message: format!("unreadable request: {e}"),
            },
        };
        let sent = serde_json::to_writer(&mut out, &reply)
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if sent.is_err() {
            // The study has gone: nothing to answer to.
            return Ok(());
        }
    }
}

fn input_error(e: std::io::Error) -> Error {
    Error::Io {
        path: "the trial worker's input".into(),
        source: e,
    }
}

/// The protocol's header and the splits that follow it.
fn read_splits(input: &mut impl Read) -> Result<Splits> {
    let mut magic = Vec::with_capacity(MAGIC.len());
    input
        .take(MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .map_err(input_error)?;
    if magic != MAGIC {
        return Err(Error::data(
            "trial-worker",
            "this is not a tunelab trial worker's input: the command is started by tunelab tune",
        ));
    }
    let mut len = [0u8; 8];
    input.read_exact(&mut len).map_err(input_error)?;
    let len = usize::try_from(u64::from_le_bytes(len))
        .map_err(|_| Error::data("trial-worker", "the splits are too large"))?;
    let mut blob = vec![0u8; len];
    input.read_exact(&mut blob).map_err(input_error)?;
    let mut at = &blob[..];
    let train = decode_dataset(&mut at)?;
    let val = decode_dataset(&mut at)?;
    let test = decode_dataset(&mut at)?;
    Ok(Splits {
        train,
        val,
        test,
        scaler: None,
        notes: Vec::new(),
    })
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A dataset as bytes: its name, feature and class names, then the features (f32) and
/// labels (u64), little-endian.
fn encode_dataset(d: &Dataset, out: &mut Vec<u8>) {
    put_str(out, &d.name);
    put_u64(out, d.feature_names.len() as u64);
    for n in &d.feature_names {
        put_str(out, n);
    }
    put_u64(out, d.class_names.len() as u64);
    for n in &d.class_names {
        put_str(out, n);
    }
    put_u64(out, d.labels.len() as u64);
    for v in &d.features {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for &l in &d.labels {
        put_u64(out, l as u64);
    }
}

fn cut<'a>(at: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if at.len() < n {
        return Err(Error::data(
            "trial-worker",
            "the splits it was sent end early",
        ));
    }
    let (head, rest) = at.split_at(n);
    *at = rest;
    Ok(head)
}

fn get_u64(at: &mut &[u8]) -> Result<u64> {
    let b = cut(at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

fn get_len(at: &mut &[u8], each: usize) -> Result<usize> {
    let n = usize::try_from(get_u64(at)?).unwrap_or(usize::MAX);
    // A count that the remaining bytes cannot hold is refused before anything is allocated.
    if n.saturating_mul(each.max(1)) > at.len() {
        return Err(Error::data(
            "trial-worker",
            "the splits it was sent end early",
        ));
    }
    Ok(n)
}

fn get_str(at: &mut &[u8]) -> Result<String> {
    let n = get_len(at, 1)?;
    String::from_utf8(cut(at, n)?.to_vec())
        .map_err(|_| Error::data("trial-worker", "a name it was sent is not UTF-8"))
}

fn decode_dataset(at: &mut &[u8]) -> Result<Dataset> {
    let name = get_str(at)?;
    let n_features = get_len(at, 8)?;
    let feature_names = (0..n_features)
        .map(|_| get_str(at))
        .collect::<Result<Vec<_>>>()?;
    let n_classes = get_len(at, 8)?;
    let class_names = (0..n_classes)
        .map(|_| get_str(at))
        .collect::<Result<Vec<_>>>()?;
    let n_rows = get_len(at, 8)?;
    let n_values = n_rows.saturating_mul(n_features);
    let features = cut(at, n_values.saturating_mul(4))?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let labels = (0..n_rows)
        .map(|_| get_u64(at).map(|l| l as usize))
        .collect::<Result<Vec<_>>>()?;
    Dataset::new(name, features, labels, feature_names, class_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_splits_a_worker_is_sent_are_the_splits_it_reads() {
        let splits = crate::data::iris()
            .unwrap()
            .split(&crate::data::SplitConfig::default())
            .unwrap();
        let trainer = WorkerTrainer::new("unused".into(), &splits);
        let mut sent = MAGIC.to_vec();
        sent.extend_from_slice(&(trainer.splits.len() as u64).to_le_bytes());
        sent.extend_from_slice(&trainer.splits);
        let back = read_splits(&mut &sent[..]).unwrap();
        for (a, b) in [
            (&back.train, &splits.train),
            (&back.val, &splits.val),
            (&back.test, &splits.test),
        ] {
            assert_eq!((&a.features, &a.labels), (&b.features, &b.labels));
        }
        // Another program's bytes, or a cut message: an error, not a panic.
        let err = read_splits(&mut &b"GET / HTTP/1.1\r\n\r\n"[..]).unwrap_err();
        assert!(err.to_string().contains("started by tunelab tune"), "{err}");
        assert!(read_splits(&mut &sent[..sent.len() - 1]).is_err());
    }

    #[test]
    fn a_dataset_comes_back_from_its_bytes_as_it_was() {
        let d = Dataset::new(
            "t é",
            vec![0.5, -1.25, 3.0, f32::MIN_POSITIVE, 7.0, 1e-30],
            vec![0, 2, 1],
            vec!["a".into(), "b".into()],
            vec!["x".into(), "y".into(), "z".into()],
        )
        .unwrap();
        let mut blob = Vec::new();
        encode_dataset(&d, &mut blob);
        let mut at = &blob[..];
        let back = decode_dataset(&mut at).unwrap();
        assert_eq!(back.features, d.features);
        assert_eq!(back.labels, d.labels);
        assert_eq!(back.feature_names, d.feature_names);
        assert_eq!(back.class_names, d.class_names);
        assert_eq!(back.name, d.name);
        assert!(at.is_empty());
        // Cut anywhere, the bytes are refused with an error, not a panic.
        for n in 0..blob.len() {
            let mut at = &blob[..n];
            assert!(decode_dataset(&mut at).is_err(), "cut at {n}");
        }
    }
}
