//! Entitlement policies and the entitlement job through the API: the worked
//! example of docs/LEAVE-RULES.md ("The entitlement job") line by line,
//! running the job twice (and on two connections at once on PostgreSQL)
//! writing each line once, a leaver's pro-rata, a projected balance, and
//! what bad input gets.

use crate::support::*;
use chrono::{Datelike, NaiveDate, Utc};
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    the_entitlement_job_follows_the_policies,
    a_projected_balance_counts_what_the_policy_will_write,
    bad_policies_are_refused_with_what_to_fix
);

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Creates a leave type `vacation`, a person in Research and one elsewhere;
/// returns (Rosa's id, Leo's id).
async fn setup(hr: &User) -> (i64, i64) {
    let (s, t) =
        hr.post("/api/v1/leave-types", json!({"code": "vacation", "name": "Vacation", "deducts_balance": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let mut ids = Vec::new();
    for (email, name, start) in
        [("rosa@demo.local", "Rosa Diaz", "2021-03-15"), ("leo@demo.local", "Leo Park", "2020-01-01")]
    {
        let body = json!({"email": email, "name": name, "department": "Research", "start_date": start, "role": "employee", "password": PASSWORD});
        let (s, e) = hr.post("/api/v1/employees", body).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        ids.push(e["id"].as_i64().expect("id"));
    }
    (ids[0], ids[1])
}

async fn policy(hr: &User, body: Value) -> i64 {
    let (s, p) = hr.post("/api/v1/policies", body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p["id"].as_i64().expect("id")
}

async fn assign(hr: &User, policy: i64, body: Value) {
    let (s, a) = hr.post(&format!("/api/v1/policies/{policy}/assignments"), body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
}

async fn run(hr: &User, as_of: &str) -> Value {
    let (s, r) = hr.post("/api/v1/entitlements/run", json!({"as_of": as_of})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

/// Submits and approves (as HR: nobody manages Rosa) `vacation` leave.
async fn take(app: &TestApp, hr: &User, who: &str, start: &str, end: &str) {
    let person = app.login(who).await;
    let (s, r) = person.post("/api/v1/leave-requests", request("vacation", d(start), d(end))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, r) = hr.post(&format!("/api/v1/leave-requests/{}/approve", r["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
}

fn kind(report: &Value, k: &str) -> (u64, f64) {
    (report["by_kind"][k]["lines"].as_u64().unwrap_or(0), report["by_kind"][k]["days"].as_f64().unwrap_or(0.0))
}

async fn vacation_on(user: &User, id: i64, date: &str) -> Value {
    let (s, b) = user.get(&format!("/api/v1/employees/{id}/balances-on?date={date}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b.as_array().and_then(|a| a.iter().find(|l| l["leave_type"] == "vacation").cloned()).expect("vacation line")
}

/// The worked example of docs/LEAVE-RULES.md, "The entitlement job".
async fn the_entitlement_job_follows_the_policies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (rosa, leo) = setup(&hr).await;
    let monthly = policy(
        &hr,
        json!({"leave_type": "vacation", "name": "Vacation, monthly", "allowance_days": 24, "accrual": "monthly-first",
               "carry_over_cap_days": 5, "carry_over_months": 3}),
    )
    .await;
    assign(&hr, monthly, json!({"department": "Research", "valid_from": "2021-01-01"})).await;
    let yearly = policy(
        &hr,
        json!({"leave_type": "vacation", "name": "Vacation, yearly", "allowance_days": 24, "accrual": "yearly"}),
    )
    .await;
    assign(&hr, yearly, json!({"employee_id": leo, "valid_from": "2021-01-01"})).await;

    // End of 2021: Rosa (joined 15 March) accrues April to December, 9 × 2
    // days; Leo's own yearly policy wins over Research's: 24 days.
    let r = run(&hr, "2021-12-31").await;
    assert_eq!((r["lines_written"].as_u64(), r["people"].as_u64()), (Some(10), Some(2)), "{r}");
    assert_eq!(kind(&r, "accrual"), (9, 18.0), "{r}");
    assert_eq!(kind(&r, "allocation"), (1, 24.0), "{r}");
    take(&app, &hr, "rosa@demo.local", "2021-07-05", "2021-07-16").await; // 10 days

    // January 2022: 8 unused, 5 carried (the cap) on 1 January, and
    // January's accrual; Leo's 2022 allocation.
    let r = run(&hr, "2022-01-31").await;
    assert_eq!(r["lines_written"].as_u64(), Some(3), "{r}");
    assert_eq!(kind(&r, "carry_over"), (1, 5.0), "{r}");
    take(&app, &hr, "rosa@demo.local", "2022-02-07", "2022-02-08").await; // 2 days, from the carried ones

    // Leo leaves on 30 June 2022: 181 of 365 days, 24 × 181 / 365 = 11.9 → 12.
    let (s, l) = hr.put(&format!("/api/v1/employees/{leo}/leaving-date"), json!({"leaving_date": "2022-06-30"})).await;
    assert_eq!(s, StatusCode::OK, "{l}");

    // 10 April 2022: February to April accrue; of the 5 carried days 2 were
    // used before 1 April, 3 expire; Leo's allocation is settled.
    let r = run(&hr, "2022-04-10").await;
    assert_eq!(r["lines_written"].as_u64(), Some(5), "{r}");
    assert_eq!(kind(&r, "accrual"), (3, 6.0), "{r}");
    assert_eq!(kind(&r, "expiry"), (1, -3.0), "{r}");
    assert_eq!(kind(&r, "pro_rata"), (1, -12.0), "{r}");

    // Twice is once.
    let ledger_rows = app.count("ledger_entries").await;
    let again = run(&hr, "2022-04-10").await;
    assert_eq!(again["lines_written"].as_u64(), Some(0), "{again}");
    assert_eq!(app.count("ledger_entries").await, ledger_rows);

    // Balances on a day, explained by lines.
    let b = vacation_on(&hr, rosa, "2022-03-31").await;
    assert_eq!(
        (b["year"].as_i64(), b["entitled_days"].as_f64(), b["taken_days"].as_f64()),
        (Some(2022), Some(11.0), Some(2.0)),
        "{b}"
    );
    assert_eq!(b["available_days"].as_f64(), Some(9.0), "{b}");
    let b = vacation_on(&hr, rosa, "2022-04-10").await;
    assert_eq!((b["entitled_days"].as_f64(), b["available_days"].as_f64()), (Some(10.0), Some(8.0)), "{b}");
    let kinds: Vec<&str> = b["lines"].as_array().expect("lines").iter().filter_map(|l| l["kind"].as_str()).collect();
    assert_eq!(kinds, ["carry_over", "accrual", "accrual", "accrual", "accrual", "expiry"], "{b}");
    let b = vacation_on(&hr, rosa, "2021-12-31").await;
    assert_eq!((b["entitled_days"].as_f64(), b["available_days"].as_f64()), (Some(18.0), Some(8.0)), "{b}");
    let b = vacation_on(&hr, leo, "2022-07-01").await;
    assert_eq!(b["entitled_days"].as_f64(), Some(12.0), "{b}");

    // The person reads their own; another person may not.
    let rosa_user = app.login("rosa@demo.local").await;
    let (s, _) = rosa_user.get(&format!("/api/v1/employees/{rosa}/balances-on?date=2022-04-10")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = rosa_user.get(&format!("/api/v1/employees/{leo}/balances-on?date=2022-04-10")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Each run is reported and audited.
    let (_, runs) = hr.get("/api/v1/entitlements/runs").await;
    let written: Vec<i64> = runs.as_array().expect("runs").iter().filter_map(|r| r["lines_written"].as_i64()).collect();
    assert_eq!(written, [0, 5, 3, 10], "newest first: {runs}");
    let (_, audit) = hr.get("/api/v1/audit-events?entity_type=entitlement_run").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(4), "{audit}");
    assert_eq!(audit["items"][0]["after"]["lines_written"], 0, "{audit}");
}

/// What will I have on 1 August next year? The lines the policy will have
/// written by then, before the job wrote them.
async fn a_projected_balance_counts_what_the_policy_will_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (rosa, _) = setup(&hr).await;
    let monthly = policy(
        &hr,
        json!({"leave_type": "vacation", "name": "Vacation, monthly", "allowance_days": 24, "accrual": "monthly-first",
               "carry_over_cap_days": 5, "carry_over_months": 3}),
    )
    .await;
    assign(&hr, monthly, json!({"department": "Research", "valid_from": "2021-01-01"})).await;
    let today = Utc::now().date_naive();
    run(&hr, &today.to_string()).await;
    let next = today.year() + 1;
    // This year's 24 days (all by December) leave 24 unused: 5 carried,
    // expiring on 1 April unused; January to August accrue 16.
    let b = vacation_on(&hr, rosa, &format!("{next}-08-01")).await;
    assert_eq!((b["year"].as_i64(), b["entitled_days"].as_f64()), (Some(i64::from(next)), Some(16.0)), "{b}");
    let lines = b["lines"].as_array().expect("lines");
    assert!(lines.iter().all(|l| l["projected"] == true), "nothing of next year is written yet: {b}");
    let by = |k: &str| lines.iter().filter(|l| l["kind"] == k).filter_map(|l| l["days"].as_f64()).sum::<f64>();
    assert_eq!((by("carry_over"), by("accrual"), by("expiry")), (5.0, 16.0, -5.0), "{b}");
    // Today's balance has no projected line.
    let b = vacation_on(&hr, rosa, &today.to_string()).await;
    assert!(b["lines"].as_array().expect("lines").iter().all(|l| l["projected"] == false), "{b}");
}

async fn bad_policies_are_refused_with_what_to_fix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let emp = app.login("employee1@demo.local").await;
    let good = json!({"leave_type": "annual", "name": "Annual", "allowance_days": 25, "accrual": "yearly"});
    let audit = app.count("audit_events").await;
    for (body, status, needle) in [
        (json!({"leave_type": "annual", "name": "A", "allowance_days": 25, "accrual": "weekly"}), 422, "monthly-first"),
        (json!({"leave_type": "annual", "name": "A", "allowance_days": -1, "accrual": "yearly"}), 422, "0 to 366"),
        (json!({"leave_type": "nope", "name": "A", "allowance_days": 1, "accrual": "yearly"}), 422, "no leave type"),
        (json!({"leave_type": "annual", "name": " ", "allowance_days": 1, "accrual": "yearly"}), 422, "1 to 100"),
        (
            json!({"leave_type": "annual", "name": "A", "allowance_days": 1, "accrual": "yearly", "carry_over_months": 13}),
            422,
            "1 to 12 months",
        ),
    ] {
        let (s, e) = hr.post("/api/v1/policies", body.clone()).await;
        assert_eq!(s.as_u16(), status, "{body}: {e}");
        assert!(e["error"]["message"].as_str().unwrap_or("").contains(needle), "{body}: {e}");
    }
    assert_eq!(app.count("audit_events").await, audit, "nothing written");
    let (s, _) = emp.post("/api/v1/policies", good.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let id = policy(&hr, good.clone()).await;
    let (s, e) = hr.post("/api/v1/policies", good).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("policy_exists")), "{e}");
    for body in [
        json!({"department": "Research", "employee_id": 3, "valid_from": "2026-01-01"}),
        json!({"valid_from": "2026-01-01"}),
        json!({"department": "Research", "valid_from": "2026-01-01", "valid_to": "2025-01-01"}),
    ] {
        let (s, e) = hr.post(&format!("/api/v1/policies/{id}/assignments"), body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
    }
    assign(&hr, id, json!({"department": "Research", "valid_from": "2026-01-01"})).await;
    let (s, e) = hr.delete(&format!("/api/v1/policies/{id}")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("policy_in_use")), "{e}");
    let tomorrow = Utc::now().date_naive() + chrono::Duration::days(1);
    let (s, e) = hr.post("/api/v1/entitlements/run", json!({"as_of": tomorrow})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the job writes nothing ahead of time: {e}");
    let (s, e) = hr
        .post(
            "/api/v1/allowances/adjustments",
            json!({"employee_id": 3, "leave_type": "annual", "year": 2026, "days": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = hr
        .post("/api/v1/allowances/corrections", json!({"employee_id": 3, "leave_type": "annual", "year": 2026, "days": -1, "reason": "line 4 was one day too many"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (s, e) = hr.put("/api/v1/employees/3/leaving-date", json!({"leaving_date": "1999-01-01"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "before the start date: {e}");
}
