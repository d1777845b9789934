//! The experiment log and comparisons of its runs as HTML: the run columns the schema marks
//! for HTML, a diverged run in red and a warned one in amber, and the log's curves overlaid.

use super::chart::chart_html;
use super::evcxr::rich_display;
use super::html::escape;
use super::plots::overlay_chart;
use super::schema_table::schema_table;
use crate::log::{Comparison, ExperimentLog, HYPERPARAMETERS, RunRecord, schema::RUNS};
use crate::train::EpochRecord;
use plotly::Plot;

/// Above this many runs the log's overlay chart is left out (too many lines to read).
const MAX_RUNS_CHARTED: usize = 40;

rich_display!(ExperimentLog, "experiment log", log_html, log_chart);
rich_display!(
    Comparison,
    "comparison of runs",
    comparison_html,
    |_: &Comparison| None
);

/// The runs table, each row classed by what went wrong.
fn runs_table(caption: &str, rows: &[RunRecord]) -> String {
    let rows: Vec<(Option<&str>, &RunRecord)> = rows
        .iter()
        .map(|r| {
            let class = if r.outcome == "diverged" {
                Some("high")
            } else if !r.warnings.is_empty() {
                Some("medium")
            } else {
                None
            };
            (class, r)
        })
        .collect();
    schema_table(caption, &RUNS, &rows)
}

fn log_chart(log: &ExperimentLog) -> Option<Plot> {
    if log.is_empty() || log.len() > MAX_RUNS_CHARTED {
        return None;
    }
    let varied = varied_hyperparameters(log.rows());
    let runs: Vec<(String, Vec<EpochRecord>)> = log
        .rows()
        .iter()
        .filter_map(|r| {
            log.curve(r.run_id)
                .map(|c| (run_label(r, &varied), c.to_vec()))
        })
        .collect();
    Some(overlay_chart(&runs, "val_loss", true))
}

/// The hyperparameters whose values differ between `rows`, in the schema's order.
fn varied_hyperparameters(rows: &[RunRecord]) -> Vec<&'static str> {
    HYPERPARAMETERS
        .iter()
        .copied()
        .filter(|h| {
            let first = rows.first().and_then(|r| r.hyperparameter(h));
            rows.iter().any(|r| r.hyperparameter(h) != first)
        })
        .collect()
}

/// A chart legend entry that names the values varied across the charted runs:
/// `run 3: batch_size=32, lr=7.071e-4`, or `run 1` when nothing varies.
fn run_label(r: &RunRecord, varied: &[&str]) -> String {
    let values: Vec<String> = varied
        .iter()
        .map(|h| match *h {
            "lr" => format!("lr={}", crate::fmt::short(r.lr)),
            "weight_decay" => format!("weight_decay={}", crate::fmt::short(r.weight_decay)),
            "dropout" => format!("dropout={}", crate::fmt::short(r.dropout)),
            other => format!("{other}={}", r.hyperparameter(other).unwrap_or_default()),
        })
        .collect();
    if values.is_empty() {
        format!("run {}", r.run_id)
    } else {
        format!("run {}: {}", r.run_id, values.join(", "))
    }
}

/// The log's chart and runs table (also part of the study report).
pub(super) fn log_html(log: &ExperimentLog) -> String {
    let mut out = String::new();
    if let Some(p) = log_chart(log) {
        out.push_str(&chart_html(&p));
    }
    out.push_str(&runs_table(
        &format!("Experiment log: {} runs", log.len()),
        log.rows(),
    ));
    out
}

fn comparison_html(c: &Comparison) -> String {
    let mut out = runs_table("Comparison", &c.rows);
    out.push_str(&format!(
        "<p>Differing: {}</p>",
        escape(&if c.differing.is_empty() {
            "nothing".to_string()
        } else {
            c.differing.join(", ")
        })
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_legends_name_the_values_varied() {
        let row = |run_id: i64, batch_size: i64, lr: f64| RunRecord {
            run_id,
            step: "manual".into(),
            batch_size,
            lr,
            ..RunRecord::default()
        };
        let rows = [
            row(1, 64, 1e-3),
            row(2, 32, 0.0007071067811865475),
            row(3, 64, 1e-3),
        ];
        let varied = varied_hyperparameters(&rows);
        assert_eq!(varied, ["lr", "batch_size"]);
        assert_eq!(
            run_label(&rows[1], &varied),
            "run 2: lr=7.071e-4, batch_size=32"
        );
        assert_eq!(run_label(&rows[0], &[]), "run 1");
    }

    #[test]
    fn log_html_escapes_user_notes() {
        let run = super::super::tiny_run();
        let mut log = ExperimentLog::new().quiet();
        log.add_entry(crate::log::Entry::new(&run).notes("<script>alert(1)</script> & co"))
            .unwrap();
        let html = log.to_html();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("tunelab-chart"));
    }

    #[test]
    fn comparison_rows_are_classed_by_outcome_and_warnings() {
        let row = |run_id: i64, outcome: &str, warnings: &str| RunRecord {
            run_id,
            outcome: outcome.into(),
            warnings: warnings.into(),
            ..RunRecord::default()
        };
        let c = Comparison {
            rows: vec![
                row(1, "completed", ""),
                row(2, "diverged", ""),
                row(3, "completed", "2 changes at once"),
            ],
            differing: Vec::new(),
        };
        let html = crate::display::html::without_styles(&c.to_html());
        assert!(html.contains("<tbody><tr><td class=\"num\">1</td>"));
        assert!(html.contains("<tr class=\"high\"><td class=\"num\">2</td>"));
        assert!(html.contains("<tr class=\"medium\"><td class=\"num\">3</td>"));
        assert!(html.contains("<p>Differing: nothing</p>"));
    }
}
