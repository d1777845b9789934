//! Running independent jobs (training trials) on the CPU threads available, each result
//! handed back in order as soon as it and those before it are done.
//!
//! The threads are shared out between the jobs that run at once: with `threads` threads and
//! `n` jobs, `min(threads, n)` workers each take the next job in item order, and each worker
//! owns a rayon pool of its share of the threads. A job runs inside its worker's pool, so the
//! backend's own threaded kernels (which run on the current rayon pool) use that share and
//! nothing more: they never steal another job, and the whole call stays within `threads`
//! threads whatever rayon's global pool is doing (polars uses that one).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

/// Applies `f` to every item on up to `threads` threads (0 means all available) and
/// returns the results in the items' order. Each job is independent and seeded, so the
/// results do not depend on the number of threads.
pub(crate) fn parallel_map<T, R, F>(items: Vec<T>, threads: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    parallel_map_ordered(items, threads, f, |_, _| {})
}

/// Like [`parallel_map`], and calls `on_ready(i, &result)` on the calling thread, in item
/// order, as soon as the results of items `0..=i` are all done: a caller can record (save)
/// each result while later jobs are still running, so a crash loses only the jobs in
/// progress, and the records come out in the same order for any number of threads.
pub(crate) fn parallel_map_ordered<T, R, F, G>(
    items: Vec<T>,
    threads: usize,
    f: F,
    mut on_ready: G,
) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    G: FnMut(usize, &R),
{
    let threads = if threads == 0 {
        available_threads()
    } else {
        // Beyond a few per CPU thread, more threads only cost memory (each has its stack),
        // and tens of thousands of them make the system refuse and the process abort.
        threads.min(MAX_THREADS_PER_CPU * available_threads())
    };
    let n = items.len();
    let workers = threads.min(n).max(1);
    if workers == 1 {
        // One job at a time, on the calling thread, its kernels on all `threads` threads.
        let pool = job_pool(threads);
        return items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let r = run_in(pool.as_ref(), || f(item));
                on_ready(i, &r);
                r
            })
            .collect();
    }
    let slots_in: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    let mut slots: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let (f, slots_in, next) = (&f, &slots_in, &next);
    std::thread::scope(|scope| {
        for w in 0..workers {
            let tx = tx.clone();
            // The threads shared out as evenly as they go.
            let share = threads / workers + usize::from(w < threads % workers);
            scope.spawn(move || {
                let pool = job_pool(share);
                loop {
                    // Jobs start in item order.
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = slots_in.get(i).and_then(|s| take(s)) else {
                        break;
                    };
                    if tx.send((i, run_in(pool.as_ref(), || f(item)))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut ready = 0;
        for (i, r) in rx {
            slots[i] = Some(r);
            while let Some(Some(r)) = slots.get(ready) {
                on_ready(ready, r);
                ready += 1;
            }
        }
    });
    slots.into_iter().flatten().collect()
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// A rayon pool of `threads` threads for a worker's jobs (None if the system refuses one:
/// the jobs then run on the worker's thread and rayon's global pool).
fn job_pool(threads: usize) -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .ok()
}

fn run_in<R: Send>(pool: Option<&rayon::ThreadPool>, job: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(pool) => pool.install(job),
        None => job(),
    }
}

/// The most threads [`parallel_map`] starts per CPU thread of the machine, however many are
/// asked for.
const MAX_THREADS_PER_CPU: usize = 8;

/// The threads a study uses when `asked` for: all available for 0, and never more than that.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // used by the command line
pub(crate) fn resolved_threads(asked: usize) -> usize {
    let available = available_threads();
    if asked == 0 {
        available
    } else {
        asked.min(available)
    }
}

/// CPU threads available to this process.
pub(crate) fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_thread_count_is_capped_at_a_few_per_cpu() {
        let pools = parallel_map(vec![(); 2], 100_000, |_| rayon::current_num_threads());
        let cap = MAX_THREADS_PER_CPU * available_threads();
        assert!(pools.iter().sum::<usize>() <= cap, "{pools:?} over {cap}");
    }

    #[test]
    fn keeps_order_and_does_every_job() {
        let out = parallel_map((0..50).collect(), 4, |x: u64| x * x);
        assert_eq!(out, (0..50).map(|x| x * x).collect::<Vec<_>>());
        assert_eq!(parallel_map(Vec::<u8>::new(), 2, |x| x), Vec::<u8>::new());
    }

    #[test]
    fn reports_results_in_order_as_they_become_ready() {
        let mut seen = Vec::new();
        let out = parallel_map_ordered(
            (0..20u64).collect(),
            3,
            |x| {
                std::thread::sleep(std::time::Duration::from_millis((20 - x) % 7));
                x + 1
            },
            |i, r| seen.push((i, *r)),
        );
        assert_eq!(
            seen,
            (0..20).map(|i| (i as usize, i + 1)).collect::<Vec<_>>()
        );
        assert_eq!(out, (1..=20).collect::<Vec<_>>());
    }

    #[test]
    fn a_job_runs_on_its_share_of_the_threads() {
        // 2 jobs on 5 threads: pools of 3 and 2; one job on 3 threads: a pool of 3. The
        // barrier makes both jobs run at once, one per worker (else one worker may take both).
        let both_started = std::sync::Barrier::new(2);
        let mut sizes = parallel_map(vec![(); 2], 5, |_| {
            both_started.wait();
            rayon::current_num_threads()
        });
        sizes.sort_unstable();
        assert_eq!(sizes, vec![2, 3]);
        assert_eq!(
            parallel_map(vec![()], 3, |_| rayon::current_num_threads()),
            vec![3]
        );
        assert_eq!(
            parallel_map(vec![(); 4], 1, |_| rayon::current_num_threads()),
            vec![1; 4]
        );
        // More jobs than threads: one thread each.
        assert_eq!(
            parallel_map(vec![(); 6], 2, |_| rayon::current_num_threads()),
            vec![1; 6]
        );
    }
}
