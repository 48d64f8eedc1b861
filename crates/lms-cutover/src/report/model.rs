//! The report as data (its JSON form). Written for the release commander
//! the morning after: a summary that says whether the new version is live
//! and what needs doing, then every table the runbook asks for: timeline
//! planned vs actual (wall-clock), pre-checks, gate samples, checkpoints,
//! smoke tests, rollback, success criteria (11.1), definition of done
//! (11.2), the post-cutover checklist (9), the preparation timeline (4.1),
//! the war room (10) and a log of traffic and controller changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{BlackoutOverride, Verdict};
use crate::observe::{BackupReport, MigrationReport};
use crate::plan::model::{Contact, Role, WarRoom};

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Run id.
    pub run_id: String,
    /// The run directory, as the commands in the report name it.
    pub run_dir: String,
    /// What the reader needs first: live or not, traffic now, what to do.
    pub summary: Summary,
    /// Plan id and title.
    pub plan_id: String,
    /// Plan title.
    pub plan_title: String,
    /// Time compression of the plan (1 = real time).
    pub compression: u32,
    /// The controller's version.
    pub own_version: String,
    /// When the report was generated.
    pub generated_at: DateTime<Utc>,
    /// Run start.
    pub started_at: Option<DateTime<Utc>>,
    /// Last journal record.
    pub last_event_at: Option<DateTime<Utc>>,
    /// Seconds from start to the last record.
    pub wall_secs: Option<f64>,
    /// How it ended (`None` while running).
    pub verdict: Option<Verdict>,
    /// One line.
    pub verdict_line: String,
    /// Recorded blackout override.
    pub blackout_override: Option<BlackoutOverride>,
    /// Times the controller was resumed.
    pub resumes: u32,
    /// The 21 steps.
    pub steps: Vec<StepRow>,
    /// Pre-checks (5.1, 5.2).
    pub prechecks: Vec<CheckRow>,
    /// Verifications (7.2, 7.3).
    pub verifications: Vec<CheckRow>,
    /// Backup.
    pub backup: Option<BackupReport>,
    /// Migration.
    pub migration: Option<MigrationReport>,
    /// Read-only smoke against blue after migrating.
    pub compatibility: Vec<SmokeRow>,
    /// Gate samples per metric.
    pub gates: Vec<GateSeries>,
    /// Where the gates' figures came from, as of the last sample, when the
    /// source is a metrics system: each query with what it gave.
    #[serde(default)]
    pub gate_queries: Vec<QueryRow>,
    /// Checkpoint decisions.
    pub checkpoints: Vec<CheckpointRow>,
    /// Smoke tests through the public URL.
    pub smoke: Vec<SmokeRow>,
    /// Rollback, if any.
    pub rollback: Option<RollbackRow>,
    /// 11.1.
    pub success_criteria: Vec<CriterionRow>,
    /// 11.2.
    pub definition_of_done: Vec<CriterionRow>,
    /// Notices sent (announcements, status, alerts).
    pub notices: Vec<NoticeRow>,
    /// Rehearsal figures (load generator, timings), when a rehearsal.
    pub figures: Option<serde_json::Value>,
    /// The post-cutover checklist (9.1, 9.2).
    pub post_cutover: Vec<ChecklistRow>,
    /// The preparation timeline (4.1).
    pub prep: Vec<PrepRow>,
    /// War-room bridge, channels and protocol (10.1, 10.3).
    pub war_room: WarRoom,
    /// War-room roles (10.2).
    pub roles: Vec<Role>,
    /// Emergency contacts (Appendix A).
    pub contacts: Vec<Contact>,
    /// Every weight change and controller start, stop and resume.
    pub log: Vec<LogRow>,
}

/// The top of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// `go_live`, `rolled_back`, `aborted` or `not_finished`.
    pub outcome: String,
    /// Whether the new version is live (carries all traffic).
    pub went_live: bool,
    /// One sentence: what happened, and why when it did not go live.
    pub headline: String,
    /// The last split the traffic controller confirmed.
    pub traffic_now: String,
    /// When the run ended (its verdict), if it did.
    pub ended_at: Option<DateTime<Utc>>,
    /// What the reader has to do, most urgent first.
    pub next_steps: Vec<String>,
}

/// A post-cutover checklist item (9.1, 9.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChecklistRow {
    /// Stable id (what `lms cutover confirm --item` takes).
    pub id: String,
    /// The activity.
    pub item: String,
    /// Owner.
    pub owner: String,
    /// `immediate` or `next_business_day`.
    pub due: String,
    /// When it is due, as a time (immediate items after a go-live).
    pub due_at: Option<DateTime<Utc>>,
    /// When it is due, in words with the wall-clock time or date.
    pub due_text: String,
    /// `webhook` or `a person`.
    pub performer: String,
    /// done, failed, pending, not applicable.
    pub status: String,
    /// Who confirmed it.
    pub by: Option<String>,
    /// When it was confirmed.
    pub at: Option<DateTime<Utc>>,
    /// What was recorded with it, or how to record it.
    pub detail: String,
}

/// A preparation item (4.1), with its date when one can be computed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrepRow {
    /// Phase.
    pub phase: String,
    /// Activity.
    pub activity: String,
    /// Owner.
    pub owner: String,
    /// `T-7d`, or `T-0`.
    pub before: String,
    /// When, counted back from the window the run started in.
    pub at: Option<DateTime<Utc>>,
    /// Duration as written.
    pub duration: String,
}

/// One line of the traffic and controller log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogRow {
    /// When (journal time).
    pub at: DateTime<Utc>,
    /// `controller`, `traffic`, `maintenance`, `rollback`.
    pub kind: String,
    /// What happened.
    pub text: String,
    /// False when the change failed.
    pub ok: bool,
}

/// One timeline step, planned vs actual.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRow {
    /// Number.
    pub n: u32,
    /// Activity.
    pub activity: String,
    /// Owner.
    pub owner: String,
    /// Planned clock time.
    pub planned_at: String,
    /// Planned duration as written.
    pub planned_duration: String,
    /// Planned start from the window's opening, compressed, seconds.
    pub planned_offset_secs: f64,
    /// Planned start as a time: the window's opening the run started in
    /// (or the run's start, without a window) plus the planned offset.
    pub planned_start_at: Option<DateTime<Utc>>,
    /// Actual start.
    pub actual_start_at: Option<DateTime<Utc>>,
    /// Actual end.
    pub actual_end_at: Option<DateTime<Utc>>,
    /// Planned duration, compressed, seconds.
    pub planned_secs: f64,
    /// Actual start from the run's start, seconds.
    pub actual_offset_secs: Option<f64>,
    /// Actual duration, seconds.
    pub actual_secs: Option<f64>,
    /// Actual end minus planned end (both wall-clock), seconds; positive =
    /// late, negative = early.
    pub slippage_secs: Option<f64>,
    /// Finished later than planned.
    pub slipped: bool,
    /// done, failed, skipped, not reached, interrupted (cut short by a
    /// rollback or an abort), in progress (the run has not ended).
    pub status: String,
    /// Failure text.
    pub detail: Option<String>,
}

/// A check and its result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRow {
    /// `T-1h#2`.
    pub id: String,
    /// What.
    pub check: String,
    /// Owner.
    pub owner: String,
    /// Expected, as the plan words it.
    pub expected: Option<String>,
    /// `None` when not run.
    pub passed: Option<bool>,
    /// What was seen.
    pub detail: String,
    /// Who confirmed (manual).
    pub by: Option<String>,
}

/// One query of the last sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryRow {
    /// When the sample was taken.
    pub at: DateTime<Utc>,
    /// `requests`, `errors`, `failed`, `p95`, `cpu`, `memory`.
    pub figure: String,
    /// `blue` or `green`.
    pub slot: String,
    /// The query as sent.
    pub query: String,
    /// What it gave; none: no sample.
    pub value: Option<f64>,
}

/// A metric over the run's samples.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateSeries {
    /// Metric name.
    pub metric: String,
    /// The metric in words ("error rate").
    pub label: String,
    /// Limit as text.
    pub limit: String,
    /// Limit as a number in the metric's unit.
    pub limit_value: f64,
    /// `%` or `ms`.
    pub unit: String,
    /// rollback or investigate.
    pub action: String,
    /// Samples taken.
    pub samples: usize,
    /// Samples without data.
    pub no_data: usize,
    /// Samples at or above the limit.
    pub breaches: usize,
    /// Minimum.
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
    /// Last.
    pub last: Option<f64>,
    /// (seconds from start, value) for charts.
    pub points: Vec<(f64, Option<f64>)>,
}

/// A checkpoint and its decisions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointRow {
    /// Number.
    pub n: u32,
    /// Name.
    pub name: String,
    /// Every decision, in order.
    pub decisions: Vec<DecisionRow>,
}

/// One decision with its questions and answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionRow {
    /// Round.
    pub round: u32,
    /// Decision label.
    pub decision: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Taken by the engine.
    pub auto: bool,
    /// Note.
    pub note: Option<String>,
    /// Override reason.
    pub override_reason: Option<String>,
    /// (question, answer, evidence).
    pub questions: Vec<(String, String, String)>,
    /// Samples in the round.
    pub samples: usize,
}

/// A smoke test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmokeRow {
    /// Id.
    pub id: String,
    /// Case.
    pub case: String,
    /// Expected.
    pub expected: String,
    /// Passed.
    pub passed: bool,
    /// Detail.
    pub detail: String,
    /// Milliseconds.
    pub elapsed_ms: u64,
}

/// The rollback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RollbackRow {
    /// Why.
    pub reason: String,
    /// Trigger time.
    pub triggered_at: DateTime<Utc>,
    /// All traffic on blue.
    pub on_blue_at: Option<DateTime<Utc>>,
    /// Measured time from trigger to all traffic on blue.
    pub to_blue_ms: Option<i64>,
    /// Admin calls made.
    pub attempts: u32,
    /// Blue verified healthy and recovering.
    pub blue_verified: Option<bool>,
    /// What the verification of blue found.
    pub blue_verified_detail: Option<String>,
    /// Always said.
    pub migrations_note: String,
}

/// A success criterion or definition-of-done item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CriterionRow {
    /// The item.
    pub item: String,
    /// Target (11.1 only).
    pub target: Option<String>,
    /// Measurement (11.1 only).
    pub measurement: Option<String>,
    /// Met (`None`: not measurable / pending).
    pub met: Option<bool>,
    /// What proved it.
    pub evidence: String,
    /// Does not apply to this run (a go-live item of a run that did not go live).
    #[serde(default)]
    pub not_applicable: bool,
}

/// A notice sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeRow {
    /// When.
    pub at: DateTime<Utc>,
    /// Kind.
    pub kind: String,
    /// Text.
    pub text: String,
    /// Delivered.
    pub ok: bool,
}
