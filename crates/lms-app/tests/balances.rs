//! Property: the balance a person is shown (`lms_store::ledger::balances`,
//! what `GET /me/balances` and the home page read) is the sum of their
//! ledger lines minus their approved and pending requests — whatever mix
//! of allocations, signed adjustments, submissions and decisions came
//! before, refused ones included. The expected figures are added up in the
//! test from what the use cases answered (a line written or refused, each
//! request's amount and the status its last step left it in), never read
//! back from the database. SQLite in a temporary file, a fresh database
//! per case; few cases, so it stays quick.
//!
//! And on PostgreSQL (what production runs): submissions at the same time
//! never take a balance below zero, and each one refused asked for more
//! than was left at the end (a balance only shrinks while people submit,
//! so what was refused could not have fitted in any order).

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use lms_app::{Caller, Events};
use lms_core::{Actor, DomainError, EntitlementChange, LeaveAmount, LedgerKind, NewRequest, RequestAction, Role};
use lms_store::{demo, ledger, testing, Backend, Db, StoreError};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;

const HR: i64 = 1;
const MANAGER: i64 = 2;
const EMPLOYEE1: i64 = 3;
/// The demo's leave types: two that count against a balance, one that does not.
const TYPES: [&str; 3] = ["annual", "sick", "unpaid"];

struct Quiet;
impl Events for Quiet {
    fn leave_event(&self, _: &'static str) {}
}

fn caller(id: i64, role: Role) -> Caller {
    Caller { actor: Actor { id, role }, request_id: format!("prop-{id}"), client_addr: "192.0.2.9".into() }
}

/// Next year: every request is in the future, none across a turn of the year.
fn year() -> i32 {
    Utc::now().year() + 1
}

/// What happens to a request after it is submitted.
#[derive(Debug, Clone, Copy)]
enum Then {
    Wait,
    Approve,
    Reject,
    Cancel,
    ApproveThenCancel,
}

#[derive(Debug, Clone)]
enum Step {
    /// HR writes a ledger line: an allocation (refused when the year has
    /// one) or an adjustment with a reason (either sign).
    Line { leave_type: usize, kind: LedgerKind, millidays: i64 },
    /// The person asks for leave (refused when it overlaps, does not fit
    /// the balance, or covers no working day), then it is decided.
    Request { leave_type: usize, week: u32, weekday: u32, days: i64, half_start: bool, half_end: bool, then: Then },
}

fn step() -> impl Strategy<Value = Step> {
    let line =
        (0..TYPES.len(), prop_oneof![Just(LedgerKind::Allocation), Just(LedgerKind::Adjustment)], -8000i64..30000)
            .prop_map(|(leave_type, kind, millidays)| Step::Line { leave_type, kind, millidays });
    let then = prop_oneof![
        Just(Then::Wait),
        Just(Then::Approve),
        Just(Then::Reject),
        Just(Then::Cancel),
        Just(Then::ApproveThenCancel)
    ];
    let request = (0..TYPES.len(), 2u32..50, 0u32..7, 0i64..9, any::<bool>(), any::<bool>(), then).prop_map(
        |(leave_type, week, weekday, days, half_start, half_end, then)| Step::Request {
            leave_type,
            week,
            weekday,
            days,
            half_start,
            half_end,
            then,
        },
    );
    prop_oneof![1 => line, 2 => request]
}

/// Millidays per leave type, as the test adds them up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Expected {
    entitled: i64,
    taken: i64,
    pending: i64,
}

async fn organisation() -> (Db, testing::Cleanup) {
    on(Backend::Sqlite).await
}

async fn on(backend: Backend) -> (Db, testing::Cleanup) {
    let (db, url) = testing::fresh(backend).await.expect("database");
    let cleanup = testing::Cleanup::new(&url);
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g".to_string();
    demo::seed(&db, |_| hash.clone(), Utc::now()).await.expect("seed").expect("empty");
    (db, cleanup)
}

/// Runs `steps` through the use cases and compares the balances shown with
/// the sums of what the use cases answered.
async fn shown_balance_is_the_ledger_sum(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let (db, _cleanup) = organisation().await;
    let (hr, manager, employee) =
        (caller(HR, Role::HrAdmin), caller(MANAGER, Role::Manager), caller(EMPLOYEE1, Role::Employee));
    let now = Utc::now();
    let year = year();
    let mut lines: BTreeMap<&str, i64> = BTreeMap::new();
    // Each request's type, amount and the status the last answer gave.
    let mut requests: BTreeMap<i64, (&str, i64, String)> = BTreeMap::new();
    let mut accepted = 0;
    // An allowance to start from, so that most requests of a counted type fit.
    let start = Step::Line { leave_type: 0, kind: LedgerKind::Allocation, millidays: 20_000 };
    for step in std::iter::once(start).chain(steps) {
        match step {
            Step::Line { leave_type, kind, millidays } => {
                let reason = (kind == LedgerKind::Adjustment).then_some("a correction of the year");
                let Ok(change) = EntitlementChange::parse(kind, LeaveAmount::from_millidays(millidays), reason) else {
                    continue; // a negative allocation or a zero adjustment never reaches the ledger
                };
                let code = TYPES[leave_type];
                if lms_app::allowances::write(&db, &hr, EMPLOYEE1, code, year, &change, now).await.is_ok() {
                    *lines.entry(code).or_default() += millidays;
                    accepted += 1;
                }
            }
            Step::Request { leave_type, week, weekday, days, half_start, half_end, then } => {
                let day = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).expect("week")
                    + Duration::days(i64::from(weekday));
                let code = TYPES[leave_type];
                let new = NewRequest::parse(code, day, day + Duration::days(days), half_start, half_end, Some("trip"))
                    .expect("a request within one year");
                let Ok(r) = lms_app::leave::submit(&db, &employee, &new, now, &Quiet).await else {
                    continue;
                };
                accepted += 1;
                let mut status = r.status.clone();
                let steps: &[(RequestAction, &Caller)] = match then {
                    Then::Wait => &[],
                    Then::Approve => &[(RequestAction::Approve, &manager)],
                    Then::Reject => &[(RequestAction::Reject, &manager)],
                    Then::Cancel => &[(RequestAction::Cancel, &employee)],
                    Then::ApproveThenCancel => {
                        &[(RequestAction::Approve, &manager), (RequestAction::Cancel, &employee)]
                    }
                };
                for (action, who) in steps {
                    if let Ok(d) = lms_app::leave::decide(&db, who, r.id, *action, None, now, &Quiet).await {
                        status = d.status;
                    }
                }
                requests.insert(r.id, (code, r.amount, status));
            }
        }
    }
    let mut expected: BTreeMap<&str, Expected> = BTreeMap::new();
    for (code, sum) in &lines {
        expected.entry(code).or_default().entitled = *sum;
    }
    for (code, amount, status) in requests.values() {
        let e = expected.entry(code).or_default();
        match status.as_str() {
            "approved" => e.taken += amount,
            "pending" => e.pending += amount,
            _ => {}
        }
    }
    let mut c = db.acquire().await.expect("connection");
    let shown = ledger::balances(&mut c.conn(), EMPLOYEE1, year, lms_store::leave_types::Units::PerType)
        .await
        .expect("balances");
    for code in TYPES {
        let b = shown.iter().find(|b| b.leave_type == code).expect("a line per type").balance;
        let got =
            Expected { entitled: b.entitled.millidays(), taken: b.taken.millidays(), pending: b.pending.millidays() };
        let want = expected.get(code).copied().unwrap_or_default();
        prop_assert_eq!(got, want, "{} after {} accepted steps", code, accepted);
        prop_assert_eq!(b.available().millidays(), want.entitled - want.taken - want.pending, "{} available", code);
    }
    Ok(())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt"))
}

/// Submits requests of `lengths` working days (each from the Monday of
/// its own week, so none overlaps another) all at once against an
/// allowance of `allowance` millidays.
async fn concurrent_submissions_stay_within_the_balance(
    allowance: i64,
    lengths: Vec<i64>,
) -> Result<(), TestCaseError> {
    let (db, _cleanup) = on(Backend::Postgres).await;
    let (hr, employee) = (caller(HR, Role::HrAdmin), caller(EMPLOYEE1, Role::Employee));
    let (now, year) = (Utc::now(), year());
    let change = EntitlementChange::parse(LedgerKind::Allocation, LeaveAmount::from_millidays(allowance), None)
        .expect("an allocation");
    lms_app::allowances::write(&db, &hr, EMPLOYEE1, "annual", year, &change, now).await.expect("allocated");
    let tasks: Vec<_> = lengths
        .iter()
        .enumerate()
        .map(|(i, days)| {
            let (db, employee) = (db.clone(), employee.clone());
            let monday = NaiveDate::from_isoywd_opt(year, 2 + i as u32, Weekday::Mon).expect("week");
            let new = NewRequest::parse("annual", monday, monday + Duration::days(days - 1), false, false, None)
                .expect("request");
            tokio::spawn(async move { lms_app::leave::submit(&db, &employee, &new, now, &Quiet).await })
        })
        .collect();
    let (mut created, mut refused) = (0i64, Vec::new());
    for (task, days) in tasks.into_iter().zip(&lengths) {
        match task.await.expect("task") {
            Ok(r) => created += r.amount,
            Err(
                lms_app::AppError::Domain(DomainError::InsufficientBalance { .. })
                | lms_app::AppError::Store(StoreError::Domain(DomainError::InsufficientBalance { .. })),
            ) => refused.push(days * 1000),
            Err(e) => return Err(TestCaseError::fail(format!("unexpected refusal: {e}"))),
        }
    }
    let mut c = db.acquire().await.expect("connection");
    let shown = ledger::balances(&mut c.conn(), EMPLOYEE1, year, lms_store::leave_types::Units::PerType)
        .await
        .expect("balances");
    let b = shown.iter().find(|b| b.leave_type == "annual").expect("annual").balance;
    prop_assert_eq!(b.pending.millidays(), created, "pending is what was accepted");
    prop_assert!(created <= allowance, "{} accepted of {}", created, allowance);
    let left = b.available().millidays();
    prop_assert_eq!(left, allowance - created);
    for asked in refused {
        prop_assert!(asked > left, "{} refused with {} left at the end", asked, left);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn concurrent_submissions_never_take_a_balance_below_zero(
        allowance in 2i64..15,
        lengths in prop::collection::vec(1i64..6, 3..12),
    ) {
        runtime().block_on(concurrent_submissions_stay_within_the_balance(allowance * 1000, lengths))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_shown_balance_is_the_ledger_minus_approved_and_pending(steps in prop::collection::vec(step(), 1..24)) {
        runtime().block_on(shown_balance_is_the_ledger_sum(steps))?;
    }
}
