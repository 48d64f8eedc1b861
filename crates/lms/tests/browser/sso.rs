//! Single sign-on in Chromium: the sign-in page's button, the OpenID
//! provider's own page (the real `oidc-provider`, see
//! `crates/lms-server/tests/api/oidc_provider.rs`), back in LMS signed in;
//! then signing out, which passes through the provider's logout (so the
//! page's Content-Security-Policy must let the sign-out form lead there)
//! and ends on LMS's sign-in page. Its own `lms serve --demo`, configured
//! with the provider, beside the shared one.

use crate::common;
use crate::harness::Browser;
use crate::oidc_provider::Provider;
use serde_json::json;
use std::process::{Child, Stdio};

/// `lms serve`, killed when the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_person_signs_in_and_out_through_the_provider() {
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = json!([{
        "client_id": "lms",
        "client_secret": "a-client-secret-for-tests",
        "redirect_uris": [format!("{base}/sign-in/sso/callback")],
        "post_logout_redirect_uris": [format!("{base}/sign-in?signed_out=1")],
    }]);
    let accounts = json!({"ada": {"email": "employee1@demo.local", "email_verified": true, "name": "Ada Byrne"}});
    let provider = Provider::start(client, accounts, false).await;
    let dir = common::scratch("browser-sso");
    let secret = dir.join("client-secret");
    std::fs::write(&secret, "a-client-secret-for-tests\n").expect("writing the client secret");
    let _server = Server(
        common::lms()
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base])
            .args(["--database-url", &format!("sqlite://{}/lms.db", dir.display())])
            .args(["--oidc-issuer", &provider.issuer, "--oidc-client-id", "lms", "--oidc-name", "Test SSO"])
            .arg("--oidc-client-secret-file")
            .arg(&secret)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting lms serve with single sign-on"),
    );
    common::wait_for("lms serve (single sign-on) to answer /api/health", || {
        common::http_get(port, "/api/health").is_some_and(|b| b.contains("healthy"))
    });

    let b = Browser::start_at(&base).await;
    b.goto("/sign-in").await;
    let button = b.text("#sign-in-sso").await;
    assert_eq!(button.trim(), "Sign in with Test SSO");
    b.click_and_wait("#sign-in-sso").await;
    assert_eq!(b.title().await, "Test provider – sign in");
    b.type_into("#login", "ada").await;
    b.click_and_wait("button[type=submit]").await;
    assert_eq!(b.current_path().await, "/", "back in LMS, on the home page");
    let who = b.text("header .who").await;
    assert!(who.contains("Ada Byrne"), "signed in as Ada: {who}");

    // Signing out leads through the provider's logout back to LMS.
    b.click_and_wait("header form[action='/sign-out'] button[type=submit]").await;
    assert_eq!(b.title().await, "Test provider – sign out");
    b.click_and_wait("button[name=logout]").await;
    assert!(b.current_path().await.starts_with("/sign-in?signed_out=1"), "{}", b.current_path().await);
    b.wait_for_text("main", "You are signed out").await;
    let _ = std::fs::remove_dir_all(&dir);
}
