//! The demo organisation: an HR admin, two managers with three reports each,
//! the `annual`, `sick` and `unpaid` leave types, current-year allowances and
//! two company holidays. Seeded only into an empty database.

use crate::employees::{self, NewEmployee};
use crate::leave_types::{self, NewLeaveType};
use crate::ledger::NewEntry;
use crate::{holidays, ledger, Db, Result};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lms_core::{Email, LeaveAmount, LedgerKind, Role};

/// How many people the demo organisation has.
pub const ACCOUNTS: usize = 9;

/// A login the demo created.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub manager: Option<String>,
}

/// Seeds the demo organisation when no employee exists yet; returns the
/// logins created, or `None` when the database already had people.
/// `password_hash(n)` is the argon2id hash of the demo password for the
/// n-th of the [`ACCOUNTS`] accounts: a real deployment gives each its own
/// salt; tests may hash once and hand out the same hash for speed.
pub async fn seed(
    db: &Db,
    password_hash: impl Fn(usize) -> String,
    now: DateTime<Utc>,
) -> Result<Option<Vec<DemoLogin>>> {
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    if employees::count_active(&mut c).await? > 0 {
        return Ok(None);
    }
    let year = now.year();
    let start = NaiveDate::from_ymd_opt(year - 2, 1, 1).unwrap_or(now.date_naive());
    let types = [
        ("annual", "Annual leave", true, "#2e86de", Some(25)),
        ("sick", "Sick leave", true, "#e67e22", Some(10)),
        ("unpaid", "Unpaid leave", false, "#8395a7", None),
    ];
    let mut type_ids = Vec::new();
    for (code, name, deducts, colour, days) in types {
        let t = leave_types::create(
            &mut c,
            &NewLeaveType {
                code: code.into(),
                name: name.into(),
                deducts_balance: deducts,
                requires_approval: true,
                colour: colour.into(),
                default_allowance: days.map(|d| LeaveAmount::days(d).millidays()),
            },
            now,
        )
        .await?;
        type_ids.push((t.id, days));
    }
    let people: [(&str, &str, &str, Role, Option<usize>); ACCOUNTS] = [
        ("hr@demo.local", "Harriet Ross", "People", Role::HrAdmin, None),
        ("manager@demo.local", "Morgan Lee", "Engineering", Role::Manager, None),
        ("employee1@demo.local", "Ada Byrne", "Engineering", Role::Employee, Some(1)),
        ("employee2@demo.local", "Ben Okafor", "Engineering", Role::Employee, Some(1)),
        ("employee3@demo.local", "Chloe Martin", "Engineering", Role::Employee, Some(1)),
        ("manager2@demo.local", "Maya Singh", "Operations", Role::Manager, None),
        ("employee4@demo.local", "Dan Novak", "Operations", Role::Employee, Some(5)),
        ("employee5@demo.local", "Eva Rossi", "Operations", Role::Employee, Some(5)),
        ("employee6@demo.local", "Femi Adeyemi", "Operations", Role::Employee, Some(5)),
    ];
    let mut ids: Vec<i64> = Vec::new();
    let mut logins = Vec::new();
    for (n, (email, name, dept, role, manager)) in people.into_iter().enumerate() {
        let email = Email::parse(email)?;
        let manager_id = manager.and_then(|i| ids.get(i).copied());
        let e = employees::create(
            &mut c,
            &NewEmployee {
                email: email.clone(),
                name: name.into(),
                department: dept.into(),
                manager_id,
                start_date: start,
                role,
                password_hash: Some(password_hash(n)),
            },
            now,
        )
        .await?;
        for (type_id, days) in &type_ids {
            if let Some(d) = days {
                let entry = NewEntry {
                    employee_id: e.id,
                    leave_type_id: *type_id,
                    year,
                    kind: LedgerKind::Allocation,
                    amount: LeaveAmount::days(*d),
                    reason: "demo allowance",
                    created_by: None,
                };
                ledger::add(&mut c, &entry, now).await?;
            }
        }
        ids.push(e.id);
        logins.push(DemoLogin { email: email.to_string(), role, manager: manager.map(|i| people[i].0.to_string()) });
    }
    for (m, d, name) in [(1, 1, "New Year's Day"), (12, 25, "Christmas Day")] {
        if let Some(day) = NaiveDate::from_ymd_opt(year, m, d) {
            holidays::create(&mut c, day, name, now).await?;
        }
    }
    tx.commit().await?;
    Ok(Some(logins))
}
