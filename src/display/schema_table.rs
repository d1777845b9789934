//! HTML tables whose columns, headers and number formats come from the experiment log's
//! schema (the columns it marks for HTML, in file order).

use super::html::{Cell, table};
use crate::log::schema::{Html, Table, Value};

/// A table of `rows` (each with an optional CSS class) showing the columns that `schema`
/// marks for HTML.
pub(crate) fn schema_table<R>(
    caption: &str,
    schema: &Table<R>,
    rows: &[(Option<&str>, &R)],
) -> String {
    let shown: Vec<_> = schema
        .columns
        .iter()
        .filter_map(|c| match c.html {
            Html::Hidden => None,
            Html::Text(label) => Some((c, label, Format::Text)),
            Html::Number(label, decimals) => Some((c, label, Format::Fixed(decimals))),
            Html::Short(label) => Some((c, label, Format::Short)),
        })
        .collect();
    let headers: Vec<&str> = shown.iter().map(|(_, label, _)| *label).collect();
    let cells: Vec<(Option<&str>, Vec<Cell>)> = rows
        .iter()
        .map(|(class, row)| {
            let cells = shown
                .iter()
                .map(|(c, _, format)| cell(c.value(row), *format))
                .collect();
            (*class, cells)
        })
        .collect();
    table(caption, &headers, &cells)
}

/// How a column's values are written.
#[derive(Clone, Copy)]
enum Format {
    /// Text (numbers as people write them; a missing integer is `-`).
    Text,
    /// A right-aligned number with this many decimals.
    Fixed(usize),
    /// A right-aligned number as people write it.
    Short,
}

fn cell(value: Value<'_>, format: Format) -> Cell {
    let number = |v: f64| match format {
        Format::Fixed(d) => Cell::Num(v, d),
        Format::Short => Cell::Short(v),
        Format::Text => Cell::Text(crate::fmt::short(v)),
    };
    match value {
        Value::Int(v) => match format {
            Format::Text => Cell::Text(v.to_string()),
            _ => number(v as f64),
        },
        Value::MaybeInt(v) => match (v, format) {
            (None, Format::Text) => Cell::Text("-".into()),
            (Some(v), Format::Text) => Cell::Text(v.to_string()),
            (v, _) => number(v.map_or(f64::NAN, |v| v as f64)),
        },
        Value::Float(v) => number(v),
        Value::Text(t) => Cell::Text(t.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::RunRecord;
    use crate::log::schema::RUNS;

    #[test]
    fn run_tables_show_the_marked_columns_with_their_headers_and_formats() {
        let row = RunRecord {
            run_id: 3,
            parent_id: None,
            lr: 0.003,
            dropout: 0.25,
            val_accuracy: 0.91234,
            notes: "<b>".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            ..RunRecord::default()
        };
        let html = crate::display::html::without_styles(&schema_table(
            "runs",
            &RUNS,
            &[(Some("high"), &row)],
        ));
        let headers: Vec<&str> = html
            .split("<th>")
            .skip(1)
            .filter_map(|h| h.split("</th>").next())
            .collect();
        assert_eq!(
            headers,
            [
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
                "notes",
                "changed",
                "warnings"
            ]
        );
        assert!(html.contains("<tr class=\"high\"><td class=\"num\">3</td><td>-</td>"));
        assert!(html.contains("<td class=\"num\">3e-3</td>"));
        assert!(html.contains("<td class=\"num\">0.25</td>"));
        assert!(html.contains("<td class=\"num\">0.9123</td>"));
        assert!(html.contains("<td>&lt;b&gt;</td>"));
        assert!(!html.contains("2026-01-01"), "the timestamp is not shown");
    }
}
