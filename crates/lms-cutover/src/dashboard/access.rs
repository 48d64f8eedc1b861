//! Who looks at the war room: the per-person run credentials of
//! `lms cutover grant`, presented as `Authorization: Bearer <token>` by an
//! API client or as an HttpOnly, SameSite=Strict cookie by the page (an
//! `EventSource` cannot send headers; the page's sign-in form trades the
//! token for the cookie). On a run with credentials only their holders
//! watch; on a run without (a rehearsal) anyone who reaches the address
//! watches, and deciding takes a name, as the CLI does.
//!
//! Knows how a credential travels over HTTP; what a role may do is
//! `runner::grants`'s rule, never repeated here.

use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::HeaderMap;

use crate::error::Result;
use crate::runner::context::RunDir;
use crate::runner::grants::{self, Grant};

/// The cookie that carries the token for the page: one per run, since a
/// browser keeps cookies per host whatever the port (two war rooms on one
/// machine must not sign each other out).
pub fn cookie_name(dir: &RunDir) -> String {
    let id: String =
        dir.run_id().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("lms_warroom_{id}")
}

/// Who is looking.
#[derive(Debug, Clone)]
pub enum Seen {
    /// The run has no credentials: anyone may watch.
    Open,
    /// The holder of a credential issued for this run, with the token.
    Person(Grant, String),
    /// The run has credentials and none was presented.
    NoCredential,
    /// A token that is not one issued for this run.
    NotIssued,
}

impl Seen {
    /// Whether they may watch the run.
    pub fn may_watch(&self) -> bool {
        matches!(self, Seen::Open | Seen::Person(..))
    }

    /// The token presented by a holder.
    pub fn token(&self) -> Option<&str> {
        match self {
            Seen::Person(_, t) => Some(t),
            _ => None,
        }
    }
}

/// The token in the request: the bearer header first, then the cookie.
pub fn presented(dir: &RunDir, headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(t) = bearer {
        return Some(t.to_string());
    }
    let name = cookie_name(dir);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Who presents these headers to the run in `dir`.
pub fn identify(dir: &RunDir, headers: &HeaderMap) -> Result<Seen> {
    if grants::load(dir)?.is_empty() {
        return Ok(Seen::Open);
    }
    let Some(token) = presented(dir, headers) else { return Ok(Seen::NoCredential) };
    Ok(match grants::holder(dir, &token)? {
        Some(g) => Seen::Person(g, token),
        None => Seen::NotIssued,
    })
}

/// The `Set-Cookie` value that signs the page in with `token`.
pub fn sign_in_cookie(dir: &RunDir, token: &str) -> String {
    format!("{}={token}; Path=/; HttpOnly; SameSite=Strict", cookie_name(dir))
}

/// The `Set-Cookie` value that signs the page out.
pub fn sign_out_cookie(dir: &RunDir) -> String {
    format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", cookie_name(dir))
}
