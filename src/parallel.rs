//! Running independent jobs (training trials) on the CPU threads available.

/// Applies `f` to every item on up to `threads` threads (0 means all available) and
/// returns the results in the items' order. Each job is independent and seeded, so the
/// results do not depend on the number of threads.
pub fn parallel_map<T, R, F>(items: Vec<T>, threads: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let threads = if threads == 0 {
        available_threads()
    } else {
        threads
    };
    let n = items.len();
    if threads <= 1 || n <= 1 {
        return items.into_iter().map(f).collect();
    }
    let queue = std::sync::Mutex::new(items.into_iter().enumerate().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|scope| {
        for _ in 0..threads.min(n) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                    let Some((i, item)) = next else { break };
                    let r = f(item);
                    if let Ok(mut out) = results.lock() {
                        out.push((i, r));
                    }
                }
            });
        }
    });
    let mut out = results.into_inner().unwrap_or_default();
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// CPU threads available to this process.
pub fn available_threads() -> usize {
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
}
