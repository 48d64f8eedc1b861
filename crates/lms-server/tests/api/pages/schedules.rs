//! A person's working schedule on HR's person page: HR adds Monday to
//! Wednesday 8 h from a date (a bad one — no working day, hours that are no
//! number, a second one on the same date — refused with what to fix and
//! nothing written), the person sees it read only on their profile, and
//! their next quote counts by it, names it and the holiday it skipped;
//! removing it is full time again. In English and German.

use super::{assert_translated, Page};
use crate::support::{monday, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(hr_keeps_a_persons_working_schedule_and_the_quote_counts_by_it);

/// The schedule form's fields: the start date and hours Monday to Sunday.
fn schedule<'a>(from: &'a str, hours: [&'a str; 7]) -> Vec<(&'a str, &'a str)> {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut f = vec![("valid_from", from)];
    f.extend(days.into_iter().zip(hours));
    f
}

async fn hr_keeps_a_persons_working_schedule_and_the_quote_counts_by_it(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let (start, end) = (monday(10), monday(10) + Duration::days(4));
    let quote = format!("/requests/quote?leave_type=annual&start_date={start}&end_date={end}");
    // A company holiday on the Tuesday of that week.
    let api = app.login("hr@demo.local").await;
    let (s, h) =
        api.post("/api/v1/holidays", json!({"date": start + Duration::days(1), "name": "Founders' Day"})).await;
    assert_eq!(s, StatusCode::CREATED, "{h}");

    let q = ada.get(&quote).await;
    assert!(q.body.contains("Counts 4 days"), "full time, the holiday skipped: {}", q.body);
    assert!(q.body.contains("Counted by your schedule: Full time: Mon–Fri 8 h"), "{}", q.body);
    assert!(q.body.contains("Holiday, not counted: Founders"), "{}", q.body);

    let person = hr.get("/hr/people/3").await;
    assert!(person.body.contains("No schedule is set: full time, Monday to Friday 8 hours."), "{}", person.body);
    assert_translated(&person, "person (en)");
    let mine = [("valid_from", "2020-01-06"), ("mon", "8")];
    assert_eq!(ada.post_form("/profile", "/hr/people/3/schedules", &mine).await.status, StatusCode::FORBIDDEN);

    // Refused, with what to fix, the form as typed, nothing written.
    let audit = app.count("audit_events").await;
    let none = hr.post_form("/hr/people/3", "/hr/people/3/schedules", &schedule("2020-01-06", [""; 7])).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        none.body.contains("Enter the hours of at least one day: a schedule needs a working day."),
        "{}",
        none.body
    );
    assert!(none.body.contains("value=\"2020-01-06\""), "the date is kept: {}", none.body);
    let typo = hr
        .post_form(
            "/hr/people/3",
            "/hr/people/3/schedules",
            &schedule("2020-01-06", ["8", "eight", "8", "", "", "", ""]),
        )
        .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.body.contains("Tuesday: “eight” is not a number of hours."), "{}", typo.body);
    assert!(typo.body.contains("name=\"tue\" inputmode=\"decimal\" maxlength=\"6\" value=\"eight\""), "{}", typo.body);
    let long = hr.post_form("/hr/people/3", "/hr/people/3/schedules", &schedule("2020-01-06", ["25"; 7])).await;
    assert!(long.body.contains("(at most 24)"), "{}", long.body);
    assert_eq!(app.count("audit_events").await, audit, "nothing written");
    assert!(ada.get(&quote).await.body.contains("Counts 4 days"));

    // Monday to Wednesday, 8 hours, from Monday 6 January 2020.
    let mon_wed = schedule("2020-01-06", ["8", "8", "8", "", "", "", ""]);
    let added = hr.post_form("/hr/people/3", "/hr/people/3/schedules", &mon_wed).await;
    assert_eq!(added.location(), "/hr/people/3?done=schedule-added", "{}", added.body);
    assert_eq!(app.count("audit_events").await, audit + 1, "one audit record");
    let person = hr.get(added.location()).await;
    assert!(person.body.contains("The schedule was added"), "{}", person.body);
    assert!(
        person
            .body
            .contains("<tr><td>6 Jan 2020</td><td>8</td><td>8</td><td>8</td><td>–</td><td>–</td><td>–</td><td>–</td>"),
        "{}",
        person.body
    );
    let again = hr.post_form("/hr/people/3", "/hr/people/3/schedules", &mon_wed).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("A schedule already starts on 6 Jan 2020."), "{}", again.body);
    assert_eq!(app.count("audit_events").await, audit + 1, "nothing written");

    // Ada's next quote counts by it: Monday and Wednesday (Tuesday is the holiday).
    let q = ada.get(&quote).await;
    assert!(q.body.contains("Counts 2 days"), "{}", q.body);
    assert!(q.body.contains("Counted by your schedule: Mon–Wed 8 h (from 6 Jan 2020)"), "{}", q.body);
    assert!(q.body.contains("Holiday, not counted: Founders"), "{}", q.body);
    // Her profile shows it, without a way to change it.
    let profile = ada.get("/profile").await;
    assert!(profile.body.contains("My working schedule") && profile.body.contains("Mon–Wed 8 h"), "{}", profile.body);
    assert!(!profile.body.contains("/schedules"), "read only: {}", profile.body);
    assert_translated(&profile, "profile (en)");

    // In German.
    for page in [&hr, &ada] {
        let de = page.post_form("/profile", "/profile/language", &[("language", "de")]).await;
        assert_eq!(de.status, StatusCode::SEE_OTHER);
    }
    let person = hr.get("/hr/people/3").await;
    assert!(
        person.body.contains("Arbeitszeitplan hinzufügen") && person.body.contains("6. Jan. 2020"),
        "{}",
        person.body
    );
    assert_translated(&person, "person (de)");
    let typo = hr
        .post_form("/hr/people/3", "/hr/people/3/schedules", &schedule("2021-01-04", ["acht", "", "", "", "", "", ""]))
        .await;
    assert!(typo.body.contains("Montag: „acht“ ist keine Stundenzahl."), "{}", typo.body);
    assert_translated(&typo, "refused schedule (de)");
    let q = ada.get(&quote).await;
    assert!(q.body.contains("Gezählt nach Ihrem Arbeitszeitplan: Mo–Mi 8 Std. (ab 6. Jan. 2020)"), "{}", q.body);
    assert_translated(&q, "quote (de)");
    let profile = ada.get("/profile").await;
    assert!(profile.body.contains("Mein Arbeitszeitplan"), "{}", profile.body);
    assert_translated(&profile, "profile (de)");

    // Removed: full time again.
    let removed = hr.post_form("/hr/people/3", "/hr/people/3/schedules/remove", &[("valid_from", "2020-01-06")]).await;
    assert_eq!(removed.location(), "/hr/people/3?done=schedule-removed", "{}", removed.body);
    let gone = hr.post_form("/hr/people/3", "/hr/people/3/schedules/remove", &[("valid_from", "2020-01-06")]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(gone.body.contains("Dieser Arbeitszeitplan ist nicht mehr da"), "{}", gone.body);
    assert!(ada.get(&quote).await.body.contains("Zählt 4"), "full time again");
}
