//! Leave measured in hours (docs/LEAVE-RULES.md "Units: days and hours"):
//! the worked example on a part-timer working 4 hours a day, the rule on
//! changing a type's unit, policies and allowances in hours, and an
//! instance one migration behind, which counts every type in days.

use crate::support::{monday, next_year, TestApp, EMPLOYEE1};
use chrono::{Duration, NaiveDate};
use lms_store::db::ConnectOptions;
use lms_store::migrations::SchemaCap;
use lms_store::{testing, Backend, Db, UNITS_VERSION};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    time_off_in_lieu_is_counted_in_hours,
    a_types_unit_changes_only_while_nothing_is_in_it,
    the_release_before_counts_days_and_sets_no_unit
);

fn quote_url(leave_type: &str, start: NaiveDate, end: NaiveDate, extra: &str) -> String {
    format!("/api/v1/leave-requests/quote?leave_type={leave_type}&start_date={start}&end_date={end}{extra}")
}

fn ask(start: NaiveDate, end: NaiveDate, extra: Value) -> Value {
    let mut body = json!({"leave_type": "toil", "start_date": start, "end_date": end});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

/// The worked example: Ada works Monday to Friday, 4 hours a day; "toil"
/// (time off in lieu) is measured in hours; 40 hours allocated.
async fn time_off_in_lieu_is_counted_in_hours(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let ada = app.login("employee1@demo.local").await;
    let y = next_year();
    let (s, t) = hr
        .post(
            "/api/v1/leave-types",
            json!({"code": "toil", "name": "Time off in lieu", "deducts_balance": true, "unit": "hours", "default_allowance": 37.5}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!((t["unit"].as_str(), t["default_allowance"].as_f64()), (Some("hours"), Some(37.5)), "{t}");
    let (s, e) = hr
        .post("/api/v1/leave-types", json!({"code": "weeks", "name": "W", "deducts_balance": true, "unit": "weeks"}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_unit")), "{e}");
    let (s, _) = hr
        .put(
            &format!("/api/v1/employees/{EMPLOYEE1}/schedules"),
            json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [240, 240, 240, 240, 240, 0, 0]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let holiday = monday(20) + Duration::days(2);
    let (s, _) = hr.post("/api/v1/holidays", json!({"date": holiday, "name": "Founders Day"})).await;
    assert_eq!(s, StatusCode::CREATED);

    // The allowance is written in hours; days are refused, naming the unit.
    let ledger = app.count("ledger_entries").await;
    let (s, e) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "toil", "year": y, "days": 5}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_unit")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("measured in hours"), "{e}");
    let (s, e) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "annual", "year": y, "hours": 8}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_unit")), "{e}");
    let (s, e) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "toil", "year": y, "hours": 2.51}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_amount")), "{e}");
    assert_eq!(app.count("ledger_entries").await, ledger, "nothing written");
    let (s, b) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "toil", "year": y, "hours": 40}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let line = b["balances"].as_array().and_then(|l| l.iter().find(|l| l["leave_type"] == "toil")).cloned();
    let line = line.expect("toil");
    assert_eq!((line["unit"].as_str(), line["entitled"].as_f64()), (Some("hours"), Some(40.0)), "{line}");
    assert_eq!(line["entries"][0]["hours"].as_f64(), Some(40.0), "{line}");
    assert!(line["entries"][0]["days"].is_null(), "{line}");

    // Monday to Friday: 5 × 4 = 20 hours.
    let (mon, fri) = (monday(10), monday(10) + Duration::days(4));
    let (s, q) = ada.get(&quote_url("toil", mon, fri, "")).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(
        (q["unit"].as_str(), q["hours"].as_f64(), q["days"].is_null(), q["working_days"].as_i64()),
        (Some("hours"), Some(20.0), true, Some(5)),
        "{q}"
    );
    assert_eq!((q["available_before"].as_f64(), q["available_after"].as_f64()), (Some(40.0), Some(20.0)), "{q}");
    assert_eq!(q["parts"][0]["hours"].as_f64(), Some(20.0), "{q}");
    let (s, r) = ada.post("/api/v1/leave-requests", ask(mon, fri, json!({}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["unit"].as_str(), r["hours"].as_f64(), r["days"].is_null()),
        (Some("hours"), Some(20.0), true),
        "{r}"
    );

    // 2.5 hours of a Tuesday.
    let tue = monday(12) + Duration::days(1);
    let (_, q) = ada.get(&quote_url("toil", tue, tue, "&hours=2.5")).await;
    assert_eq!((q["hours"].as_f64(), q["available_after"].as_f64()), (Some(2.5), Some(17.5)), "{q}");
    let (s, r) = ada.post("/api/v1/leave-requests", ask(tue, tue, json!({"hours": 2.5}))).await;
    assert_eq!((s, r["hours"].as_f64()), (StatusCode::CREATED, Some(2.5)), "{r}");
    // More than the day holds, over two days, with a half day, in a type in days: refused.
    let wed = tue + Duration::days(1);
    let (s, e) = ada.post("/api/v1/leave-requests", ask(wed, wed, json!({"hours": 5}))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many_hours")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("you work 4 hours on"), "{e}");
    let (s, e) = ada.post("/api/v1/leave-requests", ask(wed, wed + Duration::days(1), json!({"hours": 1}))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_part_day")), "{e}");
    let (s, e) = ada.post("/api/v1/leave-requests", ask(wed, wed, json!({"hours": 1, "half_day_start": true}))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_part_day")), "{e}");
    let (_, q) = ada.get(&quote_url("annual", wed, wed, "&hours=1")).await;
    assert_eq!(q["problem"]["code"], "invalid_part_day", "{q}");
    assert!(q["problem"]["message"].as_str().unwrap_or("").contains("measured in days"), "{q}");

    // A half Thursday: half of 4 hours.
    let thu = wed + Duration::days(1);
    let (s, r) = ada.post("/api/v1/leave-requests", ask(thu, thu, json!({"half_day_start": true}))).await;
    assert_eq!((s, r["hours"].as_f64()), (StatusCode::CREATED, Some(2.0)), "{r}");

    // The week with a holiday on Wednesday: 4 × 4 = 16 hours, more than the 15.5 left.
    let (mon20, fri20) = (monday(20), monday(20) + Duration::days(4));
    let (_, q) = ada.get(&quote_url("toil", mon20, fri20, "")).await;
    assert_eq!((q["hours"].as_f64(), q["working_days"].as_i64()), (Some(16.0), Some(4)), "{q}");
    assert_eq!(q["holidays"][0]["name"], "Founders Day", "{q}");
    let requests = app.count("leave_requests").await;
    let (s, e) = ada.post("/api/v1/leave-requests", ask(mon20, fri20, json!({}))).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")),
        "{e}"
    );
    assert_eq!(
        e["error"]["message"].as_str(),
        Some(format!("the request needs 16 hours of 'toil' but only 15.5 are available in {y}").as_str()),
        "{e}"
    );
    let (s, e) = ada.post("/api/v1/leave-requests", ask(holiday, holiday, json!({}))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_working_days")), "{e}");
    assert_eq!(app.count("leave_requests").await, requests, "nothing written");

    let b = ada.balance(y, "toil").await;
    assert_eq!(
        (b["unit"].as_str(), b["entitled"].as_f64(), b["pending"].as_f64(), b["available"].as_f64()),
        (Some("hours"), Some(40.0), Some(24.5), Some(15.5)),
        "{b}"
    );
    let annual = ada.balance(y, "annual").await;
    assert_eq!((annual["unit"].as_str(), annual["entitled"].as_f64()), (Some("days"), Some(25.0)), "{annual}");
    let (_, list) = ada.get("/api/v1/leave-requests?type=toil").await;
    let hours: Vec<f64> = list["items"].as_array().expect("items").iter().filter_map(|r| r["hours"].as_f64()).collect();
    assert_eq!(hours, vec![2.0, 2.5, 20.0], "{list}");

    // The usage report: JSON and CSV in hours.
    let (from, to) = (format!("{y}-01-01"), format!("{y}-12-31"));
    let (_, rep) = hr.get(&format!("/api/v1/reports/leave-usage?from={from}&to={to}")).await;
    let row = rep["items"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["employee_id"] == EMPLOYEE1 && x["leave_type"] == "toil"))
        .cloned()
        .expect("toil row");
    assert_eq!(
        (row["unit"].as_str(), row["pending"].as_f64(), row["remaining"].as_f64()),
        (Some("hours"), Some(24.5), Some(15.5)),
        "{row}"
    );
    let csv = hr
        .client
        .get(app.url(&format!("/api/v1/reports/leave-usage?from={from}&to={to}&format=csv")))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(csv.lines().any(|l| l.contains("\"toil\"") && l.ends_with(",0,24.5,15.5,hours")), "{csv}");

    // A policy's numbers are hours.
    let (s, e) = hr
        .post(
            "/api/v1/policies",
            json!({"leave_type": "toil", "name": "TOIL", "allowance_days": 5, "accrual": "yearly"}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_unit")), "{e}");
    let (s, p) = hr
        .post(
            "/api/v1/policies",
            json!({"leave_type": "toil", "name": "TOIL", "allowance_hours": 100, "carry_over_cap_hours": 7.5, "accrual": "yearly"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        (
            p["unit"].as_str(),
            p["allowance_hours"].as_f64(),
            p["carry_over_cap_hours"].as_f64(),
            p["allowance_days"].is_null()
        ),
        (Some("hours"), Some(100.0), Some(7.5), true),
        "{p}"
    );
}

/// A type's unit is set when it is made and changes only while nothing was
/// written in it; a change clears the numbers of the old unit.
async fn a_types_unit_changes_only_while_nothing_is_in_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let ada = app.login("employee1@demo.local").await;
    let (s, t) = hr
        .post(
            "/api/v1/leave-types",
            json!({"code": "flex", "name": "Flex", "deducts_balance": false, "default_allowance": 3}),
        )
        .await;
    assert_eq!((s, t["unit"].as_str()), (StatusCode::CREATED, Some("days")), "{t}");
    let id = t["id"].as_i64().expect("id");
    let (s, _) = hr.put(&format!("/api/v1/leave-types/{id}/rules"), json!({"negative_limit_days": 2})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, t) = hr.patch(&format!("/api/v1/leave-types/{id}"), json!({"unit": "hours"})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!((t["unit"].as_str(), t["default_allowance"].is_null()), (Some("hours"), true), "cleared: {t}");
    let (_, r) = hr.get(&format!("/api/v1/leave-types/{id}/rules")).await;
    assert_eq!((r["negative_limit_hours"].as_f64(), r["negative_limit_days"].is_null()), (Some(0.0), true), "{r}");
    let (s, e) = hr.put(&format!("/api/v1/leave-types/{id}/rules"), json!({"negative_limit_days": 1})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_unit")), "{e}");
    let (s, r) = hr.put(&format!("/api/v1/leave-types/{id}/rules"), json!({"negative_limit_hours": 7.5})).await;
    assert_eq!((s, r["negative_limit_hours"].as_f64()), (StatusCode::OK, Some(7.5)), "{r}");
    let (s, t) = hr.patch(&format!("/api/v1/leave-types/{id}"), json!({"default_allowance": 12.25})).await;
    assert_eq!((s, t["default_allowance"].as_f64()), (StatusCode::OK, Some(12.25)), "{t}");

    // Once something is booked, the unit stays.
    let day = monday(15);
    let (s, r) = ada
        .post("/api/v1/leave-requests", json!({"leave_type": "flex", "start_date": day, "end_date": day, "hours": 3}))
        .await;
    assert_eq!((s, r["hours"].as_f64()), (StatusCode::CREATED, Some(3.0)), "{r}");
    let (s, e) = hr.patch(&format!("/api/v1/leave-types/{id}"), json!({"unit": "days"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("unit_in_use")), "{e}");
    let (s, t) = hr.patch(&format!("/api/v1/leave-types/{id}"), json!({"unit": "hours", "name": "Flexitime"})).await;
    assert_eq!((s, t["name"].as_str()), (StatusCode::OK, Some("Flexitime")), "the same unit is no change: {t}");
    let (_, audit) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_type&entity_id={id}")).await;
    let changed = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|e| e["before"]["unit"] == "days" && e["after"]["unit"] == "hours");
    assert!(changed, "{audit}");
}

/// An instance that does not count on the units migration (the
/// rehearsal's blue) counts every type in days and refuses to set a unit,
/// on a database where the current instance made a type in hours.
async fn the_release_before_counts_days_and_sets_no_unit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (s, _) = hr
        .post("/api/v1/leave-types", json!({"code": "toil", "name": "TOIL", "deducts_balance": false, "unit": "hours"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let options = ConnectOptions {
        max_connections: testing::TEST_POOL,
        schema: SchemaCap::UpTo(UNITS_VERSION - 1),
        ..Default::default()
    };
    let db = Db::connect(&app.url, &options).await.expect("connect");
    let blue = TestApp::start(db, app.url.clone(), lms_server::ServerConfig::default()).await;
    let (blue_hr, emp) = (blue.login("hr@demo.local").await, blue.login("employee1@demo.local").await);

    let (_, types) = blue_hr.get("/api/v1/leave-types").await;
    let toil = types["items"].as_array().and_then(|t| t.iter().find(|t| t["code"] == "toil")).cloned().expect("toil");
    assert_eq!(toil["unit"].as_str(), Some("days"), "{toil}");
    let (mon, fri) = (monday(10), monday(10) + Duration::days(4));
    let (_, q) = emp.get(&quote_url("toil", mon, fri, "")).await;
    assert_eq!((q["unit"].as_str(), q["days"].as_f64()), (Some("days"), Some(5.0)), "{q}");
    let (_, q) = emp.get(&quote_url("toil", mon, mon, "&hours=2")).await;
    assert_eq!(q["problem"]["code"], "invalid_part_day", "{q}");

    let types_before = app.count("leave_types").await;
    let (s, e) = blue_hr
        .post(
            "/api/v1/leave-types",
            json!({"code": "ot", "name": "Overtime", "deducts_balance": false, "unit": "hours"}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_available")), "{e}");
    assert_eq!(app.count("leave_types").await, types_before, "nothing written");
    let id = toil["id"].as_i64().expect("id");
    let (s, e) = blue_hr.patch(&format!("/api/v1/leave-types/{id}"), json!({"unit": "hours"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_available")), "{e}");
    let (s, t) = blue_hr
        .post(
            "/api/v1/leave-types",
            json!({"code": "ot", "name": "Overtime", "deducts_balance": false, "unit": "days"}),
        )
        .await;
    assert_eq!((s, t["unit"].as_str()), (StatusCode::CREATED, Some("days")), "{t}");
}
