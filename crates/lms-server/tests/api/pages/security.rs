//! Browser protections on pages and API alike: a cross-site change with a
//! valid cookie changes nothing; a form without this session's token is
//! refused; bearer requests are exempt; every answer carries the security
//! headers; unknown pages are styled 404s that leak nothing.

use super::Page;
use crate::support::TestApp;
use reqwest::StatusCode;

crate::both_backends!(cross_site_changes_are_refused, headers_and_error_pages);

async fn cross_site_changes_are_refused(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let page = Page::signed_in(&app, "employee1@demo.local").await;
    let token = page.get("/").await.form_token();
    let sessions = app.count("sessions").await;

    // A form on another site, posted by the victim's browser with its cookie.
    let evil = page
        .client
        .post(format!("{}/sign-out", page.base))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("sessions").await, sessions, "the session is still there");

    // The API, with the same cookie, from another site.
    let api = page
        .client
        .post(format!("{}/api/v1/leave-requests", page.base))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({"leave_type": "annual", "start_date": "2030-03-04", "end_date": "2030-03-04"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = api.json().await.expect("json");
    assert_eq!(body["error"]["code"], "cross_site_request", "{body}");
    assert_eq!(app.count("leave_requests").await, 0);

    // Without the token, from this site: refused too.
    let no_token = page.post("/sign-out", &[("_csrf", "0123")]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("sessions").await, sessions);

    // A bearer token is never sent by a browser on its own: exempt.
    let api_user = app.login("employee2@demo.local").await;
    let (s, t) = api_user.post("/api/v1/me/tokens", serde_json::json!({"name": "cli"})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let bearer = api_user.with_bearer(t["token"].as_str().expect("token"));
    let res = bearer
        .client
        .post(format!("{}/api/v1/notifications/1/read", bearer.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "checked as usual, not refused as cross-site");
}

async fn headers_and_error_pages(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let page = Page::signed_in(&app, "employee1@demo.local").await;
    for path in ["/", "/api/v1/me", "/sign-in"] {
        let a = page.get(path).await;
        let h = |name: &str| a.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "same-origin", "{path}");
        assert_eq!(h("cache-control"), "no-store", "{path}");
    }
    let home = page.get("/").await;
    assert!(!home.body.contains("<script>") && !home.body.contains("style="), "no inline script or style");
    let css = home.body.split("href=\"/assets/").nth(1).and_then(|s| s.split('"').next()).expect("stylesheet");
    let asset = page.get(&format!("/assets/{css}")).await;
    assert_eq!(asset.status, StatusCode::OK);
    let cache = asset.headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(cache.contains("immutable") && cache.contains("max-age=31536000"), "{cache}");
    assert_eq!(page.get("/assets/app.0000000000.css").await.status, StatusCode::NOT_FOUND);

    let gzip = page.client.get(format!("{}/", page.base)).header("accept-encoding", "gzip").send().await.expect("GET");
    assert_eq!(
        gzip.headers().get("content-encoding").and_then(|v| v.to_str().ok()),
        Some("gzip"),
        "pages are compressed"
    );

    let missing = page.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Page not found") && missing.body.contains("<html"), "{}", missing.body);
    let api_missing = page.get("/api/v1/no-such").await;
    assert!(api_missing.body.contains("\"not_found\""), "{}", api_missing.body);
}
