//! A real OpenID provider for the single sign-on tests: the certified
//! `oidc-provider` package run by Node.js (`tests/oidc-provider/provider.mjs`,
//! installed on first use by `scripts/ensure-oidc-provider`), on 127.0.0.1
//! with the clients and accounts a test gives it. Its sign-in page is a plain
//! form (`login`, an account id), consent is never asked, PKCE (S256) is
//! required, and RP-initiated logout is a form with a hidden `xsrf`; see
//! provider.mjs for the details and the wrong-audience hook (`aud_override`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::OnceCell;

/// The provider.mjs to run, its packages installed (once per test binary).
async fn script() -> &'static str {
    static SCRIPT: OnceCell<String> = OnceCell::const_new();
    SCRIPT
        .get_or_init(|| async {
            let ensure = repo().join("scripts/ensure-oidc-provider");
            let out = tokio::process::Command::new(&ensure).output().await.expect("run scripts/ensure-oidc-provider");
            assert!(out.status.success(), "ensure-oidc-provider: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).expect("path").lines().last().expect("a provider.mjs").trim().to_string()
        })
        .await
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running provider; it ends when dropped (and, should the test binary be
/// killed, when its stdin closes).
pub struct Provider {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub issuer: String,
    child: tokio::process::Child,
}

impl Provider {
    /// Starts a provider on a free port. `clients` is a JSON array of client
    /// metadata (`client_id`, `client_secret` or
    /// `"token_endpoint_auth_method": "none"`, `redirect_uris`,
    /// `post_logout_redirect_uris`); `accounts` maps account ids (the `sub`,
    /// and what is typed at sign-in) to `email`, `email_verified`, `name` and
    /// optionally `aud_override`. With `id_token_claims` those claims are in
    /// the ID token too, not only at the userinfo endpoint.
    pub async fn start(clients: Value, accounts: Value, id_token_claims: bool) -> Provider {
        let mut child = tokio::process::Command::new("node")
            .arg(script().await)
            .env("ISSUER_PORT", "0")
            .env("CLIENTS", clients.to_string())
            .env("ACCOUNTS", accounts.to_string())
            .env("ID_TOKEN_CLAIMS", if id_token_claims { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the OpenID provider (node)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
        let issuer = match &first {
            Ok(Ok(Some(line))) => line.strip_prefix("listening ").map(str::to_string),
            _ => None,
        };
        let issuer = issuer.unwrap_or_else(|| panic!("the OpenID provider did not start: {first:?}"));
        Provider { issuer, child }
    }

    /// Stops the provider now (its port then refuses connections).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The value of the first `<input>` called `name` (such as the logout form's
/// hidden `xsrf`).
pub fn form_field(html: &str, name: &str) -> Option<String> {
    tags(html, "input").into_iter().find(|t| attr(t, "name").as_deref() == Some(name)).and_then(|t| attr(t, "value"))
}

/// The `action` of the first `<form>`.
pub fn form_action(html: &str) -> Option<String> {
    tags(html, "form").first().and_then(|t| attr(t, "action"))
}

/// The opening tags `<name ...>` of `html`, in order.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open).map(|i| from + i) {
        let end = lower[i..].find('>').map_or(lower.len(), |e| i + e);
        if lower[i + open.len()..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
            found.push(&html[i..end]);
        }
        from = end;
    }
    found
}

/// An attribute's value in an opening tag, entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| from + i) {
        from = i + name.len();
        if !lower[..i].ends_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(rest) = tag[from..].trim_start().strip_prefix('=') else { continue };
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => &rest[1..][..rest[1..].find(q)?],
            _ => &rest[..rest.find(|c: char| c.is_ascii_whitespace() || c == '>').unwrap_or(rest.len())],
        };
        return Some(unescape(value));
    }
    None
}

fn unescape(s: &str) -> String {
    [("&quot;", "\""), ("&#34;", "\""), ("&#39;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")]
        .iter()
        .fold(s.to_string(), |s, (entity, c)| s.replace(entity, c))
}
