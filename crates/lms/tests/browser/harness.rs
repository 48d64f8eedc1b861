//! The browser harness: one chromedriver and one `lms serve --demo` server
//! shared by every test of this binary (started once, on first use, rather
//! than per test: the demo seed hashes a password per account), and one
//! fresh browser session — its own Chromium with its own profile directory,
//! so no cookie leaks between tests — per [`Browser`]. Tests that sign in
//! share the demo database, so a journey that writes should not assume
//! another test's data is absent.
//!
//! Sessions are serialized by a semaphore ([`MAX_SESSIONS`]), so `cargo
//! test` needs no `--test-threads`: a second test waits for the first
//! browser to close. Dropping a [`Browser`] ends its session synchronously,
//! also when the test panicked; the shared processes go when the binary
//! exits (see `reaper`).
//!
//! Every wait polls with a deadline ([`WAIT`]); nothing sleeps to let
//! something happen.

// The helpers are the journeys' vocabulary; not every test uses each one
// (sign-in waits for the web application's page).
#![allow(dead_code)]

use crate::axe;
use crate::common;
use crate::reaper::Reaper;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a wait for the page (an element, a text, a navigation) lasts
/// before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// Browser sessions open at once. One keeps a two-core machine responsive
/// (the other core builds); tests beyond it queue.
pub const MAX_SESSIONS: usize = 1;

/// The height of the viewport screenshots are taken at.
pub const VIEWPORT_HEIGHT: u32 = 900;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "lms-demo";

/// Marks the document a step leaves, so [`Browser::wait_for_new_page`] can
/// tell the next one from it.
const MARK_PAGE: &str = "document.documentElement.setAttribute('data-harness-left', '')";

/// True once the browser shows another, fully loaded document.
const NEW_PAGE_LOADED: &str =
    "return document.readyState === 'complete' && !document.documentElement.hasAttribute('data-harness-left')";

/// Fetches `arguments[0]` from the page (with its cookies) and hands back
/// status, content type and body, or the error.
const FETCH: &str = r#"
const done = arguments[arguments.length - 1];
fetch(arguments[0], { credentials: 'same-origin' })
  .then(async (r) => done({ status: r.status, type: r.headers.get('content-type') || '', body: await r.text() }))
  .catch((e) => done({ error: String(e) }));
"#;

/// The active element described for a failure message: tag, id, name, text.
const DESCRIBE_ACTIVE: &str = "const e = document.activeElement; \
    return e ? [e.tagName.toLowerCase(), e.id && '#' + e.id, e.name && '[name=' + e.name + ']', \
    (e.getAttribute('href') || ''), (e.textContent || '').trim().slice(0, 40)].filter(Boolean).join(' ') : '(none)'";

/// An answer to [`Browser::fetch`].
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// Chromium's switches: headless, no sandbox (tests run as root), nothing
/// that phones home or updates itself, no GPU, /tmp instead of a small
/// /dev/shm.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    // The journeys type dates in the order of the en-US date input
    // (month, day, year) and expect the server's English pages when no
    // language is chosen: the browser's locale is pinned, whatever the
    // machine's LANG says.
    "--lang=en-US",
];

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
static SESSIONS: Semaphore = Semaphore::const_new(MAX_SESSIONS);
static PROFILES: AtomicUsize = AtomicUsize::new(0);

/// The repository's root: the scripts and the paths below are relative to it.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `target/browser-artifacts/` (created): screenshots and axe reports.
pub fn artifacts_dir() -> PathBuf {
    let dir = repo_root().join("target/browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// A long-lived process of the shared fixture and where its output goes.
struct Service {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

/// What every test of the binary shares: the scratch directory (database,
/// logs, browser profiles), the `lms` server and chromedriver.
struct Shared {
    dir: PathBuf,
    base_url: String,
    webdriver_port: u16,
    services: Mutex<Vec<Service>>,
    _reaper: Reaper,
}

impl Shared {
    /// The shared processes, started by the first caller. A failed start is
    /// kept too: every later test fails at once with its message instead of
    /// waiting out the same deadline again.
    fn get() -> &'static Shared {
        let started = SHARED.get_or_init(|| {
            std::panic::catch_unwind(Shared::start).map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            })
        });
        match started {
            Ok(shared) => shared,
            Err(e) => panic!("the shared chromedriver and lms server did not start: {e}"),
        }
    }

    fn start() -> Shared {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(Path::new(tool).exists(), "{tool} is missing: run scripts/ensure-chromium");
        }
        axe::source(); // fails early, with the same advice, when axe-core is missing
        let dir = common::scratch("browser");
        let reaper = Reaper::start(&dir);
        std::fs::create_dir_all(dir.join("profiles")).expect("creating the browser profiles directory");

        let (lms_port, webdriver_port) = (common::free_port(), common::free_port());
        let lms_log = dir.join("lms.log");
        let lms = reaper.spawn(
            "lms serve --demo",
            common::lms()
                .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{lms_port}")])
                .args(["--database-url", &format!("sqlite://{}/lms.db", dir.display())])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file(&lms_log)),
        );
        let driver_log = dir.join("chromedriver.log");
        let driver = reaper.spawn(
            "chromedriver",
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={webdriver_port}"))
                .arg(format!("--log-path={}", driver_log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file(&driver_log)),
        );
        let shared = Shared {
            base_url: format!("http://127.0.0.1:{lms_port}"),
            webdriver_port,
            services: Mutex::new(vec![
                Service { name: "lms serve --demo", child: lms, log: lms_log },
                Service { name: "chromedriver", child: driver, log: driver_log },
            ]),
            dir,
            _reaper: reaper,
        };
        common::wait_for("lms serve --demo to answer /api/health", || {
            shared.assert_running();
            common::http_get(lms_port, "/api/health").is_some_and(|b| b.contains("healthy"))
        });
        common::wait_for("chromedriver to answer /status as ready", || {
            shared.assert_running();
            webdriver_request(webdriver_port, "GET", "/status").is_ok_and(|(_, b)| b.contains("\"ready\":true"))
        });
        shared
    }

    /// Fails the test, with the process's log, when a shared process is gone.
    fn assert_running(&self) {
        let mut services = self.services.lock().expect("the shared services lock");
        for s in services.iter_mut() {
            if let Ok(Some(status)) = s.child.try_wait() {
                let log = std::fs::read_to_string(&s.log).unwrap_or_default();
                panic!("{} exited ({status}); its log {}:\n{log}", s.name, s.log.display());
            }
        }
    }
}

fn log_file(path: &Path) -> std::fs::File {
    std::fs::File::create(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()))
}

/// One browser session (a fresh Chromium with its own profile) on the
/// shared server. Dropping it closes the browser and removes the profile.
pub struct Browser {
    client: Client,
    base_url: String,
    webdriver_port: u16,
    session_id: String,
    profile: PathBuf,
    _turn: SemaphorePermit<'static>,
}

impl Browser {
    /// Waits for a free session slot, starts the shared processes if this
    /// is the first test, and opens a new browser.
    pub async fn start() -> Browser {
        let turn = SESSIONS.acquire().await.expect("the browser sessions semaphore is never closed");
        let shared = tokio::task::spawn_blocking(Shared::get).await.expect("starting chromedriver and lms");
        shared.assert_running();
        let profile = shared.dir.join("profiles").join(PROFILES.fetch_add(1, Ordering::SeqCst).to_string());
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
            "timeouts": { "script": WAIT.as_millis() as u64, "pageLoad": WAIT.as_millis() as u64, "implicit": 0 },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!("a JSON object literal") };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", shared.webdriver_port))
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(shared.dir.join("chromedriver.log")).unwrap_or_default();
                panic!("opening a Chromium session through chromedriver: {e}\nchromedriver log:\n{log}")
            });
        let session_id = client
            .session_id()
            .await
            .expect("asking fantoccini for the session id")
            .expect("a new WebDriver session has an id");
        Browser {
            client,
            base_url: shared.base_url.clone(),
            webdriver_port: shared.webdriver_port,
            session_id,
            profile,
            _turn: turn,
        }
    }

    /// A browser session, as [`Browser::start`], on another server of the
    /// test's own (at `base_url`) rather than the shared one.
    pub async fn start_at(base_url: &str) -> Browser {
        let mut b = Browser::start().await;
        b.base_url = base_url.to_string();
        b
    }

    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The server's address, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// An absolute URL on the server for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Opens `path` on the server and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        self.goto_url(&self.url(path)).await;
    }

    /// Opens an absolute URL (another site's, too) and waits for it to load.
    pub async fn goto_url(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The path (and query) of the page the browser shows.
    pub async fn current_path(&self) -> String {
        let url = self.client.current_url().await.expect("reading the browser's URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The page's `<title>`.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("reading the page title")
    }

    /// The first element matching the CSS selector, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no element `{css}` on {} within {WAIT:?}: {e}", self.where_am_i().await),
        }
    }

    /// The visible text of the first element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_else(|e| panic!("reading the text of `{css}`: {e}"))
    }

    /// Waits until the first element matching `css` shows a text containing
    /// `needle`; that text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let start = Instant::now();
        let mut last = String::from("(no such element)");
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                    last = text;
                }
            }
            assert!(
                start.elapsed() < WAIT,
                "`{css}` on {} did not show {needle:?} within {WAIT:?}; it shows {last:?}",
                self.where_am_i().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in through the page at `/sign-in`: types into `#email` and
    /// `#password`, clicks the submit button of `form#sign-in`, and waits
    /// until that form has been replaced (the next page loaded, or an htmx
    /// swap put a new form in its place). Says nothing about success: the
    /// caller asserts where it landed ([`Browser::current_path`], a text).
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/sign-in").await;
        let form = self.find("form#sign-in").await;
        for (css, value) in [("#email", email), ("#password", password)] {
            let input = self.find(css).await;
            input.clear().await.unwrap_or_else(|e| panic!("clearing {css} on the sign-in page: {e}"));
            input.send_keys(value).await.unwrap_or_else(|e| panic!("typing into {css} on the sign-in page: {e}"));
        }
        let form_ref = serde_json::to_value(&form).expect("a WebDriver element reference serializes");
        self.client
            .execute("arguments[0].setAttribute('data-harness-submitted', '')", vec![form_ref])
            .await
            .expect("marking the sign-in form as submitted");
        form.find(Locator::Css("button[type=submit], input[type=submit], button:not([type])"))
            .await
            .expect("form#sign-in has a submit button")
            .click()
            .await
            .expect("clicking the sign-in button");
        self.wait_until("the sign-in form to be replaced after submitting it", || async {
            self.client
                .execute(
                    "return document.readyState === 'complete' \
                     && !document.querySelector('form#sign-in[data-harness-submitted]')",
                    vec![],
                )
                .await
                .is_ok_and(|done| done == Value::Bool(true))
        })
        .await;
    }

    /// Signs in as a demo account (password [`DEMO_PASSWORD`]) and checks
    /// the server took it: the home page, with the person's name in the header.
    pub async fn sign_in_as(&self, email: &str) {
        self.sign_in(email, DEMO_PASSWORD).await;
        let path = self.current_path().await;
        assert_eq!(path, "/", "signing in as {email} should land on the home page");
        self.find("header .who a[href='/profile']").await;
    }

    /// Signs out with the header's button; the sign-in page follows.
    pub async fn sign_out(&self) {
        self.click_and_wait("header form[action='/sign-out'] button[type=submit]").await;
        let path = self.current_path().await;
        assert!(path.starts_with("/sign-in"), "signing out should lead to the sign-in page, not {path}");
    }

    /// Clicks the first element matching `css` and waits for the document
    /// it leads to (a form's answer, a link's page).
    pub async fn click_and_wait(&self, css: &str) {
        let element = self.find(css).await;
        self.mark_page().await;
        element.click().await.unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
        self.wait_for_new_page(&format!("clicking `{css}`")).await;
    }

    /// Marks the current document as left: see [`Browser::wait_for_new_page`].
    pub async fn mark_page(&self) {
        self.client.execute(MARK_PAGE, vec![]).await.expect("marking the page before leaving it");
    }

    /// Waits until the document marked by [`Browser::mark_page`] has been
    /// replaced by a new one that finished loading; `after` names the step
    /// for the failure message.
    pub async fn wait_for_new_page(&self, after: &str) {
        self.wait_until(&format!("a new page after {after}"), || async {
            self.client.execute(NEW_PAGE_LOADED, vec![]).await.is_ok_and(|v| v == Value::Bool(true))
        })
        .await;
    }

    /// Clears the field matching `css` and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("clearing `{css}`: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("typing into `{css}`: {e}"));
    }

    /// Types `date` into the `<input type=date>` matching `css` the way a
    /// person does in Chromium's en-US date field: focus lands on the month,
    /// and two digits of month, two of day and four of year each move on
    /// to the next part (`MMDDYYYY`).
    pub async fn type_date(&self, css: &str, date: chrono::NaiveDate) {
        let field = self.find(css).await;
        let field_ref = serde_json::to_value(&field).expect("a WebDriver element reference serializes");
        self.client
            .execute("arguments[0].blur(); arguments[0].focus();", vec![field_ref])
            .await
            .unwrap_or_else(|e| panic!("focusing `{css}`: {e}"));
        self.press(&date.format("%m%d%Y").to_string()).await;
    }

    /// Sends keys to whatever has the focus, as a keyboard does.
    pub async fn press(&self, keys: &str) {
        let active = self.client.active_element().await.expect("asking for the focused element");
        active.send_keys(keys).await.unwrap_or_else(|e| panic!("pressing {keys:?}: {e}"));
    }

    /// The focused element, described (tag, id, name, href, text).
    pub async fn describe_focus(&self) -> String {
        let described = self.client.execute(DESCRIBE_ACTIVE, vec![]).await.expect("describing the focused element");
        described.as_str().unwrap_or_default().to_owned()
    }

    /// Whether the focused element matches the CSS selector `css`.
    pub async fn focus_is(&self, css: &str) -> bool {
        let script = "return !!document.activeElement && document.activeElement.matches(arguments[0])";
        self.client.execute(script, vec![json!(css)]).await.expect("matching the focused element") == Value::Bool(true)
    }

    /// Fetches `path` (or an absolute URL of this site) from the current
    /// page with its cookies, as the page's own script would.
    pub async fn fetch(&self, path: &str) -> Fetched {
        let answer = self.client.execute_async(FETCH, vec![json!(path)]).await.expect("running fetch() in the page");
        if let Some(error) = answer.get("error") {
            panic!("fetch({path}) from {} failed: {error}", self.where_am_i().await);
        }
        Fetched {
            status: answer["status"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("a status code"),
            content_type: answer["type"].as_str().unwrap_or_default().to_owned(),
            body: answer["body"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// Fetches `path` of the JSON API and parses it; fails unless it is a 200.
    pub async fn fetch_json(&self, path: &str) -> Value {
        let answer = self.fetch(path).await;
        assert_eq!(answer.status, 200, "GET {path} answered {}: {}", answer.status, answer.body);
        serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("GET {path} is not JSON ({e}): {}", answer.body))
    }

    /// Fails when the page (its text or any attribute) shows a message key
    /// its catalogue lacks, which renders as `⟦key⟧`.
    pub async fn assert_no_missing_messages(&self, page_name: &str) {
        let source = self.client.source().await.expect("reading the page source");
        if let Some(at) = source.find('⟦') {
            let end = source[at..].find('⟧').map_or(source.len(), |e| at + e + '⟧'.len_utf8());
            panic!("{page_name} ({}) shows a missing message: {}", self.where_am_i().await, &source[at..end]);
        }
    }

    /// How many elements match `css` now (no waiting).
    pub async fn count(&self, css: &str) -> usize {
        match self.client.find_all(Locator::Css(css)).await {
            Ok(found) => found.len(),
            Err(e) => panic!("finding `{css}` on {}: {e}", self.where_am_i().await),
        }
    }

    /// Whether an element matching `css` is on the page now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Sets the viewport to `width` × [`VIEWPORT_HEIGHT`] CSS pixels and saves
    /// a PNG of it as `target/browser-artifacts/<name>-<width>.png`; its path.
    pub async fn screenshot(&self, name: &str, width: u32) -> PathBuf {
        self.set_viewport(width, VIEWPORT_HEIGHT).await;
        let png = self.client.screenshot().await.unwrap_or_else(|e| panic!("screenshot {name}-{width}: {e}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24, "screenshot {name}-{width} is not a PNG");
        let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        assert_eq!(
            (size(16), size(20)),
            (width, VIEWPORT_HEIGHT),
            "screenshot {name}-{width} has another size than the viewport asked for"
        );
        let path = artifacts_dir().join(format!("{name}-{width}.png"));
        std::fs::write(&path, &png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Runs axe-core on the current page; its violations (also written to
    /// `target/browser-artifacts/<page_name>-axe.json`).
    pub async fn axe(&self, page_name: &str) -> Vec<axe::Violation> {
        axe::run(&self.client, page_name).await
    }

    /// Runs axe-core on the current page and fails on any violation of
    /// impact `serious` or `critical`, listing each with its nodes.
    pub async fn assert_accessible(&self, page_name: &str) {
        let violations = self.axe(page_name).await;
        axe::assert_no_serious_violations(page_name, &violations);
    }

    /// Polls `ok` until it holds, failing after [`WAIT`] with `what`.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut ok: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = Instant::now();
        while !ok().await {
            assert!(
                start.elapsed() < WAIT,
                "timed out after {WAIT:?} waiting for {what} on {}",
                self.where_am_i().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The viewport (the page's `innerWidth` × `innerHeight`) set to the
    /// size asked for: headless Chromium's window is taller than its
    /// viewport by the browser's own (invisible) bars, so the window grows
    /// by what they take.
    async fn set_viewport(&self, width: u32, height: u32) {
        let inner = || async {
            let v = self
                .client
                .execute("return [window.innerWidth, window.innerHeight]", vec![])
                .await
                .expect("reading the viewport size");
            let n = |i: usize| v[i].as_u64().and_then(|n| u32::try_from(n).ok()).expect("a viewport size in pixels");
            (n(0), n(1))
        };
        let mut window = (width, height);
        for _ in 0..3 {
            self.client
                .set_window_size(window.0, window.1)
                .await
                .unwrap_or_else(|e| panic!("resizing the window to {}x{}: {e}", window.0, window.1));
            let (w, h) = inner().await;
            if (w, h) == (width, height) {
                return;
            }
            // Grow or shrink the window by what the viewport is off by.
            let fix = |win: u32, want: u32, got: u32| (i64::from(win) + i64::from(want) - i64::from(got)).max(100);
            window = (
                u32::try_from(fix(window.0, width, w)).unwrap_or(width),
                u32::try_from(fix(window.1, height, h)).unwrap_or(height),
            );
        }
        panic!("could not set the viewport to {width}x{height}: it is {:?}", inner().await);
    }

    /// The page for a failure message: its URL.
    async fn where_am_i(&self) -> String {
        self.client.current_url().await.map(|u| u.to_string()).unwrap_or_else(|_| "(no page)".into())
    }
}

impl Drop for Browser {
    /// Ends the session with a plain blocking DELETE: chromedriver closes the
    /// browser and waits for it. fantoccini's own goodbye is asynchronous and
    /// may never run once a panicking test's runtime is gone.
    fn drop(&mut self) {
        if let Err(e) = delete_session(self.webdriver_port, &self.session_id) {
            eprintln!("browser harness: closing session {}: {e}", self.session_id);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn delete_session(port: u16, session_id: &str) -> std::io::Result<()> {
    match webdriver_request(port, "DELETE", &format!("/session/{session_id}"))? {
        (200, _) => Ok(()),
        (status, body) => Err(std::io::Error::other(format!("chromedriver answered {status}: {body}"))),
    }
}

/// One bodiless request to chromedriver; its status and body. Blocking and
/// std-only, for the places no runtime may be left (a drop, the shared
/// start-up). chromedriver keeps the connection open despite `Connection:
/// close`, so the body is read by its Content-Length.
fn webdriver_request(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(WAIT))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut reader = std::io::BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
