//! Spreadsheet (XLSX) exports: one worksheet of typed cells — dates as
//! Excel dates, numbers as numbers, text always as text (a value that looks
//! like a formula stays text, never a formula) — under a bold header row,
//! with frozen panes below it, column widths and an autofilter.
//!
//! The workbook is written by `rust_xlsxwriter` in its constant-memory mode
//! on a blocking thread: rows arrive in batches over a bounded channel and
//! each finished row goes to a temporary file, so an export of 100,000 rows
//! holds a few batches in memory, not the sheet. Knows nothing of leave:
//! the handlers choose the columns and turn their rows into [`Cell`]s.

use crate::error::ApiResult;
use crate::ApiError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The content type of an XLSX file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An XLSX file, as the OpenAPI document names it.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(pub Vec<u8>);

/// Rows read and sent to the writer at a time.
pub const BATCH: i64 = 2_000;

/// Excel's longest text in one cell; longer texts are cut there.
const MAX_TEXT: usize = 32_767;

/// One cell's value, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Days and other decimals (shown with up to three decimals).
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    /// A moment, written as its UTC date and time.
    Time(DateTime<Utc>),
    Empty,
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Self {
        n.map_or(Cell::Empty, Cell::Int)
    }
}

impl From<Option<DateTime<Utc>>> for Cell {
    fn from(t: Option<DateTime<Utc>>) -> Self {
        t.map_or(Cell::Empty, Cell::Time)
    }
}

/// A column: its header and width (in characters).
#[derive(Debug, Clone, Copy)]
pub struct Column(pub &'static str, pub f64);

/// An export being written: send rows with [`Export::rows`], then
/// [`Export::finish`] for the file.
pub struct Export {
    tx: Option<mpsc::Sender<Vec<Vec<Cell>>>>,
    writer: JoinHandle<Result<Vec<u8>, XlsxError>>,
    written: usize,
}

impl Export {
    /// Starts a workbook with one worksheet named `sheet` and these columns.
    pub fn start(sheet: &'static str, columns: &'static [Column]) -> Export {
        let (tx, rx) = mpsc::channel(2);
        let writer = tokio::task::spawn_blocking(move || write(sheet, columns, rx));
        Export { tx: Some(tx), writer, written: 0 }
    }

    /// Rows sent so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Appends rows (in order, below those sent before).
    pub async fn rows(&mut self, rows: Vec<Vec<Cell>>) -> ApiResult<()> {
        self.written += rows.len();
        let Some(tx) = &self.tx else { return Err(ApiError::internal()) };
        if tx.send(rows).await.is_err() {
            // The writer stopped: `finish` says why.
            self.tx = None;
        }
        Ok(())
    }

    /// The XLSX file.
    pub async fn finish(mut self) -> ApiResult<Vec<u8>> {
        self.tx = None;
        match self.writer.await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "writing an XLSX export failed");
                Err(ApiError::internal())
            }
            Err(e) => {
                tracing::error!(error = %e, "the XLSX writer stopped");
                Err(ApiError::internal())
            }
        }
    }
}

/// The answer carrying an export as a download named `filename`.
pub fn download(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// Writes the sheet from the rows received until the channel closes.
fn write(sheet: &str, columns: &[Column], mut rx: mpsc::Receiver<Vec<Vec<Cell>>>) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let number = Format::new().set_num_format("0.0##");
    let ws = workbook.add_worksheet_with_constant_memory();
    ws.set_name(sheet)?;
    for (i, Column(title, width)) in columns.iter().enumerate() {
        let col = u16::try_from(i).map_err(|_| XlsxError::ParameterError("too many columns".into()))?;
        ws.set_column_width(col, *width)?;
        ws.write_string_with_format(0, col, *title, &bold)?;
    }
    let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    ws.set_freeze_panes(1, 0)?;
    let mut row: u32 = 0;
    while let Some(batch) = rx.blocking_recv() {
        for cells in batch {
            row += 1;
            for (i, cell) in cells.into_iter().enumerate() {
                let col = u16::try_from(i).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(row, col, clip(s))?;
                    }
                    Cell::Int(n) => {
                        // Exact in a double up to 2^53, far beyond any id here.
                        ws.write_number(row, col, n as f64)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number_with_format(row, col, n, &number)?;
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(row, col, b)?;
                    }
                    Cell::Date(d) => {
                        ws.write_datetime_with_format(row, col, d, &date)?;
                    }
                    Cell::Time(t) => {
                        ws.write_datetime_with_format(row, col, t.naive_utc(), &time)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    ws.autofilter(0, 0, row, last_col)?;
    workbook.save_to_buffer()
}

/// A text cut to Excel's limit for one cell, on a character boundary.
fn clip(s: String) -> String {
    if s.len() <= MAX_TEXT {
        return s;
    }
    s.chars().take(MAX_TEXT).collect()
}
