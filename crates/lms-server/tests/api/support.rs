//! `TestApp`: the server on port 0 against a fresh database seeded with the
//! demo organisation (plus next year's allowances), and `User`, an HTTP
//! client logged in as one demo account.

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use lms_core::{LeaveAmount, LedgerKind};
use lms_server::{AppState, ServerConfig};
use lms_store::{demo, ledger, testing, Backend, Db};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use tokio::sync::{oneshot, OnceCell};
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "lms-demo";

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(lms_store::Backend::Sqlite).await }
            )*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(lms_store::Backend::Postgres).await }
            )*
        }
    };
}

static DEMO_HASH: OnceCell<String> = OnceCell::const_new();

async fn demo_hash() -> String {
    DEMO_HASH
        .get_or_init(|| async { lms_server::auth::password::hash(PASSWORD.to_string()).await.expect("hash") })
        .await
        .clone()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub url: String,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
    /// Drops the database when the app that created it is dropped (last field: after the server stopped).
    _cleanup: Option<testing::Cleanup>,
}

impl TestApp {
    /// A server on a fresh database with the demo organisation.
    pub async fn spawn(backend: Backend) -> TestApp {
        let (db, url) = testing::fresh(backend).await.expect("fresh database");
        let hash = demo_hash().await;
        demo::seed(&db, |_| hash.clone(), Utc::now()).await.expect("seed").expect("empty database");
        let mut tx = db.begin().await.expect("tx");
        let next = next_year();
        for employee_id in 1..=9 {
            for (leave_type_id, days) in [(1, 25), (2, 10)] {
                let entry = ledger::NewEntry {
                    employee_id,
                    leave_type_id,
                    year: next,
                    kind: LedgerKind::Allocation,
                    amount: LeaveAmount::days(days),
                    reason: "test",
                    created_by: None,
                };
                ledger::add(&mut tx.conn(), &entry, Utc::now()).await.expect("allocation");
            }
        }
        tx.commit().await.expect("commit");
        let cleanup = testing::Cleanup::new(&url);
        let mut app = Self::start(db, url, ServerConfig::default()).await;
        app._cleanup = Some(cleanup);
        app
    }

    /// A server on an existing database.
    pub async fn start(db: Db, url: String, config: ServerConfig) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::start_on(listener, db, url, config).await
    }

    /// A server on an existing database, listening on `listener` (whose
    /// address the configuration may have needed, as single sign-on's
    /// redirect URI does).
    pub async fn start_on(listener: tokio::net::TcpListener, db: Db, url: String, config: ServerConfig) -> TestApp {
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let state = AppState::new(db.clone(), config);
        let handle = tokio::spawn(lms_server::run(listener, state, async {
            let _ = rx.await;
        }));
        TestApp { addr, db, url, shutdown: Some(tx), handle: Some(handle), _cleanup: None }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// An anonymous client.
    pub fn anonymous(&self) -> User {
        User { client: client(), base: format!("http://{}", self.addr) }
    }

    /// A client logged in (session cookie) as `email`.
    pub async fn login(&self, email: &str) -> User {
        self.login_with(email, PASSWORD).await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> User {
        let user = User { client: client(), base: format!("http://{}", self.addr) };
        let (status, body) =
            user.post("/api/v1/auth/login", serde_json::json!({"email": email, "password": password})).await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        user
    }

    /// Sends the shutdown signal without waiting.
    pub fn signal_shutdown(&mut self) -> JoinHandle<std::io::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.take().expect("running")
    }

    /// Rows in a table, read directly (to prove nothing was written).
    pub async fn count(&self, table: &str) -> i64 {
        testing::count_rows(&self.db, table).await.expect("count")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("client")
}

/// An HTTP client acting as one person.
#[derive(Clone)]
pub struct User {
    pub client: reqwest::Client,
    pub base: String,
}

async fn parts(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

impl User {
    /// A client that sends `Authorization: Bearer <token>` on every request.
    pub fn with_bearer(&self, token: &str) -> User {
        let mut headers = reqwest::header::HeaderMap::new();
        let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("header value");
        headers.insert(reqwest::header::AUTHORIZATION, value);
        let client = reqwest::Client::builder().default_headers(headers).build().expect("client");
        User { client, base: self.base.clone() }
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        parts(self.client.get(format!("{}{path}", self.base)).send().await.expect("GET")).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        parts(self.client.post(format!("{}{path}", self.base)).json(&body).send().await.expect("POST")).await
    }
    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        parts(self.client.post(format!("{}{path}", self.base)).send().await.expect("POST")).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        parts(self.client.patch(format!("{}{path}", self.base)).json(&body).send().await.expect("PATCH")).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        parts(self.client.put(format!("{}{path}", self.base)).json(&body).send().await.expect("PUT")).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        parts(self.client.delete(format!("{}{path}", self.base)).send().await.expect("DELETE")).await
    }
    /// Submits a request and asserts it was created; returns its id.
    pub async fn submit(&self, leave_type: &str, start: NaiveDate, end: NaiveDate) -> i64 {
        let (s, b) = self.post("/api/v1/leave-requests", request(leave_type, start, end)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["id"].as_i64().expect("id")
    }
    /// The balance line of one leave type for a year.
    pub async fn balance(&self, year: i32, leave_type: &str) -> Value {
        let (s, b) = self.get(&format!("/api/v1/me/balances?year={year}")).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["balances"]
            .as_array()
            .expect("balances")
            .iter()
            .find(|l| l["leave_type"] == leave_type)
            .cloned()
            .expect("type")
    }
}

pub fn request(leave_type: &str, start: NaiveDate, end: NaiveDate) -> Value {
    serde_json::json!({"leave_type": leave_type, "start_date": start, "end_date": end, "reason": "test"})
}

pub fn next_year() -> i32 {
    Utc::now().year() + 1
}

/// The Monday of ISO week `week` of next year (always in the future, never a demo holiday).
pub fn monday(week: u32) -> NaiveDate {
    NaiveDate::from_isoywd_opt(next_year(), week, Weekday::Mon).expect("week")
}

/// A recent past working day of this year (for "already started" cases).
pub fn past_weekday() -> NaiveDate {
    let today = Utc::now().date_naive();
    let mut d = today - Duration::days(1);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        || (d.month() == 1 && d.day() == 1)
        || (d.month() == 12 && d.day() == 25)
    {
        d -= Duration::days(1);
    }
    d
}

/// Demo ids (fixed by the seed order).
pub const HR: i64 = 1;
pub const MANAGER: i64 = 2;
pub const EMPLOYEE1: i64 = 3;
