//! Login, logout, sessions, API tokens and the failed-login limiter
//! (progressive delays, device cookies).

use crate::support::*;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    login_sets_a_safe_cookie_and_logout_ends_it,
    failed_logins_look_alike_and_are_delayed_not_locked,
    expired_sessions_and_tokens_are_refused,
    a_known_device_goes_through_the_delays_of_its_account_and_address,
    api_tokens_work_until_revoked,
    deactivation_ends_access,
    tokens_end_with_a_password_reset_a_deactivation_and_a_logout,
    parallel_wrong_passwords_are_checked_at_most_the_limit,
    small_points_scheme_case_token_cap_reset_audit_and_text_length
);

/// The bearer scheme is case-insensitive; a person holds at most 20 live
/// tokens; a password reset is audited as such; a department is bounded.
async fn small_points_scheme_case_token_cap_reset_audit_and_text_length(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee5@demo.local").await;
    let mut tokens = Vec::new();
    for i in 0..20 {
        let (s, t) = emp.post("/api/v1/me/tokens", json!({"name": format!("t{i}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        tokens.push(t["token"].as_str().expect("token").to_string());
    }
    let (s, e) = emp.post("/api/v1/me/tokens", json!({"name": "one-too-many"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many_tokens")), "{e}");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let res = reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("{scheme} {}", tokens[0]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "scheme {scheme}");
    }
    let hr = app.login("hr@demo.local").await;
    let (_, me) = emp.get("/api/v1/me").await;
    let id = me["id"].as_i64().expect("id");
    let (s, _) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"password": "another-password-1"})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = hr.get("/api/v1/audit-events?action=employee.password_reset").await;
    let items = a["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{a}");
    assert!(!a.to_string().contains("argon2"), "never the hash: {a}");
    // Audit filters take a plain date as well as an RFC 3339 time.
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today + chrono::Duration::days(1);
    let (s, a) = hr.get(&format!("/api/v1/audit-events?action=employee.password_reset&from={today}&to={today}")).await;
    assert_eq!((s, a["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{a}");
    let (_, a) = hr.get(&format!("/api/v1/audit-events?action=employee.password_reset&from={tomorrow}")).await;
    assert_eq!(a["items"].as_array().map(Vec::len), Some(0), "{a}");
    let (s, e) = hr.get("/api/v1/audit-events?from=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").contains("RFC 3339"), "{e}");
    let before = app.count("employees").await;
    let (s, e) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"department": "x".repeat(60_000)})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text_too_long")), "{e}");
    assert_eq!(app.count("employees").await, before);
}

/// 60 wrong passwords at once against one account: at most the free
/// failures (5) get their password checked (401); every other one is told
/// to wait (429) to come back when the cores are busy (503 with
/// Retry-After). Nothing answers 500.
async fn parallel_wrong_passwords_are_checked_at_most_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.url("/api/v1/auth/login");
    let started = std::time::Instant::now();
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let url = url.clone();
        attempts.spawn(async move {
            let res = reqwest::Client::new()
                .post(url)
                .json(&json!({"email": "employee2@demo.local", "password": "wrong-password"}))
                .send()
                .await
                .expect("answer");
            (res.status(), res.headers().contains_key("retry-after"))
        });
    }
    let mut checked = 0;
    while let Some(r) = attempts.join_next().await {
        let (status, retry_after) = r.expect("task");
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                assert!(retry_after, "{status} says when to come back")
            }
            other => panic!("unexpected {other}"),
        }
    }
    // The five free failures are checked; any more only once the doubling
    // delay (1 s, 2 s, …) has passed since the latest failure.
    let extra = (started.elapsed().as_secs_f64() + 1.0).log2().floor() as usize;
    assert!(checked <= 5 + extra, "{checked} passwords checked in {:?}; 5 are free", started.elapsed());
    // (All of them may be told to wait: each counts the others in flight.)
}

/// A token never outlives what should end it: HR resetting the password,
/// a deactivation (also after reactivation), a logout made with the token
/// itself; and a token cannot mint tokens (only a signed-in session can).
async fn tokens_end_with_a_password_reset_a_deactivation_and_a_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (_, me) = app.login("employee4@demo.local").await.get("/api/v1/me").await;
    let id = me["id"].as_i64().expect("id");
    let bearer = reqwest::Client::new();
    let works = |token: String| {
        let (c, url) = (bearer.clone(), app.url("/api/v1/me"));
        async move { c.get(url).bearer_auth(token).send().await.unwrap().status() == StatusCode::OK }
    };
    let new_token = |password: &'static str| {
        let app = &app;
        async move {
            let s = app.login_with("employee4@demo.local", password).await;
            let (st, t) = s.post("/api/v1/me/tokens", json!({"name": "ci"})).await;
            assert_eq!(st, StatusCode::CREATED, "{t}");
            t["token"].as_str().expect("token").to_string()
        }
    };

    let t1 = new_token(PASSWORD).await;
    assert!(works(t1.clone()).await);
    let res = bearer
        .post(app.url("/api/v1/me/tokens"))
        .bearer_auth(&t1)
        .json(&json!({"name": "forever"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a token cannot create tokens");
    let (s, _) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"password": "a-new-password-9"})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!works(t1).await, "a password reset ends the token");

    let t2 = new_token("a-new-password-9").await;
    hr.patch(&format!("/api/v1/employees/{id}"), json!({"active": false})).await;
    hr.patch(&format!("/api/v1/employees/{id}"), json!({"active": true})).await;
    assert!(!works(t2).await, "a deactivation ends the token, reactivation does not revive it");

    let t3 = new_token("a-new-password-9").await;
    let res = bearer.post(app.url("/api/v1/auth/logout")).bearer_auth(&t3).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!works(t3).await, "logging out with a token ends it");
}

async fn login_sets_a_safe_cookie_and_logout_ends_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let res = anon
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "Employee1@Demo.Local", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(cookie.starts_with("lms_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not mark the cookie Secure: {cookie}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "employee1@demo.local");
    assert!(body["user"].get("password_hash").is_none());

    let (s, me) = anon.get("/api/v1/me").await;
    assert_eq!((s, me["id"].as_i64()), (StatusCode::OK, Some(EMPLOYEE1)));
    // The session id is stored hashed, never in clear.
    let sid = cookie.trim_start_matches("lms_session=").split(';').next().unwrap_or("").to_string();
    assert_eq!(app.count("sessions").await, 1);
    let clear =
        lms_store::auth::session_employee(&mut app.db.acquire().await.unwrap().conn(), &sid, chrono::Utc::now())
            .await
            .unwrap();
    assert!(clear.is_none(), "the raw session id must not be a key");

    // Logging in again clears the person's expired sessions.
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let mut tx = app.db.begin().await.unwrap();
    lms_store::auth::create_session(&mut tx.conn(), "expired-session-hash", EMPLOYEE1, past, past).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.count("sessions").await, 2);
    app.login("employee1@demo.local").await;
    assert_eq!(app.count("sessions").await, 2, "the expired session is gone, the new one is there");

    let (s, _) = anon.post_empty("/api/v1/auth/logout").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = anon.get("/api/v1/me").await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));

    // Behind a trusted TLS-terminating proxy the cookie is Secure.
    let config = lms_server::ServerConfig { trust_forwarded: true, ..Default::default() };
    let proxied = TestApp::start(app.db.clone(), app.url.clone(), config).await;
    let res = reqwest::Client::new()
        .post(proxied.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"email": "employee1@demo.local", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let hr = app.login("hr@demo.local").await;
    let (_, a) = hr.get("/api/v1/audit-events?action=auth.login&limit=5").await;
    assert!(a["items"].as_array().unwrap().iter().any(|e| e["client_addr"] == "203.0.113.7"), "{a}");
}

/// A session and an API token stop working when they expire; a token
/// without an expiry does not expire.
async fn expired_sessions_and_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.login("employee3@demo.local").await;
    let token_of = |body: serde_json::Value| {
        let session = session.clone();
        async move {
            let (s, t) = session.post("/api/v1/me/tokens", body).await;
            assert_eq!(s, StatusCode::CREATED, "{t}");
            t["token"].as_str().expect("token").to_string()
        }
    };
    let expiring = token_of(json!({"name": "a day", "expires_in_days": 1})).await;
    let lasting = token_of(json!({"name": "until revoked"})).await;
    let revoked = token_of(json!({"name": "revoked soon"})).await;
    let anon = app.anonymous();
    // `/me/balances` authenticates in its own statement: it must refuse exactly what `/me` refuses.
    let paths = ["/api/v1/me", "/api/v1/me/balances"];
    for t in [&expiring, &lasting, &revoked] {
        for path in paths {
            assert_eq!(anon.with_bearer(t).get(path).await.0, StatusCode::OK, "{path}");
        }
    }
    let (_, list) = session.get("/api/v1/me/tokens").await;
    let revoked_id = list["items"]
        .as_array()
        .or(list.as_array())
        .and_then(|l| l.iter().find(|t| t["name"] == "revoked soon").and_then(|t| t["id"].as_i64()));
    let (s, _) = session.delete(&format!("/api/v1/me/tokens/{}", revoked_id.expect("token listed"))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    lms_store::testing::expire_credentials(&app.db).await.unwrap();
    for path in paths {
        let (s, e) = session.get(path).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "an expired session on {path}: {e}"
        );
        for t in [&expiring, &revoked] {
            let (s, e) = anon.with_bearer(t).get(path).await;
            assert_eq!(
                (s, e["error"]["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("invalid_token")),
                "{path}: {e}"
            );
        }
        assert_eq!(anon.with_bearer(&lasting).get(path).await.0, StatusCode::OK, "{path}");
    }
    let (s, b) = anon.with_bearer(&lasting).get(&format!("/api/v1/me/balances?year={}", next_year())).await;
    assert_eq!((s, b["employee_id"].as_i64()), (StatusCode::OK, Some(5)), "{b}");
    assert_eq!(b["balances"][0]["entitled"], 25.0, "{b}");
}

/// A flood of password checks from elsewhere (60 unknown users from 60
/// addresses per core) cannot make a person on a known device wait behind
/// it: that sign-in has a core of its own and answers while most of the
/// flood is still queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_device_is_not_queued_behind_a_flood_of_password_checks() {
    let base = TestApp::spawn(Backend::Sqlite).await;
    let config = lms_server::ServerConfig { trust_forwarded: true, ..Default::default() };
    let app = TestApp::start(base.db.clone(), base.url.clone(), config).await;
    let victim = app.login("employee6@demo.local").await;
    let url = app.url("/api/v1/auth/login");
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let first_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(first_tx)));
    let mut flood = tokio::task::JoinSet::new();
    // Sized to the cores, so the flood outlasts one sign-in on any machine.
    let flood_size = 60 * std::thread::available_parallelism().map_or(2, |n| n.get());
    for i in 0..flood_size {
        let (url, answered, first_tx) = (url.clone(), answered.clone(), first_tx.clone());
        flood.spawn(async move {
            let res = reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", format!("10.9.{}.{}", i / 200, i % 200 + 1))
                .json(&login_body(&format!("nobody{i}@example.org"), "guess-guess"))
                .send()
                .await
                .expect("answer");
            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Some(tx) = first_tx.lock().expect("lock").take() {
                let _ = tx.send(());
            }
            res.status()
        });
    }
    // The flood is being checked (its first answer is in) before the owner signs in.
    first_rx.await.expect("the flood is answered");
    let (s, e) = victim.post("/api/v1/auth/login", login_body("employee6@demo.local", PASSWORD)).await;
    let done = answered.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(s, StatusCode::OK, "{e}");
    assert!(done < flood_size / 2, "the owner waited until {done} of {flood_size} flood attempts were answered");
    while let Some(r) = flood.join_next().await {
        let status = r.expect("task");
        assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE), "{status}");
    }
}

fn login_body(email: &str, password: &str) -> serde_json::Value {
    json!({"email": email, "password": password})
}

/// The `Retry-After` of a refused login, checked to be a sane number of seconds.
async fn refused_for(res: reqwest::Response) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&format!("try again in {secs} s")), "{body}");
    assert!((1..=300).contains(&secs), "{secs}");
    secs
}

/// Unknown user and wrong password answer alike; after five failures an
/// account's next attempt waits (1 s, then 2 s, …) instead of being locked
/// for the window; the wait and the window run out.
async fn failed_logins_look_alike_and_are_delayed_not_locked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let url = app.url("/api/v1/auth/login");
    let (s1, unknown) = anon.post("/api/v1/auth/login", login_body("nobody@demo.local", "whatever1")).await;
    let (s2, wrong) = anon.post("/api/v1/auth/login", login_body("employee2@demo.local", "wrong-password")).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(unknown, wrong, "unknown user and wrong password must answer alike");
    for _ in 0..4 {
        let (s, _) = anon.post("/api/v1/auth/login", login_body("employee2@demo.local", "wrong-password")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Five failures: the next attempt, even with the right password, owes 1 s.
    let res = anon.client.post(&url).json(&login_body("employee2@demo.local", PASSWORD)).send().await.unwrap();
    assert_eq!(refused_for(res).await, 1);
    // Another account from the same address is not delayed (the address's limit is higher).
    let (s, _) = anon.post("/api/v1/auth/login", login_body("employee3@demo.local", PASSWORD)).await;
    assert_eq!(s, StatusCode::OK);
    // Once the delay has passed the attempt is checked; the next failures owe 2 s, then 4 s.
    lms_store::testing::age_login_attempts(&app.db, chrono::TimeDelta::seconds(2)).await.unwrap();
    let (s, _) = anon.post("/api/v1/auth/login", login_body("employee2@demo.local", "wrong-password")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "checked after the delay");
    let res = anon.client.post(&url).json(&login_body("employee2@demo.local", PASSWORD)).send().await.unwrap();
    assert_eq!(refused_for(res).await, 2);
    lms_store::testing::age_login_attempts(&app.db, chrono::TimeDelta::seconds(3)).await.unwrap();
    let (s, _) = anon.post("/api/v1/auth/login", login_body("employee2@demo.local", "wrong-password")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let res = anon.client.post(&url).json(&login_body("employee2@demo.local", PASSWORD)).send().await.unwrap();
    assert_eq!(refused_for(res).await, 4);
    // The window (15 minutes) runs out: the failures no longer count.
    lms_store::testing::age_login_attempts(&app.db, chrono::TimeDelta::minutes(16)).await.unwrap();
    let (s, e) = anon.post("/api/v1/auth/login", login_body("employee2@demo.local", PASSWORD)).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    // Failures are audited; refused attempts were not checked and are not.
    let hr = app.login("hr@demo.local").await;
    let (_, a) = hr.get("/api/v1/audit-events?action=auth.login_failed").await;
    assert_eq!(a["items"].as_array().map(|v| v.len()), Some(8));
}

/// An attacker who fails on purpose slows an account and an address down,
/// but a person signing in from a device that signed in to that account
/// before goes through; the device cookie is worth nothing for another
/// account or after a password reset, and a spoofed `X-Forwarded-For` does
/// not move the attacker to another address (no `--trust-forwarded`).
async fn a_known_device_goes_through_the_delays_of_its_account_and_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.url("/api/v1/auth/login");
    let victim = app.login("employee5@demo.local").await;
    let attacker = reqwest::Client::new();
    for i in 0..6 {
        let res = attacker
            .post(&url)
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&login_body("employee5@demo.local", "guess-guess"))
            .send()
            .await
            .unwrap();
        assert!(matches!(res.status(), StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS));
    }
    let res = attacker.post(&url).json(&login_body("employee5@demo.local", PASSWORD)).send().await.unwrap();
    refused_for(res).await;
    let (s, e) = victim.post("/api/v1/auth/login", login_body("employee5@demo.local", PASSWORD)).await;
    assert_eq!(s, StatusCode::OK, "the owner's known device goes through: {e}");

    // Twenty failures from one address (every client here is 127.0.0.1,
    // whatever X-Forwarded-For says) delay every account signed in from it ...
    for i in 0..20 {
        let res = attacker
            .post(&url)
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&login_body(&format!("nobody{i}@demo.local"), "guess-guess"))
            .send()
            .await
            .unwrap();
        assert!(matches!(res.status(), StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS));
    }
    let newcomer = app.anonymous();
    let res = newcomer.client.post(&url).json(&login_body("employee6@demo.local", PASSWORD)).send().await.unwrap();
    refused_for(res).await;
    // ... except from devices known to them.
    let (s, e) = victim.post("/api/v1/auth/login", login_body("employee5@demo.local", PASSWORD)).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let res = victim.client.post(&url).json(&login_body("employee6@demo.local", PASSWORD)).send().await.unwrap();
    refused_for(res).await;

    // A password reset voids the account's device cookies.
    lms_store::testing::age_login_attempts(&app.db, chrono::TimeDelta::minutes(16)).await.unwrap();
    let hr = app.login("hr@demo.local").await;
    let (_, me) = victim.get("/api/v1/me").await;
    let id = me["id"].as_i64().unwrap();
    let (s, _) = hr.patch(&format!("/api/v1/employees/{id}"), json!({"password": "a-new-password-9"})).await;
    assert_eq!(s, StatusCode::OK);
    for _ in 0..5 {
        attacker.post(&url).json(&login_body("employee5@demo.local", "guess-guess")).send().await.unwrap();
    }
    let res =
        victim.client.post(&url).json(&login_body("employee5@demo.local", "a-new-password-9")).send().await.unwrap();
    refused_for(res).await;
}

async fn api_tokens_work_until_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee4@demo.local").await;
    let (s, t) = emp.post("/api/v1/me/tokens", json!({"name": "smoke-suite"})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("lms_pat_"));
    let bearer = reqwest::Client::new();
    let res = bearer.get(app.url("/api/v1/me/balances")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, list) = emp.get("/api/v1/me/tokens").await;
    assert_eq!(list["items"][0]["name"], "smoke-suite");
    assert!(list["items"][0]["last_used_at"].is_string(), "use is recorded: {list}");
    assert!(list["items"][0].get("token").is_none(), "the secret is shown only once");
    let (s, _) = emp.delete(&format!("/api/v1/me/tokens/{}", t["id"])).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let res = bearer.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = bearer.get(app.url("/api/v1/me")).bearer_auth("lms_pat_forged").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Another user's token id is not found; bad names are refused.
    let other = app.login("employee5@demo.local").await;
    let (s, _) = other.delete(&format!("/api/v1/me/tokens/{}", t["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = other.post("/api/v1/me/tokens", json!({"name": "  "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn deactivation_ends_access(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee6@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    let (s, e) = hr.patch("/api/v1/employees/9", json!({"active": false})).await;
    assert_eq!((s, e["active"].as_bool()), (StatusCode::OK, Some(false)), "{e}");
    let (s, _) = emp.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .anonymous()
        .post("/api/v1/auth/login", json!({"email": "employee6@demo.local", "password": PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // HR cannot lock themselves out.
    let (s, _) = hr.patch(&format!("/api/v1/employees/{HR}"), json!({"active": false})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
