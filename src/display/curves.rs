//! Step-level views of training: one run's loss at every step (raw and smoothed, epoch
//! boundaries marked), and several runs' smoothed losses on one chart (the visual diagnosis:
//! too high, too low, just right).

use super::chart::chart_html;
use super::evcxr::rich_display;
use super::html::{Cell, escape, table};
use super::plots::{layout, log_axis, value_axis};
use crate::error::{Error, Result};
use crate::train::Run;
use plotly::common::{DashType, Line, Mode, Title};
use plotly::layout::{Axis, Shape, ShapeLine, ShapeType};
use plotly::{Plot, Scatter};

/// Above this many steps the raw loss is drawn at every k-th step only (the smoothed curve
/// still uses every step), so that a chart of a long run stays small in the notebook.
const MAX_RAW_POINTS: usize = 4000;

/// The smoothing window in steps for a run of `steps_per_epoch` steps an epoch: a quarter of
/// an epoch, at least 3 and at most 50 steps.
fn smoothing_window(steps_per_epoch: usize) -> usize {
    (steps_per_epoch / 4).clamp(3, 50)
}

/// An exponential moving average with weight `1 - 1/window` on the past, corrected for its
/// start (so the first values are not pulled towards zero). Non-finite losses are carried as
/// they are and restart the average after them.
pub(crate) fn smooth(losses: &[f64], window: usize) -> Vec<f64> {
    let beta = 1.0 - 1.0 / window.max(1) as f64;
    let (mut avg, mut weight) = (0.0, 0.0);
    losses
        .iter()
        .map(|&x| {
            if !x.is_finite() {
                (avg, weight) = (0.0, 0.0);
                return x;
            }
            avg = beta * avg + (1.0 - beta) * x;
            weight = beta * weight + (1.0 - beta);
            avg / weight
        })
        .collect()
}

/// Steps per epoch of a run, from its step records (the largest count of steps that share
/// an epoch number).
fn steps_per_epoch(run: &Run) -> usize {
    let mut best = 0;
    let mut count = 0;
    let mut last = None;
    for s in &run.steps {
        if Some(s.epoch) == last {
            count += 1;
        } else {
            last = Some(s.epoch);
            count = 1;
        }
        best = best.max(count);
    }
    best.max(1)
}

/// One run's training loss at every step: the raw values (the noise of single batches, the
/// saw-tooth of oscillation or of unshuffled data), a smoothed curve (the trend), and a mark
/// at each epoch boundary. Made by [`Run::step_chart`].
#[derive(Debug, Clone)]
pub struct StepLosses {
    /// What the chart shows (the run's optimizer, LR and batch).
    pub title: String,
    /// The step numbers, from 0.
    pub steps: Vec<usize>,
    /// The training loss of each step's batch.
    pub raw: Vec<f64>,
    /// The smoothed loss at each step.
    pub smoothed: Vec<f64>,
    /// Steps in a full epoch.
    pub steps_per_epoch: usize,
    /// The smoothing window in steps.
    pub window: usize,
    /// The first step of every epoch after the first.
    pub epoch_starts: Vec<usize>,
}

impl Run {
    /// The training loss of every step of this run, raw and smoothed, with the epoch
    /// boundaries: shown in a notebook as a chart.
    ///
    /// # Errors
    /// When the run recorded no steps.
    pub fn step_chart(&self) -> Result<StepLosses> {
        if self.steps.is_empty() {
            return Err(Error::data(
                "step losses",
                "the run has no step records: train it with at least one step",
            ));
        }
        let per_epoch = steps_per_epoch(self);
        let window = smoothing_window(per_epoch);
        let raw: Vec<f64> = self.steps.iter().map(|s| s.loss).collect();
        let epoch_starts = self
            .steps
            .windows(2)
            .filter(|w| w[1].epoch != w[0].epoch)
            .map(|w| w[1].step)
            .collect();
        Ok(StepLosses {
            title: format!(
                "{} lr={} batch={}: loss per step",
                self.config.optimizer,
                crate::fmt::short(self.config.lr()),
                self.config.batch_size
            ),
            steps: self.steps.iter().map(|s| s.step).collect(),
            smoothed: smooth(&raw, window),
            raw,
            steps_per_epoch: per_epoch,
            window,
            epoch_starts,
        })
    }
}

impl StepLosses {
    /// How much the raw loss jumps from step to step beyond its trend: the median over the
    /// steps after the first epoch of |loss - mean of its two neighbours| / smoothed loss.
    /// About 0 on a smooth fall (a straight trend cancels out); 0.3 and more on a saw-tooth.
    pub fn roughness(&self) -> f64 {
        let skip = self.epoch_starts.first().copied().unwrap_or(0);
        let mut r: Vec<f64> = (1..self.raw.len().saturating_sub(1))
            .filter(|&i| self.steps[i] >= skip)
            .map(|i| {
                let mid = 0.5 * (self.raw[i - 1] + self.raw[i + 1]);
                (self.raw[i] - mid).abs() / self.smoothed[i]
            })
            .filter(|v| v.is_finite())
            .collect();
        if r.is_empty() {
            return f64::NAN;
        }
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    }

    /// The chart: raw loss (faint), smoothed loss, dotted lines at epoch boundaries.
    pub fn chart(&self) -> Plot {
        let mut plot = Plot::new();
        let every = self.steps.len().div_ceil(MAX_RAW_POINTS).max(1);
        let (xs, ys): (Vec<usize>, Vec<f64>) = self
            .steps
            .iter()
            .zip(&self.raw)
            .step_by(every)
            .map(|(s, l)| (*s, *l))
            .unzip();
        plot.add_trace(
            Scatter::new(xs, ys)
                .name("loss of each batch")
                .mode(Mode::Lines)
                .opacity(0.35),
        );
        plot.add_trace(
            Scatter::new(self.steps.clone(), self.smoothed.clone())
                .name(format!("smoothed ({}-step average)", self.window))
                .mode(Mode::Lines)
                .line(Line::new().width(2.5)),
        );
        let shapes: Vec<Shape> = self
            .epoch_starts
            .iter()
            .map(|&s| {
                Shape::new()
                    .shape_type(ShapeType::Line)
                    .x_ref("x")
                    .y_ref("paper")
                    .x0(s as f64 - 0.5)
                    .x1(s as f64 - 0.5)
                    .y0(0.0)
                    .y1(1.0)
                    .line(
                        ShapeLine::new()
                            .color("#999")
                            .width(1.0)
                            .dash(DashType::Dot),
                    )
            })
            .collect();
        let x = Axis::new().title(Title::with_text(
            "step (dotted lines: the start of each epoch)",
        ));
        let y = log_axis("training loss (log)", self.raw.iter().copied());
        plot.set_layout(layout(&self.title, x, y, 2).shapes(shapes));
        plot
    }
}

impl std::fmt::Display for StepLosses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last = self.smoothed.last().copied().unwrap_or(f64::NAN);
        let first = self.smoothed.first().copied().unwrap_or(f64::NAN);
        write!(
            f,
            "{}: {} steps over {} epochs; smoothed loss {} -> {}; step-to-step jumps beyond the trend: {}",
            self.title,
            self.steps.len(),
            self.epoch_starts.len() + 1,
            crate::fmt::num(first),
            crate::fmt::num(last),
            crate::fmt::pct(self.roughness()),
        )
    }
}

fn step_losses_html(s: &StepLosses) -> String {
    format!(
        "{}<p class=\"muted\" style=\"color:#666\">{}</p>",
        chart_html(&s.chart()),
        escape(&s.to_string())
    )
}

rich_display!(
    StepLosses,
    "loss of every step",
    step_losses_html,
    |s: &StepLosses| { Some(s.chart()) }
);

/// Several runs' smoothed training losses on one chart against epochs, for telling curves
/// apart by their shape (a LR too high, too low, about right). Made by [`Curves::of`].
#[derive(Debug, Clone)]
pub struct Curves {
    /// Each run's label and its smoothed loss: (epoch position of each step, loss).
    pub series: Vec<(String, Vec<f64>, Vec<f64>)>,
    /// Each run's label, first, lowest and last smoothed loss.
    pub summary: Vec<(String, f64, f64, f64)>,
}

impl Curves {
    /// The smoothed step losses of `runs` (label, run), each on an axis of epochs so runs
    /// of different batch sizes line up.
    ///
    /// # Errors
    /// When `runs` is empty or a run has no steps.
    pub fn of(runs: &[(&str, &Run)]) -> Result<Curves> {
        if runs.is_empty() {
            return Err(Error::data(
                "curves",
                "no runs given: pass (label, &run) pairs",
            ));
        }
        let mut series = Vec::new();
        let mut summary = Vec::new();
        for (label, run) in runs {
            let s = run.step_chart()?;
            let per = s.steps_per_epoch as f64;
            let x: Vec<f64> = s.steps.iter().map(|&k| (k as f64 + 1.0) / per).collect();
            let finite: Vec<f64> = s
                .smoothed
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            let lowest = finite.iter().copied().fold(f64::INFINITY, f64::min);
            summary.push((
                label.to_string(),
                s.smoothed[0],
                lowest,
                *s.smoothed.last().unwrap_or(&f64::NAN),
            ));
            series.push((label.to_string(), x, s.smoothed));
        }
        Ok(Curves { series, summary })
    }

    /// The chart: one smoothed loss curve per run, log loss against epochs.
    pub fn chart(&self) -> Plot {
        let mut plot = Plot::new();
        for (label, x, y) in &self.series {
            plot.add_trace(
                Scatter::new(x.clone(), y.clone())
                    .name(label.as_str())
                    .mode(Mode::Lines),
            );
        }
        let y = log_axis(
            "smoothed training loss (log)",
            self.series.iter().flat_map(|(_, _, y)| y.iter().copied()),
        );
        plot.set_layout(layout(
            "training loss of each run",
            value_axis("epoch"),
            y,
            self.series.len(),
        ));
        plot
    }
}

impl std::fmt::Display for Curves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (label, first, low, last) in &self.summary {
            writeln!(
                f,
                "{label}: smoothed loss {} at the start, lowest {}, last {}",
                crate::fmt::num(*first),
                crate::fmt::num(*low),
                crate::fmt::num(*last)
            )?;
        }
        Ok(())
    }
}

fn curves_html(c: &Curves) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = c
        .summary
        .iter()
        .map(|(label, first, low, last)| {
            (
                None,
                vec![
                    Cell::Text(label.clone()),
                    Cell::Num(*first, 4),
                    Cell::Num(*low, 4),
                    Cell::Num(*last, 4),
                ],
            )
        })
        .collect();
    format!(
        "{}{}",
        chart_html(&c.chart()),
        table(
            "Smoothed training loss",
            &["run", "at the start", "lowest", "last"],
            &rows
        )
    )
}

rich_display!(Curves, "runs' loss curves", curves_html, |c: &Curves| {
    Some(c.chart())
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_follows_a_constant_from_its_first_value_and_restarts_after_nan() {
        let s = smooth(&[2.0, 2.0, 2.0], 10);
        assert!(s.iter().all(|v| (v - 2.0).abs() < 1e-12), "{s:?}");
        let s = smooth(&[1.0, f64::NAN, 5.0, 5.0], 4);
        assert!(s[1].is_nan());
        assert!((s[2] - 5.0).abs() < 1e-12, "restarted: {s:?}");
        // A jump is followed, not copied.
        let s = smooth(&[1.0, 1.0, 1.0, 10.0], 4);
        assert!(s[3] > 1.0 && s[3] < 10.0, "{s:?}");
    }

    #[test]
    fn a_run_gives_every_step_its_epoch_lines_and_a_chart() {
        let run = super::super::tiny_run();
        let s = run.step_chart().unwrap();
        assert_eq!(s.steps.len(), run.steps.len());
        assert_eq!(s.raw.len(), s.smoothed.len());
        // Two epochs: one boundary, at the first step of epoch two.
        assert_eq!(s.epoch_starts.len(), 1);
        let second = run
            .steps
            .iter()
            .find(|r| r.epoch != run.steps[0].epoch)
            .unwrap();
        assert_eq!(s.epoch_starts[0], second.step);
        let json = s.chart().to_json();
        assert!(json.contains("\"shapes\""), "epoch lines drawn");
        assert!(json.contains("loss of each batch") && json.contains("smoothed"));
        let html = s.to_html();
        assert!(html.contains("tunelab-chart") && html.contains("2 epochs"));
    }

    #[test]
    fn roughness_tells_a_saw_tooth_from_a_smooth_fall() {
        let mut run = super::super::tiny_run();
        let n = run.steps.len();
        for (i, s) in run.steps.iter_mut().enumerate() {
            s.loss = 2.0 - i as f64 / n as f64;
        }
        let smooth_fall = run.step_chart().unwrap().roughness();
        for (i, s) in run.steps.iter_mut().enumerate() {
            s.loss = if i % 2 == 0 { 0.5 } else { 2.0 };
        }
        let saw = run.step_chart().unwrap().roughness();
        assert!(smooth_fall < 0.01, "{smooth_fall}");
        assert!(saw > 0.3, "{saw}");
    }

    #[test]
    fn curves_need_runs_and_label_each_one() {
        assert!(Curves::of(&[]).is_err());
        let run = super::super::tiny_run();
        let c = Curves::of(&[("a <b>", &run), ("second", &run)]).unwrap();
        assert_eq!(c.series.len(), 2);
        // Positions are in epochs: the last step of a two-epoch run sits at epoch 2.
        let last = *c.series[0].1.last().unwrap();
        assert!((last - 2.0).abs() < 0.51, "{last}");
        let html = c.to_html();
        assert!(html.contains("a &lt;b&gt;") && !html.contains("<td>a <b>"));
        assert!(c.to_string().lines().count() == 2);
        let mut empty = run.clone();
        empty.steps.clear();
        assert!(Curves::of(&[("x", &empty)]).is_err());
    }
}
