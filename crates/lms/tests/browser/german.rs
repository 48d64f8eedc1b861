//! The German pages end to end (Maya Singh, `manager2`), in a browser that
//! asks for English (`--lang=en-US`): the language chosen on the profile
//! page is what turns every page German. Each page she can open is checked
//! for `lang="de"`, its German heading and navigation, and no message key
//! missing from `de.ftl` (shown as `⟦key⟧`); a request is submitted with
//! the German form and quote; signing out leads to the sign-in page, and
//! both that page and a page that does not exist speak her language, not
//! the browser's.

use crate::harness::Browser;
use crate::steps::{request_id, Week, UNPAID};
use chrono::{Datelike, NaiveDate};

const EMAIL: &str = "manager2@demo.local";

/// `de.ftl`'s short month names, January first.
const MONTHS: [&str; 12] =
    ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."];

/// A date as the German pages write it: `3. Mai 2027`.
fn german_date(d: NaiveDate) -> String {
    format!("{}. {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// Checks the page is German: the document's language, the navigation's
/// sign-out button, a heading that starts with `heading`, and no missing
/// message anywhere in it.
async fn assert_german(browser: &Browser, page: &str, heading: &str) {
    let lang = browser.find("html").await.attr("lang").await.expect("reading html[lang]");
    assert_eq!(lang.as_deref(), Some("de"), "{page} declares German");
    assert_eq!(browser.text("header form[action='/sign-out'] button").await, "Abmelden", "{page}'s navigation");
    let h1 = browser.text("h1").await;
    assert!(h1.starts_with(heading), "{page}'s heading is {h1:?}, not German {heading:?}");
    browser.assert_no_missing_messages(page).await;
}

/// Chooses `language` (`""` for the browser's) on the profile page, which
/// the browser shows.
async fn choose_language(browser: &Browser, language: &str) {
    browser.goto("/profile").await;
    browser.find("select#language").await.select_by_value(language).await.expect("choosing the language");
    browser.click_and_wait("form[action='/profile/language'] button[type=submit]").await;
    assert_eq!(browser.current_path().await, "/profile?done=language");
}

/// Signs Maya in and chooses German on her profile page.
async fn choose_german(browser: &Browser) {
    browser.sign_in_as(EMAIL).await;
    choose_language(browser, "de").await;
    browser.wait_for_text(".banner.ok", "Ihre Sprache wurde gespeichert.").await;
}

#[tokio::test]
async fn a_person_who_chose_german_uses_every_page_in_german() {
    let browser = Browser::start().await;
    browser.sign_in_as(EMAIL).await;
    choose_language(&browser, "").await;
    browser.wait_for_text(".banner.ok", "Your language was saved.").await;
    let lang = browser.find("html").await.attr("lang").await.expect("reading html[lang]");
    assert_eq!(lang.as_deref(), Some("en"), "without a choice, the pages follow the browser's English");

    choose_language(&browser, "de").await;
    browser.wait_for_text(".banner.ok", "Ihre Sprache wurde gespeichert.").await;
    assert_german(&browser, "the profile", "Mein Profil").await;
    assert_eq!(browser.text("select#language option:checked").await, "Deutsch");

    for (path, heading) in [
        ("/", "Start"),
        ("/requests/new", "Urlaub beantragen"),
        ("/requests", "Meine Anträge"),
        ("/approvals", "Genehmigungen"),
        ("/calendar", "Teamkalender: "),
        ("/profile", "Mein Profil"),
    ] {
        browser.goto(path).await;
        assert_german(&browser, path, heading).await;
    }
    browser.goto("/").await;
    browser.wait_for_text("main", "Ihre Kontingente").await;

    // A request, in German.
    let (monday, friday) = (Week::German.monday(), Week::German.friday());
    browser.click_and_wait("nav.main a[href='/requests/new']").await;
    browser.wait_for_text("#quote", "Wählen Sie die Daten").await;
    browser.find("select#leave_type").await.select_by_value(UNPAID).await.expect("choosing unpaid leave");
    browser.type_date("#start_date", monday).await;
    browser.type_date("#end_date", friday).await;
    let quote = browser.wait_for_text("#quote", "Zählt 5 Tage").await;
    assert!(quote.contains("Arbeitstage im Zeitraum: 5"), "the quote is German:\n{quote}");
    browser.assert_no_missing_messages("the request form with its quote").await;
    browser.click_and_wait("#request-form button[type=submit]:not([name])").await;
    let id = request_id(&browser.current_path().await);
    browser.wait_for_text(".banner.ok", "Ihr Antrag wurde gestellt").await;
    assert_german(&browser, "the new request", "Unpaid leave: ").await;
    assert_eq!(browser.text("h1").await, format!("Unpaid leave: {} – {}", german_date(monday), german_date(friday)));
    assert_eq!(browser.text("dl.facts .status").await, "Offen");
    browser.wait_for_text("ol.timeline", "Gestellt am ").await;
    let stored = browser.fetch_json(&format!("/api/v1/leave-requests/{id}")).await;
    assert_eq!((stored["status"].as_str(), stored["days"].as_f64()), (Some("pending"), Some(5.0)));

    browser.goto("/requests").await;
    assert_german(&browser, "the list with the request", "Meine Anträge").await;
    browser.wait_for_text("main table tbody", "Offen").await;

    // Signing out ends the session (the page that follows is German: below).
    browser.sign_out().await;
    browser.find("form#sign-in").await;
    assert_eq!(browser.fetch("/api/v1/me/balances").await.status, 401, "the session is over");
}

#[tokio::test]
async fn signing_out_leads_to_the_sign_in_page_in_the_chosen_language() {
    let browser = Browser::start().await;
    choose_german(&browser).await;
    browser.sign_out().await;
    let lang = browser.find("html").await.attr("lang").await.expect("reading html[lang]");
    assert_eq!(lang.as_deref(), Some("de"), "the sign-in page after signing out is German");
    assert_eq!(browser.text("h1").await, "Anmelden");
    browser.wait_for_text(".banner.ok", "Sie sind abgemeldet.").await;
}

#[tokio::test]
async fn a_page_that_does_not_exist_says_so_in_the_chosen_language() {
    let browser = Browser::start().await;
    choose_german(&browser).await;
    browser.goto("/no-such-page").await;
    assert_german(&browser, "a page that does not exist", "Seite nicht gefunden").await;
}
