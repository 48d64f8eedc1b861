//! Leave in hours through the pages: HR sees and sets a type's unit on the
//! leave settings page; the request form's quote counts hours (the
//! person's 4-hour days, a part of one day) in English and German.

use super::{assert_translated, Page};
use crate::support::{monday, next_year, TestApp, EMPLOYEE1, PASSWORD};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(hours_on_the_pages);

async fn hours_on_the_pages(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let api = app.login("hr@demo.local").await;

    // A new type in hours from the settings page; it shows with its unit.
    let made = hr
        .post_form(
            "/hr/settings",
            "/hr/leave-types",
            &[
                ("code", "toil"),
                ("name", "Time off in lieu"),
                ("deducts", "on"),
                ("unit", "hours"),
                ("allowance", "37,5"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let (_, types) = api.get("/api/v1/leave-types").await;
    let toil = types["items"].as_array().and_then(|t| t.iter().find(|t| t["code"] == "toil")).cloned().expect("toil");
    assert_eq!((toil["unit"].as_str(), toil["default_allowance"].as_f64()), (Some("hours"), Some(37.5)), "{toil}");
    let id = toil["id"].as_i64().expect("id");
    let page = hr.get("/hr/settings").await;
    assert_translated(&page, "the settings page");
    assert!(page.body.contains("Measured in"), "{}", page.body);
    assert!(page.body.contains("<option value=\"hours\" selected>hours</option>"), "{}", page.body);
    assert!(page.body.contains("Default hours per year"), "{}", page.body);
    assert!(page.body.contains(&format!("id=\"ta-{id}\" name=\"allowance\" inputmode=\"decimal\" value=\"37.5\"")));

    // Set to days and back on the page while nothing is booked in it.
    let form = format!("/hr/leave-types/{id}");
    let fields =
        |unit: &'static str| [("name", "Time off in lieu"), ("deducts", "on"), ("active", "on"), ("unit", unit)];
    let saved = hr.post_form("/hr/settings", &form, &fields("days")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let saved = hr.post_form("/hr/settings", &form, &fields("hours")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let y = next_year();
    let (s, _) = api
        .put(
            &format!("/api/v1/employees/{EMPLOYEE1}/schedules"),
            json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [240, 240, 240, 240, 240, 0, 0]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for (year, hours) in [(y - 1, 12.25), (y, 40.0)] {
        let body = json!({"employee_id": EMPLOYEE1, "leave_type": "toil", "year": year, "hours": hours});
        assert_eq!(api.post("/api/v1/allowances", body).await.0, StatusCode::CREATED);
    }

    // Booked: the unit stays, and the page says why.
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let (mon, fri) = (monday(10), monday(10) + Duration::days(4));
    let q = ada.get(&format!("/requests/quote?leave_type=toil&start_date={mon}&end_date={fri}")).await;
    assert_translated(&q, "the quote");
    assert!(q.body.contains("Counts 20 hours"), "{}", q.body);
    assert!(q.body.contains("balance 40 → <strong>20</strong>"), "{}", q.body);
    let tue = (mon + Duration::days(1)).to_string();
    let sent = ada
        .post_form(
            "/requests/new",
            "/requests/new",
            &[("leave_type", "toil"), ("start_date", &tue), ("end_date", &tue), ("hours", "2.5"), ("reason", "")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let detail = ada.get(sent.location()).await;
    assert!(detail.body.contains("2.5 hours"), "{}", detail.body);
    let home = ada.get("/").await;
    assert!(home.body.contains("12.25 <span class=\"hint\">hours available</span>"), "this year's: {}", home.body);
    assert!(home.body.contains("· 2.5 hours ·"), "{}", home.body);
    let refused = hr.post_form("/hr/settings", &form, &fields("days")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("unit cannot change: allowances, requests or policies"), "{}", refused.body);

    // In German: hours, a decimal comma, and too many hours for the day.
    let de = Page::new(&app, &[("accept-language", "de")]);
    let signed = de.post("/sign-in", &[("email", "employee1@demo.local"), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let wed = (mon + Duration::days(2)).to_string();
    let q = de.get(&format!("/requests/quote?leave_type=toil&start_date={wed}&end_date={wed}&hours=1,5")).await;
    assert_translated(&q, "the German quote");
    assert!(q.body.contains("Zählt 1,5 Stunden"), "{}", q.body);
    let q = de.get(&format!("/requests/quote?leave_type=toil&start_date={wed}&end_date={wed}&hours=5")).await;
    assert!(q.body.contains("mehr Stunden, als Sie an diesem Tag arbeiten"), "{}", q.body);
}
