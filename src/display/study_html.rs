//! A tuning study as HTML: the steps, the best run, its diagnosis, each sweep and the log;
//! and the same as a standalone report page.

use super::chart::chart_html;
use super::diagnosis_html::diagnosis_html;
use super::evcxr::rich_display;
use super::html::{Cell, escape, page, table};
use super::log_html::log_html;
use super::plots::{loss_chart, overlay_chart, progress_chart, sweep_chart};
use crate::study::StudyResult;
use crate::train::EpochRecord;

rich_display!(
    StudyResult,
    "tuning study",
    study_html,
    |s: &StudyResult| Some(loss_chart(&s.best_run, false))
);

/// The study as a standalone HTML page (plotly.js inlined once; works offline).
pub fn study_report(s: &StudyResult) -> String {
    page(&format!("tunelab study: {}", s.dataset), &study_html(s))
}

fn study_html(s: &StudyResult) -> String {
    let mut out = format!(
        "<h3>Tuning study on {}: test accuracy {:.4}</h3><p>{} runs in {:.1} s ({} trials at once). The test set was evaluated once, at the end.</p>",
        escape(&s.dataset),
        s.test_accuracy,
        s.log.len(),
        s.wall_s,
        s.threads
    );
    out.push_str(&steps_table(s));
    out.push_str(&chart_html(&progress_chart(&s.steps)));
    out.push_str(&format!(
        "<p><b>Best config</b> (run {}): {}</p>",
        s.best_run_id,
        escape(&s.best_config.to_string())
    ));
    out.push_str(&chart_html(&loss_chart(&s.best_run, false)));
    out.push_str(&diagnosis_html(&s.diagnosis));
    if !s.follow_up.is_empty() {
        out.push_str("<p><b>What the study did about each finding</b></p><ul>");
        for note in &s.follow_up {
            out.push_str(&format!("<li>{}</li>", escape(note)));
        }
        out.push_str("</ul>");
    }
    for st in s
        .steps
        .iter()
        .filter(|st| st.skipped.is_none() && st.values.len() > 1)
    {
        out.push_str(&format!("<h3>{}</h3>", escape(&st.name)));
        out.push_str(&chart_html(&sweep_chart(st)));
        let runs: Vec<(String, Vec<EpochRecord>)> = st
            .trial_ids
            .iter()
            .zip(&st.values)
            .filter_map(|(id, v)| {
                s.log
                    .curve(*id)
                    .map(|c| (format!("{} = {v}", st.varied), c.to_vec()))
            })
            .collect();
        out.push_str(&chart_html(&overlay_chart(&runs, "val_loss", true)));
    }
    out.push_str(&log_html(&s.log));
    out
}

/// One row per step: what it varied, what won and why (a skipped step in amber).
fn steps_table(s: &StudyResult) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = s
        .steps
        .iter()
        .map(|st| {
            (
                if st.skipped.is_some() {
                    Some("medium")
                } else {
                    None
                },
                vec![
                    Cell::Text(st.name.clone()),
                    Cell::Text(st.varied.clone()),
                    Cell::Text(st.values.join(", ")),
                    Cell::Text(st.winner.clone()),
                    Cell::Text(st.why.clone()),
                    Cell::Text(if st.seeds > 0 {
                        st.seeds.to_string()
                    } else {
                        String::new()
                    }),
                    Cell::Text(st.warnings.join("; ")),
                ],
            )
        })
        .collect();
    table(
        "Steps",
        &[
            "step",
            "varied",
            "values tried",
            "winner",
            "why and decision",
            "seeds",
            "warnings",
        ],
        &rows,
    )
}
