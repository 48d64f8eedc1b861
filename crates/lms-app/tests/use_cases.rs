//! The use cases without any front door. Leave: a submission notifies the
//! manager, is audited with the caller's request id and address, and is
//! counted once committed; a decision notifies the employee; a refused step
//! writes nothing and counts nothing. Maintenance: HR or the command line
//! switch it, an employee may not, and the audit log says who. People: no
//! self-lockout, no unknown or circular manager, HR only.

use chrono::{Datelike, NaiveDate, Utc, Weekday};
use lms_app::{AppError, Caller, Events};
use lms_core::{Actor, Comment, DomainError, LeaveAmount, LedgerKind, NewRequest, RequestAction, Role};
use lms_store::audit::AuditFilter;
use lms_store::{audit, demo, ledger, notifications, testing, Backend, Db};
use std::sync::Mutex;

/// Remembers the events it is told.
#[derive(Default)]
struct Recorded(Mutex<Vec<&'static str>>);

impl Events for Recorded {
    fn leave_event(&self, event: &'static str) {
        self.0.lock().expect("lock").push(event);
    }
}

const MANAGER: i64 = 2;
const EMPLOYEE1: i64 = 3;

fn caller(id: i64, role: Role) -> Caller {
    Caller { actor: Actor { id, role }, request_id: format!("req-{id}"), client_addr: "192.0.2.7".into() }
}

/// A Monday in June of next year.
fn june_monday() -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(Utc::now().year() + 1, 6, 1).expect("date");
    while d.weekday() != Weekday::Mon {
        d = d.succ_opt().expect("date");
    }
    d
}

async fn organisation() -> (Db, testing::Cleanup) {
    let (db, url) = testing::fresh(Backend::Sqlite).await.expect("database");
    let cleanup = testing::Cleanup::new(&url);
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g".to_string();
    demo::seed(&db, |_| hash.clone(), Utc::now()).await.expect("seed").expect("empty");
    let mut tx = db.begin().await.expect("tx");
    let entry = ledger::NewEntry {
        employee_id: EMPLOYEE1,
        leave_type_id: 1,
        year: june_monday().year(),
        kind: LedgerKind::Allocation,
        amount: LeaveAmount::days(25),
        reason: "test",
        created_by: None,
    };
    ledger::add(&mut tx.conn(), &entry, Utc::now()).await.expect("allocation");
    tx.commit().await.expect("commit");
    (db, cleanup)
}

#[tokio::test]
async fn a_submission_and_a_decision_do_all_they_owe_and_nothing_when_refused() {
    let (db, _cleanup) = organisation().await;
    let events = Recorded::default();
    let day = june_monday();
    let new = NewRequest::parse("annual", day, day, false, false, Some("trip")).expect("request");
    let employee = caller(EMPLOYEE1, Role::Employee);
    let r = lms_app::leave::submit(&db, &employee, &new, Utc::now(), &events).await.expect("submitted");
    assert_eq!((r.employee_id, r.status.as_str()), (EMPLOYEE1, "pending"));

    let mut c = db.acquire().await.expect("conn");
    let to_manager = notifications::list(&mut c.conn(), MANAGER, false, None, 10).await.expect("list");
    assert_eq!(to_manager.len(), 1);
    assert_eq!((to_manager[0].kind.as_str(), to_manager[0].entity_id), ("leave_request.submitted", r.id));
    let filter = |action: &str| AuditFilter {
        actor_id: None,
        action: Some(action.into()),
        entity_type: None,
        entity_id: Some(r.id.to_string()),
        from: None,
        to: None,
        before_id: None,
        limit: 10,
    };
    let audited = audit::list(&mut c.conn(), &filter("leave_request.submit")).await.expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(
        (audited[0].actor_id, audited[0].request_id.as_str(), audited[0].client_addr.as_str()),
        (Some(EMPLOYEE1), "req-3", "192.0.2.7")
    );
    drop(c);

    // Another employee may not decide it: an error, nothing written, nothing counted.
    let outsider = caller(7, Role::Employee);
    let refused = lms_app::leave::decide(&db, &outsider, r.id, RequestAction::Approve, None, Utc::now(), &events).await;
    assert!(matches!(refused, Err(AppError::Domain(_)) | Err(AppError::Store(_))), "{refused:?}");
    assert_eq!(testing::count_rows(&db, "audit_events").await.expect("count"), 1);

    let manager = caller(MANAGER, Role::Manager);
    let comment = Comment::parse(Some("Enjoy!")).expect("comment");
    let decided =
        lms_app::leave::decide(&db, &manager, r.id, RequestAction::Approve, comment.as_ref(), Utc::now(), &events)
            .await
            .expect("approved");
    assert_eq!((decided.status.as_str(), decided.comment.as_deref()), ("approved", Some("Enjoy!")));
    let mut c = db.acquire().await.expect("conn");
    let to_employee = notifications::list(&mut c.conn(), EMPLOYEE1, false, None, 10).await.expect("list");
    assert_eq!(to_employee.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), ["leave_request.approved"]);
    assert_eq!(audit::list(&mut c.conn(), &filter("leave_request.approve")).await.expect("audit").len(), 1);
    drop(c);
    assert_eq!(*events.0.lock().expect("lock"), ["submitted", "approved"]);

    // A second decision of the same request conflicts and counts nothing.
    let again = lms_app::leave::decide(&db, &manager, r.id, RequestAction::Reject, None, Utc::now(), &events).await;
    assert!(again.is_err(), "{again:?}");
    assert_eq!(events.0.lock().expect("lock").len(), 2);
    assert!(matches!(Comment::parse(Some(&"x".repeat(1001))), Err(DomainError::CommentTooLong(1001))));
}

#[tokio::test]
async fn maintenance_is_switched_by_hr_or_the_command_line_and_audited_either_way() {
    use lms_app::maintenance::set;
    use lms_app::By;
    let (db, _cleanup) = organisation().await;
    let employee = caller(EMPLOYEE1, Role::Employee);
    let refused = set(&db, By::Caller(&employee), true, Utc::now()).await;
    assert!(matches!(refused, Err(AppError::Domain(DomainError::Forbidden(_)))), "{refused:?}");
    assert_eq!(testing::count_rows(&db, "audit_events").await.expect("count"), 0);
    let hr = caller(1, Role::HrAdmin);
    assert!(!set(&db, By::Caller(&hr), true, Utc::now()).await.expect("on"), "it was off");
    assert!(set(&db, By::CommandLine, false, Utc::now()).await.expect("off"), "it was on");
    let mut c = db.acquire().await.expect("conn");
    let filter = AuditFilter {
        actor_id: None,
        action: None,
        entity_type: Some("settings".into()),
        entity_id: None,
        from: None,
        to: None,
        before_id: None,
        limit: 10,
    };
    let trail: Vec<_> = audit::list(&mut c.conn(), &filter)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| (e.action, e.actor_id, e.request_id))
        .collect();
    assert_eq!(
        trail,
        [
            ("maintenance.off".to_string(), None, "cli".to_string()),
            ("maintenance.on".to_string(), Some(1), "req-1".to_string())
        ]
    );
}

#[tokio::test]
async fn people_rules_hold_whoever_asks() {
    use lms_store::employees::{EmployeeChanges, NewEmployee};
    let (db, _cleanup) = organisation().await;
    let hr = caller(1, Role::HrAdmin);
    let refused = |r: Result<lms_store::employees::Employee, AppError>| match r {
        Err(AppError::Domain(e)) => e.code(),
        other => panic!("expected a broken rule, got {other:?}"),
    };
    let before = testing::count_rows(&db, "audit_events").await.expect("count");
    let deactivate_self = EmployeeChanges { active: Some(false), ..Default::default() };
    assert_eq!(refused(lms_app::people::update(&db, &hr, 1, &deactivate_self, None, Utc::now()).await), "self_lockout");
    let demote_self = EmployeeChanges { role: Some(Role::Employee), ..Default::default() };
    assert_eq!(refused(lms_app::people::update(&db, &hr, 1, &demote_self, None, Utc::now()).await), "self_lockout");
    let own_manager = EmployeeChanges { manager_id: Some(Some(EMPLOYEE1)), ..Default::default() };
    let r = lms_app::people::update(&db, &hr, EMPLOYEE1, &own_manager, None, Utc::now()).await;
    assert_eq!(refused(r), "manager_cycle");
    let new = NewEmployee {
        email: lms_core::Email::parse("new@demo.local").expect("email"),
        name: "New Person".into(),
        department: String::new(),
        manager_id: Some(999),
        start_date: june_monday(),
        role: Role::Employee,
        password_hash: None,
    };
    assert_eq!(
        refused(lms_app::people::create(&db, lms_app::By::Caller(&hr), &new, Utc::now()).await),
        "unknown_manager"
    );
    let employee = caller(EMPLOYEE1, Role::Employee);
    let r = lms_app::people::create(
        &db,
        lms_app::By::Caller(&employee),
        &NewEmployee { manager_id: None, ..new.clone() },
        Utc::now(),
    )
    .await;
    assert_eq!(refused(r), "forbidden");
    assert_eq!(testing::count_rows(&db, "audit_events").await.expect("count"), before, "refusals write nothing");
    let created = lms_app::people::create(
        &db,
        lms_app::By::Caller(&hr),
        &NewEmployee { manager_id: Some(MANAGER), ..new },
        Utc::now(),
    )
    .await
    .expect("created");
    assert_eq!(created.manager_id, Some(MANAGER));
}
