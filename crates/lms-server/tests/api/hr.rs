//! HR administration: people, leave types, allowances (ledger), holidays
//! and maintenance mode.

use crate::support::*;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    people_are_managed_and_never_deleted,
    leave_types_and_allowances_form_a_ledger,
    holidays_are_managed,
    maintenance_mode_pauses_writes,
    leave_type_rules_decide_submissions,
    working_schedules_decide_what_a_request_counts
);

async fn people_are_managed_and_never_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let body = json!({"email": "New.Hire@Demo.Local", "name": "New Hire", "department": "Engineering",
                      "manager_id": MANAGER, "start_date": "2026-02-01", "role": "employee", "password": "s3cret-pass"});
    let (s, e) = hr.post("/api/v1/employees", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(e["email"], "new.hire@demo.local");
    let id = e["id"].as_i64().unwrap();
    let (s, dup) = hr.post("/api/v1/employees", body).await;
    assert_eq!((s, dup["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("email_taken")));
    let (s, bad) = hr
        .post("/api/v1/employees", json!({"email": "x", "name": "X", "start_date": "2026-01-01", "role": "boss"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    // The new person can log in and the manager sees them as a report.
    let (s, _) = app
        .anonymous()
        .post("/api/v1/auth/login", json!({"email": "new.hire@demo.local", "password": "s3cret-pass"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Updates, manager cycles refused, deactivation keeps the row.
    let (s, u) =
        hr.patch(&format!("/api/v1/employees/{id}"), json!({"department": "Platform", "role": "manager"})).await;
    assert_eq!((s, u["department"].as_str(), u["role"].as_str()), (StatusCode::OK, Some("Platform"), Some("manager")));
    let (s, c) = hr.patch(&format!("/api/v1/employees/{MANAGER}"), json!({"manager_id": id})).await;
    assert_eq!((s, c["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("manager_cycle")), "{c}");
    let (s, c) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"manager_id": null})).await;
    assert_eq!((s, c["manager_id"].is_null()), (StatusCode::OK, true));
    let (s, _) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, active) = hr.get("/api/v1/employees").await;
    assert!(!active["items"].as_array().unwrap().iter().any(|e| e["id"] == id));
    let (_, all) = hr.get("/api/v1/employees?include_inactive=true&limit=200").await;
    assert!(all["items"].as_array().unwrap().iter().any(|e| e["id"] == id && e["active"] == false));
    let (_, audit) = hr.get(&format!("/api/v1/audit-events?entity_type=employee&entity_id={id}")).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("employee."))
        .collect();
    assert_eq!(actions, vec!["employee.deactivate", "employee.update", "employee.update", "employee.create"]);
    let (s, _) = hr.patch("/api/v1/employees/424242", json!({"name": "Ghost"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn leave_types_and_allowances_form_a_ledger(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let y = next_year();
    let (s, t) = hr.post("/api/v1/leave-types", json!({"code": "study", "name": "Study leave", "deducts_balance": true, "colour": "#12AB34", "default_allowance": 2.5})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!((t["colour"].as_str(), t["default_allowance"].as_f64()), (Some("#12ab34"), Some(2.5)));
    let (s, _) =
        hr.post("/api/v1/leave-types", json!({"code": "study", "name": "Again", "deducts_balance": true})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, e) =
        hr.post("/api/v1/leave-types", json!({"code": "Bad Code", "name": "X", "deducts_balance": true})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_leave_type_code")));

    let (s, b) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "study", "year": y, "days": 3}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "study", "year": y, "days": 3}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one allocation per person, type and year");
    let (s, e) = hr
        .post(
            "/api/v1/allowances/adjustments",
            json!({"employee_id": EMPLOYEE1, "leave_type": "study", "year": y, "days": -0.5}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required")));
    let (s, b) = hr
        .post(
            "/api/v1/allowances/adjustments",
            json!({"employee_id": EMPLOYEE1, "leave_type": "study", "year": y, "days": -0.5, "reason": "correction"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, e) = hr
        .post(
            "/api/v1/allowances/adjustments",
            json!({"employee_id": EMPLOYEE1, "leave_type": "study", "year": y, "days": 0.0001, "reason": "x"}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_amount")));

    // The employee's balance is explained line by line.
    let emp = app.login("employee1@demo.local").await;
    let (_, bal) = emp.get(&format!("/api/v1/me/balances?year={y}&entries=true")).await;
    let study = bal["balances"].as_array().unwrap().iter().find(|l| l["leave_type"] == "study").unwrap().clone();
    assert_eq!(study["entitled"].as_f64(), Some(2.5));
    let entries: Vec<(String, f64)> = study["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_string(), e["days"].as_f64().unwrap()))
        .collect();
    assert_eq!(entries, vec![("allocation".to_string(), 3.0), ("adjustment".to_string(), -0.5)]);

    // Retiring a type stops new requests but keeps history.
    let (s, _) = hr.patch(&format!("/api/v1/leave-types/{}", t["id"]), json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = emp.post("/api/v1/leave-requests", request("study", monday(8), monday(8))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_leave_type")));
    let (_, types) = emp.get("/api/v1/leave-types").await;
    assert!(!types["items"].as_array().unwrap().iter().any(|t| t["code"] == "study"));
}

async fn holidays_are_managed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let day = monday(40);
    let (s, h) = hr.post("/api/v1/holidays", json!({"date": day, "name": "Company day"})).await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let (s, _) = hr.post("/api/v1/holidays", json!({"date": day, "name": "Twice"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let emp = app.login("employee2@demo.local").await;
    let (s, e) = emp.post("/api/v1/leave-requests", request("annual", day, day)).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_working_days")));
    let moved = day + chrono::Duration::days(1);
    let (s, u) = hr.put(&format!("/api/v1/holidays/{}", h["id"]), json!({"date": moved, "name": "Company day"})).await;
    assert_eq!((s, u["date"].as_str().map(str::to_string)), (StatusCode::OK, Some(moved.to_string())));
    emp.submit("annual", day, day).await;
    let (s, _) = hr.delete(&format!("/api/v1/holidays/{}", h["id"])).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = hr.delete(&format!("/api/v1/holidays/{}", h["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn maintenance_mode_pauses_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let emp = app.login("employee1@demo.local").await;
    let (s, m) = hr.put("/api/v1/admin/maintenance", json!({"enabled": true})).await;
    assert_eq!((s, m["enabled"].as_bool()), (StatusCode::OK, Some(true)));
    // A second instance on the same database agrees.
    let other = TestApp::start(app.db.clone(), app.url.clone(), Default::default()).await;
    let (_, h) = other.anonymous().get("/api/health").await;
    assert_eq!(h["maintenance"], true);
    let (_, st) = emp.get("/api/v1/status").await;
    assert_eq!(st["maintenance"], true);
    // Reads work, writes are refused with Retry-After, nothing is written.
    let (s, _) = emp.get("/api/v1/me/balances").await;
    assert_eq!(s, StatusCode::OK);
    let before = app.count("leave_requests").await;
    let res = emp
        .client
        .post(app.url("/api/v1/leave-requests"))
        .json(&request("annual", monday(10), monday(10)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("60"));
    // Marked as a deliberate pause, so a traffic controller can count it
    // apart from the backend's errors.
    assert_eq!(res.headers().get("lms-maintenance").and_then(|v| v.to_str().ok()), Some("on"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "maintenance");
    assert_eq!(app.count("leave_requests").await, before);
    // Logging in still works during maintenance.
    app.login("employee2@demo.local").await;
    let (s, _) = hr.put("/api/v1/admin/maintenance", json!({"enabled": false})).await;
    assert_eq!(s, StatusCode::OK);
    emp.submit("annual", monday(10), monday(10)).await;
    let (_, a) = hr.get("/api/v1/audit-events?entity_type=settings").await;
    let actions: Vec<&str> = a["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, vec!["maintenance.off", "maintenance.on"]);
}

/// A leave type's request rules (docs/LEAVE-RULES.md): the longest request,
/// the least notice, how far below zero the balance may go, a document flag.
async fn leave_type_rules_decide_submissions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let emp = app.login("employee1@demo.local").await;
    let y = next_year();
    let (s, t) =
        hr.post("/api/v1/leave-types", json!({"code": "study", "name": "Study leave", "deducts_balance": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let rules = format!("/api/v1/leave-types/{}/rules", t["id"]);
    let (s, r) = emp.get(&rules).await;
    assert_eq!(s, StatusCode::OK, "anyone signed in reads the rules");
    assert_eq!(
        r,
        json!({"max_consecutive_days": null, "min_notice_days": null, "negative_limit_days": 0.0, "document_required": false})
    );
    let (s, _) = hr.get("/api/v1/leave-types/424242/rules").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Bad rules are refused with what to fix, and nothing is written.
    let audit_before = app.count("audit_events").await;
    for (body, needle) in [
        (json!({"max_consecutive_days": 0}), "max_consecutive_days must be between 1 and 366"),
        (json!({"min_notice_days": 400}), "min_notice_days must be between 0 and 366"),
        (json!({"negative_limit_days": -1}), "negative_limit_days must be between 0 and 366"),
        (json!({"negative_limit_days": 0.0001}), "three decimals"),
    ] {
        let (s, e) = hr.put(&rules, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert!(e["error"]["message"].as_str().unwrap_or("").contains(needle), "{body}: {e}");
    }
    let (s, _) = hr.put(&rules, json!({"max_days": 3})).await;
    assert!(s.is_client_error(), "an unknown field is refused");
    assert_eq!(app.count("audit_events").await, audit_before, "nothing written");

    // Worked example: one day allocated, at most 3 consecutive days, the
    // balance may go 2 days below zero, a document expected.
    let (s, _) = hr
        .post("/api/v1/allowances", json!({"employee_id": EMPLOYEE1, "leave_type": "study", "year": y, "days": 1}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let set = json!({"max_consecutive_days": 3, "min_notice_days": null, "negative_limit_days": 2, "document_required": true});
    let (s, r) = hr.put(&rules, set).await;
    assert_eq!(
        (s, r["max_consecutive_days"].as_u64(), r["negative_limit_days"].as_f64()),
        (StatusCode::OK, Some(3), Some(2.0)),
        "{r}"
    );
    let (s, e) =
        emp.post("/api/v1/leave-requests", request("study", monday(10), monday(10) + chrono::Duration::days(4))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_long")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("at most 3"), "{e}");
    let (_, q) = emp
        .get(&format!(
            "/api/v1/leave-requests/quote?leave_type=study&start_date={}&end_date={}",
            monday(10),
            monday(10) + chrono::Duration::days(2)
        ))
        .await;
    assert_eq!(
        (q["acceptable"].as_bool(), q["document_required"].as_bool(), q["negative_limit_days"].as_f64()),
        (Some(true), Some(true), Some(2.0)),
        "{q}"
    );
    let (s, e) =
        emp.post("/api/v1/leave-requests", request("study", monday(10), monday(10) + chrono::Duration::days(2))).await;
    assert_eq!(s, StatusCode::CREATED, "3 days on a 1-day balance, 2 below zero allowed: {e}");
    let (s, e) = emp.post("/api/v1/leave-requests", request("study", monday(12), monday(12))).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")),
        "{e}"
    );
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("only 0 are available"), "{e}");

    // Notice: a year's notice refuses a start five weeks away, naming the earliest date.
    let (s, _) = hr.put(&rules, json!({"min_notice_days": 366})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = emp.post("/api/v1/leave-requests", request("study", monday(14), monday(14))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_short_notice")), "{e}");
    let earliest = (chrono::Utc::now().date_naive() + chrono::Duration::days(366)).to_string();
    assert!(e["error"]["message"].as_str().unwrap_or("").contains(&earliest), "{e}");

    // Each change is audited with the rules before and after; clearing them is one too.
    let (s, r) = hr.put(&rules, json!({})).await;
    assert_eq!((s, r["min_notice_days"].is_null()), (StatusCode::OK, true));
    let (_, audit) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_type&entity_id={}", t["id"])).await;
    let n = audit["items"].as_array().map_or(0, |a| a.iter().filter(|e| e["action"] == "leave_type.rules").count());
    assert_eq!(n, 3, "{audit}");
}

/// A person's working schedules (docs/LEAVE-RULES.md): a request counts the
/// days their schedule valid on each day works, minus holidays.
async fn working_schedules_decide_what_a_request_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let emp = app.login("employee1@demo.local").await;
    let path = format!("/api/v1/employees/{EMPLOYEE1}/schedules");
    let quote = |a: chrono::NaiveDate, b: chrono::NaiveDate| {
        format!("/api/v1/leave-requests/quote?leave_type=annual&start_date={a}&end_date={b}")
    };
    let week = |w: u32| (monday(w), monday(w) + chrono::Duration::days(4));
    let (_, q) = emp.get(&quote(week(10).0, week(10).1)).await;
    assert_eq!(q["days"].as_f64(), Some(5.0), "full time until a schedule is set: {q}");
    let full_time = json!([{"valid_from": null, "minutes": [480, 480, 480, 480, 480, 0, 0]}]);
    assert_eq!(q["schedules"], full_time, "the quote names the schedule it counted by: {q}");

    let audit_before = app.count("audit_events").await;
    for (body, needle) in [
        (
            json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [0, 0, 0, 0, 0, 0, 0]}]}),
            "at least one working day",
        ),
        (json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [480, 480, 480, 480, 480, 0]}]}), "7 numbers"),
        (
            json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [1500, 0, 0, 0, 0, 0, 0]}]}),
            "do not fit in a day",
        ),
        (
            json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [480, 0, 0, 0, 0, 0, 0]}, {"valid_from": "2020-01-01", "minutes": [240, 0, 0, 0, 0, 0, 0]}]}),
            "two schedules start on 2020-01-01",
        ),
    ] {
        let (s, e) = hr.put(&path, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert!(e["error"]["message"].as_str().unwrap_or("").contains(needle), "{body}: {e}");
    }
    assert_eq!(app.count("audit_events").await, audit_before, "nothing written");

    // Monday–Wednesday 8 h, then from week 20 Monday–Friday 4 h.
    let change = monday(20);
    let body = json!({"schedules": [
        {"valid_from": change, "minutes": [240, 240, 240, 240, 240, 0, 0]},
        {"valid_from": "2020-01-01", "minutes": [480, 480, 480, 0, 0, 0, 0]},
    ]});
    let (s, saved) = hr.put(&path, body).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["schedules"][0]["valid_from"], "2020-01-01", "kept oldest first: {saved}");
    let (s, mine) = emp.get(&path).await;
    assert_eq!(
        (s, mine["schedules"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2)),
        "the person reads their own"
    );
    let (_, q) = emp.get(&quote(week(10).0, week(10).1)).await;
    assert_eq!((q["days"].as_f64(), q["working_days"].as_i64()), (Some(3.0), Some(3)), "Mon–Wed only: {q}");
    let mon_wed = json!({"valid_from": "2020-01-01", "minutes": [480, 480, 480, 0, 0, 0, 0]});
    assert_eq!(q["schedules"], json!([mon_wed]), "{q}");
    // Wednesday of week 19 to Tuesday of week 20: Wed (old schedule) + Mon, Tue (new one).
    let (_, q) = emp.get(&quote(monday(19) + chrono::Duration::days(2), change + chrono::Duration::days(1))).await;
    assert_eq!(q["days"].as_f64(), Some(3.0), "the schedule valid on each day: {q}");
    let four_h = json!({"valid_from": change, "minutes": [240, 240, 240, 240, 240, 0, 0]});
    assert_eq!(q["schedules"], json!([mon_wed, four_h]), "both are named, oldest first: {q}");
    let (_, q) = emp.get(&quote(monday(19) + chrono::Duration::days(3), monday(19) + chrono::Duration::days(4))).await;
    assert_eq!(q["problem"]["code"], "no_working_days", "Thursday and Friday are not worked then: {q}");
    let (s, r) = emp.post("/api/v1/leave-requests", request("annual", week(11).0, week(11).1)).await;
    assert_eq!((s, r["days"].as_f64()), (StatusCode::CREATED, Some(3.0)), "the submission counts the same: {r}");

    // An empty list is full time again; each change is audited.
    let (s, _) = hr.put(&path, json!({"schedules": []})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, q) = emp.get(&quote(week(12).0, week(12).1)).await;
    assert_eq!(q["days"].as_f64(), Some(5.0), "{q}");
    let (_, audit) = hr.get(&format!("/api/v1/audit-events?entity_type=employee&entity_id={EMPLOYEE1}")).await;
    let events: Vec<&serde_json::Value> = audit["items"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "employee.schedules").collect())
        .unwrap_or_default();
    assert_eq!(events.len(), 2, "{audit}");
    // Before and after are objects, as every audit record's are.
    assert_eq!(events[1]["after"]["schedules"].as_array().map(Vec::len), Some(2), "{audit}");
    assert_eq!(events[0]["after"]["schedules"].as_array().map(Vec::len), Some(0), "{audit}");
}
