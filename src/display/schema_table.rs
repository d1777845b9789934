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
            Html::Text(label) => Some((c, label, None)),
            Html::Number(label, decimals) => Some((c, label, Some(decimals))),
        })
        .collect();
    let headers: Vec<&str> = shown.iter().map(|(_, label, _)| *label).collect();
    let cells: Vec<(Option<&str>, Vec<Cell>)> = rows
        .iter()
        .map(|(class, row)| {
            let cells = shown
                .iter()
                .map(|(c, _, decimals)| cell(c.value(row), *decimals))
                .collect();
            (*class, cells)
        })
        .collect();
    table(caption, &headers, &cells)
}

/// A number with `decimals` decimals when given, else text (a missing integer is `-`).
fn cell(value: Value<'_>, decimals: Option<usize>) -> Cell {
    match (value, decimals) {
        (Value::Int(v), Some(d)) => Cell::Num(v as f64, d),
        (Value::MaybeInt(v), Some(d)) => Cell::Num(v.map_or(f64::NAN, |v| v as f64), d),
        (Value::Float(v), Some(d)) => Cell::Num(v, d),
        (Value::Int(v), None) => Cell::Text(v.to_string()),
        (Value::MaybeInt(v), None) => Cell::Text(v.map_or("-".into(), |v| v.to_string())),
        (Value::Float(v), None) => Cell::Text(crate::fmt::short(v)),
        (Value::Text(t), _) => Cell::Text(t.to_string()),
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
        assert!(html.contains("<td class=\"num\">0.003000</td>"));
        assert!(html.contains("<td class=\"num\">0.25</td>"));
        assert!(html.contains("<td class=\"num\">0.9123</td>"));
        assert!(html.contains("<td>&lt;b&gt;</td>"));
        assert!(!html.contains("2026-01-01"), "the timestamp is not shown");
    }
}
