//! The authorization matrix: each route against anonymous, the owner
//! employee, another employee, the owner's manager, another manager and an
//! HR admin. Refusals write nothing.

use crate::support::*;
use chrono::Duration;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(request_routes_matrix, resource_routes_matrix, lists_show_each_caller_only_what_they_may_see);

/// The `employee_id`s of a list's items.
fn owners(page: &Value) -> std::collections::BTreeSet<i64> {
    page["items"].as_array().expect("items").iter().map(|i| i["employee_id"].as_i64().expect("employee_id")).collect()
}

/// The ids of a list's items.
fn ids(page: &Value) -> std::collections::BTreeSet<i64> {
    page["items"].as_array().expect("items").iter().map(|i| i["id"].as_i64().expect("id")).collect()
}

/// Lists are checked on their content, with requests of two teams in the
/// database: requests, approvals, notifications and the usage report show
/// each caller their own, their reports', or (HR) everyone's — nothing else.
async fn lists_show_each_caller_only_what_they_may_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = actors(&app).await;
    let id_of = |u: &User| {
        let u = u.clone();
        async move { u.get("/api/v1/me").await.1["id"].as_i64().expect("id") }
    };
    let (owner, other) = (id_of(&a.owner).await, id_of(&a.other_employee).await);
    let teammate = app.login("employee2@demo.local").await;
    let mine = a.owner.submit("annual", monday(3), monday(3)).await;
    let teammates = teammate.submit("annual", monday(4), monday(4)).await;
    let others = a.other_employee.submit("annual", monday(5), monday(5)).await;
    let team_one: std::collections::BTreeSet<i64> = [owner, id_of(&teammate).await].into();

    // Requests: one's own by default; a manager's reports on asking; HR anyone's.
    let (_, p) = a.owner.get("/api/v1/leave-requests").await;
    assert_eq!((owners(&p), ids(&p)), ([owner].into(), [mine].into()), "{p}");
    let (s, _) = a.owner.get(&format!("/api/v1/leave-requests?employee_id={other}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, p) = a.manager.get(&format!("/api/v1/leave-requests?employee_id={owner}")).await;
    assert_eq!(ids(&p), [mine].into(), "{p}");
    let (s, _) = a.manager.get(&format!("/api/v1/leave-requests?employee_id={other}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, p) = a.hr.get(&format!("/api/v1/leave-requests?employee_id={other}")).await;
    assert_eq!(ids(&p), [others].into(), "{p}");

    // Approvals: a manager's queue holds their reports' requests only.
    let (_, p) = a.manager.get("/api/v1/approvals").await;
    assert_eq!(ids(&p), [mine, teammates].into(), "{p}");
    let (_, p) = a.other_manager.get("/api/v1/approvals").await;
    assert_eq!(ids(&p), [others].into(), "{p}");
    let (_, p) = a.owner.get("/api/v1/approvals").await;
    assert!(ids(&p).is_empty(), "an employee approves nothing: {p}");
    let (_, p) = a.hr.get("/api/v1/approvals").await;
    assert_eq!(ids(&p), [mine, teammates, others].into(), "{p}");

    // Notifications: each person's own; the manager of a request hears of it, no one else.
    let about = |page: &Value| -> std::collections::BTreeSet<i64> {
        page["items"].as_array().expect("items").iter().filter_map(|n| n["entity_id"].as_i64()).collect()
    };
    let (_, n) = a.manager.get("/api/v1/notifications").await;
    assert_eq!(about(&n), [mine, teammates].into(), "{n}");
    let (_, n) = a.other_manager.get("/api/v1/notifications").await;
    assert_eq!(about(&n), [others].into(), "{n}");
    let (_, n) = a.other_employee.get("/api/v1/notifications").await;
    assert!(about(&n).is_disjoint(&[mine, teammates].into()), "{n}");

    // The usage report: a manager's reports only; HR everyone.
    let y = next_year();
    let report = format!("/api/v1/reports/leave-usage?from={y}-01-01&to={y}-12-31&limit=200");
    let (_, r) = a.manager.get(&report).await;
    let seen = owners(&r);
    assert!(
        seen.is_subset(&[owner, id_of(&teammate).await, id_of(&app.login("employee3@demo.local").await).await].into()),
        "{r}"
    );
    assert!(team_one.is_subset(&seen), "{r}");
    let (_, r) = a.other_manager.get(&report).await;
    assert!(owners(&r).contains(&other) && owners(&r).is_disjoint(&team_one), "{r}");
    let (_, r) = a.hr.get(&report).await;
    assert!(owners(&r).is_superset(&[owner, other].into()), "{r}");
}

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
    let matrix: [(&str, &str, [u16; 6]); 5] = [
        ("GET", "", [ANON, 200, 404, 200, 404, 200]),
        ("GET", "/ics", [ANON, 200, 404, 200, 404, 200]),
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
    // A location with a holiday (id 1 each) for the location routes.
    let (s, l) = a.hr.post("/api/v1/locations", json!({"name": "Matrix"})).await;
    assert_eq!((s, l["id"].as_i64()), (StatusCode::CREATED, Some(1)), "{l}");
    let (s, h) = a.hr.post("/api/v1/locations/1/holidays", json!({"date": monday(3), "name": "Local"})).await;
    assert_eq!((s, h["id"].as_i64()), (StatusCode::CREATED, Some(1)), "{h}");
    let reads: Vec<(&str, String, [u16; 6])> = vec![
        ("GET", "/api/v1/me".into(), everyone),
        ("GET", format!("/api/v1/me/balances?year={y}"), everyone),
        ("GET", "/api/v1/leave-requests".into(), everyone),
        ("GET", "/api/v1/approvals".into(), everyone),
        ("GET", "/api/v1/notifications".into(), everyone),
        ("GET", "/api/v1/leave-types".into(), everyone),
        ("GET", "/api/v1/leave-types/1/rules".into(), everyone),
        ("GET", "/api/v1/leave-types/1/approval-chain".into(), everyone),
        ("GET", "/api/v1/delegations".into(), everyone),
        ("GET", "/api/v1/delegations?all=true".into(), hr_only_read),
        ("GET", "/api/v1/holidays".into(), everyone),
        ("GET", "/api/v1/locations".into(), everyone),
        ("GET", "/api/v1/locations/1".into(), everyone),
        ("GET", "/api/v1/locations/1/holidays".into(), everyone),
        ("GET", "/api/v1/employees/5/location".into(), hr_only_read),
        ("GET", "/api/v1/me/tokens".into(), everyone),
        ("GET", "/api/v1/me/calendar-feeds".into(), everyone),
        ("GET", "/api/v1/admin/maintenance".into(), everyone),
        ("GET", "/api/v1/settings/leave-year".into(), everyone),
        ("GET", "/api/v1/employees".into(), hr_only_read),
        ("GET", "/api/v1/employees/5".into(), hr_only_read),
        ("GET", "/api/v1/employees/5/schedules".into(), hr_only_read),
        ("GET", "/api/v1/admin/dashboard".into(), hr_only_read),
        ("GET", "/api/v1/audit-events".into(), hr_only_read),
        ("GET", "/api/v1/admin/mail".into(), hr_only_read),
        ("GET", "/api/v1/admin/mail/1".into(), [ANON, 403, 403, 403, 403, 404]),
        ("GET", "/api/v1/webhooks".into(), hr_only_read),
        ("GET", "/api/v1/webhooks/1/deliveries".into(), [ANON, 403, 403, 403, 403, 404]),
        ("GET", "/api/v1/settings/webhooks".into(), hr_only_read),
        ("GET", "/api/v1/settings/sso".into(), hr_only_read),
        ("GET", "/api/v1/employees/3/sign-in".into(), [ANON, 200, 403, 403, 403, 200]),
        ("GET", "/api/v1/allowances?employee_id=5".into(), hr_only_read),
        ("GET", "/api/v1/reports/leave-usage".into(), [ANON, 403, 403, 200, 200, 200]),
        ("GET", "/api/v1/reports/leave-usage?format=xlsx".into(), [ANON, 403, 403, 200, 200, 200]),
        ("GET", "/api/v1/leave-requests?format=xlsx".into(), everyone),
        ("GET", "/api/v1/leave-requests?all=true&format=xlsx".into(), hr_only_read),
        ("GET", "/api/v1/audit-events?format=xlsx".into(), hr_only_read),
        ("GET", "/api/v1/policies".into(), everyone),
        ("GET", "/api/v1/policies/1/assignments".into(), [ANON, 403, 403, 403, 403, 404]),
        ("GET", "/api/v1/entitlements/runs".into(), hr_only_read),
        ("GET", "/api/v1/employees/5/balances-on?date=2026-06-01".into(), hr_only_read),
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
        ("PUT", "/api/v1/employees/5/schedules", json!({"schedules": []})),
        ("POST", "/api/v1/leave-types", json!({"code": "study", "name": "Study", "deducts_balance": false})),
        ("PATCH", "/api/v1/leave-types/1", json!({"name": "Renamed"})),
        ("PUT", "/api/v1/leave-types/1/rules", json!({"max_consecutive_days": 5})),
        ("PUT", "/api/v1/leave-types/1/approval-chain", json!({"chain": "manager_then_hr"})),
        ("POST", "/api/v1/holidays", json!({"date": monday(3), "name": "Extra"})),
        ("PUT", "/api/v1/holidays/1", json!({"date": monday(3), "name": "Moved"})),
        ("POST", "/api/v1/locations", json!({"name": "Elsewhere"})),
        ("PUT", "/api/v1/locations/1", json!({"name": "Renamed"})),
        ("DELETE", "/api/v1/locations/1", json!({})),
        ("POST", "/api/v1/locations/1/holidays", json!({"date": monday(4), "name": "Extra"})),
        ("PUT", "/api/v1/locations/1/holidays/1", json!({"date": monday(4), "name": "Moved"})),
        ("DELETE", "/api/v1/locations/1/holidays/1", json!({})),
        ("POST", "/api/v1/locations/1/holidays/import", json!("date,name\n2030-01-01,New Year\n")),
        ("PUT", "/api/v1/employees/5/location", json!({"location_id": 1})),
        ("POST", "/api/v1/allowances", json!({"employee_id": 5, "leave_type": "unpaid", "year": y, "days": 3})),
        (
            "POST",
            "/api/v1/allowances/adjustments",
            json!({"employee_id": 5, "leave_type": "annual", "year": y, "days": 3, "reason": "x"}),
        ),
        ("PUT", "/api/v1/admin/maintenance", json!({"enabled": false})),
        (
            "POST",
            "/api/v1/allowances/corrections",
            json!({"employee_id": 5, "leave_type": "annual", "year": y, "days": -1, "reason": "x"}),
        ),
        (
            "POST",
            "/api/v1/policies",
            json!({"leave_type": "annual", "name": "A", "allowance_days": 1, "accrual": "yearly"}),
        ),
        (
            "PUT",
            "/api/v1/policies/1",
            json!({"leave_type": "annual", "name": "A", "allowance_days": 1, "accrual": "yearly"}),
        ),
        ("DELETE", "/api/v1/policies/1", json!({})),
        ("POST", "/api/v1/policies/1/assignments", json!({"department": "Research", "valid_from": "2026-01-01"})),
        ("DELETE", "/api/v1/policy-assignments/1", json!({})),
        ("POST", "/api/v1/entitlements/run", json!({})),
        ("PUT", "/api/v1/employees/5/leaving-date", json!({"leaving_date": null})),
        ("PUT", "/api/v1/settings/leave-year", json!({"first_month": 4})),
        ("POST", "/api/v1/admin/mail/1/retry", json!({})),
        (
            "POST",
            "/api/v1/webhooks",
            json!({"url": "https://hooks.example.com/lms", "events": ["employee.created"], "format": "json"}),
        ),
        ("DELETE", "/api/v1/webhooks/1", json!({})),
        ("PUT", "/api/v1/settings/webhooks", json!({"allow_private": true})),
        ("PUT", "/api/v1/settings/sso", json!({"create_people": true})),
        ("PUT", "/api/v1/employees/5/sign-in", json!({"password_login": false})),
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
    // Calendar feeds: anyone their own; a team feed for managers, a company feed for HR.
    for (scope, expected) in [
        ("person", [ANON, 201, 201, 201, 201, 201]),
        ("team", [ANON, 403, 403, 201, 201, 201]),
        ("company", [ANON, 403, 403, 403, 403, 201]),
    ] {
        for ((who, user), want) in a.all().into_iter().zip(expected) {
            let (s, b) = user.post("/api/v1/me/calendar-feeds", json!({"name": "m", "scope": scope})).await;
            assert_eq!(s.as_u16(), want, "a {scope} feed as {who}: {b}");
        }
    }
    for ((who, user), want) in a.all().into_iter().zip([ANON, 404, 404, 404, 404, 404]) {
        let (s, b) = user.delete("/api/v1/me/calendar-feeds/999").await;
        assert_eq!(s.as_u16(), want, "revoke a feed one does not hold, as {who}: {b}");
    }
    let (s, _) = a.hr.delete("/api/v1/holidays/1").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = a.manager.delete("/api/v1/holidays/2").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
