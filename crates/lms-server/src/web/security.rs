//! Browser-facing protections for pages and API alike:
//!
//! - **Cross-site request forgery.** A change (any method but GET, HEAD,
//!   OPTIONS) that does not come with a bearer token must come from this
//!   site: `Sec-Fetch-Site` is `same-origin` or `none` when the browser
//!   sends it, and `Origin`, when sent, names this host. Forms also carry a
//!   per-session token ([`form_token`]) that a page handler checks. A bearer
//!   token is never sent by a browser on its own, so those requests are exempt.
//!   `Sec-Fetch-Site`, when present, decides alone, so a proxy in front that
//!   rewrites `Host` does not turn this site's own forms away.
//! - **Response headers.** A Content-Security-Policy without inline script
//!   or style and `frame-ancestors 'none'`, `nosniff`, a same-origin
//!   referrer policy, and `Cache-Control: no-store` on everything that does
//!   not say otherwise (static assets say they may be kept).

use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The policy of every response. No inline script or style anywhere;
/// images may be inline SVG data (charts are inline `<svg>` elements).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The token of a session's forms: derived from the session's stored hash,
/// so every instance computes the same one, and nobody without the session
/// cookie can.
pub fn form_token(session_hash: &str) -> String {
    let digest = Sha256::digest(format!("lms-form-token:{session_hash}").as_bytes());
    hex::encode(&digest[..16])
}

/// Compares in constant time.
pub fn form_token_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes a URL component (for `?next=`).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: a path of this site, never another site
/// (`//evil.example`, `https://…`, `/\evil`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.contains("://") => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
}

/// Whether a change comes from another site. A browser's own word
/// (`Sec-Fetch-Site`, which no page can set) decides when it is there —
/// so a proxy in front that rewrites `Host` (nginx's default) does not
/// turn this site's forms away; without it, `Origin` must name this host.
fn cross_site(headers: &HeaderMap, trust_forwarded: bool) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let Ok(origin) = origin.to_str() else { return true };
    let host = trust_forwarded
        .then(|| headers.get("x-forwarded-host"))
        .flatten()
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// Middleware: refuses a cross-site change that relies on the browser's cookie.
pub async fn cross_site_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !has_bearer(req.headers()) && cross_site(req.headers(), state.config().trust_forwarded) {
        tracing::warn!(path = %req.uri().path(), "cross-site change refused");
        if req.uri().path().starts_with("/api/") {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "a change must come from this site's own pages (or carry a bearer token)",
            )
            .into_response();
        }
        return super::page::error_page(req, &state, StatusCode::FORBIDDEN, "error-cross-site").await.into_response();
    }
    next.run(req).await
}

/// The policy of this instance's responses: [`CONTENT_SECURITY_POLICY`],
/// with single sign-on's provider among the places a form may lead to
/// (signing out goes on to the provider's logout).
pub fn content_security_policy(sso_issuer: Option<&str>) -> HeaderValue {
    let origin = sso_issuer.and_then(|i| url::Url::parse(i).ok()).map(|u| u.origin());
    match origin {
        Some(o @ url::Origin::Tuple(..)) => {
            let policy = CONTENT_SECURITY_POLICY
                .replace("form-action 'self'", &format!("form-action 'self' {}", o.ascii_serialization()));
            HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY))
        }
        _ => HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    }
}

/// Middleware: the security headers of every response.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, state.content_security_policy().clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_by_fetch_metadata_and_origin() {
        assert!(!cross_site(&headers(&[]), false), "a client without browser headers (curl)");
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin"), ("host", "a:1")]), false));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")]), false));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")]), false));
        assert!(!cross_site(&headers(&[("origin", "http://a:1"), ("host", "a:1")]), false));
        assert!(cross_site(&headers(&[("origin", "http://evil:1"), ("host", "a:1")]), false));
        assert!(cross_site(&headers(&[("origin", "null"), ("host", "a:1")]), false));
        // Behind a proxy that rewrote Host, a browser's same-origin word stands.
        let rewritten =
            headers(&[("sec-fetch-site", "same-origin"), ("origin", "https://lms.example"), ("host", "lms")]);
        assert!(!cross_site(&rewritten, false));
        let proxied = headers(&[
            ("origin", "https://lms.example"),
            ("host", "10.0.0.5:8080"),
            ("x-forwarded-host", "lms.example"),
        ]);
        assert!(!cross_site(&proxied, true));
        assert!(cross_site(&proxied, false));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/requests?status=pending")), "/requests?status=pending");
        for evil in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", ""] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn form_tokens() {
        let t = form_token("abc");
        assert_eq!(t.len(), 32);
        assert_ne!(t, form_token("abd"));
        assert!(form_token_matches(&t, &t.clone()));
        assert!(!form_token_matches(&t, "x"));
        assert!(!form_token_matches("", ""));
    }
}
