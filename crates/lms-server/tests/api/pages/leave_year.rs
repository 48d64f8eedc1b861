//! The leave year through the pages: HR sets its first month on the leave
//! settings page (a month that is not one refused, nothing written); the
//! request form's quote shows what each year is charged by a request across
//! the turn of the year; the parts show as such, the approvals page shows
//! them as one row, and cancelling one on its page cancels both.

use super::{assert_translated, Page};
use crate::support::{TestApp, EMPLOYEE1};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(the_leave_year_on_the_pages);

async fn the_leave_year_on_the_pages(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;

    let page = hr.get("/hr/settings").await;
    assert_translated(&page, "/hr/settings");
    assert!(page.body.contains("<option value=\"1\" selected>January</option>"), "{}", page.body);
    let audit = app.count("audit_events").await;
    let bad = hr.post_form("/hr/settings", "/hr/leave-year", &[("first_month", "13")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("use 1 (January) to 12 (December)"), "{}", bad.body);
    let refused = ada.post_form("/requests/new", "/hr/leave-year", &[("first_month", "4")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("audit_events").await, audit, "nothing written");
    let saved = hr.post_form("/hr/settings", "/hr/leave-year", &[("first_month", "4")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location().ends_with("done=leave-year-saved"), "{}", saved.location());
    let page = hr.get(saved.location()).await;
    assert!(page.body.contains("The leave year is saved."), "{}", page.body);
    assert!(page.body.contains("<option value=\"4\" selected>April</option>"), "{}", page.body);

    // The worked example's travel allowances (docs/LEAVE-RULES.md).
    let api = app.login("hr@demo.local").await;
    let (s, _) =
        api.post("/api/v1/leave-types", json!({"code": "travel", "name": "Travel", "deducts_balance": true})).await;
    assert_eq!(s, StatusCode::CREATED);
    for (year, days) in [(2026, 5), (2027, 8)] {
        let body = json!({"employee_id": EMPLOYEE1, "leave_type": "travel", "year": year, "days": days});
        assert_eq!(api.post("/api/v1/allowances", body).await.0, StatusCode::CREATED);
    }

    let q = ada.get("/requests/quote?leave_type=travel&start_date=2027-03-28&end_date=2027-04-08").await;
    assert_translated(&q, "the quote");
    assert!(q.body.contains("Counts 9 days"), "{}", q.body);
    assert!(q.body.contains("crosses the turn of the leave year"), "{}", q.body);
    assert!(
        q.body.contains("Leave year 2026: 28 Mar 2027 – 31 Mar 2027 · 3 days · balance 5 → <strong>2</strong>"),
        "{}",
        q.body
    );
    assert!(
        q.body.contains("Leave year 2027: 1 Apr 2027 – 8 Apr 2027 · 6 days · balance 8 → <strong>2</strong>"),
        "{}",
        q.body
    );

    let fields = [("leave_type", "travel"), ("start_date", "2027-03-28"), ("end_date", "2027-04-08")];
    let a = ada.post_form("/requests/new", "/requests/new", &fields).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let first = a.location().trim_start_matches("/requests/").split('?').next().unwrap_or("").to_string();
    let detail = ada.get(a.location()).await;
    assert_translated(&detail, "the request");
    assert!(detail.body.contains("Part 1 of 2") && detail.body.contains("<dd>2026</dd>"), "{}", detail.body);
    let list = ada.get("/requests").await;
    assert!(list.body.contains("(Part 1 of 2)") && list.body.contains("(Part 2 of 2)"), "{}", list.body);

    // The manager decides it as one: one row in the queue, across both years.
    let morgan = Page::signed_in(&app, "manager@demo.local").await;
    let queue = morgan.get("/approvals").await;
    assert_translated(&queue, "the approvals");
    assert!(queue.body.contains("28 Mar 2027 – 8 Apr 2027"), "one row spanning both parts: {}", queue.body);
    assert!(!queue.body.contains("1 Apr 2027 – 8 Apr 2027"), "no row for the second part: {}", queue.body);

    let cancelled = ada.post_form(&format!("/requests/{first}"), &format!("/requests/{first}/cancel"), &[]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
    let me = app.login("employee1@demo.local").await;
    let (_, mine) = me.get("/api/v1/leave-requests?type=travel").await;
    let statuses: Vec<_> = mine["items"].as_array().expect("items").iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, vec![json!("cancelled"), json!("cancelled")], "{mine}");
}
