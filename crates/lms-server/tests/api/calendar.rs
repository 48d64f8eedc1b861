//! Calendar feeds and `.ics` files, read with Python's icalendar: events
//! with stable UIDs, a higher SEQUENCE after a change, a cancelled request
//! as STATUS:CANCELLED, all-day dates with an exclusive end, a name with a
//! comma and non-ASCII text folded and escaped and read back whole;
//! revoked feeds, deactivated holders and other people's requests are 404.

use crate::python::read_ics;
use crate::support::*;
use chrono::Duration;
use lms_server::ServerConfig;
use lms_store::db::ConnectOptions;
use lms_store::migrations::SchemaCap;
use lms_store::{Backend, Db};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    a_person_subscribes_to_their_leave,
    team_and_company_feeds,
    feeds_wait_for_their_migration,
    a_feed_speaks_its_holders_language,
);

/// Fetches `path` without any credential; the status and the body.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>, reqwest::header::HeaderMap) {
    let res = reqwest::Client::new().get(app.url(path)).send().await.expect("GET");
    let (status, headers) = (res.status(), res.headers().clone());
    (status, res.bytes().await.expect("body").to_vec(), headers)
}

/// The feed at `path`, parsed.
async fn feed(app: &TestApp, path: &str) -> Value {
    let (status, body, headers) = fetch(app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    let cal = read_ics(&body).await;
    assert!(cal["crlf_only"].as_bool().unwrap(), "CRLF line ends only");
    assert!(cal["line_octets"].as_array().unwrap().iter().all(|n| n.as_u64().unwrap() <= 75), "folded at 75 octets");
    cal
}

/// The event of request `id`, if the calendar has it.
fn event(cal: &Value, id: i64) -> Option<Value> {
    cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["UID"].as_str().unwrap().starts_with(&format!("leave-request-{id}@")))
        .cloned()
}

async fn create(user: &User, body: Value) -> (StatusCode, Value) {
    user.post("/api/v1/me/calendar-feeds", body).await
}

async fn a_person_subscribes_to_their_leave(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    let audit_before = app.count("audit_events").await;
    let (s, made) = create(&emp, json!({"name": "My phone"})).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(app.count("audit_events").await, audit_before + 1, "the creation is audited");
    let path = made["path"].as_str().unwrap().to_string();
    assert_eq!(made["scope"], "person");
    assert!(path.starts_with("/calendar/feeds/lms_cal_") && path.ends_with(".ics"), "{path}");
    assert_eq!(made["url"], app.url(&path));
    let (_, listed) = emp.get("/api/v1/me/calendar-feeds").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&path[16..]), "listed without the secret: {listed}");

    let approved = emp.submit("annual", monday(3), monday(3) + Duration::days(4)).await;
    mgr.post_empty(&format!("/api/v1/leave-requests/{approved}/approve")).await;
    let (s, b) = emp
        .post(
            "/api/v1/leave-requests",
            json!({"leave_type": "sick", "start_date": monday(5), "end_date": monday(5), "half_day_start": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let pending = b["id"].as_i64().unwrap();
    let someone_elses = app.login("employee4@demo.local").await.submit("annual", monday(3), monday(3)).await;

    // Approved leave, as all-day events; pending only when asked for.
    let cal = feed(&app, &path).await;
    let e = event(&cal, approved).expect("the approved request");
    assert_eq!(e["UID"], format!("leave-request-{approved}@127.0.0.1"));
    assert_eq!(e["STATUS"], "CONFIRMED");
    assert_eq!(e["SUMMARY"], "Leave: annual");
    assert_eq!(e["DTSTART"], json!({"type": "date", "value": monday(3).to_string()}));
    assert_eq!(e["DTEND"], json!({"type": "date", "value": (monday(3) + Duration::days(5)).to_string()}), "exclusive");
    assert!(e["DTSTAMP"]["type"] == "datetime", "{e}");
    assert!(event(&cal, pending).is_none() && event(&cal, someone_elses).is_none(), "{cal}");
    let holidays: Vec<&Value> = cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["UID"].as_str().unwrap().starts_with("holiday-"))
        .collect();
    assert!(holidays.iter().any(|h| h["SUMMARY"] == "Christmas Day" && h["TRANSP"] == "TRANSPARENT"), "{cal}");
    let with_pending = feed(&app, &format!("{path}?pending=1")).await;
    let p = event(&with_pending, pending).expect("the pending request");
    assert_eq!(
        (p["STATUS"].as_str(), p["SUMMARY"].as_str()),
        (Some("TENTATIVE"), Some("Leave: sick (half day) (pending)"))
    );

    // Stable across fetches; a change raises SEQUENCE; a cancellation stays, cancelled.
    let again = feed(&app, &path).await;
    assert_eq!(event(&again, approved), Some(e.clone()), "the same event on every fetch");
    let (s, _) = emp.post_empty(&format!("/api/v1/leave-requests/{approved}/cancel")).await;
    assert_eq!(s, StatusCode::OK);
    let after = feed(&app, &path).await;
    let c = event(&after, approved).expect("a cancelled request stays in the feed");
    assert_eq!(c["STATUS"], "CANCELLED");
    assert_eq!(c["UID"], e["UID"]);
    assert!(c["SEQUENCE"].as_i64().unwrap() > e["SEQUENCE"].as_i64().unwrap(), "{c} after {e}");
    // The worked example of docs/INTEGRATIONS.md: submitted and approved (2 records), then cancelled (3).
    assert_eq!((e["SEQUENCE"].as_i64(), c["SEQUENCE"].as_i64()), (Some(2), Some(3)));

    // One request as a file: the feed's UID; whoever may see the request.
    let (s, body, headers) = {
        let res = emp.client.get(app.url(&format!("/api/v1/leave-requests/{pending}/ics"))).send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, res.bytes().await.unwrap().to_vec(), headers)
    };
    assert_eq!(s, StatusCode::OK);
    assert!(headers["content-disposition"].to_str().unwrap().contains(&format!("leave-request-{pending}.ics")));
    let one = read_ics(&body).await;
    assert_eq!(one["events"].as_array().unwrap().len(), 1);
    assert_eq!(event(&one, pending).unwrap()["UID"], p["UID"]);
    let (s, _) = mgr.get(&format!("/api/v1/leave-requests/{pending}/ics")).await;
    assert_eq!(s, StatusCode::OK, "the manager sees it");
    let (s, _) = emp.get(&format!("/api/v1/leave-requests/{someone_elses}/ics")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another person's request");
    let (s, _) = app.anonymous().get(&format!("/api/v1/leave-requests/{pending}/ics")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Revoked: 404; someone else cannot revoke it; a wrong secret: 404.
    let id = made["id"].as_i64().unwrap();
    let (s, _) = mgr.delete(&format!("/api/v1/me/calendar-feeds/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, &path).await.0, StatusCode::OK);
    let (s, _) = emp.delete(&format!("/api/v1/me/calendar-feeds/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, &path).await.0, StatusCode::NOT_FOUND);
    let (s, _) = emp.delete(&format!("/api/v1/me/calendar-feeds/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, "/calendar/feeds/lms_cal_nothing.ics").await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, "/calendar/feeds/whatever").await.0, StatusCode::NOT_FOUND);

    // A deactivated person's feeds stop working.
    let (_, made) = create(&emp, json!({"name": "Laptop"})).await;
    let path = made["path"].as_str().unwrap().to_string();
    assert_eq!(fetch(&app, &path).await.0, StatusCode::OK);
    let (s, b) = hr.patch(&format!("/api/v1/employees/{EMPLOYEE1}"), json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(fetch(&app, &path).await.0, StatusCode::NOT_FOUND);

    // Bad input: 4xx, nothing written.
    let before = app.count("calendar_feeds").await;
    for (body, want) in [
        (json!({"name": " "}), 422),
        (json!({"name": "x", "scope": "everyone"}), 422),
        (json!({"name": "x", "scope": "team"}), 403),
        (json!({"name": "x", "scope": "company"}), 403),
        (json!({"name": "x", "extra": 1}), 422),
    ] {
        let (s, b) = create(&app.login("employee2@demo.local").await, body.clone()).await;
        assert_eq!(s.as_u16(), want, "{body}: {b}");
    }
    assert_eq!(app.count("calendar_feeds").await, before);
}

async fn team_and_company_feeds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let other = app.login("employee4@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    // A name with a comma, a semicolon, a backslash and non-ASCII text, long enough to fold.
    let name = "Byrne, Zoë; Ärger\\Öl — Ünïcödé Ñame with a long tail to fold 日本語テキスト";
    let (s, b) = hr.patch(&format!("/api/v1/employees/{EMPLOYEE1}"), json!({"name": name})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mine = emp.submit("annual", monday(3), monday(3)).await;
    let theirs = other.submit("annual", monday(4), monday(4)).await;
    let own = mgr.submit("annual", monday(6), monday(6)).await;
    for id in [mine, theirs, own] {
        hr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
    }

    let (s, team) = create(&mgr, json!({"name": "Team", "scope": "team"})).await;
    assert_eq!(s, StatusCode::CREATED, "{team}");
    let cal = feed(&app, team["path"].as_str().unwrap()).await;
    assert_eq!(cal["calendar"]["X-WR-CALNAME"], "LMS: Team");
    let e = event(&cal, mine).expect("a direct report's leave");
    assert_eq!(e["SUMMARY"], format!("{name}: annual"), "escaped and folded, read back whole");
    assert!(event(&cal, theirs).is_none() && event(&cal, own).is_none(), "only direct reports: {cal}");
    assert!(!cal["events"].as_array().unwrap().iter().any(|e| e["UID"].as_str().unwrap().starts_with("holiday-")));
    let (s, _) = create(&mgr, json!({"name": "All", "scope": "company"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, company) = create(&hr, json!({"name": "Company", "scope": "company"})).await;
    assert_eq!(s, StatusCode::CREATED, "{company}");
    let cal = feed(&app, company["path"].as_str().unwrap()).await;
    for id in [mine, theirs, own] {
        assert_eq!(event(&cal, id).expect("everyone's")["STATUS"], "CONFIRMED");
    }
    // A rejected request shows as cancelled too.
    let rejected = other.submit("annual", monday(8), monday(8)).await;
    hr.post_empty(&format!("/api/v1/leave-requests/{rejected}/reject")).await;
    let cal = feed(&app, &format!("{}?pending=1", company["path"].as_str().unwrap())).await;
    assert_eq!(event(&cal, rejected).expect("kept")["STATUS"], "CANCELLED");

    // A manager demoted to employee: their team feed stops.
    let (s, b) = hr.patch(&format!("/api/v1/employees/{MANAGER}"), json!({"role": "employee"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(fetch(&app, team["path"].as_str().unwrap()).await.0, StatusCode::NOT_FOUND);
}

/// On the schema of the release before (without the feeds' table) the
/// instance has no feeds and says so; requests' .ics files still work.
async fn feeds_wait_for_their_migration(backend: Backend) {
    let green = TestApp::spawn(backend).await;
    let opts = ConnectOptions {
        schema: SchemaCap::UpTo(lms_store::calendar_feeds::MIGRATION - 1),
        max_connections: 4,
        ..Default::default()
    };
    let db = Db::connect(&green.url, &opts).await.expect("connect");
    assert!(!db.counts(lms_store::calendar_feeds::MIGRATION));
    let blue = TestApp::start(db, green.url.clone(), ServerConfig::default()).await;
    let emp = blue.login("employee1@demo.local").await;
    let (s, b) = create(&emp, json!({"name": "Phone"})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("unavailable")), "{b}");
    let (s, b) = emp.get("/api/v1/me/calendar-feeds").await;
    assert_eq!((s, b["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (_, made) = create(&green.login("employee1@demo.local").await, json!({"name": "Phone"})).await;
    let path = made["path"].as_str().unwrap();
    assert_eq!(fetch(&green, path).await.0, StatusCode::OK);
    assert_eq!(fetch(&blue, path).await.0, StatusCode::NOT_FOUND, "blue has no feeds");
    let id = emp.submit("annual", monday(3), monday(3)).await;
    let (s, _) = emp.get(&format!("/api/v1/leave-requests/{id}/ics")).await;
    assert_eq!(s, StatusCode::OK);
}

/// A person who chose German reads German summaries, in their feed and in
/// a request's `.ics`; the words come from the message catalogue.
async fn a_feed_speaks_its_holders_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = crate::pages::Page::signed_in(&app, "employee1@demo.local").await;
    let chosen = page.post_form("/profile", "/profile/language", &[("language", "de")]).await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let emp = app.login("employee1@demo.local").await;
    let (s, made) = create(&emp, json!({"name": "Telefon"})).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let (s, b) = emp
        .post(
            "/api/v1/leave-requests",
            json!({"leave_type": "sick", "start_date": monday(5), "end_date": monday(5), "half_day_start": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let cal = feed(&app, &format!("{}?pending=1", made["path"].as_str().unwrap())).await;
    let e = event(&cal, id).expect("the pending request");
    assert_eq!(e["SUMMARY"], "Abwesenheit: sick (halber Tag) (beantragt)");
    let (status, body, _) = {
        let res = emp.client.get(app.url(&format!("/api/v1/leave-requests/{id}/ics"))).send().await.expect("GET");
        (res.status(), res.bytes().await.expect("body").to_vec(), ())
    };
    assert_eq!(status, StatusCode::OK);
    let file = read_ics(&body).await;
    assert_eq!(file["events"][0]["SUMMARY"], "Abwesenheit: sick (halber Tag) (beantragt)");
    // Someone who chose nothing reads English.
    let mgr = app.login("manager@demo.local").await;
    let res = mgr.client.get(app.url(&format!("/api/v1/leave-requests/{id}/ics"))).send().await.expect("GET");
    let file = read_ics(&res.bytes().await.expect("body")).await;
    assert_eq!(file["events"][0]["SUMMARY"], "Ada Byrne: sick (half day) (pending)");
}
