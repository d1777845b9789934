//! The charts: loss curves, LR finder, overlays of runs, and parameter sweeps.

use crate::lr_finder::LrFinderResult;
use crate::study::StepResult;
use crate::train::{EpochRecord, Outcome, Run};
use plotly::common::{ErrorData, ErrorType, Marker, MarkerSymbol, Mode, Orientation, Title};
use plotly::layout::{Axis, AxisType, Layout, Legend, Margin};
use plotly::{Plot, Scatter};

/// At most this many tick labels on an epoch or step axis.
const MAX_TICKS: usize = 10;

/// Above this many traces the legend goes in a column right of the plot; up to it, in a
/// row under the plot (never over an axis).
const LEGEND_ROW_MAX: usize = 4;

/// A chart layout with its legend placed for `traces` entries.
pub(super) fn layout(title: &str, x_axis: Axis, y_axis: Axis, traces: usize) -> Layout {
    let l = Layout::new()
        .title(Title::with_text(title))
        .x_axis(x_axis)
        .y_axis(y_axis);
    if traces > LEGEND_ROW_MAX {
        l.height(420).legend(
            Legend::new()
                .orientation(Orientation::Vertical)
                .x(1.02)
                .y(1.0),
        )
    } else {
        // Far enough below the axis that the x-axis title stays clear of it.
        l.height(430).margin(Margin::new().bottom(130)).legend(
            Legend::new()
                .orientation(Orientation::Horizontal)
                .x(0.0)
                .y(-0.35),
        )
    }
}

/// A linear axis whose ticks are whole numbers (epochs, steps), at most [`MAX_TICKS`].
fn count_axis(title: &str, largest: usize) -> Axis {
    let step = largest.div_ceil(MAX_TICKS).max(1);
    Axis::new()
        .title(Title::with_text(title))
        .tick0(if step == 1 { 1.0 } else { 0.0 })
        .dtick(step as f64)
}

/// A linear value axis.
pub(super) fn value_axis(title: &str) -> Axis {
    Axis::new().title(Title::with_text(title))
}

/// A log axis over `values` with ticks a class can read: powers of ten (`1e-4`, `0.01`, `1`)
/// when the values span two decades or more, else the 1-2-5 steps between them.
pub(super) fn log_axis(title: &str, values: impl IntoIterator<Item = f64>) -> Axis {
    let axis = Axis::new()
        .title(Title::with_text(title))
        .type_(AxisType::Log);
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        // No positive finite value: let plotly choose.
        return axis;
    }
    let (ticks, labels) = log_ticks(lo, hi);
    axis.tick_values(ticks).tick_text(labels)
}

/// Tick positions and labels for a log axis over `[lo, hi]` (both > 0).
pub(crate) fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<String>) {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades = (hi / lo).log10();
    let mantissas: &[f64] = if decades >= 3.0 {
        &[1.0]
    } else if decades >= 1.5 {
        &[1.0, 3.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut ticks = Vec::new();
    for k in first..=last {
        for m in mantissas {
            let v = m * 10f64.powi(k);
            // Ticks just outside the data keep the ends labelled.
            if v >= lo / 2.0 && v <= hi * 2.0 {
                ticks.push(v);
            }
        }
    }
    let labels = ticks.iter().map(|v| tick_label(*v)).collect();
    (ticks, labels)
}

/// `1e-3`, `0.01`, `0.2`, `1`, `50`, `1e5`: the shortest way people write a tick value.
fn tick_label(v: f64) -> String {
    if (0.01..1e4).contains(&v) {
        crate::fmt::trim_zeros(&format!("{v:.2}"))
    } else {
        let s = format!("{v:.0e}");
        s.replace("e0", "e").replace("e-0", "e-")
    }
}

/// Training and validation loss per epoch. A diverged run is drawn per step on a log axis
/// instead, so that the blow-up itself is visible, with a red cross where it blew up.
pub fn loss_chart(run: &Run, log_y: bool) -> Plot {
    if let Outcome::Diverged { step, value } = run.outcome {
        return diverged_chart(run, step, value);
    }
    let epochs: Vec<usize> = run.epochs.iter().map(|e| e.epoch).collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(epochs.clone(), run.train_losses())
            .name("train loss")
            .mode(Mode::LinesMarkers),
    );
    plot.add_trace(
        Scatter::new(epochs.clone(), run.val_losses())
            .name("val loss")
            .mode(Mode::LinesMarkers),
    );
    if let Some(best) = run.best() {
        plot.add_trace(
            Scatter::new(vec![best.epoch], vec![best.val_loss])
                .name(format!("best epoch {}", best.epoch))
                .mode(Mode::Markers)
                .marker(
                    Marker::new()
                        .symbol(MarkerSymbol::Star)
                        .size(14)
                        .color("green"),
                ),
        );
    }
    let title = format!(
        "{} lr={} batch={} ({})",
        run.config.optimizer,
        crate::fmt::short(run.config.lr()),
        run.config.batch_size,
        run.outcome
    );
    let y_title = "cross-entropy loss";
    let y = if log_y {
        log_axis(
            y_title,
            run.train_losses().into_iter().chain(run.val_losses()),
        )
    } else {
        value_axis(y_title)
    };
    let largest = epochs.last().copied().unwrap_or(1);
    let traces = plot.data().len();
    plot.set_layout(layout(&title, count_axis("epoch", largest), y, traces));
    plot
}

/// The loss of every step of a diverged run, on a log axis, and where it blew up.
fn diverged_chart(run: &Run, step: usize, value: f64) -> Plot {
    // Steps counted from 0, as the run, its outcome and the diagnosis count them, so the
    // marker sits at the step the legend names.
    let steps: Vec<usize> = run.steps.iter().map(|s| s.step).collect();
    let losses: Vec<f64> = run.steps.iter().map(|s| s.loss).collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(steps.clone(), losses.clone())
            .name("training loss per step")
            .mode(Mode::LinesMarkers),
    );
    let shown = losses
        .iter()
        .rev()
        .copied()
        .find(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(1.0);
    let at = steps.last().copied().unwrap_or(0);
    plot.add_trace(
        Scatter::new(vec![at], vec![shown])
            .name(format!(
                "diverged at step {step} (loss {})",
                crate::fmt::num(value)
            ))
            .mode(Mode::Markers)
            .marker(Marker::new().symbol(MarkerSymbol::X).size(16).color("red")),
    );
    let title = format!(
        "{} lr={} batch={}: diverged at step {step}",
        run.config.optimizer,
        crate::fmt::short(run.config.lr()),
        run.config.batch_size,
    );
    let y = log_axis("training loss (log)", losses.iter().copied());
    let x = count_axis("step", at.max(1)).tick0(0.0);
    plot.set_layout(layout(&title, x, y, 2));
    plot
}

/// The LR range test: raw and smoothed loss against a log-scale LR, each suggestion marked.
pub fn lr_finder_chart(r: &LrFinderResult) -> Plot {
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(r.lrs.clone(), r.losses.clone())
            .name("loss")
            .mode(Mode::Lines)
            .opacity(0.35),
    );
    plot.add_trace(
        Scatter::new(r.lrs.clone(), r.smoothed.clone())
            .name("smoothed loss")
            .mode(Mode::Lines),
    );
    for s in &r.suggestions {
        let y = r.smoothed.get(s.index).copied().unwrap_or(f64::NAN);
        let recommended = r.recommendation.lr == Some(s.lr) && r.recommendation.name == s.name;
        plot.add_trace(
            Scatter::new(vec![s.lr], vec![y])
                .name(format!(
                    "{} {}{}",
                    s.name,
                    crate::fmt::short(s.lr),
                    if recommended { " (recommended)" } else { "" }
                ))
                .mode(Mode::Markers)
                .marker(
                    Marker::new()
                        .size(if recommended { 16 } else { 11 })
                        .symbol(if recommended {
                            MarkerSymbol::Star
                        } else {
                            MarkerSymbol::Circle
                        }),
                ),
        );
    }
    let title = match r.recommendation.lr {
        Some(lr) => format!(
            "LR range test ({}): recommended {}",
            r.optimizer,
            crate::fmt::short(lr)
        ),
        None => format!("LR range test ({}): uncertain", r.optimizer),
    };
    // Show the interesting part: from just below the lowest smoothed loss to a little above
    // the start, so that the blow-up at the end does not flatten the valley.
    let finite: Vec<f64> = r
        .smoothed
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let mut y = value_axis("loss");
    if let (Some(first), Some(min)) = (finite.first(), finite.iter().copied().reduce(f64::min)) {
        let top = first.max(min) * 1.5;
        let bottom = (min - 0.1 * (top - min)).max(0.0);
        y = y.range(vec![bottom, top]);
    }
    let x = log_axis("learning rate", r.lrs.iter().copied());
    let traces = plot.data().len();
    plot.set_layout(layout(&title, x, y, traces));
    plot
}

/// One metric of several runs on one chart (`val_loss`, `train_loss`, `val_acc`,
/// `train_acc`).
pub fn overlay_chart(runs: &[(String, Vec<EpochRecord>)], metric: &str, log_y: bool) -> Plot {
    let mut plot = Plot::new();
    let mut all = Vec::new();
    let mut largest = 1;
    for (label, epochs) in runs {
        let y: Vec<f64> = epochs
            .iter()
            .map(|e| match metric {
                "train_loss" => e.train_loss,
                "val_acc" => e.val_acc,
                "train_acc" => e.train_acc,
                _ => e.val_loss,
            })
            .collect();
        let x: Vec<usize> = epochs.iter().map(|e| e.epoch).collect();
        largest = largest.max(x.last().copied().unwrap_or(1));
        all.extend(y.iter().copied());
        plot.add_trace(Scatter::new(x, y).name(label.as_str()).mode(Mode::Lines));
    }
    let y = if log_y {
        log_axis(metric, all)
    } else {
        value_axis(metric)
    };
    plot.set_layout(layout(
        &format!("{metric} by run"),
        count_axis("epoch", largest),
        y,
        runs.len(),
    ));
    plot
}

/// The study's progress: after each step that ran, the mean validation loss of the
/// configuration it kept, with the seeds' 95% interval, in the order of the steps.
pub fn progress_chart(steps: &[StepResult]) -> Plot {
    let mut names = Vec::new();
    let mut loss = Vec::new();
    let mut widths = Vec::new();
    for st in steps.iter().filter(|st| st.skipped.is_none()) {
        let Some(i) = st.values.iter().position(|v| *v == st.winner) else {
            continue;
        };
        names.push(st.name.clone());
        loss.push(st.val_loss.get(i).copied().unwrap_or(f64::NAN));
        widths.push(seed_half_width(st, i));
    }
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(names, loss)
            .name("kept configuration: mean val loss (bars: 95% interval over seeds)")
            .mode(Mode::LinesMarkers)
            .error_y(ErrorData::new(ErrorType::Data).array(widths).visible(true)),
    );
    let x = Axis::new()
        .title(Title::with_text("study step"))
        .type_(AxisType::Category);
    plot.set_layout(layout(
        "the study's progress: validation loss after each step",
        x,
        value_axis("val loss"),
        1,
    ));
    plot
}

/// Validation accuracy and loss of each value tried in a study step. Learning rates go on a
/// log axis; other values ("64-32", "16 (lr 5e-3)") on a category axis, in the order tried.
pub fn sweep_chart(step: &StepResult) -> Plot {
    let numbers: Option<Vec<f64>> = (step.varied == "lr")
        .then(|| step.values.iter().map(|v| v.parse::<f64>().ok()).collect())
        .flatten();
    let mut plot = Plot::new();
    // Learning rates are points on a line; shapes or batch sizes are categories: points only.
    match &numbers {
        Some(x) => add_sweep_traces(&mut plot, x, step, Mode::LinesMarkers),
        None => add_sweep_traces(&mut plot, &step.values, step, Mode::Markers),
    }
    let x = match &numbers {
        Some(x) => log_axis("learning rate", x.iter().copied()),
        None => Axis::new()
            .title(Title::with_text(step.varied.as_str()))
            .type_(AxisType::Category),
    };
    let l = layout(
        &format!("{}: {} vs validation", step.name, step.varied),
        x,
        value_axis("val accuracy"),
        2,
    )
    .y_axis2(
        Axis::new()
            .title(Title::with_text("val loss"))
            .overlaying("y")
            .side(plotly::common::AxisSide::Right),
    );
    plot.set_layout(l);
    plot
}

/// The 95% t-interval's half width of the per-seed losses of value `i` (0 where one seed,
/// or none, was trained).
fn seed_half_width(step: &StepResult, i: usize) -> f64 {
    step.val_loss_seeds
        .get(i)
        .and_then(|v| crate::log::MeanInterval::from_values(v).ok())
        .map(|m| m.half_width)
        .filter(|h| h.is_finite())
        .unwrap_or(0.0)
}

/// [`seed_half_width`] of every value of the step.
pub(crate) fn seed_half_widths(step: &StepResult) -> Vec<f64> {
    (0..step.values.len())
        .map(|i| seed_half_width(step, i))
        .collect()
}

/// The step's validation accuracy (left axis) and loss (right axis, with the seeds' 95%
/// interval as error bars) against `x`.
fn add_sweep_traces<X: serde::Serialize + Clone + 'static>(
    plot: &mut Plot,
    x: &[X],
    step: &StepResult,
    mode: Mode,
) {
    plot.add_trace(
        Scatter::new(x.to_vec(), step.val_accuracy.clone())
            .name("val accuracy (left axis)")
            .mode(mode.clone()),
    );
    // A value whose repeats stopped early (it could no longer win) has fewer seeds.
    let fewer = step
        .val_loss_seeds
        .iter()
        .any(|v| v.len() > 1 && v.len() < step.seeds);
    let up_to = if fewer { "up to " } else { "" };
    let mut loss = Scatter::new(x.to_vec(), step.val_loss.clone())
        .name(format!(
            "val loss (right axis; bars: 95% interval over {up_to}{} seeds)",
            step.seeds
        ))
        .mode(mode)
        .y_axis("y2");
    let widths = seed_half_widths(step);
    if widths.iter().any(|w| *w > 0.0) {
        loss = loss.error_y(ErrorData::new(ErrorType::Data).array(widths).visible(true));
    }
    plot.add_trace(loss);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::StepResult;

    /// A study step that varied `varied` over `values` (the second one won).
    fn step(name: &str, varied: &str, values: &[&str]) -> StepResult {
        let n = values.len();
        StepResult {
            name: name.into(),
            varied: varied.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            trial_ids: (1..=n as i64).collect(),
            val_accuracy: [0.9, 0.95, 0.93][..n].to_vec(),
            val_loss: [0.3, 0.2, 0.25][..n].to_vec(),
            val_loss_seeds: [vec![0.3, 0.31, 0.29], vec![0.2], vec![0.25, 0.26, 0.24]][..n]
                .to_vec(),
            winner: values[1].into(),
            winner_id: 2,
            why: String::new(),
            decision: String::new(),
            outcome: Default::default(),
            seeds: 3,
            warnings: Vec::new(),
            skipped: None,
        }
    }

    #[test]
    fn sweep_chart_uses_a_category_axis_with_every_label() {
        let step = step("architecture", "hidden", &["64", "64-32"]);
        let json = sweep_chart(&step).to_json();
        assert!(json.contains("\"category\""), "{json}");
        assert!(json.contains("\"64-32\""));
        // Categories are points, not a line across them; the seeds' interval is drawn.
        assert!(json.contains("\"mode\":\"markers\""), "{json}");
        assert!(!json.contains("lines+markers"), "{json}");
        assert!(json.contains("\"error_y\""), "{json}");
        assert_eq!(seed_half_widths(&step)[1], 0.0, "one seed: no interval");
        // The progress chart has one point per step that ran, at its winner's loss.
        let mut skipped = step.clone();
        skipped.skipped = Some("nothing to do".into());
        let p = progress_chart(&[step.clone(), skipped]).to_json();
        assert!(p.contains("\"architecture\"") && p.contains("0.2"), "{p}");
        assert_eq!(p.matches("\"architecture\"").count(), 1, "{p}");
        assert!(seed_half_widths(&step)[0] > 0.0);
    }

    #[test]
    fn log_ticks_are_decades_over_wide_ranges_and_1_2_5_over_narrow_ones() {
        let (ticks, labels) = log_ticks(1e-6, 1.0);
        assert_eq!(labels, ["1e-6", "1e-5", "1e-4", "1e-3", "0.01", "0.1", "1"]);
        assert_eq!(ticks.len(), labels.len());
        let (_, labels) = log_ticks(0.07, 0.4);
        assert_eq!(labels, ["0.05", "0.1", "0.2", "0.5"]);
        // Never the minor digits ("2, 1, 9, 8") of plotly's own ticks.
        assert!(labels.iter().all(|l| l.parse::<f64>().unwrap() >= 0.05));
    }

    #[test]
    fn epoch_axes_tick_whole_numbers() {
        let run = super::super::tiny_run();
        let json = loss_chart(&run, true).to_json();
        assert!(
            json.contains("\"dtick\":1.0") || json.contains("\"dtick\":1"),
            "{json}"
        );
        assert!(
            json.contains("\"tickvals\""),
            "log y gets explicit ticks: {json}"
        );
        let axis = count_axis("epoch", 80);
        let json = serde_json::to_string(&axis).unwrap();
        assert!(json.contains("\"dtick\":8"), "{json}");
    }

    #[test]
    fn a_diverged_run_is_drawn_per_step_on_a_log_axis() {
        let mut run = super::super::tiny_run();
        run.outcome = Outcome::Diverged {
            step: 3,
            value: f64::INFINITY,
        };
        let json = loss_chart(&run, false).to_json();
        assert!(json.contains("training loss per step"), "{json}");
        assert!(json.contains("\"log\""), "{json}");
        assert!(json.contains("diverged at step 3"), "{json}");
        // The marker sits on the last recorded step, counted from 0 as the outcome counts.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let marker = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("diverged"))
            })
            .unwrap();
        let last = run.steps.last().unwrap().step as u64;
        assert_eq!(marker["x"][0].as_u64(), Some(last), "{json}");
    }

    #[test]
    fn an_lr_sweep_is_on_a_log_axis() {
        let step = step("learning_rate", "lr", &["1e-4", "0.001", "0.01"]);
        let json = sweep_chart(&step).to_json();
        assert!(
            json.contains("\"log\"") && !json.contains("\"category\""),
            "{json}"
        );
        assert!(
            json.contains("\"1e-3\"") || json.contains("\"1e-4\""),
            "{json}"
        );
        assert!(
            json.contains("\"orientation\":\"h\""),
            "legend under the plot: {json}"
        );
    }

    #[test]
    fn lr_finder_chart_is_log_x_and_marks_every_suggestion() {
        let lrs: Vec<f64> = (0..20).map(|i| 1e-5 * 10f64.powf(i as f64 / 4.0)).collect();
        let losses: Vec<f64> = (0..20).map(|i| 2.3 - 0.1 * i as f64).collect();
        let smoothed = crate::curve::smooth(&losses, 0.5);
        let suggestions = crate::lr_finder::suggest::suggest(&lrs, &smoothed);
        let recommendation =
            crate::lr_finder::recommend::recommend(&losses, &smoothed, &suggestions);
        let r = LrFinderResult {
            lrs,
            losses,
            smoothed,
            suggestions,
            recommendation,
            stopped_early: false,
            seconds: 0.0,
            optimizer: crate::train::OptimizerKind::Adam,
            batch_size: 64,
            accumulate: 1,
            seeds: 1,
            repeats: Vec::new(),
            check: None,
            sweep_steps: 0,
            run_steps: 0,
        };
        let json = lr_finder_chart(&r).to_json();
        assert!(json.contains("\"log\""));
        for s in &r.suggestions {
            assert!(json.contains(&s.name), "{}", s.name);
        }
    }
}
