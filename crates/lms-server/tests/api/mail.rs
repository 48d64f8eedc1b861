//! Mail, against a real SMTP server: aiosmtpd (`scripts/smtp-sink.py`,
//! installed on first use by `scripts/ensure-aiosmtpd`), which keeps each
//! message it accepts as a file parsed by Python's `email` package. The
//! server instances here run the mail worker of `lms serve` (started by
//! `lms_server::run` when the configuration has mail). Every wait polls
//! with a deadline.

use crate::pages::Page;
use crate::support::*;
use lms_server::mail::MailConfig;
use lms_server::ServerConfig;
use lms_store::notifications::{self, NewNotification};
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;
use tokio::sync::OnceCell;

crate::both_backends!(
    a_mail_is_received_with_both_parts_in_the_recipients_language,
    two_instances_deliver_each_mail_once,
    a_mail_is_retried_after_the_server_was_down,
    failed_mails_show_to_hr_who_may_retry_them,
    without_smtp_mail_is_off,
    the_release_before_sends_none_and_its_notifications_are_mailed,
);

/// The python that has aiosmtpd.
async fn python() -> &'static str {
    static PYTHON: OnceCell<String> = OnceCell::const_new();
    PYTHON
        .get_or_init(|| async {
            let script = repo().join("scripts/ensure-aiosmtpd");
            let out = tokio::process::Command::new(&script).output().await.expect("run scripts/ensure-aiosmtpd");
            assert!(out.status.success(), "ensure-aiosmtpd: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).expect("path").lines().last().expect("a python").trim().to_string()
        })
        .await
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The SMTP server: aiosmtpd on 127.0.0.1, one JSON file per message.
struct Sink {
    _child: tokio::process::Child,
    dir: PathBuf,
}

impl Sink {
    async fn start(port: u16) -> Sink {
        let dir = std::env::temp_dir().join(format!("lms-mail-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut child = tokio::process::Command::new(python().await)
            .arg(repo().join("scripts/smtp-sink.py"))
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP server");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        assert!(
            matches!(&first, Ok(Ok(Some(l))) if l.starts_with("listening")),
            "the SMTP server did not start: {first:?}"
        );
        Sink { _child: child, dir }
    }

    /// The messages received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("a message's JSON"))
            .collect()
    }

    /// Waits until at least `n` messages arrived (at most `within`).
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        eventually(&format!("{n} mails received"), within, || async {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `f` until it answers, failing after `within`.
async fn eventually<T, F, Fut>(what: &str, within: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Mail through `port`, retried quickly (tests wait seconds, not minutes).
fn config(port: u16, max_attempts: u32) -> MailConfig {
    let mut c = MailConfig::new(format!("smtp://127.0.0.1:{port}"), "LMS <lms@lms.test>", "http://lms.test/");
    c.retry = lms_core::mail::RetryPolicy::new(Duration::from_millis(300), Duration::from_secs(1), max_attempts)
        .expect("policy");
    c.poll = Duration::from_millis(50);
    c.batch = 10;
    c.timeout = Duration::from_secs(5);
    c
}

/// Another instance on `app`'s database, sending mail through `port`; it
/// has answered once (so its worker runs).
async fn with_mail(app: &TestApp, cfg: MailConfig) -> TestApp {
    let mailer =
        TestApp::start(app.db.clone(), app.url.clone(), ServerConfig { mail: Some(cfg), ..Default::default() }).await;
    assert_eq!(mailer.anonymous().get("/api/health").await.0, StatusCode::OK);
    mailer
}

/// The outbox as HR reads it.
async fn outbox(hr: &User) -> Vec<Value> {
    let (s, page) = hr.get("/api/v1/admin/mail?limit=200").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

fn part<'a>(mail: &'a Value, content_type: &str) -> &'a str {
    mail["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part: {mail}"))
}

/// A manager who reads German gets the submission in German, the employee
/// the decision in English: From, To, Subject, a Message-ID per outbox row,
/// Content-Language, a text and an HTML part (values escaped), and links to
/// pages only (nothing in a mail approves or rejects by being opened).
async fn a_mail_is_received_with_both_parts_in_the_recipients_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let sink = Sink::start(port).await;
    let mailer = with_mail(&app, config(port, 8)).await;
    let manager_page = Page::signed_in(&mailer, "manager@demo.local").await;
    let saved = manager_page.post_form("/profile", "/profile/language", &[("language", "de")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let ada = mailer.login("employee1@demo.local").await;
    let id = ada.submit("annual", monday(3), monday(3) + chrono::Duration::days(1)).await;
    let got = sink.wait_for(1, Duration::from_secs(30)).await;
    let m = &got[0];
    assert_eq!(m["rcpt_tos"], json!(["manager@demo.local"]), "{m}");
    assert_eq!(m["to"], "Morgan Lee <manager@demo.local>");
    assert_eq!(m["from"], "LMS <lms@lms.test>");
    assert_eq!(m["mail_from"], "lms@lms.test");
    assert_eq!(m["content_language"], "de");
    assert_eq!(m["content_type"], "multipart/alternative");
    let subject = m["subject"].as_str().expect("subject");
    assert!(subject.starts_with("Ada Byrne beantragt "), "{subject}");
    let (text, html) = (part(m, "text/plain"), part(m, "text/html"));
    assert!(text.contains("Hallo Morgan Lee,") && text.contains("(2 Tage)"), "{text}");
    assert!(text.contains("Genehmigungen öffnen: http://lms.test/approvals"), "{text}");
    assert!(html.contains("<html lang=\"de\">") && html.contains("href=\"http://lms.test/approvals\""), "{html}");
    let links: Vec<&str> = html.split("href=\"").skip(1).filter_map(|l| l.split('"').next()).collect();
    assert_eq!(links, vec!["http://lms.test/approvals"], "a mail links to pages only");

    // HR sees the mail sent, with the Message-ID the server received.
    let hr = mailer.login("hr@demo.local").await;
    let sent = outbox(&hr).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0]["status"].as_str(), sent[0]["attempts"].as_i64()), (Some("sent"), Some(1)));
    assert_eq!(sent[0]["message_id"], m["message_id"]);
    assert_eq!(m["message_id"], format!("<lms-mail-{}@lms.test>", sent[0]["id"]));
    assert_eq!(sent[0]["subject"].as_str(), Some(subject));

    // The decision reaches Ada in English (she chose no language), with the
    // link to her request's page.
    let manager = mailer.login("manager@demo.local").await;
    let (s, b) = manager.post(&format!("/api/v1/leave-requests/{id}/approve"), json!({"comment": "Enjoy <it>"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let got = sink.wait_for(2, Duration::from_secs(30)).await;
    let m = &got[1];
    assert_eq!(
        (m["to"].as_str(), m["content_language"].as_str()),
        (Some("Ada Byrne <employee1@demo.local>"), Some("en"))
    );
    assert!(m["subject"].as_str().expect("subject").starts_with("Your Annual leave is approved"), "{m}");
    let (text, html) = (part(m, "text/plain"), part(m, "text/html"));
    assert!(text.contains(&format!("View the request: http://lms.test/requests/{id}")), "{text}");
    assert!(text.contains("Comment: Enjoy <it>"), "{text}");
    assert!(html.contains("Enjoy &#60;it&#62;") || html.contains("Enjoy &lt;it&gt;"), "escaped: {html}");
    assert_ne!(got[0]["message_id"], m["message_id"]);
}

/// Two instances with mail on (blue and green) on one database, 200
/// notifications: exactly 200 mails arrive, each Message-ID once, and both
/// instances took part.
async fn two_instances_deliver_each_mail_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let sink = Sink::start(port).await;
    let blue = with_mail(&app, config(port, 8)).await;
    let green = with_mail(&app, config(port, 8)).await;
    let ada = app.login("employee1@demo.local").await;
    let request = ada.submit("annual", monday(3), monday(3)).await;
    // The submission's own notification (to the manager) is one of the mails.
    let mut tx = app.db.begin().await.expect("tx");
    for i in 0..199 {
        let n = NewNotification {
            recipient_id: 1 + i % 9,
            kind: "leave_request.submitted",
            subject: format!("Notification {i}"),
            body: String::new(),
            entity_type: "leave_request",
            entity_id: request,
        };
        notifications::create(&mut tx.conn(), &n, chrono::Utc::now()).await.expect("notification");
    }
    tx.commit().await.expect("commit");

    let got = sink.wait_for(200, Duration::from_secs(90)).await;
    let hr = blue.login("hr@demo.local").await;
    eventually("every mail recorded as sent", Duration::from_secs(30), || async {
        let (_, st) = hr.get("/api/v1/status").await;
        (st["mail"]["queued"] == 0).then_some(())
    })
    .await;
    let mails = outbox(&hr).await;
    assert_eq!(mails.len(), 200);
    assert!(mails.iter().all(|m| m["status"] == "sent" && m["attempts"] == 1), "{mails:?}");
    // Both workers stop (finishing what they hold); then nothing more may arrive.
    for mut instance in [blue, green] {
        instance.signal_shutdown().await.expect("join").expect("stopped");
    }
    let got_after = sink.received();
    assert_eq!(got_after.len(), 200, "a mail arrived twice");
    let ids: BTreeSet<&str> = got_after.iter().map(|m| m["message_id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), 200, "duplicate Message-IDs");
    assert_eq!(got.len(), 200);
    let instances = lms_store::testing::count_distinct(&app.db, "mail_attempts", "instance").await.expect("count");
    assert!(instances >= 2, "both instances send ({instances} did)");
}

/// The SMTP server is down: the attempt fails and is recorded; once the
/// server is up, the retry delivers the mail.
async fn a_mail_is_retried_after_the_server_was_down(backend: Backend) {
    // The SMTP server's Python is installed first (on a new machine that
    // takes a while), and attempts last about a minute, so the mail is
    // still being retried when the server comes up however slow the start.
    python().await;
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let mailer = with_mail(&app, config(port, 60)).await;
    let hr = mailer.login("hr@demo.local").await;
    mailer.login("employee1@demo.local").await.submit("annual", monday(3), monday(3)).await;
    let failed = eventually("a failed attempt recorded", Duration::from_secs(30), || async {
        outbox(&hr).await.into_iter().find(|m| m["attempts"].as_i64() >= Some(1))
    })
    .await;
    assert_eq!(failed["status"], "queued", "{failed}");
    assert!(failed["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{failed}");

    let sink = Sink::start(port).await;
    let got = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got[0]["rcpt_tos"], json!(["manager@demo.local"]));
    let id = failed["id"].as_i64().expect("id");
    let detail = eventually("the mail recorded as sent", Duration::from_secs(30), || async {
        let (_, d) = hr.get(&format!("/api/v1/admin/mail/{id}")).await;
        (d["status"] == "sent").then_some(d)
    })
    .await;
    let log = detail["attempt_log"].as_array().expect("attempt_log");
    assert!(log.len() >= 2, "{detail}");
    assert!(log[..log.len() - 1].iter().all(|a| a["error"].is_string()), "{detail}");
    assert!(log[log.len() - 1]["error"].is_null(), "{detail}");
    assert_eq!(detail["last_error"], Value::Null);
    assert_eq!(got[0]["message_id"], detail["message_id"]);
    // The back-off as docs/LEAVE-RULES.md ("Mail retries") gives it, scaled
    // to this test's 300 ms base and 1 s cap: attempt k + 1 follows attempt
    // k after at least 0.8 × min(300 ms × 2^(k−1), 1 s).
    let at = |a: &Value| chrono::DateTime::parse_from_rfc3339(a["at"].as_str().expect("at")).expect("time");
    for (k, pair) in log.windows(2).enumerate() {
        let gap = (at(&pair[1]) - at(&pair[0])).num_milliseconds();
        let nominal = (300i64 << k).min(1000);
        assert!(gap >= nominal * 8 / 10, "attempt {} came {gap} ms after attempt {}: {detail}", k + 2, k + 1);
    }
}

/// After its last attempt a mail is failed: HR sees it (API, status,
/// dashboard) and may retry it, nobody else; the retry is audited and, the
/// server being up again, delivers it.
async fn failed_mails_show_to_hr_who_may_retry_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let mailer = with_mail(&app, config(port, 2)).await;
    let hr = mailer.login("hr@demo.local").await;
    mailer.login("employee1@demo.local").await.submit("annual", monday(3), monday(3)).await;
    let failed = eventually("the mail given up on", Duration::from_secs(30), || async {
        let (_, page) = hr.get("/api/v1/admin/mail?status=failed").await;
        page["items"].as_array().and_then(|i| i.first().cloned())
    })
    .await;
    assert_eq!(failed["attempts"], 2, "{failed}");
    let id = failed["id"].as_i64().expect("id");
    let (_, detail) = hr.get(&format!("/api/v1/admin/mail/{id}")).await;
    assert_eq!(detail["attempt_log"].as_array().map(Vec::len), Some(2), "{detail}");

    let (_, st) = hr.get("/api/v1/status").await;
    assert_eq!(st["mail"], json!({"enabled": true, "queued": 0, "failed": 1}), "{st}");
    let (_, st) = mailer.anonymous().get("/api/v1/status").await;
    assert_eq!(st["mail"], json!({"enabled": true}), "anyone sees only whether mail is on: {st}");

    // Nobody but HR reads or retries.
    for email in ["employee1@demo.local", "manager@demo.local"] {
        let u = mailer.login(email).await;
        assert_eq!(u.get("/api/v1/admin/mail").await.0, StatusCode::FORBIDDEN);
        assert_eq!(u.post_empty(&format!("/api/v1/admin/mail/{id}/retry")).await.0, StatusCode::FORBIDDEN);
    }
    let manager_page = Page::signed_in(&mailer, "manager@demo.local").await;
    let refused = manager_page.post_form("/profile", &format!("/hr/mail/{id}/retry"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (s, b) = hr.get("/api/v1/admin/mail?status=lost").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // The dashboard lists it with a retry form; the form queues it again.
    let page = Page::signed_in(&mailer, "hr@demo.local").await;
    let dash = page.get("/admin").await;
    assert!(dash.body.contains(&format!("action=\"/hr/mail/{id}/retry\"")), "{}", dash.body);
    assert!(dash.body.contains("id=\"figure-mail-failed\">1<"), "{}", dash.body);
    let sink = Sink::start(port).await;
    let retried = page.post_form("/admin", &format!("/hr/mail/{id}/retry"), &[]).await;
    assert_eq!((retried.status, retried.location()), (StatusCode::SEE_OTHER, "/admin?done=mail-retried#mail"));
    let got = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got[0]["message_id"], failed["message_id"], "the same Message-ID on every attempt");
    let (_, audit) = hr.get("/api/v1/audit-events?action=mail.retry").await;
    let e = &audit["items"][0];
    assert_eq!(
        (e["before"]["status"].as_str(), e["after"]["status"].as_str()),
        (Some("failed"), Some("queued")),
        "{audit}"
    );
    // A mail that is not failed is not retried.
    eventually("the mail recorded as sent", Duration::from_secs(30), || async {
        let (_, d) = hr.get(&format!("/api/v1/admin/mail/{id}")).await;
        (d["status"] == "sent").then_some(())
    })
    .await;
    let (s, b) = hr.post_empty(&format!("/api/v1/admin/mail/{id}/retry")).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("mail_not_failed")), "{b}");
    assert_eq!(hr.post_empty("/api/v1/admin/mail/999999/retry").await.0, StatusCode::NOT_FOUND);
}

/// Without --smtp-url an instance sends nothing and says so.
async fn without_smtp_mail_is_off(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (_, st) = hr.get("/api/v1/status").await;
    assert_eq!(st["mail"], json!({"enabled": false}), "{st}");
    let (_, st) = app.anonymous().get("/api/v1/status").await;
    assert_eq!(st["mail"], json!({"enabled": false}), "{st}");
    app.login("employee1@demo.local").await.submit("annual", monday(3), monday(3)).await;
    assert!(outbox(&hr).await.is_empty(), "no instance with mail on: nothing is owed yet");
    let dash = Page::signed_in(&app, "hr@demo.local").await.get("/admin").await;
    assert!(dash.body.contains("Mail is off on this instance"), "{}", dash.body);
}

/// Blue, this build on the schema of the release before (the outbox's
/// migration not counted), started with mail configured, sends nothing and
/// says mail is off; the notification it writes is mailed by green.
async fn the_release_before_sends_none_and_its_notifications_are_mailed(backend: Backend) {
    use lms_store::db::ConnectOptions;
    use lms_store::migrations::SchemaCap;
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let sink = Sink::start(port).await;
    let opts = ConnectOptions {
        schema: SchemaCap::UpTo(lms_store::mail::MAIL_OUTBOX - 1),
        max_connections: 4,
        ..Default::default()
    };
    let db = lms_store::Db::connect(&app.url, &opts).await.expect("connect");
    let blue =
        TestApp::start(db, app.url.clone(), ServerConfig { mail: Some(config(port, 8)), ..Default::default() }).await;
    let hr = blue.login("hr@demo.local").await;
    let (_, st) = hr.get("/api/v1/status").await;
    assert_eq!(st["mail"], json!({"enabled": false}), "{st}");
    let (s, b) = hr.get("/api/v1/admin/mail").await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("schema_behind")), "{b}");
    let dash = Page::signed_in(&blue, "hr@demo.local").await.get("/admin").await;
    assert!(dash.body.contains("schema of the release before"), "{}", dash.body);

    let green = with_mail(&app, config(port, 8)).await;
    blue.login("employee1@demo.local").await.submit("annual", monday(3), monday(3)).await;
    let got = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got[0]["rcpt_tos"], json!(["manager@demo.local"]));
    assert!(part(&got[0], "text/plain").contains("Ada Byrne"), "{}", got[0]);
    let mails = outbox(&green.login("hr@demo.local").await).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["kind"], "leave_request.submitted");
}
