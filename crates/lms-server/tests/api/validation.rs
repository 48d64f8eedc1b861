//! Every validation error of a submission, and bad input in general: each
//! gets a 4xx with a code and a message, and nothing is written.

use crate::support::*;
use chrono::Duration;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    submission_errors_write_nothing,
    malformed_input_gets_4xx,
    oversized_body_is_refused,
    control_characters_and_far_dates_get_422,
    decision_bodies_are_checked_like_every_body
);

/// NUL bytes (PostgreSQL refuses them: once a 500) and dates far outside
/// any leave year are refused everywhere text comes in, saying which field,
/// and nothing is written.
async fn control_characters_and_far_dates_get_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let (s, e) = anon.post("/api/v1/auth/login", json!({"email": "a\u{0}b@x", "password": "lms-demo"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("control_character")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("email"), "{e}");
    let emp = app.login("employee1@demo.local").await;
    let mon = monday(10);
    let with_nul = json!({"leave_type": "annual", "start_date": mon, "end_date": mon, "reason": "ski\u{0}trip"});
    expect_refused(&app, &emp, with_nul, StatusCode::UNPROCESSABLE_ENTITY, "control_character").await;
    let line_breaks =
        json!({"leave_type": "annual", "start_date": mon, "end_date": mon, "reason": "line one\nline two\tok"});
    let (s, r) = emp.post("/api/v1/leave-requests", line_breaks).await;
    assert_eq!(s, StatusCode::CREATED, "tabs and line breaks are text: {r}");
    for (start, end) in [("2301-01-05", "2301-01-05"), ("1900-01-01", "1900-01-01")] {
        let far = json!({"leave_type": "annual", "start_date": start, "end_date": end});
        expect_refused(&app, &emp, far, StatusCode::UNPROCESSABLE_ENTITY, "date_out_of_range").await;
    }
    let hr = app.login("hr@demo.local").await;
    // No text anywhere is longer than 2,000 characters.
    let (tokens, audit) = (app.count("api_tokens").await, app.count("audit_events").await);
    let (s, e) = emp.post("/api/v1/me/tokens", json!({"name": "t".repeat(2_001)})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text_too_long")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("`name` has 2001 characters"), "{e}");
    assert_eq!((app.count("api_tokens").await, app.count("audit_events").await), (tokens, audit));
    let (s, e) = hr.get(&format!("/api/v1/leave-requests?type={}", "a".repeat(3_000))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text_too_long")), "{e}");
    for path in [
        "/api/v1/leave-requests?type=%00",
        "/api/v1/reports/leave-usage?from=-262143-01-01",
        "/api/v1/reports/leave-usage?from=+20000-01-01",
    ] {
        let (s, e) = hr.get(path).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {e}");
        assert!(e["error"]["code"] == "control_character" || e["error"]["code"] == "date_out_of_range", "{e}");
    }
}

/// A decision's optional body (approve, reject, cancel) gets the checks of
/// every JSON body: a NUL in the comment once answered 500 on PostgreSQL.
/// The request stays pending and nothing is written.
async fn decision_bodies_are_checked_like_every_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let manager = app.login("manager@demo.local").await;
    let id = emp.submit("annual", monday(12), monday(12)).await;
    let audit = app.count("audit_events").await;
    for action in ["approve", "reject"] {
        let path = format!("/api/v1/leave-requests/{id}/{action}");
        for (body, status, code) in [
            (json!({"comment": "fine\u{0}by me"}), StatusCode::UNPROCESSABLE_ENTITY, "control_character"),
            (json!({"comment": "x".repeat(2_001)}), StatusCode::UNPROCESSABLE_ENTITY, "text_too_long"),
            (json!({"comment": "x".repeat(1_001)}), StatusCode::UNPROCESSABLE_ENTITY, "comment_too_long"),
            (json!({"note": "unknown field"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        ] {
            let (s, e) = manager.post(&path, body).await;
            assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{action}: {e}");
        }
    }
    let (s, e) = emp.post(&format!("/api/v1/leave-requests/{id}/cancel"), json!({"comment": "\u{1}"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("control_character")), "{e}");
    assert_eq!(app.count("audit_events").await, audit, "nothing written");
    let (_, r) = emp.get(&format!("/api/v1/leave-requests/{id}")).await;
    assert_eq!(r["status"], "pending", "{r}");
    // Without a content type, and empty, a decision body still works.
    let res = manager
        .client
        .post(app.url(&format!("/api/v1/leave-requests/{id}/approve")))
        .body(r#"{"comment": "enjoy"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.expect("json");
    assert_eq!((r["status"].as_str(), r["comment"].as_str()), (Some("approved"), Some("enjoy")), "{r}");
}

/// The `Cookie` header value of a fresh session of `email`.
async fn session_cookie_of(app: &TestApp, email: &str) -> String {
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    let set = res.headers()["set-cookie"].to_str().expect("cookie").to_string();
    set.split(';').next().expect("name=value").to_string()
}

async fn expect_refused(app: &TestApp, user: &User, body: Value, status: StatusCode, code: &str) {
    let (requests, audit) = (app.count("leave_requests").await, app.count("audit_events").await);
    let (s, e) = user.post("/api/v1/leave-requests", body.clone()).await;
    assert_eq!(s, status, "{body} -> {e}");
    assert_eq!(e["error"]["code"], code, "{e}");
    assert!(!e["error"]["message"].as_str().unwrap_or("").is_empty());
    assert_eq!(app.count("leave_requests").await, requests, "nothing written for {body}");
    assert_eq!(app.count("audit_events").await, audit, "no audit for {body}");
}

async fn submission_errors_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mon = monday(10);
    let sat = mon + Duration::days(5);
    let y = next_year();
    let cases = [
        (request("annual", mon + Duration::days(4), mon), StatusCode::UNPROCESSABLE_ENTITY, "end_before_start"),
        (request("annual", sat, sat + Duration::days(1)), StatusCode::UNPROCESSABLE_ENTITY, "no_working_days"),
        (
            // Across the turn of the year: split, and the part in y + 1
            // (no allowance there) refuses the whole request.
            request(
                "annual",
                chrono::NaiveDate::from_ymd_opt(y, 12, 30).unwrap(),
                chrono::NaiveDate::from_ymd_opt(y + 1, 1, 7).unwrap(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "insufficient_balance",
        ),
        (request("holiday-cruise", mon, mon), StatusCode::UNPROCESSABLE_ENTITY, "unknown_leave_type"),
        (request("Annual!", mon, mon), StatusCode::UNPROCESSABLE_ENTITY, "unknown_leave_type"),
        (request("annual", mon, mon + Duration::days(7 * 8)), StatusCode::UNPROCESSABLE_ENTITY, "insufficient_balance"),
        (
            json!({"leave_type": "annual", "start_date": mon, "end_date": mon, "reason": "x".repeat(1001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_too_long",
        ),
    ];
    for (body, status, code) in cases {
        expect_refused(&app, &emp, body, status, code).await;
    }
    // Overlap with an own pending request.
    emp.submit("annual", mon, mon + Duration::days(2)).await;
    expect_refused(
        &app,
        &emp,
        request("sick", mon + Duration::days(2), mon + Duration::days(3)),
        StatusCode::CONFLICT,
        "overlapping_request",
    )
    .await;
    // Exactly the available balance fits; one half day more does not.
    let other = app.login("employee2@demo.local").await;
    let (s, r) = other
        .post(
            "/api/v1/leave-requests",
            json!({"leave_type": "sick", "start_date": monday(20), "end_date": monday(21) + Duration::days(4)}),
        )
        .await;
    assert_eq!((s, r["days"].as_f64()), (StatusCode::CREATED, Some(10.0)), "{r}");
    let day = monday(23);
    let body = json!({"leave_type": "sick", "start_date": day, "end_date": day, "half_day_start": true});
    expect_refused(&app, &other, body, StatusCode::UNPROCESSABLE_ENTITY, "insufficient_balance").await;
    // Unpaid leave does not deduct: any length within the year is fine.
    other.submit("unpaid", monday(30), monday(40)).await;
}

async fn malformed_input_gets_4xx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let before = app.count("leave_requests").await;
    let url = app.url("/api/v1/leave-requests");
    let send = |body: &'static str, ct: &'static str| {
        let c = emp.client.clone();
        let url = url.clone();
        async move { c.post(url).header("content-type", ct).body(body).send().await.expect("send") }
    };
    for (body, ct, want) in [
        ("{not json", "application/json", StatusCode::BAD_REQUEST),
        (
            r#"{"leave_type": 5, "start_date": "2030-01-01", "end_date": "2030-01-02"}"#,
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"leave_type": "annual", "start_date": "2030-02-31", "end_date": "2030-03-02"}"#,
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (r#"{"leave_type": "annual"}"#, "application/json", StatusCode::UNPROCESSABLE_ENTITY),
        (
            r#"{"leave_type": "annual", "start_date": "2030-01-01", "end_date": "2030-01-02", "colour": 1}"#,
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"leave_type": "annual", "start_date": "2030-01-01", "end_date": "2030-01-02"}"#,
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ] {
        let res = send(body, ct).await;
        let status = res.status();
        let v: Value = res.json().await.expect("json error body");
        assert_eq!(status, want, "{body}: {v}");
        assert!(v["error"]["code"].is_string() && v["error"]["message"].is_string(), "{v}");
    }
    assert_eq!(app.count("leave_requests").await, before);
    // Unknown ids and bad path/query values.
    for (path, want) in [
        ("/api/v1/leave-requests/999999", StatusCode::NOT_FOUND),
        ("/api/v1/leave-requests/abc", StatusCode::NOT_FOUND),
        ("/api/v1/leave-requests?status=done", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/leave-requests?limit=0", StatusCode::BAD_REQUEST),
        ("/api/v1/leave-requests?from=yesterday", StatusCode::BAD_REQUEST),
        ("/api/v1/me/balances?year=99999", StatusCode::BAD_REQUEST),
        ("/api/v1/no-such-route", StatusCode::NOT_FOUND),
    ] {
        let (s, v) = emp.get(path).await;
        assert_eq!(s, want, "{path}: {v}");
        assert!(v["error"]["code"].is_string(), "{path}: {v}");
    }
    let (s, _) = emp.post_empty("/api/v1/leave-requests/999999/approve").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let res = emp.client.post(app.url("/api/v1/leave-requests/1/approve")).body("{").send().await.expect("send");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

async fn oversized_body_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let before = app.count("leave_requests").await;
    let huge = json!({"leave_type": "annual", "start_date": monday(10), "end_date": monday(10), "reason": "x".repeat(200_000)});
    let (s, e) = emp.post("/api/v1/leave-requests", huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "body_too_large", "in the API's error shape: {e}");
    assert_eq!(app.count("leave_requests").await, before);
    // A client that sends all of a large upload before it reads (as a
    // simple client does) receives the 413, not a connection reset.
    let addr = app.addr;
    let cookie = session_cookie_of(&app, "employee1@demo.local").await;
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let body = vec![b'x'; 8 * 1024 * 1024];
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        let head = format!(
            "POST /api/v1/leave-requests HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
             Content-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).expect("head");
        s.write_all(&body).expect("the whole body is read, not cut off by a reset");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("client");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");
    // A method a path does not take answers in the same shape.
    let (s, e) = emp.delete("/api/v1/me").await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")), "{e}");
}
