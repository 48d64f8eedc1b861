//! The authorization matrix: each route against anonymous, the owner
//! employee, another employee, the owner's manager, another manager and an
//! HR admin. Refusals write nothing.

use crate::support::*;
use chrono::Duration;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(request_routes_matrix, resource_routes_matrix);

const ANON: u16 = 401;

struct Actors {
    anon: User,
    owner: User,
    other_employee: User,
    manager: User,
    other_manager: User,
    hr: User,
}

async fn actors(app: &TestApp) -> Actors {
    Actors {
        anon: app.anonymous(),
        owner: app.login("employee1@demo.local").await,
        other_employee: app.login("employee4@demo.local").await,
        manager: app.login("manager@demo.local").await,
        other_manager: app.login("manager2@demo.local").await,
        hr: app.login("hr@demo.local").await,
    }
}

impl Actors {
    fn all(&self) -> [(&'static str, &User); 6] {
        [
            ("anonymous", &self.anon),
            ("owner", &self.owner),
            ("other employee", &self.other_employee),
            ("manager", &self.manager),
            ("other manager", &self.other_manager),
            ("hr admin", &self.hr),
        ]
    }
}

async fn call(user: &User, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    match (method, body) {
        ("GET", _) => user.get(path).await,
        ("POST", Some(b)) => user.post(path, b).await,
        ("POST", None) => user.post_empty(path).await,
        ("PATCH", Some(b)) => user.patch(path, b).await,
        ("PUT", Some(b)) => user.put(path, b).await,
        ("DELETE", _) => user.delete(path).await,
        other => panic!("unsupported {other:?}"),
    }
}

async fn request_routes_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = actors(&app).await;
    // expected status per actor, in the order of Actors::all
    let matrix: [(&str, &str, [u16; 6]); 4] = [
        ("GET", "", [ANON, 200, 404, 200, 404, 200]),
        ("POST", "/approve", [ANON, 403, 404, 200, 404, 200]),
        ("POST", "/reject", [ANON, 403, 404, 200, 404, 200]),
        ("POST", "/cancel", [ANON, 200, 404, 403, 404, 200]),
    ];
    let mut week = 1;
    for (method, suffix, expected) in matrix {
        for ((who, user), want) in a.all().into_iter().zip(expected) {
            week += 1;
            let start = monday(week);
            let id = a.owner.submit("unpaid", start, start + Duration::days(1)).await;
            let audit_before = app.count("audit_events").await;
            let (s, body) = call(user, method, &format!("/api/v1/leave-requests/{id}{suffix}"), None).await;
            assert_eq!(s.as_u16(), want, "{method} {suffix} as {who}: {body}");
            if want >= 400 {
                assert_eq!(app.count("audit_events").await, audit_before, "{method} {suffix} as {who} wrote something");
                let (_, r) = a.hr.get(&format!("/api/v1/leave-requests/{id}")).await;
                assert_eq!(r["status"], "pending", "{method} {suffix} as {who} changed the request");
            }
        }
    }
}

async fn resource_routes_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = actors(&app).await;
    let y = next_year();
    let everyone = [ANON, 200, 200, 200, 200, 200];
    let hr_only_read = [ANON, 403, 403, 403, 403, 200];
    let hr_only_write = [ANON, 403, 403, 403, 403, 0];
    let reads: Vec<(&str, String, [u16; 6])> = vec![
        ("GET", "/api/v1/me".into(), everyone),
        ("GET", format!("/api/v1/me/balances?year={y}"), everyone),
        ("GET", "/api/v1/leave-requests".into(), everyone),
        ("GET", "/api/v1/approvals".into(), everyone),
        ("GET", "/api/v1/notifications".into(), everyone),
        ("GET", "/api/v1/leave-types".into(), everyone),
        ("GET", "/api/v1/holidays".into(), everyone),
        ("GET", "/api/v1/me/tokens".into(), everyone),
        ("GET", "/api/v1/admin/maintenance".into(), everyone),
        ("GET", "/api/v1/employees".into(), hr_only_read),
        ("GET", "/api/v1/employees/5".into(), hr_only_read),
        ("GET", "/api/v1/admin/dashboard".into(), hr_only_read),
        ("GET", "/api/v1/audit-events".into(), hr_only_read),
        ("GET", "/api/v1/allowances?employee_id=5".into(), hr_only_read),
        ("GET", "/api/v1/reports/leave-usage".into(), [ANON, 403, 403, 200, 200, 200]),
    ];
    for (method, path, expected) in reads {
        for ((who, user), want) in a.all().into_iter().zip(expected) {
            let (s, body) = call(user, method, &path, None).await;
            assert_eq!(s.as_u16(), want, "{method} {path} as {who}: {body}");
        }
    }
    let writes: Vec<(&str, &str, Value)> = vec![
        (
            "POST",
            "/api/v1/employees",
            json!({"email": "new@demo.local", "name": "New", "start_date": "2026-01-01", "role": "employee"}),
        ),
        ("PATCH", "/api/v1/employees/5", json!({"name": "Renamed"})),
        ("POST", "/api/v1/leave-types", json!({"code": "study", "name": "Study", "deducts_balance": false})),
        ("PATCH", "/api/v1/leave-types/1", json!({"name": "Renamed"})),
        ("POST", "/api/v1/holidays", json!({"date": monday(3), "name": "Extra"})),
        ("PUT", "/api/v1/holidays/1", json!({"date": monday(3), "name": "Moved"})),
        ("POST", "/api/v1/allowances", json!({"employee_id": 5, "leave_type": "unpaid", "year": y, "days": 3})),
        (
            "POST",
            "/api/v1/allowances/adjustments",
            json!({"employee_id": 5, "leave_type": "annual", "year": y, "days": 3, "reason": "x"}),
        ),
        ("PUT", "/api/v1/admin/maintenance", json!({"enabled": false})),
    ];
    for (method, path, body) in writes {
        for ((who, user), want) in a.all().into_iter().zip(hr_only_write) {
            if want == 0 {
                continue; // HR success is covered by the hr tests
            }
            let audit_before = app.count("audit_events").await;
            let (s, b) = call(user, method, path, Some(body.clone())).await;
            assert_eq!(s.as_u16(), want, "{method} {path} as {who}: {b}");
            assert_eq!(app.count("audit_events").await, audit_before, "{method} {path} as {who} wrote something");
        }
    }
    let (s, _) = a.hr.delete("/api/v1/holidays/1").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = a.manager.delete("/api/v1/holidays/2").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
