//! Signing in and out through the pages: the redirect to the page asked
//! for, errors in the reader's language, the login delay's message, signing
//! out ends the session.

use super::{assert_translated, Page};
use crate::support::{TestApp, PASSWORD};
use reqwest::StatusCode;

crate::both_backends!(sign_in_and_out, german_from_the_browser);

async fn sign_in_and_out(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let page = Page::new(&app, &[]);
    let a = page.get("/requests?status=pending").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/sign-in?next=/requests%3Fstatus%3Dpending");

    let form = page.get("/sign-in?next=/requests").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"sign-in\"") && form.body.contains("for=\"email\""), "{}", form.body);

    let before = app.count("sessions").await;
    let wrong = page.post("/sign-in", &[("email", "employee1@demo.local"), ("password", "nope"), ("next", "/")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong email or password."), "{}", wrong.body);
    assert!(wrong.body.contains("value=\"employee1@demo.local\""), "the email is kept: {}", wrong.body);
    assert_eq!(app.count("sessions").await, before, "a failed sign-in opens no session");

    let ok = page
        .post("/sign-in", &[("email", "employee1@demo.local"), ("password", PASSWORD), ("next", "/requests")])
        .await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/requests"), "{}", ok.body);
    let offsite = page
        .post("/sign-in", &[("email", "employee1@demo.local"), ("password", PASSWORD), ("next", "//evil.example/")])
        .await;
    assert_eq!(offsite.location(), "/", "never sent to another site");

    let home = page.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Annual leave") && home.body.contains("Ada Byrne"), "{}", home.body);
    assert_translated(&home, "home");

    let out = page.post_form("/", "/sign-out", &[]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/sign-in?signed_out=1&lang=en"));
    assert_eq!(page.get("/").await.status, StatusCode::SEE_OTHER, "the session is over");
}

async fn german_from_the_browser(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let page = Page::new(&app, &[("accept-language", "de-DE,de;q=0.9,en;q=0.5")]);
    let form = page.get("/sign-in").await;
    assert!(form.body.contains("<html lang=\"de\">") && form.body.contains("Anmelden"), "{}", form.body);
    let wrong = page.post("/sign-in", &[("email", "x@demo.local"), ("password", "nope")]).await;
    assert!(wrong.body.contains("E-Mail oder Passwort ist falsch."), "{}", wrong.body);
    assert_translated(&wrong, "sign-in (de)");
}
