//! Small HTML building blocks: escaping, tables, severity colours, the page shell.

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The style shared by every tunelab output (scoped by the `tunelab` class).
const STYLE: &str = "<style>\
.tunelab{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:13px;color:#222}\
.tunelab table{border-collapse:collapse;margin:6px 0}\
.tunelab th,.tunelab td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}\
.tunelab th{background:#f4f6f8}\
.tunelab td.num{text-align:right;font-variant-numeric:tabular-nums}\
.tunelab tr.high td{background:#fdecea}.tunelab tr.medium td{background:#fff4e5}.tunelab tr.low td{background:#edf7ed}\
.tunelab .sev-high{color:#b71c1c;font-weight:600}.tunelab .sev-medium{color:#8a5300;font-weight:600}.tunelab .sev-low{color:#1e6b24;font-weight:600}\
.tunelab .warn{color:#8a5300}.tunelab caption{text-align:left;font-weight:600;padding:4px 0}\
.tunelab h3{margin:10px 0 4px 0;font-size:15px}.tunelab .muted{color:#666}\
</style>";

/// Inline styles: JupyterLab drops `<style>` elements from the output of an untrusted
/// notebook (every downloaded one) but keeps `style` attributes, and its own stylesheet
/// right-aligns table cells; so the look that matters (borders, alignment, severity colours)
/// is carried on each element.
const TEXT_CELL: &str = "border:1px solid #ddd;padding:3px 8px;vertical-align:top;text-align:left";
const NUM_CELL: &str =
    "border:1px solid #ddd;padding:3px 8px;vertical-align:top;text-align:right;white-space:nowrap";
const HEAD_CELL: &str = "border:1px solid #ddd;padding:3px 8px;vertical-align:top;text-align:left;background-color:#f4f6f8;font-weight:600";
const TABLE_STYLE: &str = "border-collapse:collapse;margin:6px 0";
const CAPTION_STYLE: &str = "text-align:left;font-weight:600;padding:4px 0";

/// The background of a table row of the given severity class (`high`, `medium`, `low`).
fn row_background(class: &str) -> Option<&'static str> {
    match class {
        "high" => Some("#fdecea"),
        "medium" => Some("#fff4e5"),
        "low" => Some("#edf7ed"),
        _ => None,
    }
}

/// The text colour of a severity (`high`, `medium`, `low`), for labels and warnings.
pub(crate) fn severity_color(severity: &str) -> &'static str {
    match severity {
        "high" => "#b71c1c",
        "medium" => "#8a5300",
        _ => "#1e6b24",
    }
}

/// A severity label, coloured inline (it survives JupyterLab's sanitizer).
pub(crate) fn severity_label(severity: &str) -> String {
    format!(
        "<span class=\"sev-{0}\" style=\"color:{1};font-weight:600\">{0}</span>",
        escape(severity),
        severity_color(severity)
    )
}

/// `html` without its inline `style="..."` attributes (tests compare structure).
#[cfg(test)]
pub(crate) fn without_styles(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(" style=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " style=\"".len()..];
        rest = after.find('"').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// Wraps a fragment in the tunelab container with its style.
pub(crate) fn fragment(body: &str) -> String {
    format!("<div class=\"tunelab\">{STYLE}{body}</div>")
}

/// A table cell: text (escaped) or a number (right-aligned).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text, escaped when rendered.
    Text(String),
    /// A number with a fixed count of decimals (`nan`/`inf` shown as such).
    Num(f64, usize),
    /// A number as people write it (`3e-3`, `0`, `0.25`), right-aligned.
    Short(f64),
    /// HTML already built by tunelab (never user text).
    Html(String),
}

impl Cell {
    fn render(&self) -> String {
        match self {
            Cell::Text(t) => format!("<td style=\"{TEXT_CELL}\">{}</td>", escape(t)),
            Cell::Num(v, d) => format!(
                "<td class=\"num\" style=\"{NUM_CELL}\">{}</td>",
                crate::fmt::fixed(*v, *d)
            ),
            Cell::Short(v) => format!(
                "<td class=\"num\" style=\"{NUM_CELL}\">{}</td>",
                crate::fmt::short(*v)
            ),
            Cell::Html(h) => format!("<td style=\"{TEXT_CELL}\">{h}</td>"),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

/// An HTML table with a caption, headers and rows (each row may carry a CSS class).
pub(crate) fn table(caption: &str, headers: &[&str], rows: &[(Option<&str>, Vec<Cell>)]) -> String {
    // A wide table scrolls sideways instead of being cut at the edge of the output.
    let mut out = format!("<div style=\"overflow-x:auto\"><table style=\"{TABLE_STYLE}\">");
    if !caption.is_empty() {
        out.push_str(&format!(
            "<caption style=\"{CAPTION_STYLE}\">{}</caption>",
            escape(caption)
        ));
    }
    out.push_str("<thead><tr>");
    for h in headers {
        out.push_str(&format!("<th style=\"{HEAD_CELL}\">{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for (class, cells) in rows {
        match class {
            Some(c) => match row_background(c) {
                Some(bg) => out.push_str(&format!(
                    "<tr class=\"{}\" style=\"background-color:{bg}\">",
                    escape(c)
                )),
                None => out.push_str(&format!("<tr class=\"{}\">", escape(c))),
            },
            None => out.push_str("<tr>"),
        }
        for c in cells {
            out.push_str(&c.render());
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// A two-column key/value table from a JSON object (nested values shown as JSON text).
pub(crate) fn json_table(caption: &str, value: &serde_json::Value) -> String {
    let rows: Vec<(Option<&str>, Vec<Cell>)> = match value {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| (None, vec![Cell::Text(k.clone()), json_cell(v)]))
            .collect(),
        other => vec![(None, vec![Cell::Text("value".into()), json_cell(other)])],
    };
    table(caption, &["", "value"], &rows)
}

fn json_cell(v: &serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Number(n) => Cell::Num(n.as_f64().unwrap_or(f64::NAN), 4),
        serde_json::Value::String(s) => Cell::Text(s.clone()),
        serde_json::Value::Null => Cell::Text("-".into()),
        serde_json::Value::Array(items)
            if items.iter().all(|i| !i.is_object() && !i.is_array()) =>
        {
            Cell::Text(
                items
                    .iter()
                    .map(|i| match i {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_object()) => {
            let mut headers: Vec<String> = Vec::new();
            for i in items {
                if let serde_json::Value::Object(m) = i {
                    for k in m.keys() {
                        if !headers.contains(k) {
                            headers.push(k.clone());
                        }
                    }
                }
            }
            let rows: Vec<(Option<&str>, Vec<Cell>)> = items
                .iter()
                .map(|i| {
                    (
                        None,
                        headers
                            .iter()
                            .map(|h| json_cell(i.get(h).unwrap_or(&serde_json::Value::Null)))
                            .collect(),
                    )
                })
                .collect();
            let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
            Cell::Html(table("", &refs, &rows))
        }
        other => Cell::Text(other.to_string()),
    }
}

/// A whole standalone page: plotly.js inlined once in the head, nothing fetched from the
/// network.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n{}\n{STYLE}</head>\n<body class=\"tunelab\" style=\"max-width:1100px;margin:20px auto\">\n{body}\n</body></html>\n",
        escape(title),
        super::chart::plotly_script()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            escape("<b>\"a\" & 'b'</b>"),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn tables_escape_text_cells_and_format_numbers() {
        let t = table(
            "runs <1>",
            &["name", "x"],
            &[(
                Some("high"),
                vec![Cell::from("<script>"), Cell::Num(0.12345, 3)],
            )],
        );
        // Alignment and severity colours are inline, where JupyterLab's sanitizer keeps them.
        assert!(t.contains(&format!(
            "<td class=\"num\" style=\"{NUM_CELL}\">0.123</td>"
        )));
        assert!(t.contains("<tr class=\"high\" style=\"background-color:#fdecea\">"));
        assert!(t.contains(&format!("<td style=\"{TEXT_CELL}\">&lt;script&gt;</td>")));
        let t = without_styles(&t);
        assert!(t.contains("<caption>runs &lt;1&gt;</caption>"));
        assert!(t.contains("<td>&lt;script&gt;</td>"));
        assert!(!t.contains("<script>"));
        assert!(t.contains("<td class=\"num\">0.123</td>"));
        assert!(t.contains("<tr class=\"high\">"));
    }

    #[test]
    fn json_tables_escape_keys_and_values() {
        let v = serde_json::json!({"note": "<img src=x>", "n": 3, "list": [1, 2]});
        let t = json_table("advice", &v);
        assert!(t.contains("&lt;img src=x&gt;"));
        assert!(t.contains("1, 2"));
    }
}
