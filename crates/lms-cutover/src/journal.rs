//! The run journal: an append-only JSON-lines file, one [`Record`] per
//! line, each written and fsync'd before the action it announces is taken.
//!
//! Replaying the records gives the [`RunState`] from which a run resumes.
//! A controller killed mid-write leaves at most one torn last line; reading
//! ignores it and reopening for append cuts it off. Anything else that does
//! not parse is corruption and is reported with its line number.
//!
//! The journal knows the event vocabulary, not what the events mean.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{Event, RunState};
use crate::error::{CutoverError, Result};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// When it was written (the runner's clock, the same the engine is given).
    pub at: DateTime<Utc>,
    /// What happened.
    pub event: Event,
}

/// What reading a journal found.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    /// Every complete record, in order.
    pub records: Vec<Record>,
    /// Byte length of the well-formed prefix.
    pub valid_len: u64,
    /// A torn last line (kill -9 during a write) was ignored.
    pub torn_tail: bool,
}

impl Contents {
    /// The state the records replay to.
    pub fn state(&self) -> RunState {
        replay(&self.records)
    }
}

/// Folds records into engine state.
pub fn replay(records: &[Record]) -> RunState {
    RunState::replay(records.iter().map(|r| (r.at, &r.event)))
}

/// Reads a journal without modifying it.
pub fn read(path: impl AsRef<Path>) -> Result<Contents> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| io(path, source))?;
    let mut reader = BufReader::new(file);
    let mut records: Vec<Record> = Vec::new();
    let mut valid_len = 0u64;
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| io(path, source))?;
        if n == 0 {
            return Ok(Contents { records, valid_len, torn_tail: false });
        }
        line_no += 1;
        // A last line without its newline was being written when the
        // controller died: it never counted, whatever it holds.
        if buf.last() != Some(&b'\n') {
            return Ok(Contents { records, valid_len, torn_tail: true });
        }
        let corrupt =
            |message: String| CutoverError::JournalCorrupt { path: path.to_path_buf(), line: line_no, message };
        let text = std::str::from_utf8(&buf).map_err(|e| corrupt(e.to_string()))?;
        let rec: Record = serde_json::from_str(text.trim_end()).map_err(|e| corrupt(e.to_string()))?;
        let want = records.last().map_or(1, |r| r.seq + 1);
        if rec.seq != want {
            return Err(corrupt(format!("sequence {} where {want} was expected", rec.seq)));
        }
        valid_len += n as u64;
        records.push(rec);
    }
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    next_seq: u64,
}

impl Journal {
    /// Creates a new journal; fails if the file exists (a run is never
    /// overwritten). The file and its directory entry are fsync'd.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create_new(true).open(&path).map_err(|source| io(&path, source))?;
        file.sync_all().map_err(|source| io(&path, source))?;
        sync_dir(&path)?;
        Ok(Journal { path, file, next_seq: 1 })
    }

    /// Opens an existing journal to continue it, cutting off a torn last
    /// line; returns the records read.
    pub fn open(path: impl AsRef<Path>) -> Result<(Self, Contents)> {
        let path = path.as_ref().to_path_buf();
        let contents = read(&path)?;
        let file = OpenOptions::new().append(true).open(&path).map_err(|source| io(&path, source))?;
        if contents.torn_tail {
            file.set_len(contents.valid_len).map_err(|source| io(&path, source))?;
            file.sync_all().map_err(|source| io(&path, source))?;
        }
        let next_seq = contents.records.last().map_or(1, |r| r.seq + 1);
        Ok((Journal { path, file, next_seq }, contents))
    }

    /// Appends one event and fsyncs it before returning: only then may the
    /// action it announces be taken.
    pub fn append(&mut self, at: DateTime<Utc>, event: Event) -> Result<Record> {
        let record = Record { seq: self.next_seq, at, event };
        let mut line = serde_json::to_vec(&record).map_err(|e| CutoverError::JournalCorrupt {
            path: self.path.clone(),
            line: self.next_seq as usize,
            message: format!("cannot encode record: {e}"),
        })?;
        line.push(b'\n');
        // One write of the whole line: a crash leaves it whole or torn at the end.
        self.file.write_all(&line).map_err(|source| io(&self.path, source))?;
        self.file.sync_data().map_err(|source| io(&self.path, source))?;
        self.next_seq += 1;
        Ok(record)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

fn io(path: &Path, source: std::io::Error) -> CutoverError {
    CutoverError::JournalIo { path: path.to_path_buf(), source }
}

/// Makes a newly created file's directory entry durable.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Directories can be opened read-only and fsync'd on Unix; elsewhere this
    // is best effort.
    match File::open(dir) {
        Ok(d) => match d.sync_all() {
            Ok(()) => Ok(()),
            Err(e) if cfg!(unix) => Err(io(dir, e)),
            Err(_) => Ok(()),
        },
        Err(e) => Err(io(dir, e)),
    }
}
