//! A prediction check as HTML: the question, whether the prediction held, and why.

use super::evcxr::rich_display;
use super::html::escape;
use crate::lesson::PredictionCheck;

fn check_html(c: &PredictionCheck) -> String {
    let (color, head) = match (&c.problem, c.held) {
        (Some(p), _) => (
            "#8a5300",
            format!("Your prediction could not be read: {}", escape(p)),
        ),
        (None, true) => (
            "#1e6b24",
            format!("Your prediction held: {}", escape(&c.predicted)),
        ),
        (None, false) => (
            "#b71c1c",
            format!(
                "Your prediction was {}; the run showed {}",
                escape(&c.predicted),
                escape(&c.actual)
            ),
        ),
    };
    format!(
        "<div style=\"border-left:4px solid {color};padding:4px 10px;margin:6px 0\">\
<div style=\"font-weight:600\">{}</div><div style=\"color:{color};font-weight:600\">{head}</div>\
<div>{}</div></div>",
        escape(&c.question),
        escape(&c.why)
    )
}

rich_display!(
    PredictionCheck,
    "prediction check",
    check_html,
    |_: &PredictionCheck| None
);
