//! An employee's journey (Dan Novak, `employee4`): signs in, reads the
//! balances on the home page, opens the request form from there, watches
//! the server's live quote change as the dates and a half day are chosen
//! (nothing submitted yet), submits, lands on the request's page as
//! pending, cancels it there and sees it cancelled.

use crate::harness::Browser;
use crate::steps::{english_date, request_id, Week, UNPAID};

const EMAIL: &str = "employee4@demo.local";

#[tokio::test]
async fn an_employee_requests_leave_with_the_live_quote_and_cancels_it() {
    let browser = Browser::start().await;
    browser.sign_in_as(EMAIL).await;
    assert_eq!(browser.text("header .who a[href='/profile']").await, "Dan Novak");

    let balances = browser.text("main .grid").await;
    assert!(balances.contains("Annual leave"), "the home page shows the annual leave balance:\n{balances}");
    assert!(balances.contains("25 days available"), "an untouched demo allowance is 25 days:\n{balances}");

    browser.click_and_wait("main a.button[href='/requests/new']").await;
    assert_eq!(browser.current_path().await, "/requests/new");
    browser.wait_for_text("#quote", "Choose the dates").await;

    let (monday, friday) = (Week::Employee.monday(), Week::Employee.friday());
    browser.find("select#leave_type").await.select_by_value(UNPAID).await.expect("choosing unpaid leave");
    browser.type_date("#start_date", monday).await;
    browser.type_date("#end_date", friday).await;
    let quote = browser.wait_for_text("#quote", "Counts 5 days").await;
    assert!(!quote.contains("Weekend days"), "Monday to Friday holds no weekend:\n{quote}");

    browser.find("input[name=half_day_start]").await.click().await.expect("ticking the half first day");
    let quote = browser.wait_for_text("#quote", "Counts 4.5 days").await;
    assert!(!quote.contains("cannot be submitted"), "unpaid leave needs no balance:\n{quote}");
    assert_eq!(browser.current_path().await, "/requests/new", "the quote submits nothing");
    let listed = browser.fetch_json("/api/v1/leave-requests").await;
    assert_eq!(listed["items"], serde_json::json!([]), "nothing was submitted while quoting");

    browser.click_and_wait("#request-form button[type=submit]:not([name])").await;
    let path = browser.current_path().await;
    let id = request_id(&path);
    browser.wait_for_text(".banner.ok", "Your request was submitted").await;
    assert_eq!(browser.text("dl.facts .status").await, "Pending");
    let heading = browser.text("h1").await;
    assert_eq!(
        heading,
        format!("Unpaid leave: {} (afternoon) – {}", english_date(monday), english_date(friday)),
        "the request page names what was asked"
    );
    assert_eq!(browser.text("dl.facts dd:nth-of-type(2)").await, "4.5", "the server counted the half day");
    assert!(browser.text("ol.timeline").await.starts_with("Submitted on "));

    browser.click_and_wait("form[action$='/cancel'] button[type=submit]").await;
    assert_eq!(browser.current_path().await, format!("/requests/{id}?done=cancelled"));
    browser.wait_for_text(".banner.ok", "The request was cancelled.").await;
    assert_eq!(browser.text("dl.facts .status").await, "Cancelled");
    browser.wait_for_text("ol.timeline", "Cancelled on").await;
    assert!(browser.text("ol.timeline").await.contains("by Dan Novak"));
    assert!(!browser.exists("form[action$='/cancel']").await, "a cancelled request cannot be cancelled again");

    let stored = browser.fetch_json(&format!("/api/v1/leave-requests/{id}")).await;
    assert_eq!(stored["status"], "cancelled");
    assert_eq!(stored["start_date"], monday.to_string());
    assert_eq!(stored["days"], 4.5);
}
