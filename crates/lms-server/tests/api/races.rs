//! Concurrency: two simultaneous approvals of one request, and concurrent
//! submissions that together exceed a balance (run on both backends; the
//! PostgreSQL run is the one that matters for production).

use crate::support::*;
use chrono::Duration;
use lms_store::Backend;
use reqwest::StatusCode;

crate::both_backends!(
    two_approvals_one_wins,
    concurrent_submissions_never_overdraw,
    concurrent_entitlement_runs_write_each_line_once
);

async fn two_approvals_one_wins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    for week in 2..12 {
        let id = emp.submit("annual", monday(week), monday(week)).await;
        let path = format!("/api/v1/leave-requests/{id}/approve");
        let (a, b) = tokio::join!(mgr.post_empty(&path), hr.post_empty(&path));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    }
    // Approve against reject: one decision stands.
    let id = emp.submit("annual", monday(20), monday(20)).await;
    let (approve, reject) =
        (format!("/api/v1/leave-requests/{id}/approve"), format!("/api/v1/leave-requests/{id}/reject"));
    let (a, r) = tokio::join!(mgr.post_empty(&approve), hr.post_empty(&reject));
    let mut statuses = [a.0, r.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "the loser is told it lost: {a:?} {r:?}");
    let loser = if a.0 == StatusCode::CONFLICT { &a.1 } else { &r.1 };
    assert!(loser["error"]["code"].is_string() && loser["error"]["message"].is_string(), "{loser}");
    let (_, audit) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_request&entity_id={id}")).await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "one submission, one decision");
}

async fn concurrent_submissions_never_overdraw(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee5@demo.local").await;
    // 20 one-week requests of 5 days against 25 days: at most 5 can fit.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let emp = emp.clone();
            tokio::spawn(async move {
                let start = monday(2 + i);
                emp.post("/api/v1/leave-requests", request("annual", start, start + Duration::days(4))).await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let (s, b) = t.await.unwrap();
        match s {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(b["error"]["code"], "insufficient_balance", "{b}"),
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!(created, 5);
    let bal = emp.balance(next_year(), "annual").await;
    assert_eq!((bal["pending"].as_f64(), bal["available"].as_f64()), (Some(25.0), Some(0.0)));
}

/// Four runs of the entitlement job at once (two instances' schedules and
/// two HR clicks): every line due is written exactly once between them.
async fn concurrent_entitlement_runs_write_each_line_once(backend: Backend) {
    use chrono::Datelike;
    use serde_json::json;
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (s, _) =
        hr.post("/api/v1/leave-types", json!({"code": "study", "name": "Study", "deducts_balance": true})).await;
    assert_eq!(s, StatusCode::CREATED);
    let policy = json!({"leave_type": "study", "name": "Study", "allowance_days": 12, "accrual": "monthly-last"});
    let (s, p) = hr.post("/api/v1/policies", policy).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let assignment = json!({"department": "Engineering", "valid_from": "2000-01-01"});
    let (s, _) = hr.post(&format!("/api/v1/policies/{}/assignments", p["id"]), assignment).await;
    assert_eq!(s, StatusCode::CREATED);
    // The four people of Engineering joined two years ago: by the end of
    // last year, 12 accruals each in each of the last two years.
    let as_of = format!("{}-12-31", chrono::Utc::now().year() - 1);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (hr, as_of) = (hr.clone(), as_of.clone());
            tokio::spawn(async move { hr.post("/api/v1/entitlements/run", json!({"as_of": as_of})).await })
        })
        .collect();
    let mut written = 0;
    for r in runs {
        let (s, report) = r.await.expect("run");
        assert_eq!(s, StatusCode::OK, "{report}");
        written += report["lines_written"].as_u64().unwrap_or(0);
    }
    assert_eq!(written, 4 * 2 * 12, "between them, every line once");
    let (_, b) = hr.get(&format!("/api/v1/employees/3/balances-on?date={as_of}")).await;
    let study = b.as_array().and_then(|a| a.iter().find(|l| l["leave_type"] == "study").cloned()).expect("study");
    assert_eq!(
        (study["lines"].as_array().map(Vec::len), study["entitled_days"].as_f64()),
        (Some(12), Some(12.0)),
        "{study}"
    );
}
