//! Holiday calendars per location through the API: the worked example of
//! docs/LEAVE-RULES.md ("Holiday calendars per location"), calendar files
//! imported whole or not at all, locations' own rules, and an instance of
//! the release before (the schema without locations) counting the
//! company-wide calendar for everyone.

use crate::support::*;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    two_locations_count_the_same_week_differently,
    calendar_files_are_imported_whole_or_not_at_all,
    locations_and_their_holidays_are_kept_consistent,
    the_release_before_counts_the_company_calendar,
);

const EMPLOYEE2: i64 = 4;
const EMPLOYEE3: i64 = 5;

fn quote_path(start: &str, end: &str) -> String {
    format!("/api/v1/leave-requests/quote?leave_type=unpaid&start_date={start}&end_date={end}")
}

/// The quote's days and the dates of the holidays it lists.
async fn quote(u: &User, start: &str, end: &str) -> (f64, Vec<String>, Value) {
    let (s, q) = u.get(&quote_path(start, end)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let listed =
        q["holidays"].as_array().expect("holidays").iter().map(|h| h["date"].as_str().unwrap_or("").to_string());
    (q["days"].as_f64().expect("days"), listed.collect(), q["calendar"].clone())
}

async fn create_location(hr: &User, name: &str) -> i64 {
    let (s, l) = hr.post("/api/v1/locations", json!({"name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    l["id"].as_i64().expect("id")
}

async fn add_holiday(hr: &User, location: i64, date: &str, name: &str, recurring: bool) -> i64 {
    let body = json!({"date": date, "name": name, "recurring": recurring});
    let (s, h) = hr.post(&format!("/api/v1/locations/{location}/holidays"), body).await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    h["id"].as_i64().expect("id")
}

async fn put_in(hr: &User, employee: i64, location: Option<i64>) {
    let (s, b) = hr.put(&format!("/api/v1/employees/{employee}/location"), json!({"location_id": location})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// The worked example of docs/LEAVE-RULES.md, "Holiday calendars per location".
async fn two_locations_count_the_same_week_differently(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let munich = create_location(&hr, "Munich").await;
    let hamburg = create_location(&hr, "Hamburg").await;
    add_holiday(&hr, munich, "2030-08-15", "Assumption Day", false).await;
    add_holiday(&hr, munich, "2030-12-25", "Christmas Day", true).await;
    add_holiday(&hr, munich, "2030-12-26", "St Stephen's Day", true).await;
    add_holiday(&hr, hamburg, "2030-10-31", "Reformation Day", false).await;
    add_holiday(&hr, hamburg, "2030-12-25", "Christmas Day", true).await;
    put_in(&hr, EMPLOYEE1, Some(munich)).await;
    put_in(&hr, EMPLOYEE2, Some(hamburg)).await;
    put_in(&hr, EMPLOYEE3, Some(munich)).await;
    // Chloe (employee3) works Monday to Wednesday.
    let schedule = json!({"schedules": [{"valid_from": "2020-01-01", "minutes": [480, 480, 480, 0, 0, 0, 0]}]});
    let (s, b) = hr.put(&format!("/api/v1/employees/{EMPLOYEE3}/schedules"), schedule).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let ada = app.login("employee1@demo.local").await; // Munich
    let ben = app.login("employee2@demo.local").await; // Hamburg
    let chloe = app.login("employee3@demo.local").await; // Munich, Monday–Wednesday
    let dan = app.login("employee4@demo.local").await; // no location: the company calendar

    // The week of 12–16 August 2030: Thursday 15 is a holiday in Munich only.
    let (days, listed, calendar) = quote(&ada, "2030-08-12", "2030-08-16").await;
    assert_eq!((days, listed), (4.0, vec!["2030-08-15".to_string()]), "Munich");
    assert_eq!((calendar["location_id"].as_i64(), calendar["location_name"].as_str()), (Some(munich), Some("Munich")));
    let (days, listed, _) = quote(&ben, "2030-08-12", "2030-08-16").await;
    assert_eq!((days, listed), (5.0, Vec::<String>::new()), "Hamburg");
    let (days, listed, calendar) = quote(&dan, "2030-08-12", "2030-08-16").await;
    assert_eq!((days, listed.len()), (5.0, 0), "the company calendar");
    assert_eq!(calendar, json!({"location_id": null, "location_name": null}));
    // A holiday on a day Chloe does not work costs nothing and is not listed.
    let (days, listed, _) = quote(&chloe, "2030-08-12", "2030-08-16").await;
    assert_eq!((days, listed.len()), (3.0, 0), "Monday–Wednesday");

    // Christmas recurs: Munich keeps 25 and 26 December, Hamburg 25, in 2030 and 2031.
    for (start, end, munich_days, hamburg_days) in
        [("2030-12-23", "2030-12-27", 3.0, 4.0), ("2031-12-22", "2031-12-26", 3.0, 4.0)]
    {
        assert_eq!(quote(&ada, start, end).await.0, munich_days, "Munich {start}");
        assert_eq!(quote(&ben, start, end).await.0, hamburg_days, "Hamburg {start}");
    }
    // In 2031 Christmas (Thursday) and St Stephen's Day (Friday) are Chloe's
    // days off anyway: her week costs Monday–Wednesday.
    let (days, listed, _) = quote(&chloe, "2031-12-22", "2031-12-26").await;
    assert_eq!((days, listed.len()), (3.0, 0), "Chloe 2031");
    // In 2030 Christmas falls on a Wednesday, a day she works.
    let (days, listed, _) = quote(&chloe, "2030-12-23", "2030-12-27").await;
    assert_eq!((days, listed), (2.0, vec!["2030-12-25".to_string()]), "Chloe 2030");

    // Submissions count the same.
    let (s, r) = ada.post("/api/v1/leave-requests", request("unpaid", d("2030-08-12"), d("2030-08-16"))).await;
    assert_eq!((s, r["days"].as_f64()), (StatusCode::CREATED, Some(4.0)), "{r}");
    let (s, r) = ben.post("/api/v1/leave-requests", request("unpaid", d("2030-08-12"), d("2030-08-16"))).await;
    assert_eq!((s, r["days"].as_f64()), (StatusCode::CREATED, Some(5.0)), "{r}");

    // Anyone signed in reads the calendars; the days of a year list each recurring holiday in it.
    let (s, cal) = ben.get(&format!("/api/v1/locations/{munich}/holidays?year=2031")).await;
    assert_eq!(s, StatusCode::OK, "{cal}");
    let dates: Vec<&str> = cal["days"].as_array().expect("days").iter().filter_map(|d| d["date"].as_str()).collect();
    assert_eq!(dates, vec!["2031-12-25", "2031-12-26"]);
    assert_eq!(cal["items"].as_array().map(Vec::len), Some(3));
    let (s, mine) = ada.get(&format!("/api/v1/employees/{EMPLOYEE1}/location")).await;
    assert_eq!((s, mine["location"]["name"].as_str()), (StatusCode::OK, Some("Munich")), "{mine}");
    let (s, _) = ada.get(&format!("/api/v1/employees/{EMPLOYEE2}/location")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another person's location is HR's to read");

    // Each change is audited, before and after as objects.
    let (_, audit) = hr.get("/api/v1/audit-events?limit=200").await;
    let actions: Vec<&str> =
        audit["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["location.create", "location_holiday.create", "employee.location"] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    let moved = audit["items"].as_array().and_then(|i| i.iter().find(|e| e["action"] == "employee.location")).cloned();
    let moved = moved.expect("employee.location");
    assert!(moved["before"].is_object() && moved["after"]["location"].is_object(), "{moved}");
}

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().expect("date")
}

/// A calendar as a calendar program writes it: CRLF, folded lines, a
/// time zone, an alarm, a three-day event, a yearly holiday.
const REALISTIC_ICS: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example Corp//Holidays Bavaria 2030//EN\r\n\
CALSCALE:GREGORIAN\r\n\
METHOD:PUBLISH\r\n\
X-WR-CALNAME:Feiertage Bayern\r\n\
BEGIN:VTIMEZONE\r\n\
TZID:Europe/Berlin\r\n\
BEGIN:STANDARD\r\n\
DTSTART:19701025T030000\r\n\
TZOFFSETFROM:+0200\r\n\
TZOFFSETTO:+0100\r\n\
END:STANDARD\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\n\
UID:christmas@example.com\r\n\
DTSTAMP:20300101T000000Z\r\n\
DTSTART;VALUE=DATE:20301225\r\n\
DTEND;VALUE=DATE:20301226\r\n\
RRULE:FREQ=YEARLY\r\n\
SUMMARY:Christmas Day\r\n\
TRANSP:TRANSPARENT\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:retreat@example.com\r\n\
DTSTAMP:20300101T000000Z\r\n\
DTSTART;VALUE=DATE:20300909\r\n\
DTEND;VALUE=DATE:20300912\r\n\
SUMMARY:Company retreat\\, all sites (Monday to Wednesday\r\n , offices closed)\r\n\
DESCRIPTION:Three days\\nno work\r\n\
BEGIN:VALARM\r\n\
ACTION:DISPLAY\r\n\
TRIGGER:-PT15M\r\n\
END:VALARM\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

async fn import(u: &User, location: i64, content_type: &str, body: &str) -> (StatusCode, Value) {
    let res = u
        .client
        .post(format!("{}/api/v1/locations/{location}/holidays/import", u.base))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn calendar_files_are_imported_whole_or_not_at_all(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let munich = create_location(&hr, "Munich").await;
    put_in(&hr, EMPLOYEE1, Some(munich)).await;
    let ada = app.login("employee1@demo.local").await;

    let (s, r) = import(&hr, munich, "text/calendar; charset=utf-8", REALISTIC_ICS).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["added"], 4, "Christmas and the three days of the retreat: {r}");
    let retreat = r["added_holidays"].as_array().and_then(|a| a.get(1)).cloned().unwrap_or_default();
    assert_eq!(retreat["name"], "Company retreat, all sites (Monday to Wednesday, offices closed)", "unfolded: {r}");
    assert_eq!(r["added_holidays"][0]["recurring"], true, "{r}");
    // 9–13 September 2030: the retreat takes Monday to Wednesday.
    assert_eq!(quote(&ada, "2030-09-09", "2030-09-13").await.0, 2.0);
    // Christmas recurs: 22–26 December 2031 (Thursday the 25th) counts 4.
    assert_eq!(quote(&ada, "2031-12-22", "2031-12-26").await.0, 4.0);

    // The same file again adds nothing and says what was there.
    let (s, r) = import(&hr, munich, "text/calendar", REALISTIC_ICS).await;
    assert_eq!(
        (s, r["added"].as_i64(), r["already_there"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0), Some(4))
    );

    // A file with something not understood is refused with its line; nothing is written.
    let (rows, audit) = (app.count("location_holidays").await, app.count("audit_events").await);
    let bad = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20300101\r\nSUMMARY:New Year\r\n\
               END:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20300501\r\nRRULE:FREQ=YEARLY;COUNT=5\r\n\
               SUMMARY:Labour Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (s, e) = import(&hr, munich, "text/calendar", bad).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_calendar_file")),
        "{e}"
    );
    assert!(e["error"]["message"].as_str().unwrap_or("").starts_with("line 9: RRULE COUNT=5"), "{e}");
    assert_eq!((app.count("location_holidays").await, app.count("audit_events").await), (rows, audit));

    // CSV: two new, one already there.
    let csv = "date,name,recurring\n2030-12-25,Christmas Day,yes\n2030-10-03,\"Unity Day, Germany\",no\n\
               2032-02-29,Leap Day,yes\n";
    let (s, r) = import(&hr, munich, "text/csv", csv).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["added"].as_i64(), r["already_there"][0]["name"].as_str()), (Some(2), Some("Christmas Day")), "{r}");
    let (_, cal) = hr.get(&format!("/api/v1/locations/{munich}/holidays?year=2036")).await;
    let dates: Vec<&str> = cal["days"].as_array().expect("days").iter().filter_map(|d| d["date"].as_str()).collect();
    assert_eq!(dates, vec!["2036-02-29", "2036-12-25"], "a 29 February recurs in leap years");
    let (_, cal) = hr.get(&format!("/api/v1/locations/{munich}/holidays?year=2035")).await;
    assert_eq!(cal["days"].as_array().map(Vec::len), Some(1), "and only then: {cal}");
    let bad_csv = "date,name\n2030-01-01,New Year\n01/05/2030,Labour Day\n";
    let (s, e) = import(&hr, munich, "text/csv", bad_csv).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap_or("").starts_with("line 3:"), "{e}");

    // Only HR imports; only calendar and CSV files.
    let (s, _) = import(&ada, munich, "text/csv", csv).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = import(&hr, munich, "application/json", "{}").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{e}");
    let (s, _) = import(&hr, 9999, "text/csv", csv).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Each import that wrote is one audit record.
    let (_, audit) = hr.get("/api/v1/audit-events?limit=200").await;
    let imports = audit["items"].as_array().expect("items").iter().filter(|e| e["action"] == "location.import").count();
    assert_eq!(imports, 3);
}

async fn locations_and_their_holidays_are_kept_consistent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let munich = create_location(&hr, "Munich").await;
    let (s, e) = hr.post("/api/v1/locations", json!({"name": " Munich "})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("location_exists")), "{e}");
    let (s, e) = hr.post("/api/v1/locations", json!({"name": "  "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, l) = hr.put(&format!("/api/v1/locations/{munich}"), json!({"name": "München"})).await;
    assert_eq!((s, l["name"].as_str()), (StatusCode::OK, Some("München")), "{l}");

    // A holiday whose days are holidays already is refused.
    let xmas = add_holiday(&hr, munich, "2030-12-25", "Christmas Day", true).await;
    let path = format!("/api/v1/locations/{munich}/holidays");
    for body in [
        json!({"date": "2033-12-25", "name": "Christmas again", "recurring": false}),
        json!({"date": "2031-12-25", "name": "Christmas again", "recurring": true}),
    ] {
        let (s, e) = hr.post(&path, body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("holiday_exists")), "{e}");
    }
    // Renamed and made a one-off; then removed.
    let (s, h) = hr
        .put(&format!("{path}/{xmas}"), json!({"date": "2030-12-25", "name": "Christmas 2030", "recurring": false}))
        .await;
    assert_eq!((s, h["recurring"].as_bool()), (StatusCode::OK, Some(false)), "{h}");
    let (s, _) = hr.delete(&format!("/api/v1/locations/9999/holidays/{xmas}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a holiday is reached through its own location");
    let (s, _) = hr.delete(&format!("{path}/{xmas}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A location people belong to stays; an unused one goes.
    put_in(&hr, EMPLOYEE1, Some(munich)).await;
    let (s, e) = hr.delete(&format!("/api/v1/locations/{munich}")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("location_in_use")), "{e}");
    let (_, list) = hr.get("/api/v1/locations").await;
    assert_eq!(list["items"][0]["people"], 1, "{list}");
    put_in(&hr, EMPLOYEE1, None).await;
    let (s, _) = hr.delete(&format!("/api/v1/locations/{munich}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = hr.get(&format!("/api/v1/locations/{munich}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = hr.put(&format!("/api/v1/employees/{EMPLOYEE1}/location"), json!({"location_id": munich})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "an unknown location");
}

/// An instance that does not count on the locations migration (the
/// rehearsal's blue, `--schema previous` while locations are the newest
/// migration) counts the company-wide calendar for everyone and has no
/// locations — even on a database where the migration was applied and
/// people were put in locations.
async fn the_release_before_counts_the_company_calendar(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let munich = create_location(&hr, "Munich").await;
    add_holiday(&hr, munich, "2030-08-15", "Assumption Day", false).await;
    put_in(&hr, EMPLOYEE1, Some(munich)).await;
    let (s, b) = hr.post("/api/v1/holidays", json!({"date": "2030-08-14", "name": "Company day"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let cap = lms_store::migrations::SchemaCap::UpTo(lms_store::locations::LOCATIONS_VERSION - 1);
    let opts = lms_store::db::ConnectOptions { schema: cap, ..Default::default() };
    let db = lms_store::Db::connect(&app.url, &opts).await.expect("connect");
    assert!(!db.counts(lms_store::locations::LOCATIONS_VERSION));
    let before = TestApp::start(db, app.url.clone(), Default::default()).await;

    let ada_now = app.login("employee1@demo.local").await;
    let (days, listed, _) = quote(&ada_now, "2030-08-12", "2030-08-16").await;
    assert_eq!((days, listed), (4.0, vec!["2030-08-15".to_string()]), "this release: Munich's calendar");
    let ada_before = before.login("employee1@demo.local").await;
    let (days, listed, calendar) = quote(&ada_before, "2030-08-12", "2030-08-16").await;
    assert_eq!((days, listed), (4.0, vec!["2030-08-14".to_string()]), "the release before: the company's");
    assert_eq!(calendar["location_id"], Value::Null);
    let (s, r) = ada_before.post("/api/v1/leave-requests", request("unpaid", d("2030-08-12"), d("2030-08-16"))).await;
    assert_eq!((s, r["days"].as_f64()), (StatusCode::CREATED, Some(4.0)), "{r}");
    let hr_before = before.login("hr@demo.local").await;
    let (s, _) = hr_before.get("/api/v1/locations").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no locations on the schema before them");
    let (s, _) = hr_before.post("/api/v1/locations", json!({"name": "Hamburg"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.count("locations").await, 1, "nothing written");
}
