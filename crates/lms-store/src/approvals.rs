//! Approval chains and delegation as stored (migration
//! [`APPROVAL_CHAINS`]): a leave type's chain, the stages of a request's
//! approval (round 0: the request; 1, 2, …: a cancellation of leave that
//! had started) with each decision, and managers' deputies.
//!
//! Who may decide what is `lms_core::approval`'s; which flow an instance
//! runs (with stages, or in one step as the release before) is the use
//! case's choice (`Db::counts(APPROVAL_CHAINS)`): nothing here is called by
//! an instance that does not count on the migration.

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::approval::{Approver, Chain};
use lms_core::{DateRange, LeaveStatus, Role};
use serde::Serialize;

/// The migration that adds chains, stages and delegations.
pub const APPROVAL_CHAINS: i64 = 20261203000002;

/// Leave type `id`'s chain: the one HR set, else its `requires_approval`
/// flag read as none or the manager.
pub async fn chain(c: &mut Conn<'_>, leave_type_id: i64, requires_approval: bool) -> Result<Chain> {
    match q!(opt c, (String,), "SELECT chain FROM leave_type_chains WHERE leave_type_id = $1", leave_type_id)? {
        None => Ok(Chain::from_flag(requires_approval)),
        Some((raw,)) => Chain::from_stored(&raw)
            .map_err(|e| StoreError::Corrupt(format!("the chain of leave type {leave_type_id} cannot be read: {e}"))),
    }
}

/// Sets leave type `id`'s chain, and its `requires_approval` flag to
/// match (so the release before, which reads only the flag, agrees).
pub async fn set_chain(c: &mut Conn<'_>, leave_type_id: i64, chain: &Chain, by: i64, now: DateTime<Utc>) -> Result<()> {
    q!(exec c, "DELETE FROM leave_type_chains WHERE leave_type_id = $1", leave_type_id)?;
    q!(exec c, "INSERT INTO leave_type_chains (leave_type_id, chain, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
        leave_type_id, chain.to_stored(), now, by)?;
    q!(exec c, "UPDATE leave_types SET requires_approval = $1, updated_at = $2 WHERE id = $3",
        chain.requires_approval(), now, leave_type_id)?;
    Ok(())
}

/// After the `requires_approval` flag changed: a chain that no longer
/// agrees with it is dropped, so the flag decides (none or the manager).
pub async fn align_chain_with_flag(c: &mut Conn<'_>, leave_type_id: i64, requires_approval: bool) -> Result<()> {
    let current = chain(c, leave_type_id, requires_approval).await?;
    if current.requires_approval() != requires_approval {
        q!(exec c, "DELETE FROM leave_type_chains WHERE leave_type_id = $1", leave_type_id)?;
    }
    Ok(())
}

/// One stage of a request's approval in one round, with its decision.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Stage {
    #[serde(skip)]
    pub id: i64,
    /// 0: the request; 1, 2, …: a cancellation asked after the leave started.
    pub round: i32,
    /// 1 or 2: the place in the chain.
    pub position: i32,
    /// `manager`, `hr` or `role:manager`.
    pub approver: String,
    pub asked_by: Option<i64>,
    pub asked_at: DateTime<Utc>,
    /// `approved`, `rejected`, or none while open.
    pub decision: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    /// The manager a deputy decided for.
    pub on_behalf_of: Option<i64>,
    pub on_behalf_of_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
}

impl Stage {
    /// The approver this stage waits for.
    pub fn approver(&self) -> Result<Approver> {
        Approver::parse(&self.approver)
            .map_err(|e| StoreError::Corrupt(format!("stage {} names an unknown approver: {e}", self.id)))
    }
}

/// Every stage of request `id`, by round and position.
pub async fn stages(c: &mut Conn<'_>, request_id: i64) -> Result<Vec<Stage>> {
    Ok(q!(all c, Stage,
        "SELECT s.id, s.round, s.position, s.approver, s.asked_by, s.asked_at, s.decision, s.decided_by, \
         d.name AS decided_by_name, s.on_behalf_of, b.name AS on_behalf_of_name, s.decided_at, s.comment \
         FROM leave_request_stages s LEFT JOIN employees d ON d.id = s.decided_by LEFT JOIN employees b ON b.id = s.on_behalf_of \
         WHERE s.request_id = $1 ORDER BY s.round, s.position",
        request_id)?)
}

/// Opens round `round` of request `id` with `approvers` in order, asked by `by`.
pub async fn open_round(
    c: &mut Conn<'_>,
    request_id: i64,
    round: i32,
    approvers: &[Approver],
    by: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    for (i, a) in approvers.iter().enumerate() {
        q!(exec c,
            "INSERT INTO leave_request_stages (request_id, round, position, approver, asked_by, asked_at) VALUES ($1, $2, $3, $4, $5, $6)",
            request_id, round, i as i32 + 1, a.as_str(), by, now)?;
    }
    Ok(())
}

/// A stage's decision.
#[derive(Debug, Clone, Copy)]
pub struct StageDecision<'a> {
    pub approve: bool,
    pub by: i64,
    pub on_behalf_of: Option<i64>,
    pub comment: Option<&'a str>,
}

/// Records the decision of stage `stage_id` if it is still open; `false`
/// when someone decided it in the meantime (the loser of a race).
pub async fn decide_stage(c: &mut Conn<'_>, stage_id: i64, d: StageDecision<'_>, now: DateTime<Utc>) -> Result<bool> {
    let decision = if d.approve { "approved" } else { "rejected" };
    let n = q!(exec c,
        "UPDATE leave_request_stages SET decision = $1, decided_by = $2, on_behalf_of = $3, decided_at = $4, comment = $5 \
         WHERE id = $6 AND decision IS NULL",
        decision, d.by, d.on_behalf_of, now, d.comment, stage_id)?;
    Ok(n == 1)
}

/// Holds request `id` while it is `status` (a no-op update that takes the
/// row and checks the status): `false` when it changed in the meantime.
pub async fn hold(c: &mut Conn<'_>, request_id: i64, status: LeaveStatus) -> Result<bool> {
    let n = q!(exec c, "UPDATE leave_requests SET status = status WHERE id = $1 AND status = $2", request_id, status.as_str())?;
    Ok(n == 1)
}

/// The end of a round: request `id` goes from `from` to `to` if it is
/// still `from`; `false` when it changed in the meantime. An approval or
/// rejection records who decided (none: approved on submission); a
/// cancellation who asked for it.
pub async fn finish(
    c: &mut Conn<'_>,
    request_id: i64,
    from: LeaveStatus,
    to: LeaveStatus,
    by: Option<i64>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = if to == LeaveStatus::Cancelled {
        q!(exec c,
            "UPDATE leave_requests SET status = $1, cancelled_by = $2, cancelled_at = $3, comment = COALESCE($4, comment) \
             WHERE id = $5 AND status = $6",
            to.as_str(), by, now, comment, request_id, from.as_str())?
    } else {
        q!(exec c,
            "UPDATE leave_requests SET status = $1, decided_by = $2, decided_at = $3, comment = $4 WHERE id = $5 AND status = $6",
            to.as_str(), by, now, comment, request_id, from.as_str())?
    };
    Ok(n == 1)
}

/// The active people with `role`.
pub async fn ids_with_role(c: &mut Conn<'_>, role: Role) -> Result<Vec<i64>> {
    Ok(q!(all c, (i64,), "SELECT id FROM employees WHERE role = $1 AND active = TRUE ORDER BY id", role.as_str())?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// Which queue an approvals listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// One step (the release before): pending requests of direct reports, or everyone's for HR.
    OneStep,
    /// By stage ([`QUEUE_WHERE`]), with the delegations in force `today`.
    Staged { today: NaiveDate },
}

/// What the approvals queue of a person with stages shows, in SQL over
/// `leave_requests r JOIN employees e` (the requester): binds `$1` the
/// actor, `$2` whether they are HR, `$5` their role and `$6` today.
/// Requests the release before submitted have no stages and are decided
/// in one step, by the manager or HR, as then; a request with stages is
/// shown at its open stage (the first undecided one of its latest round,
/// while the round is neither rejected nor over) to whoever may decide it
/// — HR, the manager or their deputy on its dates, anyone with the role —
/// unless they decided or asked earlier in the round.
pub(crate) const QUEUE_WHERE: &str = "( \
    (r.status = 'pending' AND NOT EXISTS (SELECT 1 FROM leave_request_stages a WHERE a.request_id = r.id) \
      AND (e.manager_id = $1 OR $2 = TRUE)) \
    OR EXISTS (SELECT 1 FROM leave_request_stages s WHERE s.request_id = r.id AND s.decision IS NULL \
      AND s.round = (SELECT MAX(z.round) FROM leave_request_stages z WHERE z.request_id = r.id) \
      AND ((s.round = 0 AND r.status = 'pending') OR (s.round > 0 AND r.status = 'approved')) \
      AND NOT EXISTS (SELECT 1 FROM leave_request_stages y WHERE y.request_id = r.id AND y.round = s.round \
        AND (y.decision = 'rejected' OR (y.decision IS NULL AND y.position < s.position) \
             OR y.decided_by = $1 OR y.on_behalf_of = $1 OR (s.round > 0 AND y.asked_by = $1))) \
      AND ($2 = TRUE \
        OR (s.approver = 'role:manager' AND $5 = 'manager') \
        OR (s.approver = 'manager' AND e.role <> 'manager' AND (e.manager_id = $1 OR EXISTS (SELECT 1 FROM delegations d \
            WHERE d.manager_id = e.manager_id AND d.deputy_id = $1 AND d.start_date <= $6 AND d.end_date >= $6))))))";

/// A manager's deputy for a date range, with both names.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Delegation {
    pub id: i64,
    pub manager_id: i64,
    pub manager_name: String,
    pub deputy_id: i64,
    pub deputy_name: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl Delegation {
    /// As the chain rules see it.
    pub fn rule(&self) -> Option<lms_core::approval::Delegation> {
        let dates = DateRange::new(self.start_date, self.end_date).ok()?;
        Some(lms_core::approval::Delegation { manager: self.manager_id, deputy: self.deputy_id, dates })
    }
}

const DELEGATION: &str = "SELECT g.id, g.manager_id, m.name AS manager_name, g.deputy_id, d.name AS deputy_name, \
    g.start_date, g.end_date, g.created_by, g.created_at \
    FROM delegations g JOIN employees m ON m.id = g.manager_id JOIN employees d ON d.id = g.deputy_id";

/// Delegations that end on or after `from`: everyone's, or those where
/// `person` is the manager or the deputy; by start date.
pub async fn delegations(c: &mut Conn<'_>, person: Option<i64>, from: NaiveDate) -> Result<Vec<Delegation>> {
    let sql = format!(
        "{DELEGATION} WHERE g.end_date >= $1 AND ($2 IS NULL OR g.manager_id = $2 OR g.deputy_id = $2) \
         ORDER BY g.start_date, g.id LIMIT 500"
    );
    Ok(q!(all c, Delegation, &sql, from, person)?)
}

/// Manager `manager`'s delegations in force on `day`.
pub async fn delegations_of(c: &mut Conn<'_>, manager: i64, day: NaiveDate) -> Result<Vec<Delegation>> {
    let sql = format!("{DELEGATION} WHERE g.manager_id = $1 AND g.start_date <= $2 AND g.end_date >= $2 ORDER BY g.id");
    Ok(q!(all c, Delegation, &sql, manager, day)?)
}

/// Whether `deputy` has ever been named `manager`'s deputy (they may then
/// see, not decide, the manager's stages outside the dates).
pub async fn is_named_deputy(c: &mut Conn<'_>, manager: i64, deputy: i64) -> Result<bool> {
    let n = q!(scalar c, i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM delegations WHERE manager_id = $1 AND deputy_id = $2", manager, deputy)?;
    Ok(n > 0)
}

pub async fn get_delegation(c: &mut Conn<'_>, id: i64) -> Result<Option<Delegation>> {
    let sql = format!("{DELEGATION} WHERE g.id = $1");
    Ok(q!(opt c, Delegation, &sql, id)?)
}

/// A new delegation (already checked).
#[derive(Debug, Clone, Copy)]
pub struct NewDelegation {
    pub manager_id: i64,
    pub deputy_id: i64,
    pub dates: DateRange,
}

pub async fn create_delegation(c: &mut Conn<'_>, d: &NewDelegation, by: i64, now: DateTime<Utc>) -> Result<Delegation> {
    let id = q!(scalar c, i64,
        "INSERT INTO delegations (manager_id, deputy_id, start_date, end_date, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        d.manager_id, d.deputy_id, d.dates.start(), d.dates.end(), by, now)?;
    get_delegation(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("delegation {id}")))
}

pub async fn delete_delegation(c: &mut Conn<'_>, id: i64) -> Result<()> {
    q!(exec c, "DELETE FROM delegations WHERE id = $1", id)?;
    Ok(())
}
