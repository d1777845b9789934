//! Running independent jobs (training trials) on the CPU threads available, on a rayon
//! pool, with each result handed back in order as soon as it and those before it are done.

use std::sync::mpsc;

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
        threads
    };
    let n = items.len();
    let pool = if threads <= 1 || n <= 1 {
        None
    } else {
        // A pool of exactly `threads` workers for this call, so that a study's `threads`
        // setting holds whatever rayon's global pool is doing (polars uses that one).
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.min(n))
            .build()
            .ok()
    };
    let Some(pool) = pool else {
        return items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let r = f(item);
                on_ready(i, &r);
                r
            })
            .collect();
    };
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    let mut slots: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let f = &f;
    pool.in_place_scope(|scope| {
        // Jobs spawned from outside the pool start in the order they were spawned.
        for (i, item) in items.into_iter().enumerate() {
            let tx = tx.clone();
            scope.spawn(move |_| {
                let _ = tx.send((i, f(item)));
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

/// CPU threads available to this process.
pub(crate) fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
