//! The rehearsal's load figures per phase of the cutover: before the
//! canary, at each split the run set, and after a rollback — requests,
//! failed requests and write conflicts where they happened, not only in
//! total.
//!
//! The load keeps cumulative counters; a sampler records them every
//! [`SAMPLE_EVERY`]. A phase's figures are the difference between the last
//! sample at or before its start and the last sample at or before its end,
//! so they are exact to one sampling interval. The phases come from the
//! journal's weight changes. Knows nothing about HTTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::writes::WriteFigures;
use crate::engine::Event;
use crate::journal::Record;

/// How often the load's counters are sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// The load's cumulative counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadSample {
    /// When.
    pub at: DateTime<Utc>,
    /// Reads completed.
    pub reads: u64,
    /// Reads that failed (non-2xx or no answer).
    pub reads_failed: u64,
    /// The write side's counters.
    pub writes: WriteFigures,
}

/// What the load saw during one phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseFigures {
    /// The split in force ("blue 90 / green 10"), or what the phase was.
    pub phase: String,
    /// From.
    pub from: DateTime<Utc>,
    /// To.
    pub to: DateTime<Utc>,
    /// Reads completed.
    pub reads: u64,
    /// Writes made (done, paused, in conflict or failed).
    pub writes: u64,
    /// Reads and writes that failed (the goal is zero).
    pub failed: u64,
    /// Writes answered 409.
    pub write_conflicts: u64,
    /// Writes refused by maintenance mode.
    pub writes_paused: u64,
}

/// Where the split changed, from the journal: (when, the split now).
pub fn changes(records: &[Record]) -> Vec<(DateTime<Utc>, String)> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::WeightsSet { weights, outcome, .. } if outcome.ok => Some((r.at, weights.to_string())),
            Event::RolledBack { outcome } if outcome.ok => Some((r.at, "rolled back: all on blue".to_string())),
            _ => None,
        })
        .collect()
}

/// The figures of each phase between the first and last sample.
pub fn per_phase(samples: &[LoadSample], changes: &[(DateTime<Utc>, String)]) -> Vec<PhaseFigures> {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Vec::new();
    };
    let mut bounds: Vec<(DateTime<Utc>, String)> = vec![(first.at, "before the canary (all on blue)".into())];
    bounds.extend(changes.iter().filter(|(at, _)| *at > first.at && *at < last.at).cloned());
    let at_or_before = |t: DateTime<Utc>| samples.iter().rev().find(|s| s.at <= t).copied().unwrap_or(*first);
    bounds
        .iter()
        .enumerate()
        .map(|(i, (from, phase))| {
            let to = bounds.get(i + 1).map_or(last.at, |b| b.0);
            let (a, b) = (at_or_before(*from), at_or_before(to));
            let w = |f: fn(&WriteFigures) -> u64| f(&b.writes).saturating_sub(f(&a.writes));
            PhaseFigures {
                phase: phase.clone(),
                from: *from,
                to,
                reads: b.reads.saturating_sub(a.reads),
                writes: w(WriteFigures::calls),
                failed: b.reads_failed.saturating_sub(a.reads_failed) + w(|x| x.failed),
                write_conflicts: w(|x| x.conflicts),
                writes_paused: w(|x| x.paused),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn sample(t0: DateTime<Utc>, secs: i64, reads: u64, failed: u64, ok: u64, conflicts: u64) -> LoadSample {
        LoadSample {
            at: t0 + TimeDelta::seconds(secs),
            reads,
            reads_failed: failed,
            writes: WriteFigures { ok, conflicts, ..WriteFigures::default() },
        }
    }

    #[test]
    fn each_phase_gets_what_happened_in_it() {
        let t0 = Utc::now();
        let samples = [
            sample(t0, 0, 0, 0, 0, 0),
            sample(t0, 1, 100, 0, 20, 0),
            sample(t0, 2, 200, 1, 40, 1),
            sample(t0, 3, 300, 1, 60, 1),
        ];
        let phases = per_phase(&samples, &[(t0 + TimeDelta::seconds(1), "blue 90 / green 10".into())]);
        assert_eq!(phases.len(), 2);
        assert_eq!((phases[0].reads, phases[0].writes, phases[0].failed), (100, 20, 0));
        assert_eq!((phases[1].reads, phases[1].writes, phases[1].failed), (200, 41, 1));
        assert_eq!(phases[1].write_conflicts, 1);
        assert_eq!(phases[1].phase, "blue 90 / green 10");
    }
}
