//! The leave workflow end to end: submit, approve, reject, cancel, balances,
//! history filters, approvals queue and notifications.

use crate::support::*;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    submit_approve_updates_balance_and_notifies,
    reject_and_cancel_free_the_days,
    approved_leave_cancels_only_before_it_starts,
    history_filters_and_paging,
    half_days_and_holidays_count,
    hr_decides_requests_of_people_without_manager,
    the_quote_says_what_a_submission_would_decide
);

/// The quote counts as a submission counts and refuses what it would
/// refuse, and writes nothing.
async fn the_quote_says_what_a_submission_would_decide(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let (mon, fri) = (monday(11), monday(11) + chrono::Duration::days(4));
    let q = |start: chrono::NaiveDate, end: chrono::NaiveDate, extra: &str| {
        format!("/api/v1/leave-requests/quote?leave_type=annual&start_date={start}&end_date={end}{extra}")
    };
    let (s, b) = emp.get(&q(mon, fri + chrono::Duration::days(3), "&half_day_start=true")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["days"].as_f64(), b["working_days"].as_i64(), b["weekend_days"].as_i64()),
        (Some(5.5), Some(6), Some(2)),
        "{b}"
    );
    assert_eq!((b["available_before"].as_f64(), b["available_after"].as_f64()), (Some(25.0), Some(19.5)), "{b}");
    assert_eq!(b["acceptable"], true, "{b}");
    assert_eq!(app.count("leave_requests").await, 0, "a quote writes nothing");

    let id = emp.submit("annual", mon, fri).await;
    let (s, r) = emp.get(&format!("/api/v1/leave-requests/{id}")).await;
    assert_eq!((s, r["days"].as_f64()), (StatusCode::OK, Some(5.0)), "the submission counts as quoted");
    let (_, b) = emp.get(&q(fri, fri, "")).await;
    assert_eq!(b["acceptable"], false, "{b}");
    assert_eq!(b["problem"]["code"], "overlapping_request", "{b}");
    assert_eq!(b["overlaps"][0]["id"], id, "{b}");
    let (_, b) = emp.get(&q(monday(20), monday(20) + chrono::Duration::days(32), "")).await;
    assert_eq!(b["problem"]["code"], "insufficient_balance", "{b}");
    let (s, b) = emp.get(&q(fri, mon, "")).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("end_before_start")), "{b}");
}

async fn submit_approve_updates_balance_and_notifies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let year = next_year();
    let id = emp.submit("annual", monday(10), monday(10) + chrono::Duration::days(4)).await;

    let b = emp.balance(year, "annual").await;
    assert_eq!(
        (b["entitled"].as_f64(), b["pending"].as_f64(), b["available"].as_f64()),
        (Some(25.0), Some(5.0), Some(20.0))
    );

    // The manager is notified and sees it in the approvals queue.
    let (_, n) = mgr.get("/api/v1/notifications").await;
    let note = &n["items"][0];
    assert_eq!(note["kind"], "leave_request.submitted");
    assert_eq!(note["entity_id"], id);
    let (_, q) = mgr.get("/api/v1/approvals").await;
    assert_eq!(q["items"].as_array().map(|a| a.len()), Some(1));

    let (s, r) = mgr.post(&format!("/api/v1/leave-requests/{id}/approve"), json!({"comment": "enjoy"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
    assert_eq!(r["decided_by"], MANAGER);
    assert_eq!(r["comment"], "enjoy");
    assert!(r["decided_at"].is_string());

    let b = emp.balance(year, "annual").await;
    assert_eq!(
        (b["taken"].as_f64(), b["pending"].as_f64(), b["available"].as_f64()),
        (Some(5.0), Some(0.0), Some(20.0))
    );

    // The employee is notified and can mark it read.
    let (_, n) = emp.get("/api/v1/notifications?unread=true").await;
    let note = n["items"][0].clone();
    assert_eq!(note["kind"], "leave_request.approved");
    let (s, read) = emp.post_empty(&format!("/api/v1/notifications/{}/read", note["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(read["read_at"].is_string());
    let (_, n) = emp.get("/api/v1/notifications?unread=true").await;
    assert_eq!(n["items"].as_array().map(|a| a.len()), Some(0));
    // Someone else's notification is not found.
    let (s, _) = mgr.post_empty(&format!("/api/v1/notifications/{}/read", note["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A second decision conflicts.
    let (s, e) = mgr.post_empty(&format!("/api/v1/leave-requests/{id}/reject")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // The audit log has the submission and the approval with before/after.
    let hr = app.login("hr@demo.local").await;
    let (_, a) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_request&entity_id={id}")).await;
    let actions: Vec<&str> = a["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, vec!["leave_request.approve", "leave_request.submit"]);
    assert_eq!(a["items"][0]["before"]["status"], "pending");
    assert_eq!(a["items"][0]["after"]["status"], "approved");
    assert_eq!(a["items"][0]["actor_id"], MANAGER);
    assert!(!a["items"][0]["request_id"].as_str().unwrap_or("").is_empty());
    assert_eq!(a["items"][0]["client_addr"], "127.0.0.1");
}

async fn reject_and_cancel_free_the_days(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let year = next_year();
    let a = emp.submit("annual", monday(12), monday(12) + chrono::Duration::days(1)).await;
    let b = emp.submit("annual", monday(14), monday(14)).await;
    assert_eq!(emp.balance(year, "annual").await["pending"].as_f64(), Some(3.0));

    let (s, r) = mgr.post(&format!("/api/v1/leave-requests/{a}/reject"), json!({"comment": "team offsite"})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("rejected")));
    let (s, r) = emp.post_empty(&format!("/api/v1/leave-requests/{b}/cancel")).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{r}");
    assert_eq!(r["cancelled_by"], EMPLOYEE1);
    let bal = emp.balance(year, "annual").await;
    assert_eq!((bal["pending"].as_f64(), bal["available"].as_f64()), (Some(0.0), Some(25.0)));

    // Rejected and cancelled requests cannot be cancelled or decided again.
    let (s, _) = emp.post_empty(&format!("/api/v1/leave-requests/{a}/cancel")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = mgr.post_empty(&format!("/api/v1/leave-requests/{b}/approve")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The freed days can be requested again.
    emp.submit("annual", monday(12), monday(12) + chrono::Duration::days(1)).await;
    // The manager was told about the withdrawal.
    let (_, n) = mgr.get("/api/v1/notifications").await;
    assert!(n["items"].as_array().unwrap().iter().any(|x| x["kind"] == "leave_request.cancelled"));
}

async fn approved_leave_cancels_only_before_it_starts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let future = emp.submit("annual", monday(20), monday(20)).await;
    let past_day = past_weekday();
    let past = emp.submit("unpaid", past_day, past_day).await;
    for id in [future, past] {
        let (s, _) = mgr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, r) = emp.post_empty(&format!("/api/v1/leave-requests/{future}/cancel")).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    // Started leave is not cancelled at once: the cancellation goes through
    // the chain (tests/api/approvals.rs) and the leave stands meanwhile.
    let (s, r) = emp.post_empty(&format!("/api/v1/leave-requests/{past}/cancel")).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    // HR may not cancel it at once either: the rule is the request's, not the role's.
    let hr = app.login("hr@demo.local").await;
    let (s, e) = hr.post_empty(&format!("/api/v1/leave-requests/{past}/cancel")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("cancellation_pending")), "{e}");
}

async fn history_filters_and_paging(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee2@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let a = emp.submit("annual", monday(5), monday(5)).await;
    let b = emp.submit("sick", monday(7), monday(7)).await;
    let c = emp.submit("annual", monday(9), monday(9)).await;
    mgr.post_empty(&format!("/api/v1/leave-requests/{b}/approve")).await;

    let (_, all) = emp.get("/api/v1/leave-requests").await;
    let got: Vec<i64> = all["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(got, vec![c, b, a]);
    let (_, st) = emp.get("/api/v1/leave-requests?status=approved").await;
    assert_eq!(st["items"][0]["id"], b);
    assert_eq!(st["items"].as_array().unwrap().len(), 1);
    let (_, ty) = emp.get("/api/v1/leave-requests?type=annual").await;
    assert_eq!(ty["items"].as_array().unwrap().len(), 2);
    let (_, range) = emp.get(&format!("/api/v1/leave-requests?from={}&to={}", monday(6), monday(8))).await;
    assert_eq!(range["items"].as_array().unwrap().len(), 1);
    assert_eq!(range["items"][0]["id"], b);

    let (_, p1) = emp.get("/api/v1/leave-requests?limit=2").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let cursor = p1["next_cursor"].as_i64().expect("cursor");
    let (_, p2) = emp.get(&format!("/api/v1/leave-requests?limit=2&cursor={cursor}")).await;
    assert_eq!(p2["items"][0]["id"], a);
    assert!(p2["next_cursor"].is_null());

    // The manager may read a direct report's history; HR anyone's; a colleague nobody's.
    let (s, _) = mgr.get(&format!("/api/v1/leave-requests?employee_id={}", 4)).await;
    assert_eq!(s, StatusCode::OK);
    let other = app.login("employee3@demo.local").await;
    let (s, _) = other.get("/api/v1/leave-requests?employee_id=4").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = other.get(&format!("/api/v1/leave-requests/{a}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, one) = mgr.get(&format!("/api/v1/leave-requests/{a}")).await;
    assert_eq!((s, one["id"].as_i64()), (StatusCode::OK, Some(a)));
}

async fn half_days_and_holidays_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let emp = app.login("employee3@demo.local").await;
    let wednesday = monday(15) + chrono::Duration::days(2);
    let (s, h) = hr.post("/api/v1/holidays", json!({"date": wednesday, "name": "Founders' Day"})).await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let body = json!({"leave_type": "annual", "start_date": monday(15), "end_date": monday(15) + chrono::Duration::days(6),
                      "half_day_start": true, "half_day_end": false, "reason": "mixed"});
    let (s, r) = emp.post("/api/v1/leave-requests", body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // Mon..Sun: 5 weekdays, minus the holiday, minus half of Monday.
    assert_eq!(r["days"].as_f64(), Some(3.5));
    assert_eq!(emp.balance(next_year(), "annual").await["available"].as_f64(), Some(21.5));
    let (_, hs) = emp.get(&format!("/api/v1/holidays?year={}", next_year())).await;
    assert_eq!(hs["items"][0]["name"], "Founders' Day");
}

async fn hr_decides_requests_of_people_without_manager(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    let id = mgr.submit("annual", monday(30), monday(30)).await;
    // Nobody manages the manager: HR admins are notified and decide.
    let (_, n) = hr.get("/api/v1/notifications").await;
    assert_eq!(n["items"][0]["entity_id"], id);
    let (_, q) = hr.get("/api/v1/approvals").await;
    assert!(q["items"].as_array().unwrap().iter().any(|r| r["id"] == id));
    let (s, _) = mgr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = hr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")));
    // HR's own request goes to the other HR admins (none here), and HR cannot approve it.
    let own = hr.submit("annual", monday(31), monday(31)).await;
    let (s, _) = hr.post_empty(&format!("/api/v1/leave-requests/{own}/approve")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
