//! What the journeys share beyond the browser: their dates and the steps
//! several of them take.
//!
//! Every journey runs on the one demo database of this test binary, so each
//! books its own ISO week of next year ([`Week`]): no journey sees another's
//! requests, overlaps or holiday. Next year, because the demo allocates
//! allowances only for this year; requests that must be accepted are
//! therefore of the `Unpaid leave` type, which counts days but draws on no
//! balance.

use crate::harness::Browser;
use chrono::{Datelike, NaiveDate, Utc, Weekday};

/// The leave type whose requests need no balance (the demo's `unpaid`).
pub const UNPAID: &str = "unpaid";

/// The ISO week of next year each journey uses; one per journey, so none
/// meets another's data.
#[derive(Debug, Clone, Copy)]
pub enum Week {
    /// An employee requests, sees the quote, cancels (`employee`).
    Employee = 10,
    /// The request form with the keyboard alone (`keyboard`).
    Keyboard = 12,
    /// Two teammates off together, one approved, one rejected (`manager`).
    TeamConflict = 14,
    /// HR's holiday on the Wednesday (`hr`).
    Holiday = 16,
    /// A request submitted in German (`german`).
    German = 18,
    /// The forged cross-site request (`cross_site`).
    CrossSite = 20,
    /// The request whose detail page the page tour visits (`every_page`).
    EveryPage = 22,
}

impl Week {
    /// The given weekday of this week of next year.
    pub fn day(self, weekday: Weekday) -> NaiveDate {
        let year = Utc::now().year() + 1;
        NaiveDate::from_isoywd_opt(year, self as u32, weekday).expect("ISO weeks 10 to 22 exist in every year")
    }

    pub fn monday(self) -> NaiveDate {
        self.day(Weekday::Mon)
    }

    pub fn friday(self) -> NaiveDate {
        self.day(Weekday::Fri)
    }
}

/// A date as the English pages write it: `8 Mar 2027`.
pub fn english_date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// The id in a request page's path, `/requests/{id}?…`.
pub fn request_id(path: &str) -> i64 {
    path.strip_prefix("/requests/")
        .and_then(|rest| rest.split(['?', '#']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{path} is not the page of a request"))
}

/// Asks for `leave_type` leave from `first` to `last` through the form at
/// `/requests/new` (whole days, no reason) as the person signed in, waits
/// until the live quote has answered, submits, and checks the server
/// answered with the new request's page; the request's id.
pub async fn request_leave(browser: &Browser, leave_type: &str, first: NaiveDate, last: NaiveDate) -> i64 {
    browser.goto("/requests/new").await;
    browser.find("select#leave_type").await.select_by_value(leave_type).await.expect("choosing the leave type");
    browser.type_date("#start_date", first).await;
    browser.type_date("#end_date", last).await;
    browser.wait_for_text("#quote", "Counts").await;
    browser.click_and_wait("#request-form button[type=submit]:not([name])").await;
    let path = browser.current_path().await;
    assert!(path.contains("done=submitted"), "submitting the request should show it as submitted, not {path}");
    browser.wait_for_text(".status", "Pending").await;
    request_id(&path)
}
