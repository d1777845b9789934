//! A training run as HTML: its loss chart, a summary table and the per-epoch table.

use super::chart::chart_html;
use super::evcxr::rich_display;
use super::html::{Cell, table};
use super::plots::loss_chart;
use super::schema_table::schema_table;
use crate::log::schema::{CURVES, CurveRow};
use crate::train::{EpochRecord, Run};

rich_display!(Run, "run (loss curves and summary)", run_html, |r: &Run| {
    Some(loss_chart(r, false))
});

fn run_html(run: &Run) -> String {
    let mut out = chart_html(&loss_chart(run, false));
    let fin = run.final_metrics();
    let rows = vec![
        (
            None,
            vec![Cell::from("dataset"), Cell::Text(run.dataset.clone())],
        ),
        (
            None,
            vec![Cell::from("config"), Cell::Text(run.config.to_string())],
        ),
        (
            if run.outcome.is_diverged() {
                Some("high")
            } else {
                None
            },
            vec![Cell::from("outcome"), Cell::Text(run.outcome.to_string())],
        ),
        (
            None,
            vec![
                Cell::from("best epoch"),
                Cell::Text(run.best_epoch.map_or("-".into(), |e| e.to_string())),
            ],
        ),
        (
            None,
            vec![
                Cell::from("final train loss"),
                Cell::Num(fin.map_or(f64::NAN, |f| f.train_loss), 4),
            ],
        ),
        (
            None,
            vec![
                Cell::from("final val loss"),
                Cell::Num(fin.map_or(f64::NAN, |f| f.val_loss), 4),
            ],
        ),
        (
            None,
            vec![
                Cell::from("final val accuracy"),
                Cell::Num(fin.map_or(f64::NAN, |f| f.val_accuracy), 4),
            ],
        ),
        (
            None,
            vec![Cell::from("wall time (s)"), Cell::Num(run.wall_s, 2)],
        ),
        (
            None,
            vec![Cell::from("samples/s"), Cell::Num(run.samples_per_s, 0)],
        ),
    ];
    out.push_str(&table("Run", &["", "value"], &rows));
    out.push_str(&format!(
        "<details><summary>{} epochs</summary>{}</details>",
        run.epochs.len(),
        epochs_table(&run.epochs)
    ));
    out
}

/// The epochs with the curve columns of the experiment log.
fn epochs_table(epochs: &[EpochRecord]) -> String {
    let rows: Vec<CurveRow> = epochs
        .iter()
        .map(|e| CurveRow {
            run_id: 0,
            epoch: e.clone(),
        })
        .collect();
    let refs: Vec<(Option<&str>, &CurveRow)> = rows.iter().map(|r| (None, r)).collect();
    schema_table("", &CURVES, &refs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_html_has_the_chart_the_summary_and_every_epoch() {
        let run = super::super::tiny_run();
        let html = crate::display::html::without_styles(&run.to_html());
        assert!(html.contains("train loss") && html.contains("val loss"));
        assert!(html.contains("tunelab-chart"));
        assert!(html.contains("<summary>2 epochs</summary>"));
        assert!(html.contains(
            "<th>epoch</th><th>train_loss</th><th>val_loss</th><th>train_acc</th><th>val_acc</th><th>lr</th>"
        ));
        let epochs = html.split("<summary>").nth(1).unwrap();
        assert_eq!(epochs.matches("<tr>").count(), 3, "a header and two epochs");
    }
}
