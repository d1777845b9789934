//! Reading the runs table back from its CSV export (`experiments.csv`), column by column as
//! the schema lists them, with errors that name the line and the column.

use super::schema::{Field, Table};
use crate::csv_table;
use crate::error::{Error, QUOTE_MAX, Result, cut};

impl<R> Table<R> {
    /// Rebuilds the rows from CSV text with this table's columns (found by name, in any
    /// order): integers and floats must be numbers in every row (`NaN` and `inf` are numbers),
    /// an optional integer may be empty, text is taken as it is.
    pub(crate) fn rows_from_csv(&self, text: &str, source: &str) -> Result<Vec<R>> {
        let table = csv_table::Table::read(
            text,
            source,
            "the header of a tunelab experiment log",
            "run",
        )?;
        let mut rows: Vec<R> = table
            .line_numbers()
            .iter()
            .map(|_| (self.blank)())
            .collect();
        for c in self.columns {
            let Some(col) = table.headers().iter().position(|h| h == c.name) else {
                return Err(Error::data(
                    source,
                    format!(
                        "column '{}' is missing (the columns are: {}): this is not a tunelab experiment log, or it is from another version",
                        c.name,
                        table.columns_text()
                    ),
                ));
            };
            for (row, (line, cell)) in rows.iter_mut().zip(table.text_column(col)) {
                let bad = |what: &str| {
                    Error::data(
                        source,
                        format!(
                            "line {line}, column '{}': '{}' is not {what} (this is not a tunelab experiment log, or it was edited)",
                            c.name,
                            cut(cell, QUOTE_MAX)
                        ),
                    )
                };
                match &c.field {
                    Field::Int(_, set) => {
                        set(row, cell.parse().map_err(|_| bad("a whole number"))?)
                    }
                    Field::MaybeInt(_, set) => {
                        let value = if cell.is_empty() {
                            None
                        } else {
                            Some(cell.parse().map_err(|_| bad("a whole number or empty"))?)
                        };
                        set(row, value)
                    }
                    // Logs written before seeds were stored as u64 hold the same 64 bits as i64.
                    Field::UInt(_, set) => set(
                        row,
                        cell.parse::<u64>()
                            .or_else(|_| cell.parse::<i64>().map(|v| v as u64))
                            .map_err(|_| bad("a whole number >= 0"))?,
                    ),
                    Field::Float(_, set) => set(row, cell.parse().map_err(|_| bad("a number"))?),
                    Field::Text(_, set) => set(row, cell.to_string()),
                }
            }
        }
        Ok(rows)
    }
}
