//! The leave year (docs/LEAVE-RULES.md "The leave year"): HR sets its first
//! month; a request across a turn of the year is split, each part charged
//! to its own year; a decision or cancellation of one part applies to all;
//! an instance one migration behind keeps the calendar year and refuses a
//! request across it.
//!
//! The worked example uses its own leave type with its own allowances, so
//! its numbers do not depend on the day the test runs.

use crate::support::*;
use chrono::{NaiveDate, Utc};
use lms_core::LeaveYearStart;
use lms_store::db::ConnectOptions;
use lms_store::migrations::SchemaCap;
use lms_store::{testing, Backend, Db};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    hr_sets_the_first_month_and_everyone_reads_it,
    a_request_across_the_turn_of_the_year_is_split_and_decided_whole,
    cancelling_or_rejecting_one_part_applies_to_every_part,
    a_part_its_year_cannot_pay_for_refuses_the_whole_request,
    an_instance_one_migration_behind_keeps_the_calendar_year,
);

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

const LEAVE_YEAR: &str = "/api/v1/settings/leave-year";

/// HR sets an April–March leave year; a `travel` type counted against a
/// balance, with `allowances` (year, days) for employee 1.
async fn april_year_with_travel(app: &TestApp, allowances: &[(i32, i64)]) -> User {
    let hr = app.login("hr@demo.local").await;
    let (s, b) = hr.put(LEAVE_YEAR, json!({"first_month": 4})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, t) =
        hr.post("/api/v1/leave-types", json!({"code": "travel", "name": "Travel", "deducts_balance": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    for (year, days) in allowances {
        let body = json!({"employee_id": EMPLOYEE1, "leave_type": "travel", "year": year, "days": days});
        let (s, b) = hr.post("/api/v1/allowances", body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    hr
}

fn quote_url(leave_type: &str, start: &str, end: &str) -> String {
    format!("/api/v1/leave-requests/quote?leave_type={leave_type}&start_date={start}&end_date={end}")
}

/// (year, start, end, days, available before, available after) of each part of a quote.
fn quoted_parts(q: &Value) -> Vec<(i64, String, String, f64, f64, f64)> {
    q["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| {
            (
                p["year"].as_i64().unwrap_or_default(),
                p["start_date"].as_str().unwrap_or_default().to_string(),
                p["end_date"].as_str().unwrap_or_default().to_string(),
                p["days"].as_f64().unwrap_or_default(),
                p["available_before"].as_f64().unwrap_or_default(),
                p["available_after"].as_f64().unwrap_or_default(),
            )
        })
        .collect()
}

fn part(r: &Value) -> (i64, i64, Vec<i64>) {
    let ids = r["part"]["request_ids"].as_array().map(|a| a.iter().filter_map(Value::as_i64).collect());
    (r["part"]["number"].as_i64().unwrap_or(0), r["part"]["of"].as_i64().unwrap_or(0), ids.unwrap_or_default())
}

/// (pending, taken, available) of one type in one year.
async fn travel(emp: &User, year: i32) -> (f64, f64, f64) {
    let b = emp.balance(year, "travel").await;
    (
        b["pending"].as_f64().unwrap_or(-1.0),
        b["taken"].as_f64().unwrap_or(-1.0),
        b["available"].as_f64().unwrap_or(-1.0),
    )
}

async fn hr_sets_the_first_month_and_everyone_reads_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, emp) = (app.login("hr@demo.local").await, app.login("employee1@demo.local").await);
    let today = Utc::now().date_naive();
    let (s, y) = emp.get(LEAVE_YEAR).await;
    assert_eq!(s, StatusCode::OK);
    let calendar = LeaveYearStart::default().year_of(today);
    assert_eq!(
        (y["first_month"].as_u64(), y["current_year"].as_i64(), y["splits_requests"].as_bool()),
        (Some(1), Some(i64::from(calendar)), Some(true)),
        "January by default: {y}"
    );

    // Only HR changes it; a month that is not one is refused; nothing written.
    let audit_before = app.count("audit_events").await;
    let (s, _) = emp.put(LEAVE_YEAR, json!({"first_month": 4})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for bad in [json!({"first_month": 13}), json!({"first_month": 0})] {
        let (s, e) = hr.put(LEAVE_YEAR, bad.clone()).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_leave_year_start")),
            "{bad}: {e}"
        );
    }
    let (s, _) = hr.put(LEAVE_YEAR, json!({"first_month": 4, "year": 2026})).await;
    assert!(s.is_client_error(), "an unknown field is refused");
    assert_eq!(app.count("audit_events").await, audit_before, "nothing written");

    let (s, y) = hr.put(LEAVE_YEAR, json!({"first_month": 4})).await;
    assert_eq!(s, StatusCode::OK, "{y}");
    let april = LeaveYearStart::new(4).expect("april");
    let year = april.year_of(today);
    let (_, y) = emp.get(LEAVE_YEAR).await;
    assert_eq!(
        y,
        json!({"first_month": 4, "current_year": year, "current_start": format!("{year}-04-01"),
               "current_end": format!("{}-03-31", year + 1), "splits_requests": true})
    );
    // The default year of balances and allowances is the leave year today falls in.
    let (_, b) = emp.get("/api/v1/me/balances").await;
    assert_eq!(b["year"].as_i64(), Some(i64::from(year)), "{b}");
    let (_, b) = hr.get(&format!("/api/v1/allowances?employee_id={EMPLOYEE1}")).await;
    assert_eq!(b["year"].as_i64(), Some(i64::from(year)), "{b}");

    let (_, a) = hr.get("/api/v1/audit-events?action=settings.leave_year").await;
    let items = a["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{a}");
    assert_eq!(
        (&items[0]["before"], &items[0]["after"], &items[0]["entity_type"]),
        (&json!({"first_month": 1}), &json!({"first_month": 4}), &json!("settings"))
    );
}

/// Worked example (docs/LEAVE-RULES.md "The leave year"): an April–March
/// year; 5 days of travel in 2026, 8 in 2027; leave from Sunday 28 March to
/// Thursday 8 April 2027 is 3 days (29–31 March) charged to 2026 and 6
/// days (1–8 April) to 2027: 2 days left in each year.
async fn a_request_across_the_turn_of_the_year_is_split_and_decided_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    april_year_with_travel(&app, &[(2026, 5), (2027, 8)]).await;
    let emp = app.login("employee1@demo.local").await;
    let manager = app.login("manager@demo.local").await;

    let (s, q) = emp.get(&quote_url("travel", "2027-03-28", "2027-04-08")).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(
        (q["acceptable"].as_bool(), q["days"].as_f64(), q["year"].as_i64()),
        (Some(true), Some(9.0), Some(2026))
    );
    assert_eq!(
        quoted_parts(&q),
        vec![
            (2026, "2027-03-28".into(), "2027-03-31".into(), 3.0, 5.0, 2.0),
            (2027, "2027-04-01".into(), "2027-04-08".into(), 6.0, 8.0, 2.0),
        ],
        "{q}"
    );

    let (s, first) = emp.post("/api/v1/leave-requests", request("travel", d("2027-03-28"), d("2027-04-08"))).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (number, of, ids) = part(&first);
    assert_eq!((number, of, ids.len()), (1, 2, 2), "{first}");
    assert_eq!(ids[0], first["id"].as_i64().expect("id"));
    assert_eq!(
        (first["year"].as_i64(), first["days"].as_f64(), first["end_date"].as_str()),
        (Some(2026), Some(3.0), Some("2027-03-31"))
    );
    let (_, second) = emp.get(&format!("/api/v1/leave-requests/{}", ids[1])).await;
    assert_eq!(part(&second), (2, 2, ids.clone()), "{second}");
    assert_eq!(
        (second["year"].as_i64(), second["days"].as_f64(), second["start_date"].as_str()),
        (Some(2027), Some(6.0), Some("2027-04-01"))
    );
    assert_eq!(travel(&emp, 2026).await, (3.0, 0.0, 2.0));
    assert_eq!(travel(&emp, 2027).await, (6.0, 0.0, 2.0));
    // The listing and the approvals queue show both parts as such.
    let (_, mine) = emp.get("/api/v1/leave-requests").await;
    let parts: Vec<_> = mine["items"].as_array().expect("items").iter().map(part).collect();
    assert_eq!(parts, vec![(2, 2, ids.clone()), (1, 2, ids.clone())], "{mine}");
    let (_, queue) = manager.get("/api/v1/approvals").await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(2), "{queue}");

    // Approving the second part approves the request: both parts, both years.
    let (s, r) = manager.post_empty(&format!("/api/v1/leave-requests/{}/approve", ids[1])).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    let (_, r) = emp.get(&format!("/api/v1/leave-requests/{}", ids[0])).await;
    assert_eq!(r["status"], "approved", "{r}");
    assert_eq!(travel(&emp, 2026).await, (0.0, 3.0, 2.0));
    assert_eq!(travel(&emp, 2027).await, (0.0, 6.0, 2.0));
    let (_, queue) = manager.get("/api/v1/approvals").await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(0), "{queue}");
    // Each part audited, the employee told once.
    let hr = app.login("hr@demo.local").await;
    for (action, n) in [("leave_request.submit", 2), ("leave_request.approve", 2)] {
        let (_, a) = hr.get(&format!("/api/v1/audit-events?action={action}")).await;
        let mut audited: Vec<i64> = a["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["entity_id"].as_str().and_then(|i| i.parse().ok()))
            .collect();
        audited.sort_unstable();
        assert_eq!((audited.len(), audited), (n, ids.clone()), "{action}: {a}");
    }
    let (_, notes) = emp.get("/api/v1/notifications").await;
    let approved: Vec<&Value> =
        notes["items"].as_array().expect("items").iter().filter(|n| n["kind"] == "leave_request.approved").collect();
    assert_eq!(approved.len(), 1, "{notes}");
    let body = approved[0]["body"].as_str().unwrap_or_default();
    assert!(body.contains("2027-03-28 to 2027-04-08 (9 days)"), "{body}");
    let (_, notes) = manager.get("/api/v1/notifications").await;
    let submitted = notes["items"].as_array().expect("items").iter().filter(|n| n["kind"] == "leave_request.submitted");
    assert_eq!(submitted.count(), 1, "{notes}");

    // Across the turn of the calendar year but within one leave year: one
    // request, charged to that year.
    let (s, one) = emp.post("/api/v1/leave-requests", request("unpaid", d("2026-12-31"), d("2027-01-04"))).await;
    assert_eq!(s, StatusCode::CREATED, "{one}");
    assert_eq!((one["year"].as_i64(), one["part"].is_null()), (Some(2026), true), "{one}");
}

async fn cancelling_or_rejecting_one_part_applies_to_every_part(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    april_year_with_travel(&app, &[(2026, 10), (2027, 10)]).await;
    let emp = app.login("employee1@demo.local").await;
    let manager = app.login("manager@demo.local").await;

    // Cancelled by its owner through the first part.
    let (s, r) = emp.post("/api/v1/leave-requests", request("travel", d("2027-03-29"), d("2027-04-02"))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let ids = part(&r).2;
    assert_eq!(travel(&emp, 2026).await, (3.0, 0.0, 7.0));
    assert_eq!(travel(&emp, 2027).await, (2.0, 0.0, 8.0));
    let (s, c) =
        emp.post(&format!("/api/v1/leave-requests/{}/cancel", ids[0]), json!({"comment": "plans changed"})).await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{c}");
    for id in &ids {
        let (_, r) = emp.get(&format!("/api/v1/leave-requests/{id}")).await;
        assert_eq!((r["status"].as_str(), r["comment"].as_str()), (Some("cancelled"), Some("plans changed")), "{r}");
    }
    assert_eq!(travel(&emp, 2026).await, (0.0, 0.0, 10.0));
    assert_eq!(travel(&emp, 2027).await, (0.0, 0.0, 10.0));
    let (_, notes) = manager.get("/api/v1/notifications").await;
    let cancelled = notes["items"].as_array().expect("items").iter().filter(|n| n["kind"] == "leave_request.cancelled");
    assert_eq!(cancelled.count(), 1, "the manager is told once: {notes}");

    // Rejected by the manager through the second part; a second decision is a conflict.
    let (_, r) = emp.post("/api/v1/leave-requests", request("travel", d("2027-03-30"), d("2027-04-06"))).await;
    let ids = part(&r).2;
    assert_eq!(ids.len(), 2, "{r}");
    let (s, _) = manager.post_empty(&format!("/api/v1/leave-requests/{}/reject", ids[1])).await;
    assert_eq!(s, StatusCode::OK);
    let (_, first) = emp.get(&format!("/api/v1/leave-requests/{}", ids[0])).await;
    assert_eq!(first["status"], "rejected", "{first}");
    let (s, e) = manager.post_empty(&format!("/api/v1/leave-requests/{}/approve", ids[0])).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")), "{e}");
    // Someone who may not see it finds none of its parts.
    let other = app.login("employee4@demo.local").await;
    for id in &ids {
        let (s, _) = other.post_empty(&format!("/api/v1/leave-requests/{id}/cancel")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

async fn a_part_its_year_cannot_pay_for_refuses_the_whole_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = april_year_with_travel(&app, &[(2026, 5), (2027, 2)]).await;
    let emp = app.login("employee1@demo.local").await;

    let (_, q) = emp.get(&quote_url("travel", "2027-03-28", "2027-04-08")).await;
    assert_eq!(q["acceptable"].as_bool(), Some(false), "{q}");
    assert_eq!(q["problem"]["code"], "insufficient_balance", "{q}");
    assert!(q["problem"]["message"].as_str().unwrap_or_default().contains("2027"), "{q}");
    assert_eq!(quoted_parts(&q)[1], (2027, "2027-04-01".into(), "2027-04-08".into(), 6.0, 2.0, -4.0), "{q}");

    let (requests, audit) = (app.count("leave_requests").await, app.count("audit_events").await);
    let (s, e) = emp.post("/api/v1/leave-requests", request("travel", d("2027-03-28"), d("2027-04-08"))).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")),
        "{e}"
    );
    assert_eq!(
        (app.count("leave_requests").await, app.count("audit_events").await),
        (requests, audit),
        "nothing written"
    );
    assert_eq!(travel(&emp, 2026).await, (0.0, 0.0, 5.0), "not even the part 2026 could pay for");
    // A report from January 2027 gives what is left of its leave year, 2026.
    let (_, report) = hr.get("/api/v1/reports/leave-usage?from=2027-01-15&to=2027-02-15&limit=200").await;
    let remaining =
        report["items"].as_array().expect("items").iter().find_map(|r| {
            (r["employee_id"] == EMPLOYEE1 && r["leave_type"] == "travel").then(|| r["remaining"].as_f64())
        });
    assert_eq!(remaining, Some(Some(5.0)), "{report}");

    // The type's longest request is about the whole absence (12 days), not each part (4 and 8).
    let (_, t) = hr.get("/api/v1/leave-types").await;
    let id = t["items"].as_array().expect("items").iter().find(|t| t["code"] == "travel").map(|t| t["id"].clone());
    let (s, _) = hr
        .put(&format!("/api/v1/leave-types/{}/rules", id.expect("travel")), json!({"max_consecutive_days": 10}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = emp.post("/api/v1/leave-requests", request("travel", d("2027-03-28"), d("2027-04-08"))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_long")), "{e}");
    // A part without a working day costs nothing (Saturday 31 March 2029,
    // then Monday and Tuesday in the next year); a whole without one is refused.
    let (_, q) = emp.get(&quote_url("unpaid", "2029-03-31", "2029-04-03")).await;
    assert_eq!((q["acceptable"].as_bool(), q["days"].as_f64()), (Some(true), Some(2.0)), "{q}");
    let years: Vec<(i64, f64)> = quoted_parts(&q).into_iter().map(|p| (p.0, p.3)).collect();
    assert_eq!(years, vec![(2028, 0.0), (2029, 2.0)], "{q}");
    let (_, q) = emp.get(&quote_url("unpaid", "2029-03-31", "2029-04-01")).await;
    assert_eq!(q["problem"]["code"], "no_working_days", "{q}");
    assert_eq!(app.count("leave_requests").await, requests, "nothing written");
}

/// `--schema previous` (the release before, in a cutover): the calendar
/// year, and a request across it refused, even on a database where HR set
/// another first month and the newer migration is applied.
async fn an_instance_one_migration_behind_keeps_the_calendar_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (s, _) = hr.put(LEAVE_YEAR, json!({"first_month": 4})).await;
    assert_eq!(s, StatusCode::OK);
    let options = ConnectOptions {
        max_connections: testing::TEST_POOL,
        schema: SchemaCap::UpTo(lms_store::request_parts::MIGRATION - 1),
        ..Default::default()
    };
    let db = Db::connect(&app.url, &options).await.expect("connect");
    let blue = TestApp::start(db, app.url.clone(), lms_server::ServerConfig::default()).await;

    let (emp, blue_hr) = (blue.login("employee1@demo.local").await, blue.login("hr@demo.local").await);
    let (_, y) = emp.get(LEAVE_YEAR).await;
    assert_eq!((y["first_month"].as_u64(), y["splits_requests"].as_bool()), (Some(1), Some(false)), "{y}");
    let (s, e) = blue_hr.put(LEAVE_YEAR, json!({"first_month": 6})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_available")), "{e}");
    let (_, b) = emp.get("/api/v1/me/balances").await;
    assert_eq!(b["year"].as_i64(), Some(i64::from(LeaveYearStart::default().year_of(Utc::now().date_naive()))));

    let requests = app.count("leave_requests").await;
    let (s, e) = emp.post("/api/v1/leave-requests", request("unpaid", d("2026-12-31"), d("2027-01-04"))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("spans_leave_years")), "{e}");
    let (s, e) = emp.get(&quote_url("unpaid", "2026-12-31", "2027-01-04")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("spans_leave_years")), "{e}");
    assert_eq!(app.count("leave_requests").await, requests, "nothing written");
    // Across the turn of April: one request in the calendar year 2027.
    let (s, r) = emp.post("/api/v1/leave-requests", request("unpaid", d("2027-03-30"), d("2027-04-02"))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["year"].as_i64(), r["days"].as_f64(), r["part"].is_null()), (Some(2027), Some(4.0), true), "{r}");
    // The current instance splits the same request.
    let emp_green = app.login("employee2@demo.local").await;
    let (s, r) = emp_green.post("/api/v1/leave-requests", request("unpaid", d("2027-03-30"), d("2027-04-02"))).await;
    assert_eq!((s, r["year"].as_i64(), part(&r).1), (StatusCode::CREATED, Some(2026), 2), "{r}");
}
