//! The leave workflow through the pages: the quote while filling in the
//! form, submitting, an overlap refused with nothing written, the manager's
//! queue with the team conflict, approve and reject with comments (the
//! employee's timeline shows who and why), bulk approval, cancelling, and
//! who may open which page.

use super::{assert_translated, Page};
use crate::support::{monday, TestApp};
use chrono::Duration;
use reqwest::StatusCode;

crate::both_backends!(request_decide_cancel, pages_by_role, a_long_queue_comes_in_pages);

/// 51 requests waiting: the queue shows 50 and links to the rest.
async fn a_long_queue_comes_in_pages(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.login("employee1@demo.local").await;
    for week in 1..=51 {
        ada.submit("unpaid", monday(week), monday(week)).await;
    }
    let morgan = Page::signed_in(&app, "manager@demo.local").await;
    let first = morgan.get("/approvals").await;
    let count = |body: &str| body.matches("name=\"ids\"").count();
    assert_eq!(count(&first.body), 50);
    let more =
        first.body.split("href=\"/approvals?before=").nth(1).and_then(|s| s.split('"').next()).expect("a link to more");
    let rest = morgan.get(&format!("/approvals?before={more}")).await;
    assert_eq!(count(&rest.body), 1, "{}", rest.body);
    assert!(!rest.body.contains("/approvals?before="), "the last page links no further");
}

async fn request_decide_cancel(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let ben = Page::signed_in(&app, "employee2@demo.local").await;
    let (mon, fri) = (monday(10), monday(10) + Duration::days(4));
    let (mon_s, fri_s) = (mon.to_string(), fri.to_string());

    // The quote as the fields change: five working days, 25 → 20.
    let q = ada.get(&format!("/requests/quote?leave_type=annual&start_date={mon_s}&end_date={fri_s}")).await;
    assert!(q.body.contains("Counts 5 days") && q.body.contains("25 → <strong>20</strong>"), "{}", q.body);
    let q = ada
        .get(&format!(
            "/requests/quote?leave_type=annual&start_date={mon_s}&end_date={}&half_day_end=on",
            mon + Duration::days(7)
        ))
        .await;
    assert!(q.body.contains("Counts 5.5 days") && q.body.contains("Weekend days, not counted: 2"), "{}", q.body);

    // Ben is off on Wednesday; Ada asks for the week.
    let wed = (mon + Duration::days(2)).to_string();
    let b = ben
        .post_form(
            "/requests/new",
            "/requests/new",
            &[("leave_type", "annual"), ("start_date", &wed), ("end_date", &wed)],
        )
        .await;
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.body);
    let fields =
        [("leave_type", "annual"), ("start_date", mon_s.as_str()), ("end_date", fri_s.as_str()), ("reason", "family")];
    let a = ada.post_form("/requests/new", "/requests/new", &fields).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let ada_request = a.location().to_string();
    assert!(ada_request.starts_with("/requests/") && ada_request.ends_with("?done=submitted"), "{ada_request}");
    let detail = ada.get(&ada_request).await;
    assert!(detail.body.contains("Your request was submitted") && detail.body.contains("Pending"), "{}", detail.body);

    // The same days again: refused with the reason, nothing written.
    let before = app.count("leave_requests").await;
    let again = ada.post_form("/requests/new", "/requests/new", &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("These dates overlap one of your requests."), "{}", again.body);
    assert!(again.body.contains(">family</textarea>"), "the form keeps what was typed");
    assert_eq!(app.count("leave_requests").await, before);

    // The manager sees both, with Ben off during Ada's week.
    let morgan = Page::signed_in(&app, "manager@demo.local").await;
    let queue = morgan.get("/approvals").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue.body.contains("Ada Byrne · Annual leave") && queue.body.contains("Ben Okafor: Annual leave"),
        "{}",
        queue.body
    );
    assert_translated(&queue, "approvals");
    // Each with what its owner has left after it: Ada 25 - 5, Ben 25 - 1.
    let after = |name: &str| {
        let at = queue.body.find(&format!("{name} · Annual leave")).expect("in the queue");
        let rest = &queue.body[at..];
        let dd = rest.find("Available after this request</dt><dd>").expect("the balance after") + 37;
        rest[dd..].split(' ').next().unwrap_or("").to_string()
    };
    assert_eq!((after("Ada Byrne"), after("Ben Okafor")), ("20".to_string(), "24".to_string()));
    let ada_id = ada_request.trim_start_matches("/requests/").split('?').next().unwrap_or("").to_string();
    let r = morgan
        .post_form("/approvals", &format!("/approvals/{ada_id}"), &[("intent", "reject"), ("comment", "release week")])
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/approvals?done=rejected"), "{}", r.body);
    let detail = ada.get(&format!("/requests/{ada_id}")).await;
    assert!(detail.body.contains("Rejected on") && detail.body.contains("by Morgan Lee"), "{}", detail.body);
    assert!(detail.body.contains("release week"), "{}", detail.body);
    assert!(!detail.body.contains("/cancel\""), "a rejected request cannot be cancelled");
    let twice = morgan.post_form("/approvals", &format!("/approvals/{ada_id}"), &[("intent", "approve")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "a decided request stays decided");

    // Bulk: Ben's request approved with another of Chloe's.
    let chloe = Page::signed_in(&app, "employee3@demo.local").await;
    let d = monday(12).to_string();
    let c = chloe
        .post_form("/requests/new", "/requests/new", &[("leave_type", "annual"), ("start_date", &d), ("end_date", &d)])
        .await;
    assert_eq!(c.status, StatusCode::SEE_OTHER);
    let token = morgan.get("/approvals").await.form_token();
    let ids: Vec<String> = app_pending_ids(&morgan).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    let mut form: Vec<(&str, &str)> = ids.iter().map(|i| ("ids", i.as_str())).collect();
    form.push(("_csrf", &token));
    let bulk = morgan.post("/approvals/bulk", &form).await;
    assert_eq!((bulk.status, bulk.location()), (StatusCode::SEE_OTHER, "/approvals?done=bulk&count=2"));
    assert!(morgan.get("/approvals").await.body.contains("Nothing waits for your decision."));

    // Chloe cancels her approved, future leave.
    let chloe_id = c.location().trim_start_matches("/requests/").split('?').next().unwrap_or("").to_string();
    let page = format!("/requests/{chloe_id}");
    let cancel = chloe.post_form(&page, &format!("{page}/cancel"), &[("comment", "plans changed")]).await;
    assert_eq!(cancel.location(), format!("{page}?done=cancelled"));
    let after = chloe.get(&page).await;
    assert!(after.body.contains("Cancelled on") && after.body.contains("by Chloe Martin"), "{}", after.body);
}

/// The ids of the requests in the queue (from its bulk checkboxes).
async fn app_pending_ids(page: &Page) -> Vec<String> {
    let body = page.get("/approvals").await.body;
    body.split("name=\"ids\" value=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

async fn pages_by_role(backend: lms_store::Backend) {
    let app = TestApp::spawn(backend).await;
    let everyone = ["/", "/requests/new", "/requests", "/profile"];
    let deciders = ["/approvals", "/calendar"];
    let hr = [
        "/admin",
        "/hr/people",
        "/hr/people/new",
        "/hr/people/3",
        "/hr/people/3/allowances",
        "/hr/settings",
        "/hr/policies",
        "/hr/reports",
        "/hr/audit",
    ];
    for (email, may_decide, is_hr) in
        [("employee1@demo.local", false, false), ("manager@demo.local", true, false), ("hr@demo.local", true, true)]
    {
        for lang in ["en", "de"] {
            let page = Page::new(&app, &[("accept-language", if lang == "de" { "de" } else { "en" })]);
            let a = page.post("/sign-in", &[("email", email), ("password", crate::support::PASSWORD)]).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER);
            for path in everyone {
                let a = page.get(path).await;
                assert_eq!(a.status, StatusCode::OK, "{email} {path}");
                assert_translated(&a, &format!("{path} as {email} ({lang})"));
            }
            for (paths, allowed) in [(&deciders[..], may_decide), (&hr[..], is_hr)] {
                for path in paths {
                    let a = page.get(path).await;
                    let want = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
                    assert_eq!(a.status, want, "{email} {path}");
                    assert_translated(&a, &format!("{path} as {email} ({lang})"));
                }
            }
        }
    }
    // A page write without the form's token changes nothing.
    let ada = Page::signed_in(&app, "employee1@demo.local").await;
    let d = monday(20).to_string();
    let a = ada.post("/requests/new", &[("leave_type", "annual"), ("start_date", &d), ("end_date", &d)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("leave_requests").await, 0);
}
