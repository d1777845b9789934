//! The charts: loss curves, LR finder, overlays of runs, and parameter sweeps.

use crate::lr_finder::LrFinderResult;
use crate::study::StepResult;
use crate::train::{EpochRecord, Outcome, Run};
use plotly::common::{Marker, MarkerSymbol, Mode, Title};
use plotly::layout::{Axis, AxisType, Layout};
use plotly::{Plot, Scatter};

fn layout(title: &str, x: &str, y: &str, log_x: bool, log_y: bool) -> Layout {
    let mut x_axis = Axis::new().title(Title::with_text(x));
    if log_x {
        x_axis = x_axis.type_(AxisType::Log);
    }
    let mut y_axis = Axis::new().title(Title::with_text(y));
    if log_y {
        y_axis = y_axis.type_(AxisType::Log);
    }
    Layout::new()
        .title(Title::with_text(title))
        .x_axis(x_axis)
        .y_axis(y_axis)
        .height(380)
}

/// Training and validation loss per epoch; a diverged run gets a red cross where it blew up.
pub fn loss_chart(run: &Run, log_y: bool) -> Plot {
    let epochs: Vec<usize> = run.epochs.iter().map(|e| e.epoch).collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(epochs.clone(), run.train_losses())
            .name("train loss")
            .mode(Mode::LinesMarkers),
    );
    plot.add_trace(
        Scatter::new(epochs, run.val_losses())
            .name("val loss")
            .mode(Mode::LinesMarkers),
    );
    if let Outcome::Diverged { step, value } = run.outcome {
        let epoch = run.steps.last().map_or(1, |s| s.epoch);
        let shown = run
            .epochs
            .iter()
            .rev()
            .map(|e| e.train_loss)
            .find(|v| v.is_finite())
            .unwrap_or(0.0);
        plot.add_trace(
            Scatter::new(vec![epoch], vec![shown])
                .name(format!("diverged at step {step} (loss {value:.3e})"))
                .mode(Mode::Markers)
                .marker(Marker::new().symbol(MarkerSymbol::X).size(16).color("red")),
        );
    }
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
        "{} lr={:.1e} batch={} ({})",
        run.config.optimizer,
        run.config.lr(),
        run.config.batch_size,
        run.outcome
    );
    plot.set_layout(layout(&title, "epoch", "cross-entropy loss", false, log_y));
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
                    "{} {:.1e}{}",
                    s.name,
                    s.lr,
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
        Some(lr) => format!("LR range test ({}): recommended {lr:.1e}", r.optimizer),
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
    let mut l = layout(&title, "learning rate", "loss", true, false);
    if let (Some(first), Some(min)) = (finite.first(), finite.iter().copied().reduce(f64::min)) {
        let top = first.max(min) * 1.5;
        let bottom = (min - 0.1 * (top - min)).max(0.0);
        l = l.y_axis(
            Axis::new()
                .title(Title::with_text("loss"))
                .range(vec![bottom, top]),
        );
    }
    plot.set_layout(l);
    plot
}

/// One metric of several runs on one chart (`val_loss`, `train_loss`, `val_acc`,
/// `train_acc`).
pub fn overlay_chart(runs: &[(String, Vec<EpochRecord>)], metric: &str, log_y: bool) -> Plot {
    let mut plot = Plot::new();
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
        plot.add_trace(Scatter::new(x, y).name(label.as_str()).mode(Mode::Lines));
    }
    plot.set_layout(layout(
        &format!("{metric} by run"),
        "epoch",
        metric,
        false,
        log_y,
    ));
    plot
}

/// Validation accuracy and loss of each value tried in a study step.
pub fn sweep_chart(step: &StepResult) -> Plot {
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(step.values.clone(), step.val_accuracy.clone())
            .name("val accuracy")
            .mode(Mode::LinesMarkers),
    );
    plot.add_trace(
        Scatter::new(step.values.clone(), step.val_loss.clone())
            .name("val loss")
            .mode(Mode::LinesMarkers)
            .y_axis("y2"),
    );
    let l = layout(
        &format!("{}: {} vs validation", step.name, step.varied),
        &step.varied,
        "val accuracy",
        false,
        false,
    )
    // Values are labels ("64-32", "16 (lr 5e-3)"): a category axis keeps them all, in order.
    .x_axis(
        Axis::new()
            .title(Title::with_text(step.varied.as_str()))
            .type_(AxisType::Category),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::StepResult;

    #[test]
    fn sweep_chart_uses_a_category_axis_with_every_label() {
        let step = StepResult {
            name: "architecture".into(),
            varied: "hidden".into(),
            values: vec!["64".into(), "64-32".into()],
            trial_ids: vec![1, 2],
            val_accuracy: vec![0.9, 0.95],
            val_loss: vec![0.3, 0.2],
            winner: "64-32".into(),
            winner_id: 2,
            why: String::new(),
            decision: String::new(),
            seeds: 3,
            warnings: Vec::new(),
            skipped: None,
        };
        let json = sweep_chart(&step).to_json();
        assert!(json.contains("\"category\""), "{json}");
        assert!(json.contains("\"64-32\""));
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
        };
        let json = lr_finder_chart(&r).to_json();
        assert!(json.contains("\"log\""));
        for s in &r.suggestions {
            assert!(json.contains(&s.name), "{}", s.name);
        }
    }
}
