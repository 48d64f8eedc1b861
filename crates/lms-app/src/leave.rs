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
use lms_store::requests::{self, LeaveRequest, Quote};
use lms_store::{employees, Conn, Db};

/// What `new` would count for the caller and leave of their balance, and
/// what would refuse it; nothing is stored. `submit` decides with the same
/// computation.
pub async fn quote(db: &Db, caller: &Caller, new: &NewRequest, today: chrono::NaiveDate) -> Result<Quote> {
    let mut c = db.acquire().await?;
    let calendars = crate::locations::calendars(db);
    Ok(requests::quote(&mut c.conn(), caller.actor.id, new, calendars, today).await?)
}

/// Submits `new` for the caller; the approvers are told.
pub async fn submit(
    db: &Db,
    caller: &Caller,
    new: &NewRequest,
    now: DateTime<Utc>,
    events: &dyn Events,
) -> Result<LeaveRequest> {
    let mut tx = db.begin().await?;
    let calendars = crate::locations::calendars(db);
    let r = requests::submit(&mut tx.conn(), caller.actor.id, new, calendars, now).await?;
    let audit = caller.audit();
    let entity = ("leave_request", r.id.to_string());
    let action = "leave_request.submit";
    let (r, approvers) = if approval::staged(db) {
        // Through the type's chain: stages opened, or approved at once.
        let s = approval::submitted(&mut tx.conn(), caller, r, now).await?;
        let what = Audited { action, entity, before: None, after: Some(&s.request) };
        record(&mut tx.conn(), &audit, what, now).await?;
        (s.request.request, s.approvers)
    } else {
        record(&mut tx.conn(), &audit, Audited { action, entity, before: None, after: Some(&r) }, now).await?;
        let approvers = approvers_of(&mut tx.conn(), &r, caller.actor.id).await?;
        (r, approvers)
    };
    for approver in approvers {
        let subject = format!("{} requested {} leave", r.employee_name, r.leave_type);
        notify(&mut tx.conn(), approver, "leave_request.submitted", &r, subject, now).await?;
    }
    tx.commit().await?;
    events.leave_event("submitted");
    if r.status() == lms_core::LeaveStatus::Approved {
        events.leave_event("approved");
    }
    Ok(r)
}

/// Approves, rejects or cancels request `id` as the caller, with an
/// optional comment; the employee (or, when the employee cancels, the
/// manager) is told.
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
            let what = Audited {
                action: d.action,
                entity: ("leave_request", id.to_string()),
                before: Some(&d.before),
                after: Some(&d.after),
            };
            record(&mut tx.conn(), &caller.audit(), what, now).await?;
            for (to, kind, subject) in &d.notes {
                notify(&mut tx.conn(), *to, kind, &d.after.request, subject.clone(), now).await?;
            }
            tx.commit().await?;
            if let Some(event) = d.event {
                events.leave_event(event);
            }
            return Ok(d.after.request);
        }
    }
    let t = requests::transition(&mut tx.conn(), &caller.actor, id, action, comment, now.date_naive(), now).await?;
    let verb = past_tense(action);
    let action_name = format!("leave_request.{}", action.as_str());
    let audit = caller.audit();
    record(
        &mut tx.conn(),
        &audit,
        Audited {
            action: &action_name,
            entity: ("leave_request", id.to_string()),
            before: Some(&t.before),
            after: Some(&t.after),
        },
        now,
    )
    .await?;
    let r = &t.after;
    if caller.actor.id != r.employee_id {
        let subject = format!("Your {} leave was {verb}", r.leave_type);
        notify(&mut tx.conn(), r.employee_id, &format!("leave_request.{verb}"), r, subject, now).await?;
    } else if let Some(m) = r.manager_id {
        let subject = format!("{} cancelled {} leave", r.employee_name, r.leave_type);
        notify(&mut tx.conn(), m, "leave_request.cancelled", r, subject, now).await?;
    }
    tx.commit().await?;
    events.leave_event(verb);
    Ok(t.after)
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

async fn notify(
    c: &mut Conn<'_>,
    recipient: i64,
    kind: &str,
    r: &LeaveRequest,
    subject: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let body = format!(
        "{} leave {} to {} ({} days), status {}",
        r.leave_type,
        r.start_date,
        r.end_date,
        lms_core::LeaveAmount::from_millidays(r.amount).to_days_f64(),
        r.status
    );
    let n =
        NewNotification { recipient_id: recipient, kind, subject, body, entity_type: "leave_request", entity_id: r.id };
    notifications::create(c, &n, now).await?;
    Ok(())
}
