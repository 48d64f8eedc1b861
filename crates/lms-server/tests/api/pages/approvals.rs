//! Approval chains on the pages: HR sets "manager then HR" on the leave
//! settings page; the approvals page shows each request at its stage (the
//! manager's first, then HR's); the request's page lists the stages; a
//! manager names a deputy on the approvals page, who then sees the team's
//! requests and decides on the manager's behalf.

use super::{assert_translated, Page};
use crate::support::{monday, TestApp};
use chrono::{Duration, Utc};
use reqwest::StatusCode;

crate::both_backends!(two_stages_on_the_approvals_page, a_deputy_named_on_the_approvals_page);

async fn two_stages_on_the_approvals_page(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let harriet = Page::signed_in(&app, "hr@demo.local").await;
    let a = harriet
        .post_form(
            "/hr/settings",
            "/hr/leave-types/1/chain",
            &[("chain", "manager_then_hr"), ("first", "manager"), ("second", "hr")],
        )
        .await;
    let year = chrono::Datelike::year(&Utc::now());
    let want = format!("/hr/settings?year={year}&done=chain-saved");
    assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, want.as_str()), "{}", a.body);
    let settings = harriet.get("/hr/settings").await;
    assert!(settings.body.contains(r#"<option value="manager_then_hr" selected>"#), "{}", settings.body);
    assert_translated(&settings, "settings");
    // "two" needs two different approvers: refused with what to fix, nothing written.
    let before = app.count("audit_events").await;
    let bad = harriet
        .post_form("/hr/settings", "/hr/leave-types/2/chain", &[("chain", "two"), ("first", "hr"), ("second", "hr")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("the two approvers must differ"), "{}", bad.body);
    assert_eq!(app.count("audit_events").await, before);

    let ada = app.login("employee1@demo.local").await;
    let id = ada.submit("annual", monday(10), monday(10) + Duration::days(1)).await;

    // Stage one waits at the manager's.
    let morgan = Page::signed_in(&app, "manager@demo.local").await;
    let queue = morgan.get("/approvals").await;
    assert!(queue.body.contains("Ada Byrne · Annual leave") && queue.body.contains("Stage 1 of 2"), "{}", queue.body);
    assert_translated(&queue, "approvals");
    let r = morgan
        .post_form("/approvals", &format!("/approvals/{id}"), &[("intent", "approve"), ("comment", "ok from me")])
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/approvals?done=approved"), "{}", r.body);
    assert!(!morgan.get("/approvals").await.body.contains("Ada Byrne · Annual leave"), "the manager's stage is done");

    // Stage two at HR's; the request's page lists both stages.
    let queue = harriet.get("/approvals").await;
    assert!(queue.body.contains("Stage 2 of 2: HR"), "{}", queue.body);
    let ada_page = Page::signed_in(&app, "employee1@demo.local").await;
    let detail = ada_page.get(&format!("/requests/{id}")).await;
    assert!(
        detail.body.contains("approved by Morgan Lee") && detail.body.contains("Stage 2 (HR): waiting"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("ok from me") && detail.body.contains("Pending"), "{}", detail.body);
    let r = harriet.post_form("/approvals", &format!("/approvals/{id}"), &[("intent", "approve")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail = ada_page.get(&format!("/requests/{id}")).await;
    assert!(detail.body.contains("Stage 2 (HR): approved by Harriet Ross"), "{}", detail.body);

    // In German too.
    let de = Page::new(&app, &[("accept-language", "de")]);
    let form = [("email", "employee1@demo.local"), ("password", crate::support::PASSWORD), ("next", "/")];
    assert_eq!(de.post("/sign-in", &form).await.status, StatusCode::SEE_OTHER);
    let detail = de.get(&format!("/requests/{id}")).await;
    assert!(detail.body.contains("Stufe 2 (Personalabteilung): genehmigt von Harriet Ross"), "{}", detail.body);
    assert_translated(&detail, "request");
}

async fn a_deputy_named_on_the_approvals_page(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.login("employee1@demo.local").await;
    let id = ada.submit("annual", monday(12), monday(12)).await;
    let morgan = Page::signed_in(&app, "manager@demo.local").await;
    let today = Utc::now().date_naive();
    let (start, end) = (today.to_string(), (today + Duration::days(11)).to_string());
    let r = morgan
        .post_form("/approvals", "/approvals/deputies", &[("deputy", "6"), ("start", &start), ("end", &end)])
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/approvals?done=deputy-named"), "{}", r.body);
    let page = morgan.get("/approvals?done=deputy-named").await;
    assert!(page.body.contains("Maya Singh decides for Morgan Lee"), "{}", page.body);
    // Dates that have ended: refused, nothing written.
    let past = (today - Duration::days(2)).to_string();
    let bad = morgan
        .post_form("/approvals", "/approvals/deputies", &[("deputy", "6"), ("start", &past), ("end", &past)])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(app.count("delegations").await, 1);

    // Maya sees Morgan's team and decides on his behalf; she cannot end the delegation.
    let maya = Page::signed_in(&app, "manager2@demo.local").await;
    let queue = maya.get("/approvals").await;
    assert!(
        queue.body.contains("Ada Byrne · Annual leave") && queue.body.contains("Maya Singh decides for Morgan Lee"),
        "{}",
        queue.body
    );
    assert!(!queue.body.contains("/approvals/deputies/1/delete"), "only the manager ends it");
    let r = maya.post_form("/approvals", &format!("/approvals/{id}"), &[("intent", "approve")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ada_page = Page::signed_in(&app, "employee1@demo.local").await;
    let detail = ada_page.get(&format!("/requests/{id}")).await;
    assert!(
        detail.body.contains("approved by Maya Singh") && detail.body.contains("on behalf of Morgan Lee"),
        "{}",
        detail.body
    );

    let r = morgan.post_form("/approvals", "/approvals/deputies/1/delete", &[]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/approvals?done=deputy-removed"), "{}", r.body);
    assert_eq!(app.count("delegations").await, 0);
}
