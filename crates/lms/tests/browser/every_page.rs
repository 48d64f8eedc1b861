//! Every page as each role sees it, in English: an employee (Ada Byrne,
//! `employee1`), a manager (Morgan Lee, `manager`) and HR (Harriet Ross,
//! `hr`), plus the sign-in page and a page that does not exist. Each page
//! must be the one asked for (its heading), show no missing message
//! (`⟦key⟧`), fit a phone's width without scrolling sideways (wide tables
//! scroll inside their own box), and pass axe-core with no serious or
//! critical violation at 360 and 1280 px; screenshots are left in
//! `target/browser-artifacts/<role>-<page>-<width>.png`.
//!
//! Swagger UI, linked from every page's footer, is checked to show the API.

use crate::harness::Browser;
use crate::steps::{request_leave, Week, UNPAID};

const WIDTHS: [u32; 2] = [360, 1280];

/// Whether the document is wider than the viewport (a sideways scroll).
const OVERFLOW: &str = "return document.documentElement.scrollWidth - window.innerWidth";

/// Checks the page the browser shows as `name`: heading, messages, fit and
/// accessibility at both widths, with screenshots.
async fn check_page(browser: &Browser, name: &str, heading: &str) {
    let h1 = browser.text("h1").await;
    assert!(h1.starts_with(heading), "{name} ({}) shows {h1:?}, not {heading:?}", browser.current_path().await);
    browser.assert_no_missing_messages(name).await;
    for width in WIDTHS {
        browser.screenshot(name, width).await;
        let overflow = browser.client().execute(OVERFLOW, vec![]).await.expect("measuring the page");
        assert!(
            overflow.as_i64().is_some_and(|px| px <= 0),
            "{name} is {overflow} px wider than a {width} px viewport: it scrolls sideways"
        );
        browser.assert_accessible(&format!("{name}-{width}")).await;
    }
}

/// Opens each `(page, path, heading)` and checks it as `<role>-<page>`.
async fn check_pages(browser: &Browser, role: &str, pages: &[(&str, String, &str)]) {
    for (page, path, heading) in pages {
        browser.goto(path).await;
        assert_eq!(&browser.current_path().await, path, "{role} may open {path}");
        check_page(browser, &format!("{role}-{page}"), heading).await;
    }
}

/// The pages every signed-in person has.
fn everyone_pages() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("home", "/".into(), "Home"),
        ("request-new", "/requests/new".into(), "Request leave"),
        ("requests", "/requests".into(), "My requests"),
        ("profile", "/profile".into(), "My profile"),
    ]
}

#[tokio::test]
async fn every_page_as_each_role_is_english_fits_and_passes_axe() {
    let browser = Browser::start().await;

    browser.goto("/sign-in").await;
    check_page(&browser, "sign-in", "Sign in").await;
    browser.goto("/no-such-page").await;
    check_page(&browser, "not-found", "Page not found").await;
    browser.wait_for_text("main", "Status 404").await;

    // The employee, with a request of her own to look at.
    browser.sign_in_as("employee1@demo.local").await;
    let ada_request = request_leave(&browser, UNPAID, Week::EveryPage.monday(), Week::EveryPage.friday()).await;
    let mut pages = everyone_pages();
    pages.push(("request", format!("/requests/{ada_request}"), "Unpaid leave: "));
    check_pages(&browser, "employee", &pages).await;
    browser.goto("/requests/new").await;
    browser.find("select#leave_type").await.select_by_value("annual").await.expect("choosing annual leave");
    browser.type_date("#start_date", Week::EveryPage.monday()).await;
    browser.type_date("#end_date", Week::EveryPage.friday()).await;
    browser.wait_for_text("#quote", "Overlaps your request").await;
    check_page(&browser, "employee-request-quote", "Request leave").await;
    browser.sign_out().await;

    // The manager: the team's pages and Ada's request.
    browser.sign_in_as("manager@demo.local").await;
    let mut pages = everyone_pages();
    pages.extend([
        ("approvals", "/approvals".into(), "Approvals"),
        ("calendar", "/calendar".into(), "Team calendar: "),
        ("team-request", format!("/requests/{ada_request}"), "Unpaid leave: "),
    ]);
    check_pages(&browser, "manager", &pages).await;
    browser.goto(&format!("/calendar?month={}", Week::EveryPage.monday().format("%Y-%m"))).await;
    check_page(&browser, "manager-calendar-busy", "Team calendar: ").await;
    browser.sign_out().await;

    // HR: everything.
    browser.sign_in_as("hr@demo.local").await;
    browser.goto("/hr/people?q=employee1").await;
    let ada = browser.find("main table tbody a").await.attr("href").await.expect("reading the link").expect("a link");
    let mut pages = everyone_pages();
    pages.extend([
        ("approvals", "/approvals".into(), "Approvals"),
        ("calendar", "/calendar".into(), "Team calendar: "),
        ("admin", "/admin".into(), "Dashboard"),
        ("people", "/hr/people".into(), "People"),
        ("person-new", "/hr/people/new".into(), "New person"),
        ("person", ada.clone(), "Ada Byrne"),
        ("allowances", format!("{ada}/allowances"), "Allowances: Ada Byrne"),
        ("settings", "/hr/settings".into(), "Leave settings"),
        ("policies", "/hr/policies".into(), "Entitlement policies"),
        ("reports", "/hr/reports".into(), "Reports: leave usage"),
        ("audit", "/hr/audit".into(), "Audit log"),
        ("webhooks", "/hr/webhooks".into(), "Webhooks"),
    ]);
    check_pages(&browser, "hr", &pages).await;
}

#[tokio::test]
async fn swagger_ui_linked_from_the_footer_shows_the_api_operations() {
    let browser = Browser::start().await;
    browser.goto("/sign-in").await;
    browser.wait_for_text("footer", &format!("LMS {}", env!("CARGO_PKG_VERSION"))).await;
    browser.click_and_wait("footer a[href='/api/docs/']").await;
    assert_eq!(browser.current_path().await, "/api/docs/");
    assert_eq!(browser.title().await, "LMS API — Swagger UI");
    browser.wait_for_text(".swagger-ui .info .title", "LMS API").await;
    browser.wait_for_text(".swagger-ui .opblock-tag-section", "/api/v1/auth/login").await;
    for width in WIDTHS {
        browser.screenshot("api-docs", width).await;
    }
}
