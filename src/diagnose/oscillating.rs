//! Oscillating: the loss goes up and down a lot without going down overall. The usual
//! cause is a learning rate somewhat too high (not enough to explode). Batch losses bounce
//! even when training is fine, so a step loss only counts when its level also makes little
//! net progress ([`OSCILLATION_MAX_FALL_FACTOR`]).

use super::exploding::BACK_TO_DEFAULT_ABOVE;
use super::reference::{back_to_default, unscaled};
use super::{Action, Finding, History, Pattern, Severity};
use crate::curve::{Wiggle, block_means, wiggle};
use crate::fmt::{lr, nice_lr, num, pct};

/// Fewest points (epochs, or blocks of steps) on which to judge an oscillation.
pub const OSCILLATION_MIN_POINTS: usize = 5;

/// At least this share of the points must be a peak or a trough. A smooth curve has none,
/// pure noise about 2/3, a zig-zag all of them.
pub const OSCILLATION_MIN_TURNING: f64 = 0.5;

/// The epoch training loss must move at least this fraction of its level per epoch. It is
/// measured on the whole training set, so a 10% swing is not sampling noise.
pub const OSCILLATION_EPOCH_REL_AMPLITUDE: f64 = 0.1;

/// Block means of step losses must move at least this fraction of their level per block:
/// twice the epoch threshold, because batch losses carry sampling noise even when training
/// is fine.
pub const OSCILLATION_STEP_REL_AMPLITUDE: f64 = 0.2;

/// And at least this much in absolute terms (nats), so that a converged loss of 0.01
/// wobbling to 0.012 does not count.
pub const OSCILLATION_MIN_ABS_AMPLITUDE: f64 = 0.01;

/// "No downward trend": the net decrease is less than this share of the total distance the
/// loss travelled (1 means it only went down).
pub const OSCILLATION_MAX_TREND: f64 = 0.3;

/// The second half of the step losses is averaged into this many blocks before judging.
pub const OSCILLATION_STEP_BLOCKS: usize = 20;

/// A step loss whose level fell by this factor or more over the judged window (the second
/// half of training) is converging with batch noise on top, not oscillating: it got
/// somewhere. The level at each end is the geometric mean of a share
/// ([`OSCILLATION_LEVEL_SHARE`]) of the blocks, so the test works in log space and one lucky
/// or unlucky block does not decide it. On real seeded runs (10-20 epochs on digits and
/// spirals), converging ones fell 7.7-28x over that half (Adam at 7.1e-3 on digits: 15x with
/// hidden 128-64, 28x with 128-64-32), while runs whose LR is too high bounced around a level
/// that moved 1.3-1.5x (SGD at 0.5 on spirals: 1.4x; Adam at 0.03 on digits: 1.3x). Runs in
/// between (2.4-3.2x, e.g. SGD at 0.3 on digits) stay on the oscillating side.
pub const OSCILLATION_MAX_FALL_FACTOR: f64 = 4.0;

/// The share of the blocks at each end of the window whose geometric mean is the level there.
/// A quarter is 5 of the 20 blocks: enough to average the noise out, few enough to see the
/// trend.
pub const OSCILLATION_LEVEL_SHARE: f64 = 0.25;

/// The LR cut suggested for an oscillation: the middle of the guide's 2-5x.
pub const OSCILLATION_LR_CUT: f64 = 3.0;

/// The cut for an oscillation whose LR is [`BACK_TO_DEFAULT_ABOVE`] times its optimizer's
/// default or more: 10x, as for an explosion. A 3x cut from there is still two orders of
/// magnitude off; on the diagnosis benchmark's calibration half the 10x cut helped 1 of the 3
/// such oscillating runs and hurt none, the 3x cut helped none.
pub const OSCILLATION_FAR_ABOVE_CUT: f64 = 10.0;

/// How many times its optimizer's default the run's LR is, when that is
/// [`BACK_TO_DEFAULT_ABOVE`] or more (the line the explosion rule uses too).
fn far_above(h: &History) -> Option<f64> {
    back_to_default(h)
        .filter(|f| *f <= 1.0 / BACK_TO_DEFAULT_ABOVE)
        .map(|f| 1.0 / f)
}

/// The oscillating finding, if the epoch training loss or the step losses zig-zag.
/// Consecutive epochs whose step losses correlate position by position at least this much
/// repeat one pattern: the batches come in the same order every epoch, so the data is not
/// shuffled. Shuffled batches are drawn afresh each epoch and correlate near 0; on class-sorted
/// digits without shuffling the correlation is above 0.9.
pub const UNSHUFFLED_MIN_CORRELATION: f64 = 0.6;

/// Within one epoch the step loss must swing around its trend by at least this share of its
/// mean for the repeating pattern to matter (a flat, converged loss may correlate by chance).
pub const UNSHUFFLED_MIN_SWING: f64 = 0.1;

/// Epoch pairs compared for the repeating pattern (the latest ones; the first epoch, where the
/// loss falls fastest, is left out).
pub const UNSHUFFLED_EPOCH_PAIRS: usize = 4;

/// A batch of at most this many samples is small (the guide's size for limited memory): its
/// step loss is the loss of a handful of samples and swings from step to step.
pub const SMALL_BATCH: usize = 8;

pub(super) fn oscillating(h: &History) -> Option<Finding> {
    if let Some(f) = unshuffled(h) {
        return Some(f);
    }
    let epoch = epoch_oscillation(h);
    let at_epoch_level = epoch.is_some();
    let evidence = epoch.or_else(|| step_oscillation(h))?;
    let far = far_above(h);
    let cut = if far.is_some() {
        OSCILLATION_FAR_ABOVE_CUT
    } else {
        OSCILLATION_LR_CUT
    };
    if !at_epoch_level && let Some(b) = h.context.batch_size.filter(|&b| b <= SMALL_BATCH) {
        return Some(Finding::new(
            Pattern::Oscillating,
            Severity::Medium,
            format!(
                "{evidence}; only the step loss swings, and each step sees a batch of {b} samples (small: {SMALL_BATCH} or fewer)"
            ),
            format!(
                "batch too small: use a larger batch (the guide starts at 32; with limited memory keep {SMALL_BATCH} and accumulate gradients over 4 steps), or reduce the LR 2-5x{}",
                h.base_lr()
                    .map(|b| format!(" (try {}, now {})", nice_lr(b / cut), lr(b)))
                    .unwrap_or_default()
            ),
        )
        .with_actions(vec![
            Action::LargerBatch { to: Some(b * 4) },
            Action::scale_lr(1.0 / cut, h.base_lr()),
        ]));
    }

    let action = match (h.base_lr(), far) {
        (Some(base), Some(multiple)) => format!(
            "oscillation: reduce LR 10x, try {} (now {}, {}x its optimizer's default)",
            nice_lr(base / cut),
            lr(base),
            num(multiple)
        ),
        (Some(base), None) => format!(
            "oscillation: reduce LR 2-5x, try {} (now {})",
            nice_lr(base / cut),
            lr(base)
        ),
        (None, _) => "oscillation: reduce the LR 2-5x (try a third of it)".to_string(),
    };
    // (Going back to the optimizer's default instead, as for an explosion, hurt more runs
    // than it helped on the diagnosis benchmark's calibration half: a 2-5x cut it is.)
    // Features on very different scales are named first.
    let mut actions = vec![Action::scale_lr(1.0 / cut, h.base_lr())];
    let mut action = action;
    if let Some(reason) = unscaled(h) {
        actions.insert(0, Action::CheckData);
        action = format!("{reason}: standardise them first; then {action}");
    }
    Some(
        Finding::new(Pattern::Oscillating, Severity::Medium, evidence, action)
            .with_actions(actions),
    )
}

fn zig_zag(xs: &[f64], min_rel_amplitude: f64) -> Option<Wiggle> {
    if xs.len() < OSCILLATION_MIN_POINTS {
        return None;
    }
    let w = wiggle(xs)?;
    let holds = w.turning >= OSCILLATION_MIN_TURNING
        && w.rel_step >= min_rel_amplitude
        && w.mean_step >= OSCILLATION_MIN_ABS_AMPLITUDE
        && w.trend < OSCILLATION_MAX_TREND;
    holds.then_some(w)
}

fn describe(w: &Wiggle, unit: &str) -> String {
    format!(
        "{} of the {unit}s are a peak or a trough; it moves {} ({} of its level) per {unit} on average but gets nowhere",
        pct(w.turning),
        num(w.mean_step),
        pct(w.rel_step),
    )
}

fn epoch_oscillation(h: &History) -> Option<String> {
    let xs = &h.train_loss;
    let w = zig_zag(xs, OSCILLATION_EPOCH_REL_AMPLITUDE)?;
    Some(format!(
        "train loss zig-zags: {} (from {} to {})",
        describe(&w, "epoch"),
        num(xs[0]),
        num(xs[xs.len() - 1])
    ))
}

fn step_oscillation(h: &History) -> Option<String> {
    let steps = h.steps()?;
    let half = &steps[steps.len() / 2..];
    let size = (half.len() / OSCILLATION_STEP_BLOCKS).max(1);
    let blocks = block_means(half, size);
    let w = zig_zag(&blocks, OSCILLATION_STEP_REL_AMPLITUDE)?;
    let (start, end) = end_levels(&blocks)?;
    if start >= OSCILLATION_MAX_FALL_FACTOR * end {
        return None;
    }
    Some(format!(
        "step loss zig-zags in the second half of training (means of {size} steps): {}: its level went from {} to {} (geometric means of the first and last {} blocks), less than a {}x fall",
        describe(&w, "block"),
        num(start),
        num(end),
        level_span(blocks.len()),
        num(OSCILLATION_MAX_FALL_FACTOR)
    ))
}

/// The step loss repeating the same pattern every epoch: the data is not shuffled.
pub(super) fn unshuffled(h: &History) -> Option<Finding> {
    let steps = h.steps()?;
    let n = h.n_epochs();
    if n < 3 || steps.len() % n != 0 {
        return None;
    }
    let per = steps.len() / n;
    if per < 4 {
        return None;
    }
    // Each epoch's steps with its straight-line trend removed: a loss that simply falls
    // through every epoch correlates too, and is not a repeating pattern.
    let epoch = |e: usize| detrend(&steps[e * per..(e + 1) * per]);
    let pairs = (n - 2).min(UNSHUFFLED_EPOCH_PAIRS);
    let mut rs = Vec::with_capacity(pairs);
    for e in (n - 1 - pairs)..(n - 1) {
        rs.push(correlation(&epoch(e), &epoch(e + 1))?);
    }
    let r = rs.iter().sum::<f64>() / rs.len() as f64;
    let last = &steps[(n - 1) * per..];
    let mean = last.iter().sum::<f64>() / per as f64;
    let range = |v: &[f64]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            })
    };
    let (lo, hi) = range(last);
    let (rlo, rhi) = range(&epoch(n - 1));
    let swing = (rhi - rlo) / mean.abs().max(f64::MIN_POSITIVE);
    if !(r >= UNSHUFFLED_MIN_CORRELATION && swing >= UNSHUFFLED_MIN_SWING) {
        return None;
    }
    let known = match h.context.shuffled {
        Some(false) => " (the run did not shuffle its rows)",
        _ => "",
    };
    Some(Finding::new(
        Pattern::Oscillating,
        Severity::High,
        format!(
            "the step loss repeats one pattern every epoch ({per} steps): consecutive epochs correlate at r = {} position by position, and within the last epoch it swings from {} to {} ({} of its mean){known}",
            num(r),
            num(lo),
            num(hi),
            pct(swing)
        ),
        "data not shuffled: the batches come in the same order every epoch (for example sorted by class), so each step pulls towards one part of the data; shuffle the training rows every epoch (tunelab's default: drop --no-shuffle / with_shuffle(false)), then judge the LR again".to_string(),
    ).with_actions(vec![Action::Shuffle]))
}

/// The series minus its least-squares straight line.
fn detrend(y: &[f64]) -> Vec<f64> {
    let n = y.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let dx = i as f64 - mx;
        sxy += dx * (v - my);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    y.iter()
        .enumerate()
        .map(|(i, v)| v - my - slope * (i as f64 - mx))
        .collect()
}

/// Pearson correlation of two equally long series (`None` when either is constant or not
/// finite).
fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len()) as f64;
    if n < 2.0 || a.iter().chain(b).any(|v| !v.is_finite()) {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// How many blocks at each end give the level there.
fn level_span(n: usize) -> usize {
    ((n as f64 * OSCILLATION_LEVEL_SHARE) as usize).clamp(1, n.max(1))
}

/// The geometric means of the first and the last [`level_span`] blocks; `None` if a block is
/// not finite. Values at or below zero count as the smallest positive number.
fn end_levels(blocks: &[f64]) -> Option<(f64, f64)> {
    if blocks.is_empty() || blocks.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let span = level_span(blocks.len());
    let geometric_mean = |xs: &[f64]| {
        let log_sum: f64 = xs.iter().map(|v| v.max(f64::MIN_POSITIVE).ln()).sum();
        (log_sum / xs.len() as f64).exp()
    };
    Some((
        geometric_mean(&blocks[..span]),
        geometric_mean(&blocks[blocks.len() - span..]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::RunContext;

    fn zig_zag_curve(n: usize, low: f64, high: f64) -> Vec<f64> {
        (0..n)
            .map(|i| if i % 2 == 0 { high } else { low })
            .collect()
    }

    #[test]
    fn a_zig_zag_epoch_curve_is_oscillating_with_a_threefold_cut() {
        let mut train = vec![2.0];
        train.extend(zig_zag_curve(11, 0.9, 1.4));
        let h = History::new(train.clone(), train).with_context(RunContext {
            lr: Some(0.01),
            ..RunContext::default()
        });
        let f = oscillating(&h).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.evidence.starts_with("train loss zig-zags"),
            "{}",
            f.evidence
        );
        assert!(f.evidence.contains("from 2 to 1.4"), "{}", f.evidence);
        assert_eq!(
            f.action,
            "oscillation: reduce LR 2-5x, try 0.003 (now 0.01)"
        );
    }

    #[test]
    fn zig_zagging_step_losses_are_oscillating() {
        let mut steps = vec![2.3; 200];
        for (i, s) in steps.iter_mut().enumerate().skip(100) {
            *s = if (i / 5) % 2 == 0 { 0.6 } else { 1.4 };
        }
        let mut h = History::new(
            vec![2.0, 1.2, 1.0, 1.0, 0.95],
            vec![2.0, 1.2, 1.0, 1.0, 0.95],
        );
        h.step_loss = Some(steps);
        let f = oscillating(&h).unwrap();
        assert!(f.evidence.contains("means of 5 steps"), "{}", f.evidence);
        assert!(f.action.contains("a third"), "{}", f.action);
    }

    #[test]
    fn a_noisy_decline_or_a_converged_wobble_is_not_oscillating() {
        let noisy_decline: Vec<f64> = (0..12)
            .map(|i| 2.0 * (-0.3 * i as f64).exp() + if i % 2 == 0 { 0.02 } else { 0.0 })
            .collect();
        let h = History::new(noisy_decline.clone(), noisy_decline);
        assert!(oscillating(&h).is_none());
        let wobble: Vec<f64> = zig_zag_curve(12, 0.010, 0.012);
        let h = History::new(wobble.clone(), wobble);
        assert!(oscillating(&h).is_none(), "absolute amplitude too small");
    }

    #[test]
    fn batch_noise_around_a_falling_step_loss_is_not_oscillating() {
        let steps: Vec<f64> = (0..400)
            .map(|i| {
                2.3 * (-(i as f64) / 80.0).exp() + 0.05 + 0.02 * ((i * 7919 % 13) as f64 / 13.0)
            })
            .collect();
        let mut h = History::new(
            vec![1.0, 0.5, 0.3, 0.2, 0.15],
            vec![1.0, 0.5, 0.3, 0.2, 0.15],
        );
        h.step_loss = Some(steps);
        assert!(oscillating(&h).is_none());
    }

    /// 96 steps of 2.3, then 24 blocks of 4 equal steps that zig-zag (x2, /2) around a level
    /// that falls by exactly `fall` between the first 6 and the last 6 blocks.
    fn zig_zag_falling_by(fall: f64) -> History {
        let k = fall.ln() / 18.0;
        let mut steps = vec![2.3; 96];
        for i in 0..24 {
            let level = (-k * i as f64).exp();
            let value = if i % 2 == 0 { 2.0 * level } else { 0.5 * level };
            steps.extend([value; 4]);
        }
        let mut h = History::new(
            vec![2.0, 1.2, 1.0, 0.9, 0.85],
            vec![2.0, 1.2, 1.0, 0.9, 0.85],
        );
        h.step_loss = Some(steps);
        h
    }

    #[test]
    fn a_zig_zag_whose_level_falls_less_than_the_factor_is_oscillating() {
        let f = oscillating(&zig_zag_falling_by(0.9 * OSCILLATION_MAX_FALL_FACTOR)).unwrap();
        assert!(f.evidence.contains("means of 4 steps"), "{}", f.evidence);
        assert!(
            f.evidence
                .contains("from 0.837 to 0.2325 (geometric means of the first and last 6 blocks), less than a 4x fall"),
            "{}",
            f.evidence
        );
    }

    #[test]
    fn a_zig_zag_whose_level_falls_by_the_factor_or_more_is_converging() {
        assert!(oscillating(&zig_zag_falling_by(1.1 * OSCILLATION_MAX_FALL_FACTOR)).is_none());
        assert!(oscillating(&zig_zag_falling_by(40.0)).is_none());
    }

    #[test]
    fn end_levels_are_geometric_means_and_bad_blocks_are_no_verdict() {
        let (start, end) = end_levels(&[1.0, 4.0, 1.0, 1.0, 0.5, 2.0, 0.25, 0.25]).unwrap();
        assert!((start - 2.0).abs() < 1e-12 && (end - 0.25).abs() < 1e-12);
        assert_eq!(end_levels(&[]), None);
        assert_eq!(end_levels(&[1.0, f64::NAN, 1.0, 1.0]), None);
        let (_, end) = end_levels(&[1.0, 1.0, 1.0, 0.0]).unwrap();
        assert!(end > 0.0);
        assert_eq!(level_span(20), 5);
        assert_eq!(level_span(2), 1);
    }

    /// Step losses of `epochs` epochs of 8 steps: each epoch repeats `pattern` plus noise
    /// of size `noise`.
    fn periodic(epochs: usize, pattern: &[f64], noise: f64, seed: u64) -> History {
        let mut rng = crate::rng::Rng::new(seed);
        let steps: Vec<f64> = (0..epochs)
            .flat_map(|_| pattern.to_vec())
            .map(|v| v + noise * (rng.uniform() - 0.5))
            .collect();
        let train = vec![1.0; epochs];
        let mut h = History::new(train.clone(), train);
        h.step_loss = Some(steps);
        h
    }

    const SORTED: [f64; 8] = [0.2, 0.4, 1.2, 0.9, 0.3, 1.5, 0.6, 1.0];

    #[test]
    fn a_step_loss_repeating_every_epoch_means_unshuffled_data() {
        let f = oscillating(&periodic(6, &SORTED, 0.05, 1)).unwrap();
        assert!(f.action.starts_with("data not shuffled"), "{}", f.action);
        assert_eq!(f.severity, Severity::High);
        // The same swings in a fresh order every epoch (shuffled) do not correlate.
        let mut rng = crate::rng::Rng::new(2);
        let mut steps = Vec::new();
        for _ in 0..6 {
            let mut e = SORTED.to_vec();
            rng.shuffle(&mut e);
            steps.extend(e);
        }
        let mut h = periodic(6, &SORTED, 0.0, 1);
        h.step_loss = Some(steps);
        assert!(unshuffled(&h).is_none());
    }

    #[test]
    fn the_unshuffled_thresholds_hold_on_both_sides() {
        // Correlation: a weak pattern under strong noise falls below the threshold.
        let weak: Vec<f64> = SORTED.iter().map(|v| 1.0 + 0.05 * v).collect();
        assert!(unshuffled(&periodic(6, &weak, 0.4, 3)).is_none());
        // Swing: a pattern of 5% of the mean is too small to matter; 30% is not.
        let small: Vec<f64> = SORTED.iter().map(|v| 1.0 + 0.05 * (v - 0.76)).collect();
        assert!(unshuffled(&periodic(6, &small, 0.0, 1)).is_none());
        let large: Vec<f64> = SORTED.iter().map(|v| 1.0 + 0.3 * (v - 0.76)).collect();
        assert!(unshuffled(&periodic(6, &large, 0.0, 1)).is_some());
        // Too few epochs to see a repeat.
        assert!(unshuffled(&periodic(2, &SORTED, 0.0, 1)).is_none());
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(correlation(&[1.0, 1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn step_oscillation_with_a_small_batch_names_the_batch_on_both_sides_of_the_limit() {
        let h = |batch: usize| {
            let mut h = zig_zag_falling_by(1.5);
            h.context.batch_size = Some(batch);
            h.context.lr = Some(0.05);
            h
        };
        let small = oscillating(&h(SMALL_BATCH)).unwrap();
        assert!(
            small.action.starts_with("batch too small"),
            "{}",
            small.action
        );
        let large = oscillating(&h(SMALL_BATCH + 1)).unwrap();
        assert!(
            large.action.starts_with("oscillation: reduce LR"),
            "{}",
            large.action
        );
    }

    #[test]
    fn an_oscillation_far_above_the_default_cuts_the_lr_tenfold() {
        let at = |lr: f64| {
            let mut h = zig_zag_falling_by(1.5);
            h.context.batch_size = Some(64);
            h.context.lr = Some(lr);
            h.context.optimizer = Some(crate::train::OptimizerKind::Adam);
            oscillating(&h).unwrap()
        };
        let far = at(0.5);
        assert_eq!(far.actions[0], Action::scale_lr(0.1, Some(0.5)));
        assert!(
            far.action.starts_with(
                "oscillation: reduce LR 10x, try 0.05 (now 0.5, 500x its optimizer's default)"
            ),
            "{}",
            far.action
        );
        // 99x: the guide's 2-5x cut.
        let near = at(0.099);
        assert_eq!(near.actions[0], Action::scale_lr(1.0 / 3.0, Some(0.099)));
        // Without the optimizer there is no default to compare with.
        let mut h = zig_zag_falling_by(1.5);
        h.context.batch_size = Some(64);
        h.context.lr = Some(0.5);
        assert_eq!(
            oscillating(&h).unwrap().actions[0],
            Action::scale_lr(1.0 / 3.0, Some(0.5))
        );
    }
}
