//! Seed repeats as HTML: the runs' validation curves overlaid and the 95% intervals, and the
//! comparison of two configurations over seeds.

use super::chart::chart_html;
use super::evcxr::rich_display;
use super::html::{Cell, table};
use super::plots::overlay_chart;
use crate::study::{ChangeTrial, ConfigComparison, SeedSummary};
use crate::train::EpochRecord;
use plotly::Plot;

rich_display!(
    SeedSummary,
    "seed repeats",
    seeds_html,
    |s: &SeedSummary| Some(seeds_chart(s))
);
rich_display!(
    ConfigComparison,
    "comparison of two configurations",
    config_comparison_html,
    |_: &ConfigComparison| None
);

rich_display!(
    ChangeTrial,
    "change tried over seeds",
    change_html,
    |c: &ChangeTrial| Some(change_chart(c))
);

fn change_chart(c: &ChangeTrial) -> Plot {
    let mut runs: Vec<(String, Vec<EpochRecord>)> = Vec::new();
    for (who, s) in [("current", &c.current), ("candidate", &c.candidate)] {
        for (r, seed) in s.runs.iter().zip(&s.seeds) {
            runs.push((format!("{who}, seed {seed}"), r.epochs.clone()));
        }
    }
    overlay_chart(&runs, "val_loss", true)
}

fn change_html(c: &ChangeTrial) -> String {
    let (now, new) = c.losses();
    let row = |who: &str, s: &SeedSummary, v: &[f64]| {
        let mut cells = vec![Cell::from(who), Cell::Text(s.config.to_string())];
        cells.extend(v.iter().map(|x| Cell::Num(*x, 4)));
        (None, cells)
    };
    let mut headers = vec!["".to_string(), "config".to_string()];
    headers.extend(c.current.seeds.iter().map(|s| format!("seed {s}")));
    let headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut out = chart_html(&change_chart(c));
    out.push_str(&table(
        "Final validation loss per seed",
        &headers,
        &[
            row("current", &c.current, &now),
            row("candidate", &c.candidate, &new),
        ],
    ));
    let text = c.to_string();
    let last = text.lines().last().unwrap_or_default();
    out.push_str(&format!(
        "<p style=\"font-weight:600;color:{}\">{}</p>",
        if c.adopts() { "#1e6b24" } else { "#8a5300" },
        super::html::escape(last)
    ));
    out
}

fn seeds_chart(s: &SeedSummary) -> Plot {
    let runs: Vec<(String, Vec<EpochRecord>)> = s
        .runs
        .iter()
        .zip(&s.seeds)
        .map(|(r, seed)| (format!("seed {seed}"), r.epochs.clone()))
        .collect();
    overlay_chart(&runs, "val_loss", true)
}

fn seeds_html(s: &SeedSummary) -> String {
    let mut out = chart_html(&seeds_chart(s));
    let rows = vec![
        (
            None,
            vec![Cell::from("config"), Cell::Text(s.config.to_string())],
        ),
        (
            None,
            vec![Cell::from("seeds"), Cell::Text(format!("{:?}", s.seeds))],
        ),
        (
            None,
            vec![
                Cell::from("val accuracy"),
                Cell::Text(s.val_accuracy.to_string()),
            ],
        ),
        (
            None,
            vec![Cell::from("val loss"), Cell::Text(s.val_loss.to_string())],
        ),
    ];
    out.push_str(&table(
        "Seed repeats (95% t-intervals)",
        &["", "value"],
        &rows,
    ));
    out
}

fn config_comparison_html(c: &ConfigComparison) -> String {
    let class = match c.a_better {
        Some(_) => "low",
        None => "medium",
    };
    table(
        "A vs B over seeds",
        &["difference (A - B)", "95% half-width", "verdict"],
        &[(
            Some(class),
            vec![
                Cell::Num(c.difference, 4),
                Cell::Num(c.half_width, 4),
                Cell::Text(c.verdict.clone()),
            ],
        )],
    )
}
