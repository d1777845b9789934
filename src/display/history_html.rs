//! A loss history given to the diagnosis, as text, HTML and a chart.

use super::evcxr::rich_display;
use super::html::{Cell, table};
use super::plots::overlay_chart;
use crate::diagnose::History;
use crate::train::EpochRecord;
use plotly::Plot;

rich_display!(History, "history", history_html, history_chart);

fn history_html(h: &History) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = h
        .train_loss
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let v = h.val_loss.get(i).copied().unwrap_or(f64::NAN);
            (
                None,
                vec![
                    Cell::Num((i + 1) as f64, 0),
                    Cell::Num(*t, 4),
                    Cell::Num(v, 4),
                ],
            )
        })
        .collect();
    table("History", &["epoch", "train_loss", "val_loss"], &rows)
}

fn history_chart(h: &History) -> Option<Plot> {
    let epochs: Vec<EpochRecord> = h
        .train_loss
        .iter()
        .enumerate()
        .map(|(i, t)| EpochRecord {
            epoch: i + 1,
            train_loss: *t,
            val_loss: h.val_loss.get(i).copied().unwrap_or(f64::NAN),
            train_acc: f64::NAN,
            val_acc: f64::NAN,
            lr: f64::NAN,
            seconds: f64::NAN,
        })
        .collect();
    let mut plot = overlay_chart(&[("train".into(), epochs.clone())], "train_loss", false);
    plot.add_trace(
        plotly::Scatter::new(
            epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(),
            epochs.iter().map(|e| e.val_loss).collect::<Vec<_>>(),
        )
        .name("val")
        .mode(plotly::common::Mode::Lines),
    );
    Some(plot)
}
