//! Operations endpoints: health, liveness, readiness, status, metrics,
//! OpenAPI document and docs, request ids.

use crate::support::*;
use lms_store::Backend;
use reqwest::StatusCode;

crate::both_backends!(health_status_and_probes, metrics_count_requests_and_workflow, openapi_and_docs_are_served);

async fn health_status_and_probes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let (s, h) = anon.get("/api/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (h["status"].as_str(), h["version"].as_str(), h["database"].as_str()),
        (Some("healthy"), Some("3.0.0"), Some("connected"))
    );
    let ts = h["timestamp"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.ends_with('Z'), "{ts}");
    assert_eq!(anon.get("/api/health/live").await.0, StatusCode::OK);
    let (s, r) = anon.get("/api/health/ready").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("ready")));
    // Anyone sees what a load balancer needs, and no build, process or migration detail.
    let (s, st) = anon.get("/api/v1/status").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((st["version"].as_str(), st["slot"].as_str()), (Some("3.0.0"), Some("default")));
    assert_eq!((st["maintenance"].as_bool(), st["draining"].as_bool()), (Some(false), Some(false)));
    assert_eq!(
        (st["database"]["connected"].as_bool(), st["database"]["schema_current"].as_bool()),
        (Some(true), Some(true))
    );
    let detail = ["git_commit", "build_time", "pid", "uptime_seconds"];
    let db_detail = ["backend", "migrations_applied", "migrations_expected"];
    let shows_detail = |st: &serde_json::Value| {
        let top = detail.iter().filter(|k| st.get(**k).is_some()).count();
        let db = db_detail.iter().filter(|k| st["database"].get(**k).is_some()).count();
        (top, db)
    };
    assert_eq!(shows_detail(&st), (0, 0), "anonymous: {st}");
    let (_, st) = app.login("employee1@demo.local").await.get("/api/v1/status").await;
    assert_eq!(shows_detail(&st), (0, 0), "employee: {st}");
    let (_, st) = app.anonymous().with_bearer("not-the-status-token").get("/api/v1/status").await;
    assert_eq!(shows_detail(&st), (0, 0), "a wrong bearer: {st}");
    // HR sees everything.
    let (_, st) = app.login("hr@demo.local").await.get("/api/v1/status").await;
    assert_eq!(shows_detail(&st), (4, 3), "HR: {st}");
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(st["database"]["backend"], backend_name);
    assert_eq!(st["database"]["migrations_applied"], st["database"]["migrations_expected"]);
    assert_eq!(st["pid"].as_u64(), Some(u64::from(std::process::id())));
    // So does a monitoring system holding the status token, on an instance started with one.
    let token = "status-token-0123456789";
    let monitored = TestApp::start(
        app.db.clone(),
        app.url.clone(),
        lms_server::ServerConfig { status_token: Some(token.into()), ..Default::default() },
    )
    .await;
    let (_, st) = monitored.anonymous().with_bearer(token).get("/api/v1/status").await;
    assert_eq!(shows_detail(&st), (4, 3), "status token: {st}");
    let (_, st) = monitored.anonymous().with_bearer("status-token-0123456788").get("/api/v1/status").await;
    assert_eq!(shows_detail(&st), (0, 0), "a near miss: {st}");
    // Request ids are kept when given and made when not.
    let res = anon.client.get(app.url("/api/health")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = anon.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 24);
    // Every page shows the version and slot in its footer (here the sign-in
    // page, where a visitor who is not signed in lands).
    let html = anon.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("LMS 3.0.0") && html.contains("<span class=\"slot\">default</span>"), "{html}");
}

async fn metrics_count_requests_and_workflow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let id = emp.submit("annual", monday(10), monday(10)).await;
    mgr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
    let text = app.anonymous().client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    // Every series carries the slot and version (blue and green side by side in one Prometheus).
    let i = r#"slot="default",version="3.0.0""#;
    assert!(text.contains(&format!("lms_build_info{{{i}}} 1")), "{text}");
    assert!(text.contains(&format!(r#"lms_leave_requests_total{{{i},event="submitted"}} 1"#)), "{text}");
    assert!(text.contains(&format!(r#"lms_leave_requests_total{{{i},event="approved"}} 1"#)), "{text}");
    assert!(
        text.contains(&format!(
            r#"lms_http_requests_total{{{i},route="/api/v1/leave-requests",method="POST",status="201"}} 1"#
        )),
        "{text}"
    );
    assert!(text.contains("lms_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("lms_db_pool_connections"), "{text}");

    // This process's CPU and memory beside what it may use, per slot, for
    // the cutover's CPU and memory gates outside a container runtime.
    let value = |text: &str, name: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{name}{{{i}}} ")))
            .unwrap_or_else(|| panic!("{name} in {text}"));
        line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("a number in {line}"))
    };
    let cpu = value(&text, "lms_process_cpu_seconds_total");
    let rss = value(&text, "lms_process_resident_memory_bytes");
    let cores = value(&text, "lms_process_cpu_limit_cores");
    let memory = value(&text, "lms_process_memory_limit_bytes");
    assert!(cpu > 0.0, "two logins hash passwords: CPU was used ({cpu})");
    assert!(rss > 1e6 && rss < memory, "resident {rss} within the limit {memory}");
    assert!(cores > 0.0, "{cores}");
    // Argon2 on another login: the counter goes up, never down.
    app.login("employee2@demo.local").await;
    let again = app.anonymous().client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(value(&again, "lms_process_cpu_seconds_total") > cpu, "{again}");

    // Made-up methods share one label: they cannot grow the metrics
    // without end (unmatched paths are not counted at all).
    let client = app.anonymous().client;
    for i in 0..50 {
        let m = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        client.request(m.clone(), app.url("/api/v1/me")).send().await.unwrap();
        client.request(m, app.url(&format!("/no/such/path/{i}"))).send().await.unwrap();
    }
    let text = client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains("MADEUP"), "no series per made-up method");
    assert!(!text.contains("/no/such/path"), "no series per unmatched path");
    assert!(text.contains(r#"route="/api/v1/me",method="other""#), "{text}");
}

/// Every operation of the API, as `METHOD /path`.
const API_OPERATIONS: &[&str] = &[
    "GET /api/health",
    "GET /api/health/live",
    "GET /api/health/ready",
    "GET /api/v1/admin/dashboard",
    "GET /api/v1/admin/maintenance",
    "PUT /api/v1/admin/maintenance",
    "GET /api/v1/allowances",
    "POST /api/v1/allowances",
    "POST /api/v1/allowances/adjustments",
    "GET /api/v1/approvals",
    "GET /api/v1/delegations",
    "POST /api/v1/delegations",
    "DELETE /api/v1/delegations/{id}",
    "GET /api/v1/audit-events",
    "GET /api/v1/admin/mail",
    "GET /api/v1/admin/mail/{id}",
    "POST /api/v1/admin/mail/{id}/retry",
    "GET /api/v1/webhooks",
    "POST /api/v1/webhooks",
    "DELETE /api/v1/webhooks/{id}",
    "GET /api/v1/webhooks/{id}/deliveries",
    "GET /api/v1/settings/webhooks",
    "PUT /api/v1/settings/webhooks",
    "GET /api/v1/settings/sso",
    "PUT /api/v1/settings/sso",
    "GET /api/v1/employees/{id}/sign-in",
    "PUT /api/v1/employees/{id}/sign-in",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/logout",
    "GET /api/v1/employees",
    "POST /api/v1/employees",
    "GET /api/v1/employees/{id}",
    "PATCH /api/v1/employees/{id}",
    "GET /api/v1/holidays",
    "POST /api/v1/holidays",
    "PUT /api/v1/holidays/{id}",
    "DELETE /api/v1/holidays/{id}",
    "GET /api/v1/locations",
    "POST /api/v1/locations",
    "GET /api/v1/locations/{id}",
    "PUT /api/v1/locations/{id}",
    "DELETE /api/v1/locations/{id}",
    "GET /api/v1/locations/{id}/holidays",
    "POST /api/v1/locations/{id}/holidays",
    "PUT /api/v1/locations/{id}/holidays/{holiday_id}",
    "DELETE /api/v1/locations/{id}/holidays/{holiday_id}",
    "POST /api/v1/locations/{id}/holidays/import",
    "GET /api/v1/employees/{id}/location",
    "PUT /api/v1/employees/{id}/location",
    "GET /api/v1/leave-requests",
    "POST /api/v1/leave-requests",
    "GET /api/v1/leave-requests/{id}",
    "GET /api/v1/leave-requests/quote",
    "GET /api/v1/leave-requests/{id}/stages",
    "POST /api/v1/leave-requests/{id}/approve",
    "POST /api/v1/leave-requests/{id}/cancel",
    "POST /api/v1/leave-requests/{id}/reject",
    "GET /api/v1/leave-types",
    "POST /api/v1/leave-types",
    "PATCH /api/v1/leave-types/{id}",
    "GET /api/v1/leave-types/{id}/rules",
    "GET /api/v1/employees/{id}/schedules",
    "PUT /api/v1/employees/{id}/schedules",
    "PUT /api/v1/leave-types/{id}/rules",
    "GET /api/v1/leave-types/{id}/approval-chain",
    "PUT /api/v1/leave-types/{id}/approval-chain",
    "GET /api/v1/me",
    "GET /api/v1/me/balances",
    "GET /api/v1/me/tokens",
    "POST /api/v1/me/tokens",
    "DELETE /api/v1/me/tokens/{id}",
    "GET /api/v1/me/calendar-feeds",
    "POST /api/v1/me/calendar-feeds",
    "DELETE /api/v1/me/calendar-feeds/{id}",
    "GET /api/v1/leave-requests/{id}/ics",
    "GET /api/v1/notifications",
    "POST /api/v1/notifications/{id}/read",
    "GET /api/v1/reports/leave-usage",
    "GET /api/v1/settings/leave-year",
    "PUT /api/v1/settings/leave-year",
    "GET /api/v1/status",
    "POST /api/v1/allowances/corrections",
    "GET /api/v1/policies",
    "POST /api/v1/policies",
    "PUT /api/v1/policies/{id}",
    "DELETE /api/v1/policies/{id}",
    "GET /api/v1/policies/{id}/assignments",
    "POST /api/v1/policies/{id}/assignments",
    "DELETE /api/v1/policy-assignments/{id}",
    "POST /api/v1/entitlements/run",
    "GET /api/v1/entitlements/runs",
    "PUT /api/v1/employees/{id}/leaving-date",
    "GET /api/v1/employees/{id}/balances-on",
];

async fn openapi_and_docs_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let (s, doc) = anon.get("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    // A parameter is `in: path` exactly when the path has it as `{name}`;
    // every other one is a query parameter.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            for prm in op["parameters"].as_array().cloned().unwrap_or_default() {
                let name = prm["name"].as_str().unwrap_or_default();
                let want = if path.contains(&format!("{{{name}}}")) { "path" } else { "query" };
                assert_eq!(prm["in"], want, "{method} {path}: parameter {name}");
            }
        }
    }
    // Every operation the API serves is in the document, and nothing else:
    // the inventory below changes only together with the router.
    let documented: std::collections::BTreeSet<String> = paths
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| format!("{} {path}", m.to_uppercase())))
        .collect();
    let served: std::collections::BTreeSet<String> = API_OPERATIONS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        documented.symmetric_difference(&served).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "operations served but not documented, or documented but not served"
    );
    // And each documented operation is routed (not the unknown-route 404).
    for op in &served {
        let (method, path) = op.split_once(' ').unwrap();
        let url = app.url(&path.replace("{id}", "1"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = anon
            .client
            .request(method, url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(!body.contains("route not found"), "{op} is documented but not routed: {status} {body}");
    }
    let res = anon.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(!html.contains("unpkg.com") && !html.contains("cdn."), "the UI must be served from the binary");
    // The UI is pointed at this server's document.
    let init = anon.client.get(app.url("/api/docs/swagger-initializer.js")).send().await.unwrap().text().await.unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
    // Every file the page loads is served from the binary.
    for (file, kind) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui-standalone-preset.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon-32x32.png", "image/png"),
    ] {
        assert!(html.contains(&format!("./{file}")), "the page loads {file}");
        let res = anon.client.get(app.url(&format!("/api/docs/{file}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        assert_eq!(res.headers()["content-type"], kind, "{file}");
        assert!(res.bytes().await.unwrap().len() > 500, "{file}");
    }
}
