//! The web pages through HTTP, as a browser without JavaScript uses them:
//! forms posted with the session cookie and the form token, redirects read
//! one at a time. (Real Chromium runs the journeys in `crates/lms/tests/browser`.)

mod approvals;
mod hr;
mod integrations;
mod leave_year;
mod locations;
mod schedules;
mod security;
mod sign_in;
mod tokens;
mod units;
mod workflow;

use crate::support::{TestApp, PASSWORD};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;

/// A cookie-keeping client that does not follow redirects.
pub struct Page {
    pub client: reqwest::Client,
    pub base: String,
}

/// An answer: status, headers, body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    /// The value of the hidden form token on the page.
    pub fn form_token(&self) -> String {
        let at = self.body.find("name=\"_csrf\" value=\"").expect("a form token on the page") + 20;
        self.body[at..].split('"').next().unwrap_or("").to_string()
    }
}

impl Page {
    pub fn new(app: &TestApp, headers: &[(&'static str, &'static str)]) -> Page {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_static(v));
        }
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(h)
            .build()
            .expect("client");
        Page { client, base: format!("http://{}", app.addr) }
    }

    /// Signed in through the sign-in form as `email`.
    pub async fn signed_in(app: &TestApp, email: &str) -> Page {
        let page = Page::new(app, &[]);
        let a = page.post("/sign-in", &[("email", email), ("password", PASSWORD), ("next", "/")]).await;
        assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, "/"), "sign in as {email}: {}", a.body);
        page
    }

    async fn answer(res: reqwest::Response) -> Answer {
        let (status, headers) = (res.status(), res.headers().clone());
        Answer { status, headers, body: res.text().await.expect("body") }
    }

    pub async fn get(&self, path: &str) -> Answer {
        Self::answer(self.client.get(format!("{}{path}", self.base)).send().await.expect("GET")).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        Self::answer(self.client.post(format!("{}{path}", self.base)).form(form).send().await.expect("POST")).await
    }

    /// Posts `form` with the token of the form on page `from`.
    pub async fn post_form(&self, from: &str, path: &str, form: &[(&str, &str)]) -> Answer {
        let token = self.get(from).await.form_token();
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("_csrf", &token));
        self.post(path, &fields).await
    }
}

/// Fails when a page shows a key its catalogue lacks.
pub fn assert_translated(a: &Answer, what: &str) {
    if let Some(at) = a.body.find('⟦') {
        let end = (at + 80).min(a.body.len());
        let snippet: String = a.body[at..].chars().take(60).collect();
        let _ = end;
        panic!("{what} shows an untranslated key: {snippet}");
    }
}
