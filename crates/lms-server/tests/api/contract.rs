//! The OpenAPI document as a contract: every operation declares the error
//! answers its inputs allow and the credential it needs, and the answers
//! the server really gives are among the documented ones (the same checks
//! `scripts/schemathesis` makes with generated requests).

use crate::support::*;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(real_answers_are_documented);

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The operations of the document as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// A response of an operation, with a `$ref` to a shared response resolved.
fn response<'a>(doc: &'a Value, op: &'a Value, status: &str) -> Option<&'a Value> {
    let r = op["responses"].get(status)?;
    match r.get("$ref").and_then(Value::as_str) {
        Some(pointer) => doc.pointer(pointer.trim_start_matches('#')),
        None => Some(r),
    }
}

#[test]
fn every_operation_declares_its_errors_and_credential() {
    let doc = serde_json::to_value(lms_server::router::openapi()).expect("document");
    let public = ["/api/v1/auth/login", "/api/v1/status"];
    let credential = json!([{"bearer": []}, {"session": []}]);
    let mut ids = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        assert!(ids.insert(id.clone()), "{what}: operationId {id} is used twice");
        let has = |status: &str| response(&doc, &op, status).is_some();
        let needs_credential = path.starts_with("/api/v1/") && !public.contains(&path.as_str());
        if needs_credential {
            assert_eq!(op["security"], credential, "{what}");
            assert!(has("401") && has("503"), "{what}: 401 and 503 undocumented");
        } else if path != "/api/v1/auth/login" {
            assert!(!has("401"), "{what} needs no credential but documents 401");
        }
        if method != "get" && path.starts_with("/api/v1/") {
            assert!(has("503"), "{what}: a change may meet maintenance mode");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["in"] == "path") {
            assert!(has("404"), "{what}: a malformed id is a 404");
        }
        if params.iter().any(|p| p["in"] == "query") {
            assert!(has("400") && has("422"), "{what}: query values are checked");
        }
        if let Some(body) = op.get("requestBody") {
            assert!(has("400") && has("413") && has("422"), "{what}: bodies are checked");
            assert_eq!(has("415"), body["required"] == true, "{what}: 415 exactly for a required JSON body");
        }
        // Every error answer is in the error shape, described.
        for (status, _) in op["responses"].as_object().expect("responses") {
            if status.starts_with('4') || (status == "503" && path.starts_with("/api/v1/")) {
                let r = response(&doc, &op, status).unwrap_or_else(|| panic!("{what} {status}: dangling $ref"));
                assert!(!r["description"].as_str().unwrap_or_default().is_empty(), "{what} {status}: no description");
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{what} {status}"
                );
            }
        }
    }
    // Links (for clients and stateful testing) name existing operations, in
    // the specification's field names.
    let mut links = 0;
    for (method, path, op) in operations(&doc) {
        for (status, r) in op["responses"].as_object().expect("responses") {
            for (name, link) in r["links"].as_object().into_iter().flatten() {
                let target = link["operationId"].as_str().unwrap_or_default();
                assert!(ids.contains(target), "{method} {path} {status} link {name}: {link}");
                assert!(link["parameters"]["id"].as_str().is_some_and(|e| e.starts_with("$response.body#/")));
                links += 1;
            }
        }
    }
    assert!(links >= 10, "{links} links");
    for (status, name) in [("429", "TooManyRequests"), ("503", "ServiceUnavailable")] {
        let r = &doc["components"]["responses"][name];
        assert!(r["headers"].get("Retry-After").is_some(), "{status} {name}: {r}");
    }
}

/// Whether `status` (and, when given, `content_type`) is documented for the operation.
fn documented(doc: &Value, method: &str, path: &str, status: StatusCode, content_type: Option<&str>) -> bool {
    let op = &doc["paths"][path][method];
    match (response(doc, op, status.as_str()), content_type) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(r), Some(ct)) => r["content"].get(ct).is_some(),
    }
}

async fn real_answers_are_documented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let (_, doc) = anon.get("/api/openapi.json").await;
    let hr = app.login("hr@demo.local").await;
    let employee = app.login("employee1@demo.local").await;
    let (s, t) = employee.post("/api/v1/me/tokens", json!({"name": "contract"})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let employee_token = employee.with_bearer(t["token"].as_str().expect("token"));
    let (s, a) = hr.post("/api/v1/holidays", json!({"date": "2031-03-03", "name": "A"})).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, b) = hr.post("/api/v1/holidays", json!({"date": "2031-03-04", "name": "B"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let b_id = b["id"].as_i64().expect("id");
    let url = |p: &str| app.url(p);

    let mut answers: Vec<(&str, &str, StatusCode, Value)> = Vec::new();
    let (s, v) = anon.get("/api/v1/me").await;
    answers.push(("get", "/api/v1/me", s, v));
    let (s, v) = employee.get(&format!("/api/v1/employees/{HR}")).await;
    answers.push(("get", "/api/v1/employees/{id}", s, v));
    // A token cannot create tokens.
    let (s, v) = employee_token.post("/api/v1/me/tokens", json!({"name": "again"})).await;
    answers.push(("post", "/api/v1/me/tokens", s, v));
    let (s, v) = hr.get("/api/v1/allowances?employee_id=999999").await;
    answers.push(("get", "/api/v1/allowances", s, v));
    let (s, v) = hr.put(&format!("/api/v1/holidays/{b_id}"), json!({"date": "2031-03-03", "name": "B"})).await;
    answers.push(("put", "/api/v1/holidays/{id}", s, v));
    let (s, v) = hr.get("/api/v1/leave-requests?limit=0").await;
    answers.push(("get", "/api/v1/leave-requests", s, v));
    let (s, v) = hr.get("/api/v1/leave-requests?from=12345-01-01").await;
    answers.push(("get", "/api/v1/leave-requests", s, v));
    let res = hr.client.post(url("/api/v1/employees")).body(r#"{"name":"x"}"#).send().await.expect("POST");
    answers.push(("post", "/api/v1/employees", res.status(), Value::Null));
    let res = hr.client.post(url("/api/v1/leave-requests/1/approve")).body("{").send().await.expect("POST");
    answers.push(("post", "/api/v1/leave-requests/{id}/approve", res.status(), Value::Null));
    let big = json!({"date": "2031-03-05", "name": "x".repeat(100 * 1024)});
    let (s, v) = hr.post("/api/v1/holidays", big).await;
    answers.push(("post", "/api/v1/holidays", s, v));

    let expected = [
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::FORBIDDEN,
        StatusCode::NOT_FOUND,
        StatusCode::CONFLICT,
        StatusCode::BAD_REQUEST,
        StatusCode::UNPROCESSABLE_ENTITY,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        StatusCode::BAD_REQUEST,
        StatusCode::PAYLOAD_TOO_LARGE,
    ];
    for ((method, path, status, body), want) in answers.into_iter().zip(expected) {
        assert_eq!(status, want, "{method} {path}: {body}");
        assert!(documented(&doc, method, path, status, Some("application/json")), "{method} {path}: {status}");
        if body != Value::Null {
            assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
        }
    }

    // The CSV report is documented as such.
    let res = hr.client.get(url("/api/v1/reports/leave-usage?format=csv")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()["content-type"].to_str().expect("content type").to_string();
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert!(documented(&doc, "get", "/api/v1/reports/leave-usage", StatusCode::OK, Some("text/csv")));
}
