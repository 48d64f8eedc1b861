//! Leave requests through their life: submit, approve, reject, cancel. Each
//! step is one transaction with its audit record and the notifications it
//! owes (the approvers of a new request; the employee of a decision; the
//! manager of a request its owner cancelled). With approval chains
//! (`approval`), a submission opens its type's stages and a decision
//! decides the open stage; without their migration, one step as before.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::{approval, Caller, Events};
use chrono::{DateTime, Utc};
use lms_core::{Comment, NewRequest, RequestAction};
use lms_store::notifications::{self, NewNotification};
use lms_store::request_parts;
use lms_store::requests::{self, LeaveRequest, Quote};
use lms_store::{employees, Conn, Db};

/// What `new` would count for the caller and leave of their balance, and
/// what would refuse it; nothing is stored. `submit` decides with the same
/// computation.
pub async fn quote(db: &Db, caller: &Caller, new: &NewRequest, today: chrono::NaiveDate) -> Result<Quote> {
    let mut c = db.acquire().await?;
    let calendars = crate::locations::calendars(db);
    let parts = crate::leave_year::charged(db, &mut c.conn(), new).await?;
    let units = crate::leave_types::units(db);
    Ok(request_parts::quote(&mut c.conn(), caller.actor.id, new, &parts, calendars, units, today).await?)
}

/// Submits `new` for the caller; the approvers are told. A request across
/// a turn of the leave year is stored as one request per year, all or
/// nothing (each audited; the approvers told once); the first is returned.
pub async fn submit(
    db: &Db,
    caller: &Caller,
    new: &NewRequest,
    now: DateTime<Utc>,
    events: &dyn Events,
) -> Result<LeaveRequest> {
    let mut tx = db.begin().await?;
    let calendars = crate::locations::calendars(db);
    let parts = crate::leave_year::charged(db, &mut tx.conn(), new).await?;
    let units = crate::leave_types::units(db);
    let rows = match parts.as_slice() {
        [one] => vec![requests::submit(&mut tx.conn(), caller.actor.id, one, calendars, units, now).await?],
        _ => request_parts::submit(&mut tx.conn(), caller.actor.id, new, &parts, calendars, units, now).await?,
    };
    let audit = caller.audit();
    let action = "leave_request.submit";
    let mut stored = Vec::with_capacity(rows.len());
    let mut approvers: Vec<i64> = Vec::new();
    for row in rows {
        let entity = ("leave_request", row.id.to_string());
        if approval::staged(db) {
            // Through the type's chain: stages opened (each part its own), or approved at once.
            let s = approval::submitted(&mut tx.conn(), caller, row, now).await?;
            let what = Audited { action, entity, before: None, after: Some(&s.request) };
            record(&mut tx.conn(), &audit, what, now).await?;
            approvers.extend(s.approvers);
            stored.push(s.request.request);
        } else {
            record(&mut tx.conn(), &audit, Audited { action, entity, before: None, after: Some(&row) }, now).await?;
            approvers.extend(approvers_of(&mut tx.conn(), &row, caller.actor.id).await?);
            stored.push(row);
        }
    }
    approvers.sort_unstable();
    approvers.dedup();
    let Some(r) = crate::leave_year::whole(&stored) else {
        return Err(lms_store::StoreError::NotFound("the submitted request".into()).into());
    };
    for approver in approvers {
        let subject = format!("{} requested {} leave", r.employee_name, r.leave_type);
        notify(&mut tx.conn(), units, approver, "leave_request.submitted", &r, subject, now).await?;
    }
    tx.commit().await?;
    events.leave_event("submitted");
    if r.status() == lms_core::LeaveStatus::Approved {
        events.leave_event("approved");
    }
    Ok(stored.into_iter().next().unwrap_or(r))
}

/// Approves, rejects or cancels request `id` as the caller, with an
/// optional comment; the employee (or, when the employee cancels, the
/// manager) is told. When `id` is a part of a request across a turn of the
/// leave year, the step applies to every part in the same status, in the
/// same transaction (each audited; one notification).
pub async fn decide(
    db: &Db,
    caller: &Caller,
    id: i64,
    action: RequestAction,
    comment: Option<&Comment>,
    now: DateTime<Utc>,
    events: &dyn Events,
) -> Result<LeaveRequest> {
    let mut tx = db.begin().await?;
    let comment = comment.map(Comment::as_str);
    if approval::staged(db) {
        if let Some(d) = approval::decide(&mut tx.conn(), caller, id, action, comment, now).await? {
            // The other parts of a request across a turn of the leave year
            // stand at the same stage: the same decision, each audited.
            let mut decided = vec![d];
            for part in crate::leave_year::other_parts(db, &mut tx.conn(), id).await? {
                let same = requests::get(&mut tx.conn(), part)
                    .await?
                    .is_some_and(|p| p.status == decided[0].before.request.status);
                if same {
                    if let Some(p) = approval::decide(&mut tx.conn(), caller, part, action, comment, now).await? {
                        decided.push(p);
                    }
                }
            }
            for d in &decided {
                let what = Audited {
                    action: d.action,
                    entity: ("leave_request", d.after.request.id.to_string()),
                    before: Some(&d.before),
                    after: Some(&d.after),
                };
                record(&mut tx.conn(), &caller.audit(), what, now).await?;
            }
            let d = &decided[0];
            let mut afters: Vec<LeaveRequest> = decided.iter().map(|d| d.after.request.clone()).collect();
            afters.sort_by_key(|r| (r.start_date, r.id));
            let whole = crate::leave_year::whole(&afters).unwrap_or_else(|| d.after.request.clone());
            for (to, kind, subject) in &d.notes {
                notify(&mut tx.conn(), crate::leave_types::units(db), *to, kind, &whole, subject.clone(), now).await?;
            }
            tx.commit().await?;
            if let Some(event) = d.event {
                events.leave_event(event);
            }
            return Ok(d.after.request.clone());
        }
    }
    let changed = decide_parts(db, &mut tx.conn(), &caller.actor, id, action, comment, now).await?;
    let verb = past_tense(action);
    let action_name = format!("leave_request.{}", action.as_str());
    let audit = caller.audit();
    for t in &changed {
        record(
            &mut tx.conn(),
            &audit,
            Audited {
                action: &action_name,
                entity: ("leave_request", t.after.id.to_string()),
                before: Some(&t.before),
                after: Some(&t.after),
            },
            now,
        )
        .await?;
    }
    let mut afters: Vec<LeaveRequest> = changed.into_iter().map(|t| t.after).collect();
    let asked = afters.first().cloned();
    afters.sort_by_key(|r| (r.start_date, r.id));
    let (Some(asked), Some(whole)) = (asked, crate::leave_year::whole(&afters)) else {
        return Err(lms_store::StoreError::NotFound(format!("leave request {id}")).into());
    };
    let r = &whole;
    if caller.actor.id != r.employee_id {
        let subject = format!("Your {} leave was {verb}", r.leave_type);
        let kind = format!("leave_request.{verb}");
        notify(&mut tx.conn(), crate::leave_types::units(db), r.employee_id, &kind, r, subject, now).await?;
    } else if let Some(m) = r.manager_id {
        let subject = format!("{} cancelled {} leave", r.employee_name, r.leave_type);
        notify(&mut tx.conn(), crate::leave_types::units(db), m, "leave_request.cancelled", r, subject, now).await?;
    }
    tx.commit().await?;
    events.leave_event(verb);
    Ok(asked)
}

/// The transition of request `id` (first: it decides who may see and do
/// what), then of each other part of its request that was in the same
/// status, as `requests::transition` does it for one.
async fn decide_parts(
    db: &Db,
    c: &mut Conn<'_>,
    actor: &lms_core::Actor,
    id: i64,
    action: RequestAction,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<requests::Transition>> {
    let first = requests::transition(c, actor, id, action, comment, now.date_naive(), now).await?;
    let status = first.before.status.clone();
    let mut changed = vec![first];
    for part in crate::leave_year::other_parts(db, c, id).await? {
        if requests::get(c, part).await?.is_some_and(|p| p.status == status) {
            changed.push(requests::transition(c, actor, part, action, comment, now.date_naive(), now).await?);
        }
    }
    Ok(changed)
}

fn past_tense(action: RequestAction) -> &'static str {
    match action {
        RequestAction::Approve => "approved",
        RequestAction::Reject => "rejected",
        RequestAction::Cancel => "cancelled",
    }
}

/// Who decides a new request: the employee's manager while active, else
/// every HR admin but the requester.
async fn approvers_of(c: &mut Conn<'_>, r: &LeaveRequest, requester: i64) -> Result<Vec<i64>> {
    Ok(match r.manager_id {
        Some(m) if employees::get(c, m).await?.is_some_and(|e| e.active) => vec![m],
        _ => employees::hr_admin_ids(c).await?.into_iter().filter(|id| *id != requester).collect(),
    })
}

/// Tells `recipient` about `r`; its amount in its type's unit (`units`:
/// which units the instance reads).
async fn notify(
    c: &mut Conn<'_>,
    units: lms_store::leave_types::Units,
    recipient: i64,
    kind: &str,
    r: &LeaveRequest,
    subject: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let unit = lms_store::leave_types::units(c, units).await?.of(&r.leave_type);
    let amount = lms_core::Quantity::new(unit, r.amount);
    let body = format!(
        "{} leave {} to {} ({}), status {}",
        r.leave_type,
        r.start_date,
        r.end_date,
        amount.with_unit(),
        r.status
    );
    let n =
        NewNotification { recipient_id: recipient, kind, subject, body, entity_type: "leave_request", entity_id: r.id };
    notifications::create(c, &n, now).await?;
    Ok(())
}
