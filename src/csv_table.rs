//! The one CSV reader of tunelab, for dataset files and history files alike: a header row,
//! columns found by name, every row checked for its number of cells, every cell checked
//! when it is read as a number, and errors that name the file, the line and the column.
//!
//! Written on the `csv` crate rather than polars' reader because every error must name the
//! line and the column of the bad cell. Histories are small and read whole into a [`Table`];
//! datasets are read row by row by the dataset loader, which shares the header and row-width
//! checks ([`read_headers`], [`check_width`]).

use crate::error::{Error, QUOTE_MAX, Result, cut};

/// A column's cells as `(line number, value)`, `None` for an empty cell.
pub(crate) type Cells = Vec<(u64, Option<f64>)>;

/// The header row of `reader`: refused when empty (`expected` says what should be there,
/// `row_name` what a row is) or when a name appears twice.
pub(crate) fn read_headers<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    source: &str,
    expected: &str,
    row_name: &str,
) -> Result<Vec<String>> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::data(source, format!("cannot read the header row: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(Error::data(
            source,
            format!("the file is empty: expected {expected}, then one row per {row_name}"),
        ));
    }
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(Error::data(
                source,
                format!(
                    "column '{}' appears twice in the header: keep one (rename or drop the other)",
                    cut(h, QUOTE_MAX)
                ),
            ));
        }
    }
    Ok(headers)
}

/// An error unless the row at `line` has one cell per column of the header.
pub(crate) fn check_width(
    record: &csv::StringRecord,
    columns: usize,
    line: u64,
    source: &str,
) -> Result<()> {
    if record.len() == columns {
        return Ok(());
    }
    Err(Error::data(
        source,
        format!(
            "line {line} has {} cells but the header has {columns} columns: every row needs one value per column",
            record.len(),
        ),
    ))
}

/// A CSV file read into strings, with each row's line number.
pub(crate) struct Table<'a> {
    source: &'a str,
    expected: String,
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl<'a> Table<'a> {
    pub(crate) fn read(
        text: &str,
        source: &'a str,
        expected: &str,
        row_name: &str,
    ) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = read_headers(&mut reader, source, expected, row_name)?;
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record
                .map_err(|e| Error::data(source, format!("row {} is unreadable: {e}", i + 1)))?;
            let line = record.position().map_or(i as u64 + 2, csv::Position::line);
            check_width(&record, headers.len(), line, source)?;
            rows.push((line, record));
        }
        if rows.is_empty() {
            return Err(Error::data(
                source,
                format!("the file has a header but no data rows: expected one row per {row_name}"),
            ));
        }
        Ok(Table {
            source,
            expected: expected.to_string(),
            headers,
            rows,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    pub(crate) fn require(&self, names: &[&str]) -> Result<()> {
        let missing: Vec<String> = names
            .iter()
            .filter(|n| self.column(n).is_none())
            .map(|n| format!("'{n}'"))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::data(
            self.source,
            format!(
                "missing column{} {} (the columns are: {}); expected {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                self.columns_text(),
                self.expected
            ),
        ))
    }

    /// The column names, in file order.
    pub(crate) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The column names as a comma-separated list, cut to a readable length for errors.
    pub(crate) fn columns_text(&self) -> String {
        cut(&self.headers.join(", "), QUOTE_MAX)
    }

    /// The line number of every row, in order.
    pub(crate) fn line_numbers(&self) -> Vec<u64> {
        self.rows.iter().map(|(line, _)| *line).collect()
    }

    /// The cells of column `col` as text, with their line numbers.
    pub(crate) fn text_column(&self, col: usize) -> Vec<(u64, &str)> {
        self.rows
            .iter()
            .map(|(line, record)| (*line, record.get(col).unwrap_or("")))
            .collect()
    }

    /// The cells of column `col` as numbers, `None` for an empty cell. A cell that is not a
    /// number is an error naming the line and `label` (like `column 'lr'`), then `hint`.
    pub(crate) fn parse_column(&self, col: usize, label: &str, hint: &str) -> Result<Cells> {
        let mut out = Vec::with_capacity(self.rows.len());
        for (line, record) in &self.rows {
            let cell = record.get(col).unwrap_or("");
            let value = if cell.is_empty() {
                None
            } else {
                Some(cell.parse::<f64>().map_err(|_| {
                    Error::data(
                        self.source,
                        format!(
                            "line {line}, {label}: '{}' is not a number{hint}",
                            cut(cell, QUOTE_MAX)
                        ),
                    )
                })?)
            };
            out.push((*line, value));
        }
        Ok(out)
    }

    /// The cells of a named column as numbers, `None` for empty cells; `None` if the column
    /// is absent.
    fn cells(&self, name: &str) -> Result<Option<Cells>> {
        let Some(col) = self.column(name) else {
            return Ok(None);
        };
        self.parse_column(
            col,
            &format!("column '{name}'"),
            " (write nan or inf for non-finite values)",
        )
        .map(Some)
    }

    /// The values of parsed cells; an empty cell is an error naming its line and `label`
    /// (like `column 'lr'`), followed by `why`.
    pub(crate) fn filled(&self, cells: Cells, label: &str, why: &str) -> Result<Vec<f64>> {
        cells
            .into_iter()
            .map(|(line, value)| {
                value.ok_or_else(|| {
                    Error::data(
                        self.source,
                        format!("line {line}, {label}: the cell is empty{why}"),
                    )
                })
            })
            .collect()
    }

    /// A column that must be present with a value in every row.
    pub(crate) fn required_numbers(&self, name: &str) -> Result<Vec<f64>> {
        let cells = self.cells(name)?.unwrap_or_default();
        self.filled(
            cells,
            &format!("column '{name}'"),
            "; every row needs a value (write nan if it was not a number)",
        )
    }

    /// A column that may be absent or entirely empty (`None`), or else full.
    pub(crate) fn optional_numbers(&self, name: &str) -> Result<Option<Vec<f64>>> {
        let Some(cells) = self.cells(name)? else {
            return Ok(None);
        };
        if cells.iter().all(|(_, v)| v.is_none()) {
            return Ok(None);
        }
        self.filled(
            cells,
            &format!("column '{name}'"),
            " but other rows have values: fill the column or leave all of it empty",
        )
        .map(Some)
    }
}
