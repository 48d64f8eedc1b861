//! Cross-site request forgery, the way a browser would carry it out: Ada
//! Byrne (`employee1`) is signed in to LMS and opens a page of another
//! origin — a tiny HTTP server this test starts on another loopback port —
//! whose form posts a valid-looking leave request to LMS's
//! `/requests/new`. Another port of 127.0.0.1 is the *same site*, so the
//! browser sends the `SameSite=Lax` session cookie along: only the
//! server's `Origin` / `Sec-Fetch-Site` check stands between the forged
//! form and a new request. LMS must answer 403 with its cross-site message
//! (not the form-token one, which would mean that check let it through),
//! and no request may exist afterwards.

use crate::harness::Browser;
use crate::steps::{Week, UNPAID};
use chrono::NaiveDate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const EMAIL: &str = "employee1@demo.local";

/// The other origin's page: a harmless-looking button that posts a leave
/// request to LMS, with a form token of the right shape.
fn forged_page(lms: &str, first: NaiveDate, last: NaiveDate) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>You have won</title></head>
<body><h1>Claim your prize</h1>
<form id="forged" method="post" action="{lms}/requests/new">
<input type="hidden" name="_csrf" value="0123456789abcdef0123456789abcdef">
<input type="hidden" name="leave_type" value="{UNPAID}">
<input type="hidden" name="start_date" value="{first}">
<input type="hidden" name="end_date" value="{last}">
<input type="hidden" name="reason" value="forged from another origin">
<button type="submit">Claim</button>
</form></body></html>"#
    )
}

/// A one-page HTTP server on a free loopback port: every request gets
/// `page`. Stops when dropped.
struct OtherOrigin {
    url: String,
    task: JoinHandle<()>,
}

impl OtherOrigin {
    async fn serve(page: String) -> OtherOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the other origin's port");
        let url = format!("http://{}", listener.local_addr().expect("the other origin's address"));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let page = page.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{page}",
                        page.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        OtherOrigin { url, task }
    }
}

impl Drop for OtherOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_form_on_another_origin_cannot_request_leave_with_the_session_cookie() {
    let browser = Browser::start().await;
    let (first, last) = (Week::CrossSite.monday(), Week::CrossSite.friday());
    let other = OtherOrigin::serve(forged_page(browser.base_url(), first, last)).await;
    assert_ne!(other.url, browser.base_url());

    browser.sign_in_as(EMAIL).await;

    browser.goto_url(&format!("{}/", other.url)).await;
    assert_eq!(browser.text("h1").await, "Claim your prize");
    browser.click_and_wait("#forged button").await;
    let landed = browser.client().current_url().await.expect("reading the URL");
    assert_eq!(landed.as_str(), format!("{}/requests/new", browser.base_url()), "the form posted to LMS");
    assert_eq!(browser.text("h1").await, "Not allowed");
    let main = browser.text("main").await;
    assert!(main.contains("Changes must come from LMS's own pages."), "the cross-site check refused it:\n{main}");
    assert!(main.contains("Status 403"), "{main}");
    assert!(!main.contains("This form has expired"), "the form token must not be what refused it:\n{main}");

    // Still signed in, and nothing was created.
    browser.goto("/requests").await;
    let after = browser.fetch_json("/api/v1/leave-requests").await;
    let forged =
        after["items"].as_array().expect("a page of requests").iter().any(|r| r["start_date"] == first.to_string());
    assert!(!forged, "a request on the forged dates exists: {after}");
}
