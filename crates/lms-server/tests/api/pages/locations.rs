//! HR's locations page: a location created, a holiday added, a calendar
//! pasted and imported (a bad one refused with its line, the text kept
//! to fix), a person put in the location on their page — and the
//! person's next quote counts that location's holidays and names it, and
//! the team calendar marks them in that person's row only. In English and
//! German.

use super::{assert_translated, Page};
use crate::support::TestApp;
use reqwest::StatusCode;

crate::both_backends!(hr_keeps_locations_and_their_calendars);

async fn hr_keeps_locations_and_their_calendars(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = Page::signed_in(&app, "hr@demo.local").await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    assert_eq!(ada.get("/hr/locations").await.status, StatusCode::FORBIDDEN);
    let empty = hr.get("/hr/locations").await;
    assert!(empty.body.contains("No locations yet."), "{}", empty.body);
    assert_translated(&empty, "locations (en)");

    let created = hr.post_form("/hr/locations", "/hr/locations", &[("name", "Munich")]).await;
    assert_eq!(created.location(), "/hr/locations?location=1&done=location-created", "{}", created.body);
    let dup = hr.post_form("/hr/locations", "/hr/locations", &[("name", "Munich")]).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("A location with this name already exists."), "{}", dup.body);

    let added = hr
        .post_form(
            "/hr/locations?location=1",
            "/hr/locations/1/holidays",
            &[("date", "2030-08-15"), ("name", "Assumption Day")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);

    // A pasted calendar: a yearly Christmas and a two-day event.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20301225\r\nRRULE:FREQ=YEARLY\r\n\
               SUMMARY:Christmas Day\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20300812\r\n\
               DTEND;VALUE=DATE:20300814\r\nSUMMARY:Summer\r\n  closing\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let imported = hr.post_form("/hr/locations?location=1", "/hr/locations/1/import", &[("calendar", ics)]).await;
    assert_eq!(imported.location(), "/hr/locations?location=1&done=imported&added=3&already=0", "{}", imported.body);
    let shown = hr.get(imported.location()).await;
    assert!(shown.body.contains("Imported: 3 added, 0 already there."), "{}", shown.body);
    assert!(shown.body.contains("Summer closing") && shown.body.contains("every year"), "{}", shown.body);
    let rows = app.count("location_holidays").await;
    let bad = "date,name\n2030-10-03,Unity Day\n2030-13-01,Nonsense\n";
    let refused = hr.post_form("/hr/locations?location=1", "/hr/locations/1/import", &[("calendar", bad)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("line 3: `2030-13-01` is not a date"), "{}", refused.body);
    assert!(refused.body.contains("2030-10-03,Unity Day"), "the pasted text is kept to fix: {}", refused.body);
    assert_eq!(app.count("location_holidays").await, rows, "nothing written");

    // Ada goes to Munich on her page; her quote counts Munich's holidays.
    let person = hr.get("/hr/people/3").await;
    assert!(person.body.contains("No location (company-wide holidays)"), "{}", person.body);
    let moved = hr.post_form("/hr/people/3", "/hr/people/3/location", &[("location_id", "1")]).await;
    assert_eq!(moved.location(), "/hr/people/3?done=location", "{}", moved.body);
    let person = hr.get(moved.location()).await;
    assert!(person.body.contains("<option value=\"1\" selected>Munich</option>"), "{}", person.body);
    let q = ada.get("/requests/quote?leave_type=unpaid&start_date=2030-08-12&end_date=2030-08-16").await;
    assert!(q.body.contains("Counts 2 days"), "Monday, Tuesday and Thursday are Munich's holidays: {}", q.body);
    assert!(q.body.contains("Holidays of the location: Munich"), "{}", q.body);
    // The team calendar marks Munich's holidays in Ada's row only.
    let cal = hr.get("/calendar?month=2030-08").await;
    let marked = |name: &str| cal.body.matches(&format!(": {name}\">")).count();
    assert_eq!(marked("Assumption Day"), 1, "in Ada's row alone: {}", cal.body);
    assert_eq!(marked("Summer closing"), 2, "Monday and Tuesday, in Ada's row: {}", cal.body);

    // An unused location can go; one with people stays.
    let kept = hr.post_form("/hr/locations", "/hr/locations/1/delete", &[]).await;
    assert_eq!(kept.status, StatusCode::CONFLICT);

    // In German.
    let de = hr.post_form("/profile", "/profile/language", &[("language", "de")]).await;
    assert_eq!(de.status, StatusCode::SEE_OTHER);
    let page = hr.get("/hr/locations?location=1&year=2031").await;
    assert!(page.body.contains("Standorte und ihre Feiertage") && page.body.contains("jedes Jahr"), "{}", page.body);
    assert_translated(&page, "locations (de)");
    assert_translated(&hr.get("/hr/people/3").await, "person (de)");
}
