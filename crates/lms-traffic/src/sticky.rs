//! Session stickiness by signed cookie: a client keeps the backend it first
//! got while that backend stays in the split.
//!
//! The cookie value is `NAME.SIGNATURE` (HMAC-SHA256 of the name under the
//! process's secret), so clients cannot steer themselves to an arbitrary
//! backend by editing it. Knows nothing about how backends are chosen.

use hmac::{Hmac, Mac};
use hyper::header::{HeaderMap, COOKIE};
use sha2::Sha256;

/// Signs and reads stickiness cookies.
#[derive(Debug, Clone)]
pub struct Sticky {
    cookie: String,
    secret: Vec<u8>,
}

impl Sticky {
    /// A signer for `cookie` under `secret`.
    pub fn new(cookie: &str, secret: &[u8]) -> Self {
        Self { cookie: cookie.to_string(), secret: secret.to_vec() }
    }

    fn signature(&self, backend: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mut mac) => {
                mac.update(backend.as_bytes());
                hex::encode(&mac.finalize().into_bytes()[..12])
            }
            Err(_) => String::new(),
        }
    }

    /// The backend named by a valid cookie in `headers`, if any.
    pub fn backend_from<'a>(&self, headers: &HeaderMap, names: impl Fn(&str) -> Option<usize> + 'a) -> Option<usize> {
        for value in headers.get_all(COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for pair in value.split(';') {
                let Some((k, v)) = pair.trim().split_once('=') else { continue };
                if k != self.cookie {
                    continue;
                }
                let Some((backend, sig)) = v.rsplit_once('.') else { continue };
                if constant_eq(sig.as_bytes(), self.signature(backend).as_bytes()) {
                    if let Some(i) = names(backend) {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// `Set-Cookie` value that pins a client to `backend`.
    pub fn set_cookie(&self, backend: &str, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!("{}={}.{}; Path=/; HttpOnly; SameSite=Lax{secure}", self.cookie, backend, self.signature(backend))
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn round_trip_and_forgery() {
        let s = Sticky::new("lb", b"k");
        let set = s.set_cookie("green", false);
        let value = set.split(';').next().unwrap_or_default().to_string();
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(&format!("a=b; {value}")).unwrap_or(HeaderValue::from_static("")));
        let names = |n: &str| ["blue", "green"].iter().position(|x| *x == n);
        assert_eq!(s.backend_from(&h, names), Some(1));
        let mut forged = HeaderMap::new();
        forged.insert(COOKIE, HeaderValue::from_static("lb=blue.000000000000000000000000"));
        assert_eq!(s.backend_from(&forged, names), None);
    }
}
