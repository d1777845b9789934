//! A diagnosis as HTML: one row per finding, coloured by severity.

use super::evcxr::rich_display;
use super::html::{Cell, severity_label, table};
use crate::diagnose::Diagnosis;

rich_display!(Diagnosis, "diagnosis", diagnosis_html, |_: &Diagnosis| None);

/// The findings table (also part of the study report).
pub(super) fn diagnosis_html(d: &Diagnosis) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = d
        .findings
        .iter()
        .map(|f| {
            let sev = f.severity.name();
            (
                Some(sev),
                vec![
                    Cell::Text(f.pattern.name().to_string()),
                    Cell::Html(severity_label(sev)),
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

#[cfg(test)]
mod tests {
    use crate::diagnose::{Diagnosis, Finding, Pattern, Severity};

    #[test]
    fn diagnosis_html_colours_by_severity_and_escapes_text() {
        let d = Diagnosis::new(vec![
            Finding::new(Pattern::Healthy, Severity::Low, "fine <ok>", "keep"),
            Finding::new(
                Pattern::Exploding,
                Severity::High,
                "loss NaN at step 3",
                "cut the LR 10x",
            ),
        ]);
        let styled = d.to_html();
        // The colours are inline styles, which JupyterLab keeps in an untrusted notebook.
        assert!(styled.contains("<tr class=\"high\" style=\"background-color:#fdecea\">"));
        assert!(styled.contains("style=\"color:#b71c1c;font-weight:600\">high</span>"));
        let html = crate::display::html::without_styles(&styled);
        assert!(html.contains("<tr class=\"high\">") && html.contains("<tr class=\"low\">"));
        assert!(html.find("exploding").unwrap() < html.find("healthy").unwrap());
        assert!(html.contains("fine &lt;ok&gt;"));
    }
}
