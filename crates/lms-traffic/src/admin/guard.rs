//! Keeps browsers away from the admin API.
//!
//! Whoever can make an operator's browser send a request (any web page,
//! through a form post or a DNS-rebound host name) must not move traffic.
//! So: a request that carries an `Origin` header (browsers add it to
//! cross-site and to every non-GET request) is refused; a write must be
//! `application/json` (an HTML form cannot send that without a CORS
//! preflight, which this API never grants); and with no token configured
//! (loopback only) the `Host` must be a loopback name, so a rebound domain
//! pointing at 127.0.0.1 is refused. Knows headers, not routes.

use hyper::header::{HeaderMap, CONTENT_TYPE, HOST, ORIGIN};
use hyper::{Method, StatusCode};

/// Why a request is refused: status, code, message.
pub type Refusal = (StatusCode, &'static str, &'static str);

/// `None` when the request may go on.
pub fn refuse(method: &Method, headers: &HeaderMap, authority: Option<&str>, open: bool) -> Option<Refusal> {
    if headers.contains_key(ORIGIN) {
        return Some((
            StatusCode::FORBIDDEN,
            "browser_refused",
            "the admin API does not answer browsers (the request carries an Origin header); use curl or lms cutover",
        ));
    }
    let write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if write && !json {
        return Some((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    if open {
        let host = headers.get(HOST).and_then(|v| v.to_str().ok()).or(authority).unwrap_or("");
        if !loopback_host(host) {
            return Some((
                StatusCode::FORBIDDEN,
                "host_refused",
                "without an admin token the admin API answers only Host: localhost, 127.0.0.1 or [::1]",
            ));
        }
    }
    None
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { host })
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_or_without_ports() {
        for h in ["localhost", "localhost:8001", "127.0.0.1", "127.0.0.1:8001", "[::1]", "[::1]:8001", "LOCALHOST"] {
            assert!(loopback_host(h), "{h}");
        }
        for h in ["evil.example", "evil.example:8001", "10.0.0.1", "", "127.0.0.1.nip.io"] {
            assert!(!loopback_host(h), "{h}");
        }
    }
}
