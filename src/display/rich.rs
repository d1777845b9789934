//! `to_html()` and `evcxr_display()` for every result type.

use super::chart::{chart_html, plotly_script_once};
use super::html::{Cell, escape, fragment, json_table, table};
use super::plots::{loss_chart, lr_finder_chart, overlay_chart, sweep_chart};
use crate::diagnose::Diagnosis;
use crate::log::{Comparison, ExperimentLog, RunRecord};
use crate::lr_finder::LrFinderResult;
use crate::study::StudyResult;
use crate::study::{ConfigComparison, SeedSummary};
use crate::train::{EpochRecord, Run};
use plotly::Plot;

/// Prints one block per MIME type in evcxr's convention: the plotly figure (when there is
/// one), HTML (with plotly.js the first time in this kernel), and plain text.
pub fn emit(plot: Option<&Plot>, html: &str, text: &str) {
    let script = if plot.is_some() || html.contains("tunelab-chart") {
        plotly_script_once()
    } else {
        String::new()
    };
    println!("{}", evcxr_blocks(plot, html, text, &script));
}

/// The text `emit` prints: `EVCXR_BEGIN_CONTENT <mime>` ... `EVCXR_END_CONTENT` blocks for
/// the plotly JSON (if any), the HTML (after `script`) and the plain text.
pub fn evcxr_blocks(plot: Option<&Plot>, html: &str, text: &str, script: &str) -> String {
    let mut out = String::new();
    if let Some(p) = plot {
        out.push_str(&format!(
            "EVCXR_BEGIN_CONTENT application/vnd.plotly.v1+json\n{}\nEVCXR_END_CONTENT\n",
            p.to_json()
        ));
    }
    out.push_str(&format!(
        "EVCXR_BEGIN_CONTENT text/html\n{script}{html}\nEVCXR_END_CONTENT\n"
    ));
    out.push_str(&format!(
        "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT"
    ));
    out
}

macro_rules! rich {
    ($ty:ty, $what:literal, $html:path, $plot:expr) => {
        impl $ty {
            #[doc = concat!("The ", $what, " as an HTML fragment (charts need plotly.js on the page).")]
            pub fn to_html(&self) -> String {
                fragment(&$html(self))
            }

            #[doc = concat!("Shows the ", $what, " in a Jupyter notebook (evcxr kernel).")]
            pub fn evcxr_display(&self) {
                let plot: Option<Plot> = $plot(self);
                emit(plot.as_ref(), &self.to_html(), &self.to_string());
            }
        }
    };
}

rich!(Run, "run (loss curves and summary)", run_html, |r: &Run| {
    Some(loss_chart(r, false))
});
rich!(
    LrFinderResult,
    "LR range test",
    lr_finder_html,
    |r: &LrFinderResult| Some(lr_finder_chart(r))
);
rich!(Diagnosis, "diagnosis", diagnosis_html, |_: &Diagnosis| None);
rich!(
    ExperimentLog,
    "experiment log",
    log_html,
    |l: &ExperimentLog| log_chart(l)
);
rich!(
    Comparison,
    "comparison of runs",
    comparison_html,
    |_: &Comparison| None
);
rich!(
    SeedSummary,
    "seed repeats",
    seeds_html,
    |s: &SeedSummary| Some(seeds_chart(s))
);
rich!(
    ConfigComparison,
    "comparison of two configurations",
    config_comparison_html,
    |_: &ConfigComparison| None
);
rich!(
    StudyResult,
    "tuning study",
    study_html,
    |s: &StudyResult| Some(loss_chart(&s.best_run, false))
);

fn num(v: f64) -> Cell {
    Cell::Num(v, 4)
}

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
                num(fin.map_or(f64::NAN, |f| f.train_loss)),
            ],
        ),
        (
            None,
            vec![
                Cell::from("final val loss"),
                num(fin.map_or(f64::NAN, |f| f.val_loss)),
            ],
        ),
        (
            None,
            vec![
                Cell::from("final val accuracy"),
                num(fin.map_or(f64::NAN, |f| f.val_accuracy)),
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

fn epochs_table(epochs: &[EpochRecord]) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = epochs
        .iter()
        .map(|e| {
            (
                None,
                vec![
                    Cell::Num(e.epoch as f64, 0),
                    num(e.train_loss),
                    num(e.val_loss),
                    num(e.train_acc),
                    num(e.val_acc),
                    Cell::Num(e.lr, 6),
                ],
            )
        })
        .collect();
    table(
        "",
        &[
            "epoch",
            "train_loss",
            "val_loss",
            "train_acc",
            "val_acc",
            "lr",
        ],
        &rows,
    )
}

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
            "<p class=\"warn\"><b>Uncertain</b> — {}</p>",
            escape(&r.recommendation.reason)
        ),
    };
    out.push_str(&rec);
    out.push_str(&format!(
        "<p class=\"muted\">{} learning rates, {:.2} s{}; model and optimizer state untouched.</p>",
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

fn diagnosis_html(d: &Diagnosis) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = d
        .findings
        .iter()
        .map(|f| {
            let sev = f.severity.name();
            (
                Some(sev),
                vec![
                    Cell::Text(f.pattern.name().to_string()),
                    Cell::Html(format!("<span class=\"sev-{sev}\">{sev}</span>")),
                    Cell::Text(f.evidence.clone()),
                    Cell::Text(f.action.clone()),
                ],
            )
        })
        .collect();
    table(
        "Diagnosis",
        &["pattern", "severity", "evidence", "action"],
        &rows,
    )
}

fn record_rows(rows: &[RunRecord]) -> Vec<(Option<&'static str>, Vec<Cell>)> {
    rows.iter()
        .map(|r| {
            (
                if r.outcome == "diverged" {
                    Some("high")
                } else if !r.warnings.is_empty() {
                    Some("medium")
                } else {
                    None
                },
                vec![
                    Cell::Num(r.run_id as f64, 0),
                    Cell::Text(r.parent_id.map_or("-".into(), |p| p.to_string())),
                    Cell::Text(r.step.clone()),
                    Cell::Text(r.optimizer.clone()),
                    Cell::Num(r.lr, 6),
                    Cell::Num(r.batch_size as f64, 0),
                    Cell::Text(r.hidden.clone()),
                    Cell::Num(r.dropout, 2),
                    Cell::Num(r.weight_decay, 6),
                    Cell::Num(r.epochs as f64, 0),
                    Cell::Text(r.schedule.clone()),
                    Cell::Text(r.outcome.clone()),
                    num(r.val_loss),
                    num(r.val_accuracy),
                    Cell::Text(r.changed.clone()),
                    Cell::Text(r.notes.clone()),
                    Cell::Text(r.warnings.clone()),
                ],
            )
        })
        .collect()
}

const RECORD_HEADERS: &[&str] = &[
    "id",
    "parent",
    "step",
    "optimizer",
    "lr",
    "batch",
    "hidden",
    "dropout",
    "wd",
    "epochs",
    "schedule",
    "outcome",
    "val_loss",
    "val_acc",
    "changed",
    "notes",
    "warnings",
];

fn log_chart(log: &ExperimentLog) -> Option<Plot> {
    if log.is_empty() || log.len() > 40 {
        return None;
    }
    let runs: Vec<(String, Vec<EpochRecord>)> = log
        .rows()
        .iter()
        .filter_map(|r| {
            log.curve(r.run_id)
                .map(|c| (format!("run {} ({})", r.run_id, r.step), c.to_vec()))
        })
        .collect();
    Some(overlay_chart(&runs, "val_loss", true))
}

fn log_html(log: &ExperimentLog) -> String {
    let mut out = String::new();
    if let Some(p) = log_chart(log) {
        out.push_str(&chart_html(&p));
    }
    out.push_str(&table(
        &format!("Experiment log: {} runs", log.len()),
        RECORD_HEADERS,
        &record_rows(log.rows()),
    ));
    out
}

fn comparison_html(c: &Comparison) -> String {
    let mut out = table("Comparison", RECORD_HEADERS, &record_rows(&c.rows));
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

fn seeds_chart(s: &SeedSummary) -> Plot {
    let runs: Vec<(String, Vec<EpochRecord>)> = s
        .runs
        .iter()
        .zip(&s.seeds)
        .map(|(r, seed)| (format!("seed {seed}"), r.epochs.clone()))
        .collect();
    overlay_chart(&runs, "val_loss", false)
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
                num(c.difference),
                num(c.half_width),
                Cell::Text(c.verdict.clone()),
            ],
        )],
    )
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
                    Cell::Text(st.warnings.join("; ")),
                ],
            )
        })
        .collect();
    out.push_str(&table(
        "Steps",
        &[
            "step",
            "varied",
            "values tried",
            "winner",
            "why",
            "warnings",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "<p><b>Best config</b> (run {}): {}</p>",
        s.best_run_id,
        escape(&s.best_config.to_string())
    ));
    out.push_str(&chart_html(&loss_chart(&s.best_run, false)));
    out.push_str(&diagnosis_html(&s.diagnosis));
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

/// The study as a standalone HTML page (plotly.js inlined once; works offline).
pub fn study_report(s: &StudyResult) -> String {
    super::html::page(&format!("tunelab study: {}", s.dataset), &study_html(s))
}

/// Any serialisable value as an HTML key/value table (used for the advice tables).
pub fn value_html<T: serde::Serialize>(caption: &str, value: &T) -> String {
    let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    fragment(&json_table(caption, &json))
}

macro_rules! rich_table {
    ($($ty:ty => $caption:literal),* $(,)?) => {
        $(
            impl $ty {
                #[doc = concat!("The ", $caption, " as an HTML table.")]
                pub fn to_html(&self) -> String {
                    value_html($caption, self)
                }

                #[doc = concat!("Shows the ", $caption, " in a Jupyter notebook (evcxr kernel).")]
                pub fn evcxr_display(&self) {
                    emit(None, &self.to_html(), &self.to_string());
                }
            }
        )*
    };
}

rich_table!(
    crate::advise::BatchAdvice => "batch size advice",
    crate::advise::LrScaling => "learning rate for a new batch size",
    crate::advise::MemoryEstimate => "memory estimate",
    crate::advise::AccumulationPlan => "gradient accumulation plan",
    crate::advise::RegularizationAdvice => "regularisation advice",
    crate::train::NoiseScale => "gradient noise scale",
    crate::train::SanityCheck => "sanity check",
    crate::advise::Architecture => "architecture",
);

impl std::fmt::Display for crate::diagnose::History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:>5} {:>10} {:>10}", "epoch", "train_loss", "val_loss")?;
        for (i, t) in self.train_loss.iter().enumerate() {
            let v = self.val_loss.get(i).copied().unwrap_or(f64::NAN);
            writeln!(f, "{:>5} {t:>10.4} {v:>10.4}", i + 1)?;
        }
        Ok(())
    }
}

fn history_html(h: &crate::diagnose::History) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = h
        .train_loss
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let v = h.val_loss.get(i).copied().unwrap_or(f64::NAN);
            (None, vec![Cell::Num((i + 1) as f64, 0), num(*t), num(v)])
        })
        .collect();
    table("History", &["epoch", "train_loss", "val_loss"], &rows)
}

fn history_chart(h: &crate::diagnose::History) -> Option<Plot> {
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

rich!(
    crate::diagnose::History,
    "history",
    history_html,
    history_chart
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnosis_html_colours_by_severity_and_escapes_text() {
        use crate::diagnose::{Finding, Pattern, Severity};
        let d = Diagnosis::new(vec![
            Finding::new(Pattern::Healthy, Severity::Low, "fine <ok>", "keep"),
            Finding::new(
                Pattern::Exploding,
                Severity::High,
                "loss NaN at step 3",
                "cut the LR 10x",
            ),
        ]);
        let html = d.to_html();
        assert!(html.contains("<tr class=\"high\">") && html.contains("<tr class=\"low\">"));
        assert!(html.find("exploding").unwrap() < html.find("healthy").unwrap());
        assert!(html.contains("fine &lt;ok&gt;"));
    }

    #[test]
    fn log_html_escapes_user_notes() {
        let splits = crate::data::iris()
            .unwrap()
            .split(&crate::data::SplitConfig::default())
            .unwrap();
        let run = crate::train::train(
            &splits,
            &crate::train::TrainConfig::default()
                .with_epochs(2)
                .with_batch_size(16),
        )
        .unwrap();
        let mut log = ExperimentLog::new().quiet();
        log.add_entry(crate::log::Entry::new(&run).notes("<script>alert(1)</script> & co"))
            .unwrap();
        let html = log.to_html();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("tunelab-chart"));
        let run_html = run.to_html();
        assert!(run_html.contains("train loss") && run_html.contains("val loss"));
    }

    #[test]
    fn emitted_blocks_follow_evcxr_convention() {
        let advice = crate::advise::batch_size_for(1000).unwrap();
        let html = advice.to_html();
        assert!(html.starts_with("<div class=\"tunelab\">"));
        assert!(html.contains("<table>"));
        let plot = crate::display::overlay_chart(&[], "val_loss", false);
        let blocks = evcxr_blocks(Some(&plot), &html, "plain", "<script>lib</script>");
        let mimes: Vec<&str> = blocks
            .lines()
            .filter_map(|l| l.strip_prefix("EVCXR_BEGIN_CONTENT "))
            .collect();
        assert_eq!(
            mimes,
            ["application/vnd.plotly.v1+json", "text/html", "text/plain"]
        );
        assert_eq!(blocks.matches("EVCXR_END_CONTENT").count(), 3);
        assert!(blocks.contains("text/html\n<script>lib</script><div class=\"tunelab\">"));
        let no_plot = evcxr_blocks(None, "<p>x</p>", "x", "");
        assert!(!no_plot.contains("plotly"));
    }
}
