//! Single sign-on against a real OpenID provider (`oidc-provider` from
//! npm, see `oidc_provider.rs`): the browser's way through — LMS's button,
//! the provider's sign-in form, the callback — with a cookie-keeping client
//! that follows each redirect itself, so every hop can be checked. Then
//! what must be refused (an unverified email, a token for another
//! audience, a replayed, expired or foreign state, an unknown email unless
//! HR lets sign-ins create people), logout at both ends, and password
//! sign-in turned off per person.

use crate::oidc_provider::{form_action, form_field, Provider};
use crate::pages::{assert_translated, Page};
use crate::support::*;
use lms_server::sso::SsoConfig;
use lms_server::ServerConfig;
use lms_store::Backend;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    a_verified_email_signs_in_through_the_provider,
    an_unverified_email_is_refused_and_nothing_is_written,
    a_token_for_another_audience_is_refused,
    a_replayed_expired_or_foreign_answer_is_refused,
    signing_out_ends_the_session_here_and_at_the_provider,
    an_unknown_email_signs_in_only_when_hr_lets_sign_ins_create_people,
    password_sign_in_can_be_turned_off_per_person,
    without_a_provider_single_sign_on_is_off,
    hr_manages_single_sign_on_on_its_pages,
    unfinished_sign_ins_from_one_address_are_capped,
);

const CLIENT_ID: &str = "lms";
const CLIENT_SECRET: &str = "a-client-secret-for-tests";

/// The provider's accounts: demo people (by their demo emails), an
/// unverified one, one whose tokens name another audience, a newcomer.
fn accounts() -> Value {
    json!({
        "ada": {"email": "employee1@demo.local", "email_verified": true, "name": "Ada Byrne"},
        "ben": {"email": "Employee2@Demo.Local", "email_verified": true, "name": "Ben Okafor"},
        "eve": {"email": "employee3@demo.local", "email_verified": false, "name": "Chloe Martin"},
        "mallory": {"email": "employee4@demo.local", "email_verified": true, "aud_override": "another-app"},
        "newcomer": {"email": "newcomer@demo.local", "email_verified": true, "name": "Nia Newcomer"},
    })
}

/// A demo organisation, a provider that knows LMS as a client, and an
/// instance of LMS signing in through it.
struct World {
    /// The instance without single sign-on (it made the database).
    _plain: TestApp,
    app: TestApp,
    provider: Provider,
}

impl World {
    async fn new(backend: Backend, id_token_claims: bool) -> World {
        let plain = TestApp::spawn(backend).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let client = json!([{
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [format!("{base}/sign-in/sso/callback")],
            "post_logout_redirect_uris": [format!("{base}/sign-in?signed_out=1")],
        }]);
        let provider = Provider::start(client, accounts(), id_token_claims).await;
        let mut sso = SsoConfig::new(provider.issuer.clone(), CLIENT_ID, base);
        sso.client_secret = Some(CLIENT_SECRET.into());
        sso.display_name = "Test SSO".into();
        let config = ServerConfig { sso: Some(sso), ..ServerConfig::default() };
        let app = TestApp::start_on(listener, plain.db.clone(), plain.url.clone(), config).await;
        World { _plain: plain, app, provider }
    }
}

/// An answer, with where it came from.
struct Hop {
    url: String,
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Hop {
    fn location(&self) -> Option<String> {
        let to = self.headers.get("location")?.to_str().ok()?;
        Some(url::Url::parse(&self.url).ok()?.join(to).ok()?.to_string())
    }
}

/// A browser without JavaScript: one cookie jar for LMS and the provider,
/// each redirect followed by hand and remembered.
struct Browser {
    client: reqwest::Client,
    /// Every URL visited, in order.
    visited: Vec<String>,
}

impl Browser {
    fn new() -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser { client, visited: Vec::new() }
    }

    async fn answer(&mut self, url: &str, res: reqwest::Response) -> Hop {
        self.visited.push(url.to_string());
        let (status, headers) = (res.status(), res.headers().clone());
        Hop { url: url.to_string(), status, headers, body: res.text().await.expect("body") }
    }

    /// GET `url` and every redirect after it; the last answer.
    async fn open(&mut self, url: &str) -> Hop {
        let res = self.client.get(url).send().await.expect("GET");
        let hop = self.answer(url, res).await;
        self.follow(hop).await
    }

    async fn follow(&mut self, mut hop: Hop) -> Hop {
        for _ in 0..10 {
            match (hop.status.is_redirection(), hop.location()) {
                (true, Some(next)) => {
                    let res = self.client.get(&next).send().await.expect("GET");
                    hop = self.answer(&next, res).await;
                }
                _ => return hop,
            }
        }
        panic!("more than 10 redirects: {:?}", self.visited)
    }

    /// Submits the page's first form with `fields`, then follows redirects.
    async fn submit(&mut self, page: &Hop, fields: &[(&str, &str)]) -> Hop {
        let action = form_action(&page.body).unwrap_or_else(|| panic!("a form on {}: {}", page.url, page.body));
        let url = url::Url::parse(&page.url).expect("url").join(&action).expect("action").to_string();
        let res = self.client.post(&url).form(fields).send().await.expect("POST");
        let hop = self.answer(&url, res).await;
        self.follow(hop).await
    }

    /// From LMS's sign-in button to the provider's sign-in form.
    async fn begin(&mut self, w: &World) -> Hop {
        let page = self.open(&w.app.url("/sign-in/sso?next=/requests")).await;
        assert_eq!(page.status, StatusCode::OK, "{} via {:?}", page.body, self.visited);
        assert!(page.url.starts_with(&w.provider.issuer), "at the provider: {}", page.url);
        assert!(page.body.contains("name=\"login\""), "the provider's sign-in form: {}", page.body);
        page
    }

    /// The whole way: LMS's button, the provider's form as `login`, back.
    async fn sign_in(&mut self, w: &World, login: &str) -> Hop {
        let form = self.begin(w).await;
        self.submit(&form, &[("login", login)]).await
    }

    /// Who LMS thinks this browser is (its session cookie).
    async fn me(&self, w: &World) -> (StatusCode, Value) {
        let res = self.client.get(w.app.url("/api/v1/me")).send().await.expect("GET");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// The audit records of `action`, newest first (read by HR).
async fn audited(app: &TestApp, action: &str) -> Vec<Value> {
    let hr = app.login("hr@demo.local").await;
    let (s, b) = hr.get(&format!("/api/v1/audit-events?action={action}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["items"].as_array().cloned().unwrap_or_default()
}

async fn a_verified_email_signs_in_through_the_provider(backend: Backend) {
    let w = World::new(backend, false).await;
    let sign_in_page = w.app.anonymous().client.get(w.app.url("/sign-in")).send().await.expect("GET");
    let html = sign_in_page.text().await.expect("body");
    assert!(html.contains("Sign in with Test SSO"), "the button: {html}");

    let mut b = Browser::new();
    let landed = b.sign_in(&w, "ada").await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.body);
    assert_eq!(landed.url, w.app.url("/requests"), "lands where it was going: {:?}", b.visited);
    // The authorization request carried PKCE (S256), a state and a nonce.
    let authorize = b.visited.iter().find(|u| u.starts_with(&format!("{}/auth?", w.provider.issuer))).expect("/auth");
    let q: std::collections::HashMap<String, String> =
        url::Url::parse(authorize).expect("url").query_pairs().into_owned().collect();
    assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"), "{authorize}");
    assert!(q.get("code_challenge").is_some_and(|c| c.len() >= 43), "{authorize}");
    assert!(q.contains_key("state") && q.contains_key("nonce"), "{authorize}");
    assert!(q.get("scope").is_some_and(|s| s.contains("openid") && s.contains("email")), "{authorize}");

    let (s, me) = b.me(&w).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "employee1@demo.local");

    // Linked, audited, and seen by HR on the person.
    let id = me["id"].as_i64().expect("id");
    let links = audited(&w.app, "sso.link").await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["after"]["subject"], "ada");
    let logins = audited(&w.app, "auth.login").await;
    assert!(logins.iter().any(|l| l["actor_id"] == id && l["after"]["method"] == "sso"), "{logins:?}");
    let hr = w.app.login("hr@demo.local").await;
    let (s, methods) = hr.get(&format!("/api/v1/employees/{id}/sign-in")).await;
    assert_eq!(s, StatusCode::OK, "{methods}");
    assert_eq!(methods["identities"][0]["issuer"], w.provider.issuer.as_str());
    assert_eq!(methods["identities"][0]["email"], "employee1@demo.local");
    assert_eq!(methods["password_login"], true);

    // An email in another case is the same person; a second sign-in
    // through the same identity links nothing new.
    let mut ben = Browser::new();
    ben.sign_in(&w, "ben").await;
    assert_eq!(ben.me(&w).await.1["email"], "employee2@demo.local");
    let mut again = Browser::new();
    again.sign_in(&w, "ada").await;
    assert_eq!(again.me(&w).await.1["id"], id);
    assert_eq!(w.app.count("sso_identities").await, 2);

    // A deactivated person is refused, though the provider vouches for them.
    let (s, body) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let mut late = Browser::new();
    let refused = late.sign_in(&w, "ada").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("deactivated"), "{}", refused.body);
    assert_eq!(late.me(&w).await.0, StatusCode::UNAUTHORIZED);
}

async fn an_unverified_email_is_refused_and_nothing_is_written(backend: Backend) {
    let w = World::new(backend, true).await;
    let (people, sessions) = (w.app.count("employees").await, w.app.count("sessions").await);
    let mut b = Browser::new();
    let refused = b.sign_in(&w, "eve").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("has not confirmed your email address"), "{}", refused.body);
    assert!(refused.body.contains("Sign in with Test SSO"), "the page offers to start again: {}", refused.body);
    assert_eq!(b.me(&w).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(w.app.count("sso_identities").await, 0);
    assert_eq!(w.app.count("employees").await, people);
    assert_eq!(w.app.count("sessions").await, sessions);
    let failed = audited(&w.app, "auth.sso_failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["after"]["reason"], "unverified_email");
    assert_eq!(failed[0]["after"]["email"], "employee3@demo.local");
}

async fn a_token_for_another_audience_is_refused(backend: Backend) {
    let w = World::new(backend, true).await;
    let mut b = Browser::new();
    let refused = b.sign_in(&w, "mallory").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(
        refused.body.contains("failed LMS&#39;s checks") || refused.body.contains("failed LMS's checks"),
        "{}",
        refused.body
    );
    assert_eq!(b.me(&w).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(w.app.count("sso_identities").await, 0);
    let failed = audited(&w.app, "auth.sso_failed").await;
    assert_eq!(failed[0]["after"]["reason"], "token", "{failed:?}");
    let detail = failed[0]["after"]["detail"].as_str().unwrap_or("");
    assert!(detail.to_lowercase().contains("audience"), "{detail}");
}

async fn a_replayed_expired_or_foreign_answer_is_refused(backend: Backend) {
    let w = World::new(backend, false).await;

    // Replayed: the provider's answer used a second time (from the same
    // browser, signed out in between) signs nobody in.
    let mut b = Browser::new();
    b.sign_in(&w, "ada").await;
    let callback = b.visited.iter().find(|u| u.contains("/sign-in/sso/callback?")).cloned().expect("callback");
    let sessions = w.app.count("sessions").await;
    let mut thief = Browser::new();
    let replayed = thief.open(&callback).await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST, "{}", replayed.body);
    assert!(replayed.body.contains("already used or has expired"), "{}", replayed.body);
    let again = b.open(&callback).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_eq!(w.app.count("sessions").await, sessions);

    // Expired: the person stayed at the provider past the sign-in's time.
    let mut slow = Browser::new();
    let form = slow.begin(&w).await;
    lms_store::testing::expire_sso_logins(&w.app.db).await.expect("expire");
    let expired = slow.submit(&form, &[("login", "ada")]).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST, "{}", expired.body);
    assert!(expired.body.contains("already used or has expired"), "{}", expired.body);
    assert_eq!(slow.me(&w).await.0, StatusCode::UNAUTHORIZED);

    // Foreign: a sign-in begun in one browser and finished in another (a
    // forged login) is refused, and it cannot be finished afterwards.
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let form = attacker.begin(&w).await;
    let action = url::Url::parse(&form.url).expect("url").join(&form_action(&form.body).expect("form")).expect("url");
    let res = attacker.client.post(action.as_str()).form(&[("login", "ada")]).send().await.expect("POST");
    let mut hop = attacker.answer(action.as_str(), res).await;
    while !hop.location().is_some_and(|l| l.contains("/sign-in/sso/callback?")) {
        let next = hop.location().unwrap_or_else(|| panic!("a redirect: {}", hop.body));
        let res = attacker.client.get(&next).send().await.expect("GET");
        hop = attacker.answer(&next, res).await;
    }
    let forged = victim.open(&hop.location().expect("callback")).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.body);
    assert!(forged.body.contains("another browser"), "{}", forged.body);
    assert_eq!(victim.me(&w).await.0, StatusCode::UNAUTHORIZED);
    let reasons: Vec<Value> =
        audited(&w.app, "auth.sso_failed").await.iter().map(|a| a["after"]["reason"].clone()).collect();
    assert_eq!(reasons, vec![json!("browser"), json!("state"), json!("state"), json!("state")]);
}

async fn signing_out_ends_the_session_here_and_at_the_provider(backend: Backend) {
    let w = World::new(backend, false).await;
    let mut b = Browser::new();
    let home = b.sign_in(&w, "ada").await;
    let token = form_field(&home.body, "_csrf").expect("a form token");
    let csp = home.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.contains(&format!("form-action 'self' {}", w.provider.issuer)), "{csp}");

    let res = b.client.post(w.app.url("/sign-out")).form(&[("_csrf", token.as_str())]).send().await.expect("POST");
    let out = b.answer(&w.app.url("/sign-out"), res).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let logout = out.location().expect("a redirect");
    let q: std::collections::HashMap<String, String> =
        url::Url::parse(&logout).expect("url").query_pairs().into_owned().collect();
    assert!(logout.starts_with(&format!("{}/session/end", w.provider.issuer)), "{logout}");
    assert!(q.contains_key("id_token_hint"), "{logout}");
    assert_eq!(q.get("post_logout_redirect_uri"), Some(&w.app.url("/sign-in?signed_out=1")));
    // Signed out of LMS already.
    assert_eq!(b.me(&w).await.0, StatusCode::UNAUTHORIZED);

    // The provider asks; confirming leads back to LMS's sign-in page.
    let confirm = b.open(&logout).await;
    let xsrf =
        form_field(&confirm.body, "xsrf").unwrap_or_else(|| panic!("the provider's logout form: {}", confirm.body));
    let back = b.submit(&confirm, &[("xsrf", xsrf.as_str()), ("logout", "yes")]).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert!(back.url.starts_with(&w.app.url("/sign-in?signed_out=1")), "{}", back.url);
    assert!(back.body.contains("You are signed out"), "{}", back.body);

    // The provider's session ended too: signing in asks for the account again.
    b.begin(&w).await;
    let audits = audited(&w.app, "auth.logout").await;
    assert_eq!(audits.len(), 1, "{audits:?}");
}

async fn an_unknown_email_signs_in_only_when_hr_lets_sign_ins_create_people(backend: Backend) {
    let w = World::new(backend, true).await;
    let people = w.app.count("employees").await;
    let mut b = Browser::new();
    let refused = b.sign_in(&w, "newcomer").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("no account with your email address"), "{}", refused.body);
    assert_eq!(w.app.count("employees").await, people);

    let hr = w.app.login("hr@demo.local").await;
    let (s, body) = hr.put("/api/v1/settings/sso", json!({"create_people": true, "department": " "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, body) = hr.put("/api/v1/settings/sso", json!({"create_people": true, "department": "Field"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["provider"]["issuer"], w.provider.issuer.as_str());
    assert_eq!(body["provider"]["redirect_uri"], w.app.url("/sign-in/sso/callback"));
    let employee = w.app.login("employee1@demo.local").await;
    let (s, _) = employee.get("/api/v1/settings/sso").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let mut again = Browser::new();
    let landed = again.sign_in(&w, "newcomer").await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.body);
    let (s, me) = again.me(&w).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "newcomer@demo.local");
    assert_eq!(me["name"], "Nia Newcomer");
    assert_eq!(me["department"], "Field");
    assert_eq!(me["role"], "employee");
    assert_eq!(w.app.count("employees").await, people + 1);
    let created = audited(&w.app, "employee.create").await;
    assert_eq!(created[0]["entity_id"], me["id"].to_string().as_str(), "{created:?}");
    assert_eq!(audited(&w.app, "settings.sso").await.len(), 1);
    // No password: the profile offers none to change, and the sign-in form
    // cannot open their account.
    let profile = again.open(&w.app.url("/profile")).await;
    assert!(profile.body.contains("You have no LMS password"), "{}", profile.body);
    assert!(!profile.body.contains("action=\"/profile/password\""), "no password form");
    let (s, _) = w
        .app
        .anonymous()
        .post("/api/v1/auth/login", json!({"email": "newcomer@demo.local", "password": PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn password_sign_in_can_be_turned_off_per_person(backend: Backend) {
    let w = World::new(backend, false).await;
    let hr = w.app.login("hr@demo.local").await;
    let ada = w.app.login("employee1@demo.local").await;
    let (_, me) = ada.get("/api/v1/me").await;
    let id = me["id"].as_i64().expect("id");
    let mut sso_session = Browser::new();
    sso_session.sign_in(&w, "ada").await;

    let (s, body) = hr.put(&format!("/api/v1/employees/{id}/sign-in"), json!({"password_login": false})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["password_login"].clone(), body["has_password"].clone()), (json!(false), json!(false)));
    // The password no longer opens the account, the session it opened
    // ended, the one single sign-on opened stays.
    let (s, _) = w
        .app
        .anonymous()
        .post("/api/v1/auth/login", json!({"email": "employee1@demo.local", "password": PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(ada.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(sso_session.me(&w).await.0, StatusCode::OK);
    // No password may be set while it is off.
    let (s, body) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"password": "a-new-password"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "password_login_off", "{body}");
    // Single sign-on still works.
    let mut b = Browser::new();
    b.sign_in(&w, "ada").await;
    assert_eq!(b.me(&w).await.0, StatusCode::OK);
    // HR may not turn off their own password.
    let (_, hr_me) = hr.get("/api/v1/me").await;
    let (s, body) =
        hr.put(&format!("/api/v1/employees/{}/sign-in", hr_me["id"]), json!({"password_login": false})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Allowed again, a password can be set and used.
    let (s, body) = hr.put(&format!("/api/v1/employees/{id}/sign-in"), json!({"password_login": true})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"password": "a-new-password"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    w.app.login_with("employee1@demo.local", "a-new-password").await;
    let changes = audited(&w.app, "employee.password_login").await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0]["after"]["enabled"], true);
    assert_eq!(changes[1]["after"]["enabled"], false);
    // Nobody but HR changes it or reads another's; the person reads theirs.
    let ben = w.app.login("employee2@demo.local").await;
    let (s, _) = ben.put(&format!("/api/v1/employees/{id}/sign-in"), json!({"password_login": false})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = ben.get(&format!("/api/v1/employees/{id}/sign-in")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, ben_me) = ben.get("/api/v1/me").await;
    let (s, own) = ben.get(&format!("/api/v1/employees/{}/sign-in", ben_me["id"])).await;
    assert_eq!((s, own["password_login"].clone()), (StatusCode::OK, json!(true)), "{own}");
}

async fn without_a_provider_single_sign_on_is_off(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, status) = app.anonymous().get("/api/v1/status").await;
    assert_eq!(status["sso"]["enabled"], false, "{status}");
    let res = app.anonymous().client.get(app.url("/sign-in")).send().await.expect("GET");
    assert!(!res.text().await.expect("body").contains("sign-in-sso"));
    let mut b = Browser::new();
    let off = b.open(&app.url("/sign-in/sso")).await;
    assert_eq!(off.status, StatusCode::NOT_FOUND, "{}", off.body);
    assert!(off.body.contains("Single sign-on is not set up"), "{}", off.body);
    // Turning a password off would leave the person no way in.
    let hr = app.login("hr@demo.local").await;
    let (s, body) = hr.put("/api/v1/employees/3/sign-in", json!({"password_login": false})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "sso_not_configured", "{body}");
    app.login("employee1@demo.local").await;

    // A provider that is down: the sign-in page says so, nothing is begun.
    let w = World::new(backend, false).await;
    let World { _plain, app, provider } = w;
    provider.stop().await;
    let mut b = Browser::new();
    let down = b.open(&app.url("/sign-in/sso")).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY, "{}", down.body);
    assert!(down.body.contains("did not answer as expected"), "{}", down.body);
    assert_eq!(app.count("sso_logins").await, 0);
    let (_, status) = app.anonymous().get("/api/v1/status").await;
    assert_eq!(status["sso"]["enabled"], true, "{status}");
}

async fn hr_manages_single_sign_on_on_its_pages(backend: Backend) {
    let w = World::new(backend, true).await;
    let hr = Page::signed_in(&w.app, "hr@demo.local").await;
    let settings = hr.get("/hr/settings").await;
    assert_translated(&settings, "the settings page");
    assert!(settings.body.contains(&w.provider.issuer), "the provider: {}", settings.body);
    assert!(settings.body.contains(&w.app.url("/sign-in/sso/callback")), "the redirect URI to register");
    let saved = hr.post_form("/hr/settings", "/hr/sso", &[("create_people", "on"), ("department", "Field")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, s) = w.app.login("hr@demo.local").await.get("/api/v1/settings/sso").await;
    assert_eq!((s["create_people"].clone(), s["department"].clone()), (json!(true), json!("Field")), "{s}");
    let refused = hr.post_form("/hr/settings", "/hr/sso", &[("department", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("department"), "{}", refused.body);

    // Ada signs in once; her page shows the link and turns her password off.
    Browser::new().sign_in(&w, "ada").await;
    let person = hr.get("/hr/people/3").await;
    assert_translated(&person, "the person page");
    assert!(person.body.contains("Linked sign-in:"), "{}", person.body);
    assert!(person.body.contains("May sign in with a password."), "{}", person.body);
    let off = hr.post_form("/hr/people/3", "/hr/people/3/sign-in", &[("password_login", "off")]).await;
    assert_eq!((off.status, off.location()), (StatusCode::SEE_OTHER, "/hr/people/3?done=password-login-off"));
    let person = hr.get("/hr/people/3?done=password-login-off").await;
    assert!(person.body.contains("signs in through the sign-in service only"), "{}", person.body);
    assert!(!person.body.contains("/hr/people/3/password"), "no password form while it is off");
    let (s, _) = w
        .app
        .anonymous()
        .post("/api/v1/auth/login", json!({"email": "employee1@demo.local", "password": PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let refused = hr.post_form("/hr/people/3", "/hr/people/3/password", &[("password", "a-new-password")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("Allow a password first"), "{}", refused.body);
    let on = hr.post_form("/hr/people/3", "/hr/people/3/sign-in", &[("password_login", "on")]).await;
    assert_eq!(on.location(), "/hr/people/3?done=password-login-on");
}

async fn unfinished_sign_ins_from_one_address_are_capped(backend: Backend) {
    let w = World::new(backend, false).await;
    let b = Browser::new();
    for n in 0..30 {
        let res = b.client.get(w.app.url("/sign-in/sso")).send().await.expect("GET");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in {n} begins");
    }
    let res = b.client.get(w.app.url("/sign-in/sso")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("600"));
    assert!(res.text().await.expect("body").contains("Too many sign-ins"));
    assert_eq!(w.app.count("sso_logins").await, 30, "the refused one wrote nothing");
    // Finished ones free their place; expired ones too.
    lms_store::testing::expire_sso_logins(&w.app.db).await.expect("expire");
    let mut again = Browser::new();
    again.sign_in(&w, "ada").await;
    assert_eq!(again.me(&w).await.0, StatusCode::OK);
}
