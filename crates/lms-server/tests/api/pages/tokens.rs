//! API tokens from the profile page: made with a name and a life, the
//! secret shown once and working as a bearer token, listed without it,
//! revoked (then refused); a bad life is refused with nothing written.

use super::{assert_translated, Page};
use crate::support::TestApp;
use reqwest::StatusCode;

crate::both_backends!(tokens_from_the_profile);

async fn tokens_from_the_profile(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let before = app.count("api_tokens").await;
    let bad = ada.post_form("/profile", "/profile/tokens", &[("name", "ci"), ("days", "9999")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("A token lasts 1 to 3650 days"), "{}", bad.body);
    assert_eq!(app.count("api_tokens").await, before, "nothing written");

    let made = ada.post_form("/profile", "/profile/tokens", &[("name", "ci pipeline"), ("days", "30")]).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_translated(&made, "profile with a new token");
    let secret =
        made.body.split("<code id=\"new-token\">").nth(1).and_then(|s| s.split('<').next()).expect("the secret");
    assert!(secret.starts_with("lms_pat_"), "{secret}");
    let api = app.anonymous().with_bearer(secret);
    let (s, me) = api.get("/api/v1/me").await;
    assert_eq!((s, me["email"].as_str()), (StatusCode::OK, Some("employee1@demo.local")), "{me}");

    let listed = ada.get("/profile").await;
    assert!(listed.body.contains("ci pipeline") && !listed.body.contains(secret), "listed, never with the secret");
    let id = listed
        .body
        .split("/profile/tokens/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a revoke form")
        .to_string();
    let revoked = ada.post_form("/profile", &format!("/profile/tokens/{id}/revoke"), &[]).await;
    assert_eq!(revoked.location(), "/profile?done=token-revoked");
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "a revoked token is refused");
    assert!(ada.get("/profile").await.body.contains("Ended"));
}
