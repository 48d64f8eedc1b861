//! The cutover report, at the end of a run and on demand: built from the
//! plan and the journal alone (so it can be regenerated at any time), and
//! rendered as JSON ([`model`]), Markdown ([`markdown`]) and a
//! self-contained HTML page with inline SVG charts ([`html`]).
//!
//! Its reader is the release commander the morning after: it opens with
//! whether the new version is live and what needs doing ([`summary`]), and
//! shows times as wall-clock with human durations ([`human`]).
//!
//! Knows the report's content; knows nothing about drivers or processes.

pub mod build;
mod evidence;
mod followup;
pub mod html;
pub mod human;
mod log;
pub mod markdown;
pub mod model;
mod summary;
mod timeline;

use crate::error::{CutoverError, Result};
use crate::runner::RunDir;

pub use build::build;
pub use model::Report;

/// Builds the report of the run in `dir` and writes `report.{json,md,html}`;
/// returns it.
pub fn write(dir: &RunDir) -> Result<Report> {
    let plan = crate::plan::load(dir.plan())?;
    let contents = crate::journal::read(dir.journal())?;
    let figures = std::fs::read_to_string(dir.figures()).ok().and_then(|t| serde_json::from_str(&t).ok());
    let report = build(&plan, &dir.root.display().to_string(), &contents.records, figures);
    let json = serde_json::to_string_pretty(&report).map_err(|e| CutoverError::invalid("report", e.to_string()))?;
    for (ext, text) in [("json", json), ("md", markdown::render(&report)), ("html", html::render(&report))] {
        let path = dir.report(ext);
        std::fs::write(&path, text).map_err(|source| CutoverError::JournalIo { path, source })?;
    }
    Ok(report)
}
