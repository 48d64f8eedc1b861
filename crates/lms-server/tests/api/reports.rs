//! The leave-usage report (JSON and CSV) and the HR dashboard.

use crate::support::*;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use lms_store::Backend;
use reqwest::StatusCode;

crate::both_backends!(leave_usage_report_counts_days_inside_the_period, dashboard_shows_todays_picture);

async fn leave_usage_report_counts_days_inside_the_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    // Two weeks of annual leave approved; a pending sick day.
    let a = emp.submit("annual", monday(10), monday(11) + Duration::days(4)).await;
    mgr.post_empty(&format!("/api/v1/leave-requests/{a}/approve")).await;
    emp.submit("sick", monday(12), monday(12)).await;
    // The period covers only the second week of the annual leave and the sick day.
    let (from, to) = (monday(11), monday(12) + Duration::days(6));
    let (s, r) = hr.get(&format!("/api/v1/reports/leave-usage?from={from}&to={to}")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let rows = r["items"].as_array().unwrap();
    assert_eq!(rows.len(), 9 * 3, "every active person and type");
    let line = |t: &str| rows.iter().find(|x| x["employee_id"] == EMPLOYEE1 && x["leave_type"] == t).unwrap().clone();
    assert_eq!((line("annual")["taken"].as_f64(), line("annual")["remaining"].as_f64()), (Some(5.0), Some(15.0)));
    assert_eq!((line("sick")["pending"].as_f64(), line("sick")["remaining"].as_f64()), (Some(1.0), Some(9.0)));

    let res = hr
        .client
        .get(app.url(&format!("/api/v1/reports/leave-usage?from={from}&to={to}&format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("employee_id,employee_name,email,department,leave_type,taken,pending,remaining,unit")
    );
    assert!(
        csv.lines().any(|l| l
            == format!("{EMPLOYEE1},\"Ada Byrne\",\"employee1@demo.local\",\"Engineering\",\"annual\",5,0,15,days")),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 27);

    // A manager sees only their reports.
    let (_, r) = mgr.get(&format!("/api/v1/reports/leave-usage?from={from}&to={to}")).await;
    assert!(r["items"].as_array().unwrap().iter().all(|x| [3, 4, 5].contains(&x["employee_id"].as_i64().unwrap())));
    let (s, _) = hr.get(&format!("/api/v1/reports/leave-usage?from={to}&to={from}")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = hr.get("/api/v1/reports/leave-usage?format=xml").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

async fn dashboard_shows_todays_picture(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee2@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    // Unpaid leave around today (a window of at least 7 days inside this year,
    // so it always has working days) is approved.
    let today = Utc::now().date_naive();
    let year = today.year();
    let start = (today - Duration::days(6)).max(NaiveDate::from_ymd_opt(year, 1, 1).unwrap());
    let end = (today + Duration::days(6)).min(NaiveDate::from_ymd_opt(year, 12, 31).unwrap());
    let id = emp.submit("unpaid", start, end).await;
    let (s, _) = mgr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
    assert_eq!(s, StatusCode::OK);
    emp.submit("annual", monday(20), monday(20)).await;
    let (s, d) = hr.get("/api/v1/admin/dashboard").await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["headcount"], 9);
    assert_eq!(d["pending_approvals"], 1);
    assert_eq!(d["version"], "3.0.0");
    assert_eq!(d["on_leave_today"][0]["employee_name"], "Ben Okafor", "{d}");
    let by_status = d["requests_this_month"].as_object().unwrap();
    assert_eq!(by_status.len(), 4);
    let total: i64 = by_status.values().filter_map(|v| v.as_i64()).sum();
    let started_this_month = i64::from(start.month() == today.month());
    assert_eq!(total, started_this_month, "{d}");
}
