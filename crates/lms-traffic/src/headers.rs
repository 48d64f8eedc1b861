//! Header rules of a proxy: hop-by-hop removal (RFC 9110 §7.6.1), the
//! X-Forwarded-* family and the request id.
//!
//! Pure functions over header maps; nothing here does IO.

use std::net::IpAddr;

use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, HOST, TE, TRANSFER_ENCODING, UPGRADE};
use rand::RngCore;

/// `X-Request-Id`.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

fn is_fixed_hop_by_hop(name: &HeaderName) -> bool {
    name == CONNECTION
        || name == TE
        || name == TRANSFER_ENCODING
        || name == UPGRADE
        || name == KEEP_ALIVE
        || name == PROXY_CONNECTION
}

/// Removes hop-by-hop headers: the fixed ones and any named in `Connection`.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the (few) names is cheaper than six hashed removals, and
    // most messages carry none of these headers.
    if !headers.keys().any(is_fixed_hop_by_hop) {
        return;
    }
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in named {
        // Never let `Connection: host` or similar remove end-to-end essentials.
        if name != HOST {
            headers.remove(&name);
        }
    }
    for name in [&CONNECTION, &KEEP_ALIVE, &PROXY_CONNECTION, &TE, &TRANSFER_ENCODING, &UPGRADE] {
        headers.remove(name);
    }
}

/// Adds X-Forwarded-For (appending the client), -Proto and -Host; sets
/// X-Real-IP to the client; drops a client-supplied `Forwarded` (which
/// backends could take for this proxy's word) and `Proxy-Authorization`
/// (credentials meant for a proxy never go further).
pub fn add_forwarded(headers: &mut HeaderMap, client: IpAddr, proto: &'static str, host: Option<&HeaderValue>) {
    use std::fmt::Write;
    headers.remove(hyper::header::FORWARDED);
    headers.remove(hyper::header::PROXY_AUTHORIZATION);
    if let Ok(v) = HeaderValue::from_str(&client.to_string()) {
        headers.insert(HeaderName::from_static("x-real-ip"), v);
    }
    let mut xff = String::with_capacity(48);
    if let Some(prev) = headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        if !prev.trim().is_empty() {
            xff.push_str(prev);
            xff.push_str(", ");
        }
    }
    let _ = write!(xff, "{client}");
    if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::from(xff)) {
        headers.insert(X_FORWARDED_FOR.clone(), v);
    }
    headers.insert(X_FORWARDED_PROTO.clone(), HeaderValue::from_static(proto));
    if let Some(h) = host {
        headers.insert(X_FORWARDED_HOST.clone(), h.clone());
    }
}

/// The request id: kept if the client sent a sane one, created otherwise.
pub fn request_id(headers: &HeaderMap) -> HeaderValue {
    if let Some(v) = headers.get(&X_REQUEST_ID) {
        let b = v.as_bytes();
        if !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_graphic()) {
            return v.clone();
        }
    }
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    // Hex is always a valid header value.
    HeaderValue::from_maybe_shared(bytes::Bytes::from(hex::encode(raw)))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop() {
        let mut h = HeaderMap::new();
        h.insert(CONNECTION, HeaderValue::from_static("close, x-secret, host"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(HOST, HeaderValue::from_static("example"));
        h.insert("x-end-to-end", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert!(h.get("x-secret").is_none() && h.get("keep-alive").is_none() && h.get(CONNECTION).is_none());
        assert!(h.get(HOST).is_some() && h.get("x-end-to-end").is_some());
    }

    #[test]
    fn forwarded_appends() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        add_forwarded(&mut h, "127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])), "http", None);
        assert_eq!(h.get("x-forwarded-for").and_then(|v| v.to_str().ok()), Some("10.0.0.1, 127.0.0.1"));
    }

    #[test]
    fn request_ids() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h).len(), 32);
        h.insert("x-request-id", HeaderValue::from_static("abc"));
        assert_eq!(request_id(&h), "abc");
    }
}
