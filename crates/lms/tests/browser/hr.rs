//! HR's journey (Harriet Ross, `hr`, with Femi Adeyemi, `employee6`):
//! creates a person; adjusts Femi's annual allowance with a reason and
//! finds that reason on a ledger line; adds a holiday on the Wednesday of a
//! week next year, which the team calendar of that month shows and which
//! Femi's Monday-to-Friday quote for that week leaves out (4 days);
//! downloads the usage report as CSV (the link's own href, fetched by the
//! page); turns maintenance mode on — Femi sees the banner, a disabled
//! submit button, and the server refuses the form even when the button is
//! forced — and off again; and reads dashboard figures equal to the API's.
//!
//! Maintenance mode holds for every journey, so a failure while it is on
//! must not leave it on: [`MaintenanceOff`] switches it off through the
//! API when the test ends early.

use crate::harness::{Browser, DEMO_PASSWORD};
use crate::steps::{english_date, Week, UNPAID};
use chrono::{Datelike, Utc, Weekday};
use serde_json::{json, Value};

const HR: &str = "hr@demo.local";
const FEMI: &str = "employee6@demo.local";
const ADJUSTMENT_REASON: &str = "Carried over from the migration audit, ticket HR-2041";
const HOLIDAY: &str = "Browser Journey Day";

/// Switches maintenance mode off through the JSON API (signed in as HR)
/// when dropped while `on`: a journey that fails half-way leaves the other
/// journeys a writable server.
struct MaintenanceOff {
    base_url: String,
    on: bool,
}

impl Drop for MaintenanceOff {
    fn drop(&mut self) {
        if !self.on {
            return;
        }
        let base = self.base_url.clone();
        let switched = std::thread::spawn(move || -> Result<(), String> {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let client = reqwest::Client::builder().cookie_store(true).build().map_err(|e| e.to_string())?;
                let login = json!({ "email": HR, "password": DEMO_PASSWORD });
                let signed_in = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await;
                signed_in.and_then(|r| r.error_for_status()).map_err(|e| e.to_string())?;
                let off = client.put(format!("{base}/api/v1/admin/maintenance")).json(&json!({ "enabled": false }));
                off.send().await.and_then(|r| r.error_for_status()).map_err(|e| e.to_string())?;
                Ok(())
            })
        })
        .join();
        match switched {
            Ok(Ok(())) => eprintln!("hr journey: maintenance mode switched off after a failure"),
            Ok(Err(e)) => eprintln!("hr journey: could not switch maintenance mode off: {e}"),
            Err(_) => eprintln!("hr journey: switching maintenance mode off panicked"),
        }
    }
}

#[tokio::test]
async fn hr_manages_people_allowances_holidays_reports_and_maintenance() {
    let browser = Browser::start().await;
    let mut maintenance = MaintenanceOff { base_url: browser.base_url().to_owned(), on: false };
    browser.sign_in_as(HR).await;

    // A new person.
    browser.click_and_wait("nav.main a[href='/hr/people']").await;
    browser.click_and_wait("main a[href='/hr/people/new']").await;
    browser.type_into("#person-form #email", "grace.hopper@demo.local").await;
    browser.type_into("#person-form #name", "Grace Hopper").await;
    browser.type_into("#person-form #department", "Research").await;
    browser
        .find("#person-form select#manager_id")
        .await
        .select_by_label("Morgan Lee (Engineering)")
        .await
        .expect("choosing the manager");
    browser.type_into("#person-form #password", "grace-initial-pw").await;
    browser.click_and_wait("#person-form button[type=submit]").await;
    let path = browser.current_path().await;
    assert!(
        path.starts_with("/hr/people/") && path.ends_with("?done=created"),
        "the new person's page follows: {path}"
    );
    browser.wait_for_text(".banner.ok", "The person was created.").await;
    assert_eq!(browser.text("h1").await, "Grace Hopper");
    assert_eq!(browser.text("#person-form select#manager_id option:checked").await, "Morgan Lee (Engineering)");
    browser.goto("/hr/people?q=grace").await;
    let found = browser.text("main table tbody").await;
    assert!(found.contains("Grace Hopper") && found.contains("Research"), "the directory finds her:\n{found}");
    assert_eq!(browser.text("main table tbody tr td:last-child").await, "Active");

    // Femi's allowance.
    browser.type_into("input#q", "employee6").await;
    browser.click_and_wait("form[role=search] button[type=submit]").await;
    browser.click_and_wait("main table tbody a").await;
    assert_eq!(browser.text("h1").await, "Femi Adeyemi");
    browser.click_and_wait("main a[href$='/allowances']").await;
    let femi_id =
        browser.current_path().await.split('/').nth(3).and_then(|id| id.parse::<i64>().ok()).expect("Femi's id");
    let annual = "main section[aria-labelledby='t-1']";
    assert_eq!(browser.text(&format!("{annual} h2")).await, "Annual leave (days)");
    assert_eq!(browser.text(&format!("{annual} dl.facts dd:nth-of-type(1)")).await, "25");
    browser.find("#allowance-form select#leave_type").await.select_by_value("annual").await.expect("choosing annual");
    browser
        .find("#allowance-form input[name=kind][value=adjustment]")
        .await
        .click()
        .await
        .expect("choosing adjustment");
    browser.type_into("#allowance-form #days", "2.5").await;
    browser.type_into("#allowance-form #reason", ADJUSTMENT_REASON).await;
    browser.click_and_wait("#allowance-form button[type=submit]").await;
    assert!(browser.current_path().await.ends_with("&done=adjustment"));
    browser.wait_for_text(".banner.ok", "The adjustment was written.").await;
    let ledger = browser.text(&format!("{annual} table.ledger tbody")).await;
    let line = ledger.lines().find(|l| l.contains(ADJUSTMENT_REASON));
    let line = line.unwrap_or_else(|| panic!("a ledger line gives the reason:\n{ledger}"));
    assert!(line.contains("Adjustment") && line.contains("2.5"), "the line is the adjustment: {line}");
    assert_eq!(browser.text(&format!("{annual} dl.facts dd:nth-of-type(1)")).await, "27.5", "entitled grew by 2.5");
    let femi_available = browser.text(&format!("{annual} dl.facts dd:nth-of-type(4)")).await;

    // A holiday on the Wednesday of a week next year.
    let wednesday = Week::Holiday.day(Weekday::Wed);
    browser.click_and_wait("nav.main a[href='/hr/settings']").await;
    browser.type_date("#holiday-form #hol-date", wednesday).await;
    browser.type_into("#holiday-form #hol-name", HOLIDAY).await;
    browser.click_and_wait("#holiday-form button[type=submit]").await;
    assert_eq!(browser.current_path().await, format!("/hr/settings?year={}&done=holiday-added", wednesday.year()));
    browser.wait_for_text(".banner.ok", "The holiday was added.").await;
    browser
        .wait_for_text("section[aria-labelledby=hol-h] table tbody", &format!("{} {HOLIDAY}", english_date(wednesday)))
        .await;

    let month = wednesday.format("%Y-%m");
    browser.goto(&format!("/calendar?month={month}")).await;
    assert_eq!(browser.text("h1").await, format!("Team calendar: {}", wednesday.format("%B %Y")));
    let column = browser.text("table.wall thead th.holiday").await;
    assert_eq!(column, wednesday.day().to_string(), "the holiday's column is marked");
    let marked = format!("table.wall td.holiday[title='{}: {HOLIDAY}']", english_date(wednesday));
    assert_eq!(browser.text(&format!("{marked} span[aria-hidden=true]")).await, "H", "the holiday's mark");
    let (marked, rows) = (browser.count(&marked).await, browser.count("table.wall tbody tr").await);
    assert!(rows > 0 && marked == rows, "each of the {rows} people's rows marks the holiday ({marked} do)");

    // The report as CSV, through the page's own link.
    browser.click_and_wait("nav.main a[href='/hr/reports']").await;
    let href = browser.find("a#csv-download").await.prop("href").await.expect("reading the link").expect("an href");
    assert!(href.contains("/api/v1/reports/leave-usage?format=csv&"), "the link asks for CSV: {href}");
    let csv = browser.fetch(&href).await;
    assert_eq!(csv.status, 200, "{href} answered: {}", csv.body);
    assert!(csv.content_type.starts_with("text/csv"), "the report is CSV, not {}", csv.content_type);
    let mut rows = csv.body.lines();
    assert_eq!(rows.next(), Some("employee_id,employee_name,email,department,leave_type,taken,pending,remaining,unit"));
    let femi_row = format!(r#"{femi_id},"Femi Adeyemi","{FEMI}","Operations","annual","#);
    let femi_line =
        rows.find(|r| r.starts_with(&femi_row)).unwrap_or_else(|| panic!("no {femi_row}… in\n{}", csv.body));
    assert!(
        femi_line.ends_with(&format!(",{femi_available},days")),
        "the CSV has Femi's {femi_available} days left: {femi_line}"
    );

    // Maintenance mode: Femi can read, not change.
    browser.click_and_wait("nav.main a[href='/hr/settings']").await;
    maintenance.on = true;
    browser.click_and_wait("#maintenance-on").await;
    browser.wait_for_text(".banner.ok", "Maintenance mode is on.").await;
    browser.find("#maintenance-off").await;
    browser.sign_out().await;

    browser.sign_in_as(FEMI).await;
    browser.wait_for_text(".banner.maintenance", "changes are paused").await;
    browser.click_and_wait("nav.main a[href='/requests/new']").await;
    browser.wait_for_text(".banner.maintenance", "Maintenance.").await;
    let submit = "#request-form button[type=submit]:not([name])";
    assert!(!browser.find(submit).await.is_enabled().await.expect("reading the button"), "submitting is disabled");
    browser.find("select#leave_type").await.select_by_value(UNPAID).await.expect("choosing unpaid leave");
    browser.type_date("#start_date", Week::Holiday.monday()).await;
    browser.type_date("#end_date", Week::Holiday.friday()).await;
    let quote = browser.wait_for_text("#quote", "Counts 4 days").await;
    assert!(quote.contains(&format!("Holiday, not counted: {HOLIDAY} ({})", english_date(wednesday))), "{quote}");
    assert!(quote.contains("Working days in the range: 4"), "{quote}");
    // The page only disables the button; the server must refuse by itself.
    let button = serde_json::to_value(browser.find(submit).await).expect("an element reference");
    browser.client().execute("arguments[0].disabled = false", vec![button]).await.expect("forcing the button");
    browser.click_and_wait(submit).await;
    assert_eq!(browser.text("h1").await, "Temporarily unavailable");
    browser.wait_for_text("main", "Status 503").await;
    let femi_requests = browser.fetch_json("/api/v1/leave-requests").await;
    assert_eq!(femi_requests["items"], json!([]), "nothing was stored during maintenance");
    browser.click_and_wait("main a[href='/']").await; // the error page's way back
    browser.sign_out().await;

    browser.sign_in_as(HR).await;
    browser.click_and_wait("nav.main a[href='/hr/settings']").await;
    browser.click_and_wait("#maintenance-off").await;
    browser.wait_for_text(".banner.ok", "Maintenance mode is off.").await;
    maintenance.on = false;
    assert!(!browser.exists(".banner.maintenance").await, "the banner is gone");
    assert_eq!(browser.fetch_json("/api/v1/admin/maintenance").await["enabled"], Value::Bool(false));

    // The dashboard says what the API says.
    browser.click_and_wait("nav.main a[href='/admin']").await;
    let api = browser.fetch_json("/api/v1/admin/dashboard").await;
    assert!(api["headcount"].as_i64() >= Some(10), "the nine demo accounts and Grace Hopper: {api}");
    let out_today = api["on_leave_today"].as_array().expect("a list of who is out").len();
    for (id, expected) in [
        ("figure-pending", api["pending_approvals"].to_string()),
        ("figure-out-today", out_today.to_string()),
        ("figure-headcount", api["headcount"].to_string()),
    ] {
        assert_eq!(browser.text(&format!("#{id}")).await, expected, "#{id} on the dashboard against the API");
    }
    assert_eq!(api["date"], Utc::now().date_naive().to_string());
}
