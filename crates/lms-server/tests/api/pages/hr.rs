//! HR's work through the pages: creating a person (a duplicate refused,
//! nothing written), an adjustment with its reason as a ledger line (none
//! without a reason), a holiday that changes the calendar and the next
//! quote, maintenance mode (banner, writes refused on pages and API, then
//! off), the dashboard's figures equal to the API's, a chosen language, a
//! leave type's request rules that the next quote applies, an entitlement
//! policy assigned to a department and the job run from the page.

use super::{assert_translated, Page};
use crate::support::{monday, TestApp};
use chrono::Duration;
use reqwest::StatusCode;

crate::both_backends!(
    people_and_allowances,
    holidays_maintenance_dashboard,
    chosen_language,
    leave_type_rules,
    entitlement_policies
);

async fn people_and_allowances(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let person = [
        ("email", "new.person@demo.local"),
        ("name", "Nia Person"),
        ("department", "Engineering"),
        ("manager_id", "2"),
        ("role", "employee"),
        ("start_date", "2026-01-05"),
        ("password", "a-long-password"),
    ];
    let created = hr.post_form("/hr/people/new", "/hr/people/new", &person).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let at = created.location().to_string();
    assert!(at.ends_with("?done=created"), "{at}");
    let found = hr.get("/hr/people?q=nia").await;
    assert!(found.body.contains("Nia Person") && found.body.contains("People found: 1"), "{}", found.body);

    let people = app.count("employees").await;
    let dup = hr.post_form("/hr/people/new", "/hr/people/new", &person).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("Someone already has this email address."), "{}", dup.body);
    assert_eq!(app.count("employees").await, people);

    // Edit: a new department; the person signs in with the password given.
    let id = at.trim_start_matches("/hr/people/").split('?').next().unwrap_or("").to_string();
    let edit = [
        ("name", "Nia Person"),
        ("department", "Research"),
        ("manager_id", "2"),
        ("role", "employee"),
        ("start_date", "2026-01-05"),
        ("active", "on"),
    ];
    let saved = hr.post_form(&format!("/hr/people/{id}"), &format!("/hr/people/{id}"), &edit).await;
    assert_eq!(saved.location(), format!("/hr/people/{id}?done=saved"));
    assert!(hr.get(&format!("/hr/people/{id}")).await.body.contains("value=\"Research\""));
    let nia = Page::new(&app, &[]);
    let signed = nia.post("/sign-in", &[("email", "new.person@demo.local"), ("password", "a-long-password")]).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);

    // An adjustment needs its reason; with one, it is a ledger line.
    let page = "/hr/people/3/allowances";
    let lines = app.count("ledger_entries").await;
    let no_reason =
        hr.post_form(page, page, &[("leave_type", "annual"), ("kind", "adjustment"), ("days", "1,5")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Give a reason for an adjustment."), "{}", no_reason.body);
    assert_eq!(app.count("ledger_entries").await, lines);
    let adj = [("leave_type", "annual"), ("kind", "adjustment"), ("days", "1,5"), ("reason", "overtime in March")];
    let ok = hr.post_form(page, page, &adj).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let after = hr.get(ok.location()).await;
    assert!(after.body.contains("overtime in March") && after.body.contains("1.5"), "{}", after.body);
    assert!(after.body.contains("The adjustment was written."));
    let ada = app.login("employee1@demo.local").await;
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert_eq!(ada.balance(year, "annual").await["available"], 26.5);
}

async fn holidays_maintenance_dashboard(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let (mon, fri) = (monday(30), monday(30) + Duration::days(4));
    let quote = format!("/requests/quote?leave_type=annual&start_date={mon}&end_date={fri}");
    assert!(ada.get(&quote).await.body.contains("Counts 5 days"));

    let wed = (mon + Duration::days(2)).to_string();
    let added = hr.post_form("/hr/settings", "/hr/holidays", &[("date", &wed), ("name", "Founders Day")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let q = ada.get(&quote).await;
    assert!(q.body.contains("Counts 4 days") && q.body.contains("Founders Day"), "{}", q.body);
    let month = &wed[..7];
    let cal = hr.get(&format!("/calendar?month={month}")).await;
    assert!(cal.body.contains("Founders Day"), "the calendar marks the holiday");
    let dup = hr.post_form("/hr/settings", "/hr/holidays", &[("date", &wed), ("name", "Again")]).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("That day is already a holiday."), "{}", dup.body);

    // Maintenance: the banner everywhere, writes refused, then off again.
    let on = hr.post_form("/hr/settings", "/hr/maintenance", &[("enabled", "on")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.body);
    let home = ada.get("/").await;
    assert!(home.body.contains("LMS is in maintenance mode"), "{}", home.body);
    let form = ada.get("/requests/new").await;
    assert!(form.body.contains("type=\"submit\" disabled"), "write actions are disabled");
    let d = monday(31).to_string();
    let refused = ada
        .post_form("/requests/new", "/requests/new", &[("leave_type", "annual"), ("start_date", &d), ("end_date", &d)])
        .await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers.get("lms-maintenance").and_then(|v| v.to_str().ok()), Some("on"));
    assert_eq!(app.count("leave_requests").await, 0);
    let off = hr.post_form("/hr/settings", "/hr/maintenance", &[("enabled", "off")]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert!(!ada.get("/").await.body.contains("LMS is in maintenance mode"));

    // The dashboard shows the API's figures.
    let api = app.login("hr@demo.local").await;
    let (s, d) = api.get("/api/v1/admin/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    let page = hr.get("/admin").await;
    for (id, figure) in [("figure-pending", &d["pending_approvals"]), ("figure-headcount", &d["headcount"])] {
        assert!(page.body.contains(&format!("id=\"{id}\">{figure}<")), "{id} = {figure}: {}", page.body);
    }
    let out_today = d["on_leave_today"].as_array().map(Vec::len).unwrap_or(0);
    assert!(page.body.contains(&format!("id=\"figure-out-today\">{out_today}<")));
    assert_eq!(d["trend"].as_array().map(Vec::len), Some(12));
    assert!(page.body.contains("<svg class=\"chart\""), "the trend is drawn by the server");
}

async fn chosen_language(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let saved = ada.post_form("/profile", "/profile/language", &[("language", "de")]).await;
    assert_eq!(saved.location(), "/profile?done=language");
    let home = ada.get("/").await;
    assert!(home.body.contains("<html lang=\"de\">") && home.body.contains("Ihre Kontingente"), "{}", home.body);
    assert_translated(&home, "home (de)");
    // Pages answered before a handler runs speak her language too, with her navigation.
    let missing = ada.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Seite nicht gefunden") && missing.body.contains("Abmelden"), "{}", missing.body);
    let bad = ada.post_form("/profile", "/profile/language", &[("language", "xx")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A password change keeps this session and ends the others.
    let other = Page::signed_in(&app, "employee1@demo.local").await;
    let wrong = ada
        .post_form(
            "/profile",
            "/profile/password",
            &[("current", "nope"), ("new", "brand-new-pass"), ("confirm", "brand-new-pass")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("Das aktuelle Passwort stimmt nicht."), "{}", wrong.body);
    let ok = ada
        .post_form(
            "/profile",
            "/profile/password",
            &[("current", crate::support::PASSWORD), ("new", "brand-new-pass"), ("confirm", "brand-new-pass")],
        )
        .await;
    assert_eq!(ok.location(), "/profile?done=password", "{}", ok.body);
    assert_eq!(ada.get("/").await.status, StatusCode::OK, "this session stays");
    assert_eq!(other.get("/").await.status, StatusCode::SEE_OTHER, "the other session ended");
    let out = ada.post_form("/", "/sign-out", &[]).await;
    assert_eq!(out.location(), "/sign-in?signed_out=1&lang=de");
    assert!(ada.get(out.location()).await.body.contains("Sie sind abgemeldet."));
}

/// HR sets a leave type's rules on the settings page; the employee's next
/// quote applies them; a value that is not a number is refused with what
/// to fix and nothing changes.
async fn leave_type_rules(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let api = app.login("hr@demo.local").await;
    let (_, types) = api.get("/api/v1/leave-types").await;
    let annual = types["items"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["code"] == "annual"))
        .map(|t| t["id"].clone())
        .expect("annual");
    let form = format!("/hr/leave-types/{annual}/rules");
    let bad = hr.post_form("/hr/settings", &form, &[("max_days", "three")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("must be a whole number of days"), "{}", bad.body);
    let (_, before) = api.get(&format!("/api/v1/leave-types/{annual}/rules")).await;
    assert!(before["max_consecutive_days"].is_null(), "nothing written: {before}");

    let saved = hr
        .post_form("/hr/settings", &form, &[("max_days", "2"), ("notice", ""), ("negative", "1,5"), ("document", "on")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = hr.get("/hr/settings?done=rules-saved").await;
    assert!(page.body.contains("The rules are saved."), "{}", page.body);
    assert!(
        page.body.contains(&format!("id=\"tm-{annual}\" name=\"max_days\" inputmode=\"numeric\" value=\"2\"")),
        "{}",
        page.body
    );
    let (_, after) = api.get(&format!("/api/v1/leave-types/{annual}/rules")).await;
    assert_eq!(
        (
            after["max_consecutive_days"].as_u64(),
            after["negative_limit_days"].as_f64(),
            after["document_required"].as_bool()
        ),
        (Some(2), Some(1.5), Some(true)),
        "{after}"
    );

    let (mon, wed) = (monday(30), monday(30) + Duration::days(2));
    let q = ada.get(&format!("/requests/quote?leave_type=annual&start_date={mon}&end_date={wed}")).await;
    assert!(q.body.contains("expects a supporting document"), "{}", q.body);
    assert!(q.body.contains("at most 2"), "three days are refused: {}", q.body);
    assert_translated(&q, "the quote");
    assert_translated(&page, "the settings page");
}

/// A policy made, refused with what to fix, assigned to a department and
/// to a person, and the job run from the page: its report shows, and the
/// person's balance has the lines.
async fn entitlement_policies(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let api = app.login("hr@demo.local").await;
    let new = [
        ("name", "Study, monthly"),
        ("leave_type", "unpaid"),
        ("allowance", "12"),
        ("accrual", "monthly-first"),
        ("cap", "2"),
        ("months", "3"),
    ];
    let bad = hr
        .post_form(
            "/hr/policies",
            "/hr/policies",
            &[("name", "X"), ("leave_type", "unpaid"), ("allowance", "lots"), ("accrual", "yearly")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("Enter a number of days"), "{}", bad.body);
    let (_, none) = api.get("/api/v1/policies").await;
    assert_eq!(none.as_array().map(Vec::len), Some(0), "nothing written: {none}");
    let created = hr.post_form("/hr/policies", "/hr/policies", &new).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let (_, list) = api.get("/api/v1/policies").await;
    let id = list[0]["id"].as_i64().expect("id");
    assert_eq!(
        (list[0]["allowance_days"].as_f64(), list[0]["accrual"].as_str()),
        (Some(12.0), Some("monthly-first")),
        "{list}"
    );
    let assignments = format!("/hr/policies/{id}/assignments");
    let both = hr
        .post_form(
            "/hr/policies",
            &assignments,
            &[("department", "Engineering"), ("email", "employee4@demo.local"), ("from", "2020-01-01")],
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", both.body);
    let dept =
        hr.post_form("/hr/policies", &assignments, &[("department", "Engineering"), ("from", "2020-01-01")]).await;
    assert_eq!(dept.status, StatusCode::SEE_OTHER, "{}", dept.body);
    let person =
        hr.post_form("/hr/policies", &assignments, &[("email", "employee4@demo.local"), ("from", "2020-01-01")]).await;
    assert_eq!(person.status, StatusCode::SEE_OTHER, "{}", person.body);
    let ran = hr.post_form("/hr/policies", "/hr/entitlements/run", &[]).await;
    assert_eq!(ran.status, StatusCode::SEE_OTHER, "{}", ran.body);
    let page = hr.get("/hr/policies?done=job-run").await;
    assert!(page.body.contains("The entitlement job ran"), "{}", page.body);
    assert!(
        page.body.contains("Dan Novak") && page.body.contains("Engineering"),
        "both assignments show: {}",
        page.body
    );
    let (_, runs) = api.get("/api/v1/entitlements/runs").await;
    let written = runs[0]["lines_written"].as_i64().unwrap_or(0);
    assert!(written > 0, "{runs}");
    assert!(page.body.contains(&format!("<td>{written}</td>")), "the run's report: {}", page.body);
    assert_translated(&page, "the policies page");

    // Dan's balance on a day next year: the policy's lines, projected; the
    // kinds in words.
    let next = chrono::Datelike::year(&chrono::Utc::now().date_naive()) + 1;
    let on = hr.get(&format!("/hr/people/7/allowances?on={next}-03-15")).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert!(on.body.contains("Accrual <span class=\"hint\">(projected)</span>"), "{}", on.body);
    assert_translated(&on, "the balance on a day");
    // His leaving date, refused when before he started, then saved.
    let bad = hr.post_form("/hr/people/7", "/hr/people/7/leaving-date", &[("leaving_date", "1999-01-01")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("The leaving date is before the person&#39;s start date"), "{}", bad.body);
    let left = format!("{next}-06-30");
    let saved = hr.post_form("/hr/people/7", "/hr/people/7/leaving-date", &[("leaving_date", &left)]).await;
    assert_eq!(saved.location(), "/hr/people/7?done=leaving-date", "{}", saved.body);
    let person = hr.get("/hr/people/7?done=leaving-date").await;
    assert!(person.body.contains(&format!("name=\"leaving_date\" type=\"date\" value=\"{left}\"")), "{}", person.body);
    let (_, audit) = api.get("/api/v1/audit-events?entity_type=employee&entity_id=7").await;
    assert!(
        audit["items"].as_array().is_some_and(|a| a.iter().any(|e| e["action"] == "employee.leaving_date")),
        "{audit}"
    );
    let german = Page::signed_in(&app, "hr@demo.local").await;
    german.post_form("/profile", "/profile/language", &[("language", "de")]).await;
    let de = german.get("/hr/policies").await;
    assert!(de.body.contains("Anspruchsregeln"), "{}", de.body);
    assert_translated(&de, "the policies page in German");
}
