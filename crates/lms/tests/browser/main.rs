//! Browser tests: real headless Chromium (Debian's `chromium`), driven
//! through `chromedriver` with fantoccini, against a real `lms serve --demo`
//! on SQLite in a scratch directory — what a person sees and does, at a
//! phone's width (360 px) and a desktop's (1280 px), checked with axe-core.
//!
//! The tools come from `scripts/ensure-chromium` (which `scripts/test`
//! runs): `/usr/bin/chromium`, `/usr/bin/chromedriver` and
//! `target/test-tools/node_modules/axe-core`. Screenshots and axe reports
//! land in `target/browser-artifacts/`.
//!
//! Layout:
//! - `harness`: one chromedriver and one `lms` server per test binary,
//!   started on first use; one [`harness::Browser`] session per test, one
//!   session at a time; navigation, sign-in and out, typing (dates too),
//!   keys, `fetch()` from the page, screenshots.
//! - `axe`: injects axe-core into the current page and judges its findings.
//! - `reaper`: kills the shared processes and removes their scratch
//!   directory when this binary exits, however it exits.
//! - `steps`: each journey's own week of next year, and asking for leave
//!   through the form.
//! - The journeys, one module each: `employee` (quote, submit, cancel),
//!   `keyboard` (the request form without a mouse), `manager` (team
//!   conflict, approve, reject with a comment), `hr` (people, allowances,
//!   holidays, CSV report, maintenance mode, dashboard against the API),
//!   `german` (a chosen language on every page), `cross_site` (a forged
//!   form from another origin), `every_page` (each page as each role:
//!   messages, fit, axe, screenshots; Swagger UI), `warroom` (the cutover
//!   war room during a rehearsal: live updates, a checkpoint decided with
//!   the commander's credential, refused with an observer's, a rollback),
//!   `sso` (single sign-on through a real OpenID provider and back, its own
//!   server beside the shared one).
//!
//! A journey is a `#[tokio::test]` that opens `Browser::start().await` and
//! drops it at the end (the session closes on drop, also on a panic). The
//! demo database is shared: each journey uses its own people and dates and
//! relies on no other journey's changes.

#[path = "../common/mod.rs"]
mod common;

mod axe;
mod harness;
mod reaper;
mod steps;

mod cross_site;
mod employee;
mod every_page;
mod german;
mod hr;
mod keyboard;
mod manager;
mod sso;
mod warroom;

#[path = "../../../lms-server/tests/api/oidc_provider.rs"]
#[allow(dead_code)]
mod oidc_provider;
