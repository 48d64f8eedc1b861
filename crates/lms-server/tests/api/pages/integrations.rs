//! Calendar feeds from the profile page (made with a name and a scope the
//! role allows, the address shown once and working without a cookie,
//! listed without it, revoked — then 404) and the XLSX downloads linked
//! from the HR reports and audit pages; webhooks on their HR page
//! (registered with the secret shown once, refused for a private address
//! until HR allows them, the delivery log, deleted).

use super::{assert_translated, Page};
use crate::support::TestApp;
use reqwest::StatusCode;

crate::both_backends!(calendar_feeds_from_the_profile, spreadsheet_links_on_hr_pages, webhooks_on_their_hr_page);

async fn calendar_feeds_from_the_profile(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let profile = ada.get("/profile").await;
    assert_translated(&profile, "profile");
    assert!(
        profile.body.contains("value=\"person\"") && !profile.body.contains("value=\"team\""),
        "an employee's scopes"
    );
    let before = app.count("calendar_feeds").await;
    let bad = ada.post_form("/profile", "/profile/calendar-feeds", &[("name", "x"), ("scope", "company")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("Your role does not allow this."), "{}", bad.body);
    assert_eq!(app.count("calendar_feeds").await, before, "nothing written");

    let made = ada.post_form("/profile", "/profile/calendar-feeds", &[("name", "Phone"), ("scope", "person")]).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_translated(&made, "profile with a new feed");
    let url = made.body.split("<code id=\"new-feed\">").nth(1).and_then(|s| s.split('<').next()).expect("the address");
    assert!(url.starts_with(&app.url("/calendar/feeds/lms_cal_")), "{url}");
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().starts_with("BEGIN:VCALENDAR\r\n"));

    let listed = ada.get("/profile").await;
    let secret = url.rsplit('/').next().unwrap();
    assert!(listed.body.contains("Phone") && !listed.body.contains(secret), "listed, never with the address");
    let id = listed
        .body
        .split("/profile/calendar-feeds/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a revoke form")
        .to_string();
    let revoked = ada.post_form("/profile", &format!("/profile/calendar-feeds/{id}/revoke"), &[]).await;
    assert_eq!(revoked.location(), "/profile?done=feed-revoked");
    assert_eq!(reqwest::get(url).await.unwrap().status(), StatusCode::NOT_FOUND);
    let de = Page::new(&app, &[("accept-language", "de")]);
    let a = de.post("/sign-in", &[("email", "manager@demo.local"), ("password", crate::support::PASSWORD)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let page = de.get("/profile").await;
    assert_translated(&page, "profile in German");
    assert!(page.body.contains("Kalender-Abos") && page.body.contains("value=\"team\""), "a manager's scopes");
}

async fn spreadsheet_links_on_hr_pages(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    for page in ["/hr/reports?from=2026-01-01&to=2026-12-31", "/hr/audit?action=auth.login"] {
        let p = hr.get(page).await;
        assert_eq!(p.status, StatusCode::OK);
        let href = p
            .body
            .split("id=\"xlsx-download\" class=\"button secondary\" href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("an XLSX link")
            .replace("&amp;", "&");
        assert!(href.contains("format=xlsx"), "{href}");
        // The same session downloads it.
        let res = hr.client.get(format!("{}{href}", hr.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{href}");
        assert_eq!(res.headers()["content-type"], crate::exports::XLSX);
        assert!(res.bytes().await.unwrap().starts_with(b"PK"), "a zip container");
    }
    let audit = hr.get("/hr/audit?action=auth.login").await;
    let link = audit.body.split("id=\"xlsx-download\"").nth(1).unwrap_or("");
    assert!(
        link.contains("format=xlsx&amp;action=auth.login") || link.contains("format=xlsx&#38;action=auth.login"),
        "filters carried over: {}",
        &link[..200.min(link.len())]
    );
}

async fn webhooks_on_their_hr_page(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    assert_eq!(ada.get("/hr/webhooks").await.status, StatusCode::FORBIDDEN);
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let empty = hr.get("/hr/webhooks").await;
    assert_translated(&empty, "webhooks");
    assert!(empty.body.contains("No endpoint is registered yet."), "{}", empty.body);

    let form =
        [("url", "http://127.0.0.1:9/hook"), ("events", "employee.created"), ("events", "leave_request.approved")];
    let refused = hr.post_form("/hr/webhooks", "/hr/webhooks", &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("http://127.0.0.1:9/hook"), "the form as typed: {}", refused.body);
    assert_eq!(app.count("webhooks").await, 0, "nothing written");
    let none = hr.post_form("/hr/webhooks", "/hr/webhooks", &[("url", "https://hooks.example.com/x")]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "no event chosen: {}", none.body);

    let allowed = hr.post_form("/hr/webhooks", "/hr/webhooks/private", &[("allow_private", "on")]).await;
    assert_eq!(allowed.location(), "/hr/webhooks?done=webhooks-private-on");
    let mut slack = form.to_vec();
    slack.push(("format", "slack"));
    let made = hr.post_form("/hr/webhooks", "/hr/webhooks", &slack).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_translated(&made, "webhooks with a new endpoint");
    let secret = made.body.split("<code>whsec_").nth(1).and_then(|s| s.split('<').next()).expect("the secret, once");
    assert_eq!(secret.len(), 64, "{secret}");
    assert!(made.body.contains("Person added, Leave approved") || made.body.contains("Leave approved, Person added"));

    let listed = hr.get("/hr/webhooks?webhook=1").await;
    assert!(listed.body.contains("http://127.0.0.1:9/hook") && !listed.body.contains(secret), "never shown again");
    assert!(listed.body.contains("Nothing was delivered to this endpoint yet."), "{}", listed.body);
    let deleted = hr.post_form("/hr/webhooks", "/hr/webhooks/1/delete", &[]).await;
    assert_eq!(deleted.location(), "/hr/webhooks?done=webhook-deleted");
    assert!(hr.get("/hr/webhooks").await.body.contains("No endpoint is registered yet."));
}
