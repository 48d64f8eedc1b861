//! A manager's journey (Morgan Lee, `manager`) with two of the team, Ben
//! Okafor (`employee2`) and Chloe Martin (`employee3`), who ask for
//! overlapping days through the request form. The approvals page shows each
//! request with the other person under "Also off in the team"; the manager
//! approves Ben's and rejects Chloe's with a comment; Chloe then reads the
//! comment and "Rejected … by Morgan Lee" on her request's page, and Ben
//! sees his approved.

use crate::harness::Browser;
use crate::steps::{english_date, request_leave, Week, UNPAID};
use chrono::Weekday;

const COMMENT: &str = "Chloe, the release week needs one of you; please pick another week.";

/// The approvals page's section of request `id`.
fn section(id: i64) -> String {
    format!("section[aria-labelledby='req-{id}']")
}

#[tokio::test]
async fn a_manager_sees_the_team_conflict_approves_one_and_rejects_the_other_with_a_comment() {
    let browser = Browser::start().await;
    let week = Week::TeamConflict;
    let (ben_first, ben_last) = (week.monday(), week.day(Weekday::Wed));
    let (chloe_first, chloe_last) = (week.day(Weekday::Tue), week.friday());

    browser.sign_in_as("employee2@demo.local").await;
    let ben = request_leave(&browser, UNPAID, ben_first, ben_last).await;
    browser.sign_out().await;
    browser.sign_in_as("employee3@demo.local").await;
    let chloe = request_leave(&browser, UNPAID, chloe_first, chloe_last).await;
    browser.sign_out().await;

    browser.sign_in_as("manager@demo.local").await;
    browser.click_and_wait("nav.main a[href='/approvals']").await;
    let ben_section = browser.text(&section(ben)).await;
    assert!(ben_section.starts_with("Ben Okafor · Unpaid leave"), "Ben's request heads its section:\n{ben_section}");
    let chloe_off =
        format!("Chloe Martin: Unpaid leave {} – {} (Pending)", english_date(chloe_first), english_date(chloe_last));
    let ben_conflicts = browser.text(&format!("{} ul.conflicts", section(ben))).await;
    assert_eq!(ben_conflicts, chloe_off, "Ben's request lists Chloe as also off");
    let ben_off =
        format!("Ben Okafor: Unpaid leave {} – {} (Pending)", english_date(ben_first), english_date(ben_last));
    let chloe_conflicts = browser.text(&format!("{} ul.conflicts", section(chloe))).await;
    assert_eq!(chloe_conflicts, ben_off, "Chloe's request lists Ben as also off");
    browser.screenshot("manager-approvals-conflict", 1280).await;

    browser.click_and_wait(&format!("{} button[name=intent][value=approve]", section(ben))).await;
    assert_eq!(browser.current_path().await, "/approvals?done=approved");
    browser.wait_for_text(".banner.ok", "Approved; the employee has been told.").await;
    assert!(!browser.exists(&section(ben)).await, "an approved request leaves the queue");
    let chloe_conflicts = browser.text(&format!("{} ul.conflicts", section(chloe))).await;
    assert_eq!(chloe_conflicts, ben_off.replace("(Pending)", "(Approved)"), "Ben is now off for certain");

    browser.type_into(&format!("{} textarea[name=comment]", section(chloe)), COMMENT).await;
    browser.click_and_wait(&format!("{} button[name=intent][value=reject]", section(chloe))).await;
    assert_eq!(browser.current_path().await, "/approvals?done=rejected");
    browser.wait_for_text(".banner.ok", "Rejected; the employee has been told.").await;
    assert!(!browser.exists(&section(chloe)).await, "a rejected request leaves the queue");
    browser.sign_out().await;

    browser.sign_in_as("employee3@demo.local").await;
    let notification = format!("section[aria-labelledby=notes-h] a[href='/requests/{chloe}']");
    assert_eq!(browser.text(&notification).await, "Your request was rejected");
    browser.click_and_wait(&notification).await;
    assert_eq!(browser.text("dl.facts .status").await, "Rejected");
    let facts = browser.text("dl.facts").await;
    assert!(facts.contains(COMMENT), "Chloe reads the manager's comment:\n{facts}");
    let timeline = browser.text("ol.timeline").await;
    let rejected = timeline.lines().find(|l| l.starts_with("Rejected on ")).unwrap_or_else(|| {
        panic!("the history of a rejected request says so:\n{timeline}");
    });
    assert!(rejected.ends_with(" by Morgan Lee"), "the history names who rejected it: {rejected}");
    assert!(!browser.exists("form[action$='/cancel']").await, "a rejected request cannot be cancelled");
    browser.sign_out().await;

    browser.sign_in_as("employee2@demo.local").await;
    browser.goto(&format!("/requests/{ben}")).await;
    assert_eq!(browser.text("dl.facts .status").await, "Approved");
    browser.wait_for_text("ol.timeline", "by Morgan Lee").await;
}
