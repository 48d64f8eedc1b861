//! Bearer-token authentication of admin requests.
//!
//! Returns who is calling (the token's name) so every change can be logged
//! with it. With no token configured (allowed on loopback only) the caller
//! is recorded as `loopback`. Knows nothing about the routes.

use hyper::header::{HeaderMap, AUTHORIZATION};

use crate::config::AdminToken;

/// Name recorded when no token is configured.
pub const LOOPBACK: &str = "loopback";

/// The caller's name, or `None` when the request is not authorised.
pub fn authenticate(tokens: &[AdminToken], headers: &HeaderMap) -> Option<String> {
    if tokens.is_empty() {
        return Some(LOOPBACK.to_string());
    }
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let secret = secret.trim().as_bytes();
    let mut found = None;
    // Compare against every token, without early exit, in constant time per token.
    for t in tokens {
        if constant_eq(t.secret.as_bytes(), secret) && found.is_none() {
            found = Some(t.name.clone());
        }
    }
    found
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
