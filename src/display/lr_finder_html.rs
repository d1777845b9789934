//! The LR range test as HTML: its chart, the suggestions and the recommendation.

use super::chart::chart_html;
use super::evcxr::rich_display;
use super::html::{Cell, escape, table};
use super::plots::lr_finder_chart;
use crate::lr_finder::LrFinderResult;

rich_display!(
    LrFinderResult,
    "LR range test",
    lr_finder_html,
    |r: &LrFinderResult| Some(lr_finder_chart(r))
);

fn lr_finder_html(r: &LrFinderResult) -> String {
    let mut out = chart_html(&lr_finder_chart(r));
    let rows: Vec<(Option<&str>, Vec<Cell>)> = r
        .suggestions
        .iter()
        .map(|s| {
            let spread = r
                .repeats
                .iter()
                .find(|x| x.name == s.name)
                .map_or("-".to_string(), |x| {
                    format!("{:.1e} to {:.1e} ({:.2} decades)", x.min, x.max, x.decades)
                });
            let recommended = r.recommendation.name == s.name && r.recommendation.lr.is_some();
            (
                recommended.then_some("low"),
                vec![
                    Cell::Text(s.name.clone()),
                    Cell::Num(s.lr, 6),
                    Cell::Text(s.reason.clone()),
                    Cell::Text(spread),
                ],
            )
        })
        .collect();
    out.push_str(&table(
        "Suggestions",
        &["suggestion", "lr", "how", "over seeds"],
        &rows,
    ));
    let rec = match r.recommendation.lr {
        Some(lr) => format!(
            "<p><b>Recommended: {lr:.2e}</b> — {}</p>",
            escape(&r.recommendation.reason)
        ),
        None => format!(
            "<p class=\"warn\" style=\"color:#8a5300\"><b>Uncertain</b> — {}</p>",
            escape(&r.recommendation.reason)
        ),
    };
    out.push_str(&rec);
    if let Some(c) = &r.check {
        let tied = c.tied.unwrap_or((usize::MAX, usize::MAX));
        let rows: Vec<(Option<&str>, Vec<Cell>)> = c
            .lrs
            .iter()
            .enumerate()
            .map(|(i, &lr)| {
                (
                    (tied.0..=tied.1).contains(&i).then_some("low"),
                    vec![
                        Cell::Num(lr, 6),
                        Cell::Num(c.mean_val_loss[i], 4),
                        Cell::Text(
                            c.val_loss[i]
                                .iter()
                                .map(|v| format!("{:.4}", crate::fmt::Num(*v)))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                )
            })
            .collect();
        out.push_str(&table(
            &format!(
                "Checked at the training budget: {} epochs, {} seeds per LR (near-best LRs highlighted)",
                c.epochs,
                c.seeds.len()
            ),
            &["lr", "mean best val loss", "per seed"],
            &rows,
        ));
    }
    out.push_str(&format!(
        "<p class=\"muted\" style=\"color:#666\">{} learning rates, {:.2} s{}; model and optimizer state untouched.</p>",
        r.lrs.len(),
        r.seconds,
        if r.stopped_early {
            ", stopped when the loss blew up"
        } else {
            ""
        }
    ));
    out
}
