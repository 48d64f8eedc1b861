//! The one error type of the crate.
//!
//! Every fallible public function returns [`CutoverError`]. Plan problems carry
//! every diagnostic found (with line and column), so a caller can print them
//! all at once; journal problems name the file and the record that broke.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a plan file, located by 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters) of the offending text.
    pub column: usize,
    /// What is wrong and, where possible, what to write instead.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// A list of diagnostics, printed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum CutoverError {
    /// The plan file could not be read.
    #[error("cannot read plan {path}: {source}")]
    ReadPlan {
        /// The file we tried to read.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The plan is not valid; every problem found is listed.
    #[error("{} error(s) in plan {}:\n{diagnostics}", diagnostics.0.len(), path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<text>".into()))]
    InvalidPlan {
        /// The plan file, when the text came from a file.
        path: Option<PathBuf>,
        /// Every problem found, in document order.
        diagnostics: Diagnostics,
    },
    /// A value that must satisfy an invariant did not.
    #[error("invalid {what}: {message}")]
    InvalidValue {
        /// What kind of value (percent, weight, duration, ...).
        what: &'static str,
        /// Why it was rejected.
        message: String,
    },
    /// Journal IO failed.
    #[error("journal {path}: {source}")]
    JournalIo {
        /// The journal file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// A journal record could not be understood.
    #[error("journal {path}, line {line}: {message}")]
    JournalCorrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line of the bad record.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A decision was refused (wrong checkpoint, decision not allowed, missing override reason, ...).
    #[error("decision refused: {0}")]
    DecisionRefused(String),
    /// A person stopped the controller and left the run as it is; the
    /// journal is intact and `lms cutover resume` continues it.
    #[error("stopped by {by}; the run is left as it is: `lms cutover resume {run}` continues it")]
    Stopped {
        /// Who or what stopped it (a signal).
        by: String,
        /// The run directory.
        run: String,
    },
    /// A driver failed to act or observe.
    #[error("{driver} driver: {message}")]
    Driver {
        /// Which driver (traffic, deploy, database, metrics, check, notify).
        driver: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl CutoverError {
    pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        CutoverError::InvalidValue { what, message: message.into() }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = CutoverError> = std::result::Result<T, E>;
