//! Approval chains and delegation as use cases: HR sets a leave type's
//! chain; a manager (or HR for them) names a deputy for dates; a request
//! goes through its stages (each decision recorded with who, when, on whose
//! behalf and the comment), and cancelling leave that has started asks the
//! chain. The rules are `lms_core::approval`'s; the storage `lms_store::approvals`.
//!
//! All of it needs migration [`APPROVAL_CHAINS`]: an instance that does not
//! count on it (`--schema previous`) decides every request in one step as
//! the release before did ([`staged`] is false), and refuses to set chains
//! or deputies. A request that release submitted has no stages and is
//! decided in one step here too.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::approval::{self, Approver, Chain, Decider, Person};
use lms_core::{DateRange, DomainError, LeaveStatus, RequestAccess, RequestAction, Role};
use lms_store::approvals::{self, Delegation, NewDelegation, Queue, Stage, StageDecision, APPROVAL_CHAINS};
use lms_store::requests::{self, LeaveRequest};
use lms_store::{employees, leave_types, Conn, Db, StoreError};
use serde::Serialize;

/// Whether this instance runs the chains (it counts on their migration).
pub fn staged(db: &Db) -> bool {
    db.counts(APPROVAL_CHAINS)
}

/// The queue an approvals listing reads on this instance.
pub fn queue(db: &Db, today: NaiveDate) -> Queue {
    if staged(db) {
        Queue::Staged { today }
    } else {
        Queue::OneStep
    }
}

fn needs_schema(what: &str) -> StoreError {
    StoreError::conflict(
        "schema_behind",
        format!("{what} needs migration {APPROVAL_CHAINS}; this instance runs the schema of the release before"),
    )
}

/// Leave type `id`'s chain (anyone signed in may read it). Without the
/// migration: the `requires_approval` flag read as none or the manager.
pub async fn chain(db: &Db, id: i64) -> Result<Chain> {
    let mut c = db.acquire().await?;
    let t =
        leave_types::get(&mut c.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("leave type {id}")))?;
    if !staged(db) {
        return Ok(Chain::from_flag(t.requires_approval));
    }
    Ok(approvals::chain(&mut c.conn(), id, t.requires_approval).await?)
}

/// The audit shape of a chain.
#[derive(Serialize)]
struct ChainRecord {
    chain: &'static str,
    approvers: Vec<&'static str>,
    requires_approval: bool,
}

impl From<&Chain> for ChainRecord {
    fn from(c: &Chain) -> Self {
        ChainRecord {
            chain: c.kind(),
            approvers: c.stages().into_iter().map(Approver::as_str).collect(),
            requires_approval: c.requires_approval(),
        }
    }
}

/// Sets leave type `id`'s chain (HR admins); the type's `requires_approval`
/// flag follows it. Requests already submitted keep their stages.
pub async fn set_chain(db: &Db, caller: &Caller, id: i64, chain: &Chain, now: DateTime<Utc>) -> Result<Chain> {
    caller.require_hr()?;
    if !staged(db) {
        return Err(needs_schema("an approval chain").into());
    }
    let mut tx = db.begin().await?;
    let t =
        leave_types::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("leave type {id}")))?;
    let before = approvals::chain(&mut tx.conn(), id, t.requires_approval).await?;
    approvals::set_chain(&mut tx.conn(), id, chain, caller.actor.id, now).await?;
    let what = Audited {
        action: "leave_type.approval_chain",
        entity: ("leave_type", id.to_string()),
        before: Some(&ChainRecord::from(&before)),
        after: Some(&ChainRecord::from(chain)),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(chain.clone())
}

/// After a leave type's flag changed (inside its update): a chain that no
/// longer agrees is dropped.
pub(crate) async fn align_with_flag(db: &Db, c: &mut Conn<'_>, id: i64, requires_approval: bool) -> Result<()> {
    if staged(db) {
        approvals::align_chain_with_flag(c, id, requires_approval).await?;
    }
    Ok(())
}

/// A person as the chain sees them: their role, and their manager while
/// that manager is active (else none: HR decides, as before chains).
async fn person(c: &mut Conn<'_>, id: i64) -> Result<Person> {
    let e = employees::require(c, id).await?;
    let manager = match e.manager_id {
        Some(m) if employees::get(c, m).await?.is_some_and(|m| m.active) => Some(m),
        _ => None,
    };
    Ok(Person { id, role: e.role(), manager })
}

/// Who is told that a stage waits for them.
async fn approvers_of(c: &mut Conn<'_>, stage: Approver, requester: &Person, today: NaiveDate) -> Result<Vec<i64>> {
    let mut out = match (stage, requester.manager) {
        (Approver::Manager, Some(m)) if requester.role != Role::Manager => {
            let mut ids = vec![m];
            ids.extend(approvals::delegations_of(c, m, today).await?.into_iter().map(|d| d.deputy_id));
            ids
        }
        (Approver::Role(role), _) => approvals::ids_with_role(c, role).await?,
        _ => employees::hr_admin_ids(c).await?,
    };
    out.retain(|id| *id != requester.id);
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A request with its stages, as audited and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Staged {
    #[serde(flatten)]
    pub request: LeaveRequest,
    pub stages: Vec<Stage>,
}

impl Staged {
    /// The stage that waits for a decision, if any.
    pub fn waiting(&self) -> Option<&Stage> {
        open_stage(&self.stages, self.request.status()).0
    }
}

/// What a submission with stages did: the request (approved at once when
/// its chain is none) and who must decide its first stage.
pub(crate) struct Submitted {
    pub request: Staged,
    pub approvers: Vec<i64>,
}

/// Opens the stages of request `r`, just submitted by `caller`, by its
/// type's chain; a chain of none approves it at once.
pub(crate) async fn submitted(
    c: &mut Conn<'_>,
    caller: &Caller,
    r: LeaveRequest,
    now: DateTime<Utc>,
) -> Result<Submitted> {
    let t = leave_types::by_code(c, &r.leave_type)
        .await?
        .ok_or_else(|| DomainError::UnknownLeaveType(r.leave_type.clone()))?;
    let chain = approvals::chain(c, t.id, t.requires_approval).await?;
    let requester = person(c, r.employee_id).await?;
    let stages = approval::stages_for(&chain, &requester);
    let Some(first) = stages.first().copied() else {
        if !approvals::finish(c, r.id, LeaveStatus::Pending, LeaveStatus::Approved, None, None, now).await? {
            return Err(concurrent(r.id).into());
        }
        let request =
            requests::get(c, r.id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {}", r.id)))?;
        return Ok(Submitted { request: Staged { request, stages: Vec::new() }, approvers: Vec::new() });
    };
    approvals::open_round(c, r.id, 0, &stages, caller.actor.id, now).await?;
    let approvers = approvers_of(c, first, &requester, now.date_naive()).await?;
    let stages = approvals::stages(c, r.id).await?;
    Ok(Submitted { request: Staged { request: r, stages }, approvers })
}

/// A decision taken through the chain: the request before and after, the
/// audit action, the metric event (final outcomes only) and who is told what.
pub(crate) struct Decided {
    pub before: Staged,
    pub after: Staged,
    pub action: &'static str,
    pub event: Option<&'static str>,
    /// Recipient, notification kind, subject.
    pub notes: Vec<(i64, &'static str, String)>,
}

fn concurrent(id: i64) -> StoreError {
    StoreError::conflict(
        "concurrent_change",
        format!("request {id} was changed by someone else in the meantime; reload it"),
    )
}

/// The open stage of `stages` (the first undecided one of the latest round,
/// while that round is neither rejected nor over), with the round's stages.
fn open_stage(stages: &[Stage], status: LeaveStatus) -> (Option<&Stage>, Vec<&Stage>) {
    let Some(round) = stages.last().map(|s| s.round) else { return (None, Vec::new()) };
    let current: Vec<&Stage> = stages.iter().filter(|s| s.round == round).collect();
    let live = if round == 0 { status == LeaveStatus::Pending } else { status == LeaveStatus::Approved };
    let rejected = current.iter().any(|s| s.decision.as_deref() == Some("rejected"));
    let open = if live && !rejected { current.iter().find(|s| s.decision.is_none()).copied() } else { None };
    (open, current)
}

/// Decides request `id` through its chain; `None` when the one-step flow
/// of the release before applies (a request submitted without stages; a
/// cancellation that needs nobody's approval).
pub(crate) async fn decide(
    c: &mut Conn<'_>,
    caller: &Caller,
    id: i64,
    action: RequestAction,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Decided>> {
    let today = now.date_naive();
    let actor = &caller.actor;
    let not_found = || StoreError::NotFound(format!("leave request {id}"));
    let before = requests::get(c, id).await?.ok_or_else(not_found)?;
    let stages = approvals::stages(c, id).await?;
    let status = before.status();
    let (open, current) = open_stage(&stages, status);
    let before = Staged { request: before, stages: stages.clone() };
    let r = &before.request;
    if action == RequestAction::Cancel {
        if !(status == LeaveStatus::Approved && approval::cancellation_needs_approval(true, r.start_date, today)) {
            return Ok(None);
        }
        match actor.access(action, r.employee_id, r.manager_id) {
            RequestAccess::Hidden => return Err(not_found().into()),
            RequestAccess::Forbidden => {
                return Err(
                    DomainError::Forbidden("only the employee or an HR admin may cancel this request".into()).into()
                )
            }
            RequestAccess::Allowed => {}
        }
        if open.is_some() {
            return Err(StoreError::conflict(
                "cancellation_pending",
                format!("the cancellation of request {id} already waits for approval"),
            )
            .into());
        }
        let requester = person(c, r.employee_id).await?;
        let t = leave_types::by_code(c, &r.leave_type)
            .await?
            .ok_or_else(|| DomainError::UnknownLeaveType(r.leave_type.clone()))?;
        let chain = approvals::chain(c, t.id, t.requires_approval).await?;
        let chain_stages = approval::stages_for(&chain, &requester);
        let Some(first) = chain_stages.first().copied() else {
            // Nobody approves this type: cancelled at once.
            if !approvals::finish(c, id, status, LeaveStatus::Cancelled, Some(actor.id), comment, now).await? {
                return Err(concurrent(id).into());
            }
            let after = reread(c, id).await?;
            let notes = cancelled_notes(actor.id, &after.request);
            return Ok(Some(Decided {
                before,
                after,
                action: "leave_request.cancel",
                event: Some("cancelled"),
                notes,
            }));
        };
        if !approvals::hold(c, id, status).await? {
            return Err(concurrent(id).into());
        }
        let round = stages.iter().map(|s| s.round).max().unwrap_or(0) + 1;
        approvals::open_round(c, id, round, &chain_stages, actor.id, now).await?;
        let subject = format!("{} asks to cancel {} leave that has started", r.employee_name, r.leave_type);
        let notes = approvers_of(c, first, &requester, today)
            .await?
            .into_iter()
            .filter(|a| *a != actor.id)
            .map(|a| (a, "leave_request.cancellation_asked", subject.clone()))
            .collect();
        let after = reread(c, id).await?;
        return Ok(Some(Decided { before, after, action: "leave_request.cancellation.ask", event: None, notes }));
    }
    if stages.is_empty() {
        return Ok(None);
    }
    let requester = person(c, r.employee_id).await?;
    let visible = may_see(c, actor, r, &stages).await?;
    let Some(stage) = open else {
        if !visible {
            return Err(not_found().into());
        }
        let what = if status == LeaveStatus::Approved && current.iter().any(|s| s.round > 0) {
            "approved (its cancellation was decided)".to_string()
        } else {
            status.to_string()
        };
        return Err(StoreError::conflict(
            "invalid_transition",
            format!("cannot {} request {id}: it is {what}", action.as_str()),
        )
        .into());
    };
    let approver = stage.approver()?;
    let delegations: Vec<approval::Delegation> = match requester.manager {
        Some(m) => approvals::delegations_of(c, m, today).await?.iter().filter_map(Delegation::rule).collect(),
        None => Vec::new(),
    };
    let mut earlier: Vec<i64> = current.iter().flat_map(|s| [s.decided_by, s.on_behalf_of]).flatten().collect();
    if stage.round > 0 {
        earlier.extend(current.iter().filter_map(|s| s.asked_by));
    }
    let me = Person { id: actor.id, role: actor.role, manager: None };
    let Some(decider) = approval::may_decide_stage(&me, approver, &requester, &delegations, &earlier, today) else {
        if !visible {
            return Err(not_found().into());
        }
        // A stage this person could decide was decided by someone else in
        // the meantime (the loser of a race): the request moved on.
        let overtaken = !earlier.contains(&actor.id)
            && current.iter().any(|s| {
                s.position < stage.position
                    && s.approver()
                        .is_ok_and(|a| approval::may_decide(&me, a, &requester, &delegations, today).is_some())
            });
        if overtaken {
            return Err(StoreError::conflict(
                "concurrent_change",
                format!("request {id} was decided at your stage by someone else; it now waits for {}", label(approver)),
            )
            .into());
        }
        let why = if actor.id == r.employee_id {
            "you cannot decide your own request".to_string()
        } else if earlier.contains(&actor.id) {
            "you decided or asked at an earlier stage of this request; another approver decides this one".to_string()
        } else {
            format!("stage {} of this request waits for {}", stage.position, label(approver))
        };
        return Err(DomainError::Forbidden(why).into());
    };
    let on_behalf_of = match decider {
        Decider::OnBehalfOf(m) => Some(m),
        Decider::Themselves => None,
    };
    let approve = action == RequestAction::Approve;
    let decision = StageDecision { approve, by: actor.id, on_behalf_of, comment };
    if !approvals::decide_stage(c, stage.id, decision, now).await? {
        return Err(concurrent(id).into());
    }
    let last = current.last().is_some_and(|s| s.id == stage.id);
    let cancellation = stage.round > 0;
    let done = match (cancellation, approve, last) {
        (false, true, true) => {
            approvals::finish(c, id, status, LeaveStatus::Approved, Some(actor.id), comment, now).await?
        }
        (false, false, _) => {
            approvals::finish(c, id, status, LeaveStatus::Rejected, Some(actor.id), comment, now).await?
        }
        (true, true, true) => {
            approvals::finish(c, id, status, LeaveStatus::Cancelled, stage.asked_by, comment, now).await?
        }
        _ => approvals::hold(c, id, status).await?,
    };
    if !done {
        return Err(concurrent(id).into());
    }
    let after = reread(c, id).await?;
    let by = match on_behalf_of {
        Some(m) => {
            let me = employees::require(c, actor.id).await?.name;
            let them = employees::require(c, m).await?.name;
            format!(" by {me} on behalf of {them}")
        }
        None => String::new(),
    };
    let (employee, kind) = (r.employee_id, r.leave_type.as_str());
    let mut notes = Vec::new();
    let (action_name, event) = match (cancellation, approve, last) {
        (false, true, true) => {
            notes.push((employee, "leave_request.approved", format!("Your {kind} leave was approved{by}")));
            ("leave_request.approve", Some("approved"))
        }
        (false, false, _) => {
            notes.push((employee, "leave_request.rejected", format!("Your {kind} leave was rejected{by}")));
            ("leave_request.reject", Some("rejected"))
        }
        (true, true, true) => {
            notes.push((employee, "leave_request.cancelled", format!("Your {kind} leave was cancelled{by}")));
            ("leave_request.cancellation.approve", Some("cancelled"))
        }
        (true, false, _) => {
            let subject = format!("The cancellation of your {kind} leave was refused{by}");
            notes.push((employee, "leave_request.cancellation_refused", subject));
            ("leave_request.cancellation.reject", None)
        }
        (_, true, false) => {
            let next = current.iter().find(|s| s.position > stage.position).map(|s| s.approver()).transpose()?;
            if let Some(next) = next {
                let subject = if cancellation {
                    format!(
                        "{} asks to cancel {kind} leave that has started (stage {} approved{by})",
                        r.employee_name, stage.position
                    )
                } else {
                    format!("{} requested {kind} leave (stage {} approved{by})", r.employee_name, stage.position)
                };
                let kind = if cancellation { "leave_request.cancellation_asked" } else { "leave_request.submitted" };
                for a in approvers_of(c, next, &requester, today).await? {
                    if a != actor.id && !earlier.contains(&a) {
                        notes.push((a, kind, subject.clone()));
                    }
                }
            }
            (if cancellation { "leave_request.cancellation.approve" } else { "leave_request.approve" }, None)
        }
    };
    Ok(Some(Decided { before, after, action: action_name, event, notes }))
}

async fn reread(c: &mut Conn<'_>, id: i64) -> Result<Staged> {
    let request = requests::get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))?;
    let stages = approvals::stages(c, id).await?;
    Ok(Staged { request, stages })
}

/// Who is told of a cancellation done at once (as in the one-step flow).
fn cancelled_notes(actor: i64, r: &LeaveRequest) -> Vec<(i64, &'static str, String)> {
    if actor != r.employee_id {
        vec![(r.employee_id, "leave_request.cancelled", format!("Your {} leave was cancelled", r.leave_type))]
    } else if let Some(m) = r.manager_id {
        vec![(m, "leave_request.cancelled", format!("{} cancelled {} leave", r.employee_name, r.leave_type))]
    } else {
        Vec::new()
    }
}

/// Whether `actor` may see request `r` with `stages`: its owner, their
/// manager, HR (as before chains), someone ever named the manager's
/// deputy, or anyone a stage names by role.
async fn may_see(c: &mut Conn<'_>, actor: &lms_core::Actor, r: &LeaveRequest, stages: &[Stage]) -> Result<bool> {
    if actor.can_view(r.employee_id, r.manager_id) {
        return Ok(true);
    }
    if stages.iter().any(|s| s.approver().is_ok_and(|a| a == Approver::Role(actor.role))) {
        return Ok(true);
    }
    Ok(match r.manager_id {
        Some(m) => approvals::is_named_deputy(c, m, actor.id).await?,
        None => false,
    })
}

/// An approver in words, for a refusal.
fn label(a: Approver) -> &'static str {
    match a {
        Approver::Manager => "the employee's manager (or their deputy)",
        Approver::Hr => "an HR admin",
        Approver::Role(Role::Manager) => "a manager",
        Approver::Role(_) => "someone with another role",
    }
}

/// Request `id` with its stages, for whoever may see it: the owner, their
/// manager, HR, or someone named the manager's deputy. Without the
/// migration the stages are empty.
pub async fn request_with_stages(db: &Db, caller: &Caller, id: i64) -> Result<Staged> {
    let mut c = db.acquire().await?;
    let r =
        requests::get(&mut c.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))?;
    let actor = &caller.actor;
    let stages = if staged(db) { approvals::stages(&mut c.conn(), id).await? } else { Vec::new() };
    let visible = if staged(db) {
        may_see(&mut c.conn(), actor, &r, &stages).await?
    } else {
        actor.can_view(r.employee_id, r.manager_id)
    };
    if !visible {
        return Err(StoreError::NotFound(format!("leave request {id}")).into());
    }
    Ok(Staged { request: r, stages })
}

/// Delegations that have not ended by `today`: a person's own (as manager
/// or deputy), or with `everyone` (HR admins only) all of them.
pub async fn delegations(db: &Db, caller: &Caller, everyone: bool, today: NaiveDate) -> Result<Vec<Delegation>> {
    if everyone {
        caller.require_hr()?;
    }
    if !staged(db) {
        return Ok(Vec::new());
    }
    let mut c = db.acquire().await?;
    let who = (!everyone).then_some(caller.actor.id);
    Ok(approvals::delegations(&mut c.conn(), who, today).await?)
}

/// The longest delegation, in days.
pub const MAX_DELEGATION_DAYS: i64 = 366;

/// Names `deputy` manager `manager`'s deputy on `dates`: a manager for
/// themselves, or an HR admin for any manager. The deputy is another active
/// manager or HR admin; the dates have not ended and span at most a year.
pub async fn name_deputy(
    db: &Db,
    caller: &Caller,
    manager: i64,
    deputy: i64,
    dates: DateRange,
    now: DateTime<Utc>,
) -> Result<Delegation> {
    let actor = &caller.actor;
    if manager != actor.id && !actor.is_hr() {
        return Err(
            DomainError::Forbidden("you may name a deputy for yourself only (HR admins for anyone)".into()).into()
        );
    }
    if !staged(db) {
        return Err(needs_schema("naming a deputy").into());
    }
    let bad = |m: String| -> crate::AppError { DomainError::InvalidDelegation(m).into() };
    if dates.end() < now.date_naive() {
        return Err(bad(format!("the dates have ended ({}); name a deputy for today or later", dates.end())));
    }
    if (dates.end() - dates.start()).num_days() >= MAX_DELEGATION_DAYS {
        return Err(bad(format!("a delegation covers at most {MAX_DELEGATION_DAYS} days; name it again later")));
    }
    if manager == deputy {
        return Err(bad("a manager cannot be their own deputy".into()));
    }
    let mut tx = db.begin().await?;
    let m = employees::get(&mut tx.conn(), manager).await?.filter(|e| e.active);
    match m {
        Some(m) if matches!(m.role(), Role::Manager | Role::HrAdmin) => {}
        Some(_) => return Err(bad(format!("person {manager} is not a manager: only managers name deputies"))),
        None => return Err(StoreError::NotFound(format!("employee {manager}")).into()),
    }
    match employees::get(&mut tx.conn(), deputy).await?.filter(|e| e.active) {
        Some(d) if matches!(d.role(), Role::Manager | Role::HrAdmin) => {}
        Some(_) => return Err(bad(format!("person {deputy} cannot be a deputy: choose a manager or an HR admin"))),
        None => return Err(bad(format!("person {deputy} does not exist or is inactive"))),
    }
    let d = approvals::create_delegation(
        &mut tx.conn(),
        &NewDelegation { manager_id: manager, deputy_id: deputy, dates },
        actor.id,
        now,
    )
    .await?;
    let what = Audited {
        action: "delegation.create",
        entity: ("delegation", d.id.to_string()),
        before: None,
        after: Some(&d),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    let subject = format!("{} named you their deputy from {} to {}", d.manager_name, d.start_date, d.end_date);
    let n = lms_store::notifications::NewNotification {
        recipient_id: deputy,
        kind: "delegation.named",
        subject: subject.clone(),
        body: subject,
        entity_type: "delegation",
        entity_id: d.id,
    };
    lms_store::notifications::create(&mut tx.conn(), &n, now).await?;
    tx.commit().await?;
    Ok(d)
}

/// Removes delegation `id`: its manager, or an HR admin.
pub async fn remove_deputy(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<()> {
    if !staged(db) {
        return Err(StoreError::NotFound(format!("delegation {id}")).into());
    }
    let mut tx = db.begin().await?;
    let d = approvals::get_delegation(&mut tx.conn(), id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("delegation {id}")))?;
    let actor = &caller.actor;
    if d.manager_id != actor.id && !actor.is_hr() {
        if d.deputy_id == actor.id {
            return Err(DomainError::Forbidden(
                "only the manager who named you (or HR) may end this delegation".into(),
            )
            .into());
        }
        return Err(StoreError::NotFound(format!("delegation {id}")).into());
    }
    approvals::delete_delegation(&mut tx.conn(), id).await?;
    let what =
        Audited { action: "delegation.delete", entity: ("delegation", id.to_string()), before: Some(&d), after: None };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}
