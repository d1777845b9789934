//! Autodiff graphs that cross threads, with the stock burn-autodiff and with tunelab's opt-in
//! patch (one graph locator per thread, scripts/patch-burn.sh): a graph recorded on one
//! thread can still be extended and differentiated on another, the gradients are the ones
//! the calculus gives (none lost to another thread's graph), and graphs dropped without a
//! backward pass are freed (none orphaned in a locator).

use burn::tensor::{Device, Tensor, TensorData};
use tunelab::DeviceSpec;

fn device() -> Device {
    DeviceSpec::default()
        .to_device()
        .expect("the default device is in every build")
        .autodiff()
}

fn leaf(values: [f32; 3]) -> Tensor<1> {
    Tensor::from_data(TensorData::from(values), &device()).require_grad()
}

fn values(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 data")
}

fn close(got: &[f32], want: &[f32]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-5)
}

#[test]
fn a_graph_recorded_on_one_thread_is_differentiated_on_another() {
    let x = [1.0f32, -2.0, 3.0];
    let (w, y) = std::thread::spawn(move || {
        let w = leaf([0.5, 0.25, -1.0]);
        let y = (w.clone() * Tensor::from_data(TensorData::from(x), &device())).sum();
        (w, y)
    })
    .join()
    .expect("the recording thread");
    // Extended here, on the main thread, then differentiated: d(2y)/dw = 2x.
    let z = y.mul_scalar(2.0);
    let grads = z.backward();
    let g = values(w.grad(&grads).expect("w has a gradient"));
    assert!(close(&g, &[2.0, -4.0, 6.0]), "{g:?}");
}

#[test]
fn operands_recorded_on_two_threads_join_one_graph() {
    let a_vals = [1.0f32, 2.0, 3.0];
    let b_vals = [4.0f32, -5.0, 6.0];
    let on_thread = |vals: [f32; 3], k: f64| {
        std::thread::spawn(move || {
            let t = leaf(vals);
            let scaled = t.clone().mul_scalar(k);
            (t, scaled)
        })
        .join()
        .expect("a recording thread")
    };
    let (a, a2) = on_thread(a_vals, 2.0);
    let (b, b3) = on_thread(b_vals, 3.0);
    // z = sum(2a * 3b) + sum(a): dz/da = 6b + 1, dz/db = 6a.
    let z = (a2 * b3).sum() + a.clone().sum();
    let grads = z.backward();
    let ga = values(a.grad(&grads).expect("a has a gradient"));
    let gb = values(b.grad(&grads).expect("b has a gradient"));
    let want_a: Vec<f32> = b_vals.iter().map(|b| 6.0 * b + 1.0).collect();
    let want_b: Vec<f32> = a_vals.iter().map(|a| 6.0 * a).collect();
    assert!(close(&ga, &want_a), "{ga:?} vs {want_a:?}");
    assert!(close(&gb, &want_b), "{gb:?} vs {want_b:?}");
}

#[test]
fn a_leaf_used_by_a_backward_pass_on_another_thread_can_be_used_again() {
    let w = leaf([1.0, 2.0, 3.0]);
    let w_other = w.clone();
    let first = std::thread::spawn(move || {
        let grads = (w_other.clone() * w_other.clone()).sum().backward();
        values(
            w_other
                .grad(&grads)
                .expect("a gradient on the other thread"),
        )
    })
    .join()
    .expect("the other thread");
    assert!(close(&first, &[2.0, 4.0, 6.0]), "{first:?}");
    // A fresh forward pass here, through the same leaf: d(sum(3w))/dw = 3.
    let grads = w.clone().mul_scalar(3.0).sum().backward();
    let g = values(w.grad(&grads).expect("a gradient on this thread"));
    assert!(close(&g, &[3.0, 3.0, 3.0]), "{g:?}");
}

#[test]
fn threads_training_independent_graphs_get_their_own_gradients() {
    // Eight threads at once, each with its own leaf and 200 small steps: every thread's
    // gradients are its own (no node lands in another thread's graph).
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let k = t as f32 + 1.0;
                let mut w = leaf([k, 2.0 * k, 3.0 * k]);
                for _ in 0..200 {
                    let grads = (w.clone() * w.clone()).sum().backward();
                    let g = values(w.grad(&grads).expect("a gradient"));
                    // Gradient descent on sum(w^2), step 0.001: w <- w - 0.001 * 2w.
                    let now = values(w.clone().detach());
                    w = leaf([0, 1, 2].map(|i| now[i] - 0.001 * g[i]));
                }
                (k, values(w))
            })
        })
        .collect();
    for h in handles {
        let (k, w) = h.join().expect("a training thread");
        let factor = 0.998f32.powi(200);
        let want = [k * factor, 2.0 * k * factor, 3.0 * k * factor];
        assert!(
            w.iter()
                .zip(&want)
                .all(|(g, w)| (g - w).abs() < 1e-3 * w.abs()),
            "thread {k}: {w:?} vs {want:?}"
        );
    }
}

/// This process's resident memory in bytes (Linux; 0 elsewhere).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn graphs_dropped_without_a_backward_pass_are_freed_on_every_thread() {
    // Each round records a graph holding two 100k-value tensors for its backward pass and
    // drops it unused, on two threads at once, with a backward pass of another graph now and
    // then (which is when burn sweeps the graphs nobody holds). 600 rounds of orphans kept
    // would be about 1 GB; a graph freed leaves the memory flat.
    let round = |t: usize, i: usize| {
        let big = |v: f32| {
            Tensor::<1>::from_data(TensorData::from(vec![v; 100_000].as_slice()), &device())
                .require_grad()
        };
        let (a, b) = (big(t as f32 + 1.0), big(i as f32));
        drop((a.clone() * b.clone()).exp());
        if i.is_multiple_of(10) {
            let w = leaf([1.0, 2.0, 3.0]);
            let grads = (w.clone() * w.clone()).sum().backward();
            assert!(w.grad(&grads).is_some());
        }
    };
    let run = |rounds: usize| {
        let handles: Vec<_> = (0..2)
            .map(|t| std::thread::spawn(move || (0..rounds).for_each(|i| round(t, i))))
            .collect();
        handles
            .into_iter()
            .for_each(|h| h.join().expect("a thread"));
    };
    run(100);
    let before = resident_bytes();
    run(300);
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 200 << 20,
        "{} MB more after 600 dropped graphs: graphs were not freed",
        grown >> 20
    );
}
