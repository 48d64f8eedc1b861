//! Device cookies: proof that this browser (or client) has signed in to an
//! account before, which lets its owner through the login limiter's delays.
//!
//! The cookie is `<employee id>.<issued, unix seconds>.<signature>`, the
//! signature an HMAC-SHA256 under a key kept in the database (so blue and
//! green accept each other's cookies) over the id, the time and the
//! account's current password hash: a password change or reset voids every
//! device cookie of the account. Nothing is stored per device. This module
//! must not know HTTP handlers or SQL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const DEVICE_COOKIE: &str = "lms_device";

/// How long a device stays known after its last successful sign-in.
pub const DEVICE_TTL: TimeDelta = TimeDelta::days(180);

fn mac(key: &str, employee_id: i64, issued: i64, password_hash: &str) -> Hmac<Sha256> {
    // HMAC accepts a key of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    m.update(format!("lms-device|{employee_id}|{issued}|{password_hash}").as_bytes());
    m
}

/// A device cookie value for a successful sign-in at `now`.
pub fn issue(key: &str, employee_id: i64, password_hash: &str, now: DateTime<Utc>) -> String {
    let issued = now.timestamp();
    let sig = mac(key, employee_id, issued, password_hash).finalize().into_bytes();
    format!("{employee_id}.{issued}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Whether `cookie` was issued by this database for this account, under its
/// current password, within [`DEVICE_TTL`] (and not in the future).
pub fn is_known(cookie: &str, key: &str, employee_id: i64, password_hash: &str, now: DateTime<Utc>) -> bool {
    let mut parts = cookie.splitn(3, '.');
    let (Some(id), Some(issued), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(id), Ok(issued), Ok(sig)) = (id.parse::<i64>(), issued.parse::<i64>(), URL_SAFE_NO_PAD.decode(sig)) else {
        return false;
    };
    let Some(issued_at) = DateTime::from_timestamp(issued, 0) else {
        return false;
    };
    let fresh = issued_at <= now + TimeDelta::minutes(5) && now - issued_at <= DEVICE_TTL;
    // verify_slice compares in constant time.
    id == employee_id && fresh && mac(key, id, issued, password_hash).verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    #[test]
    fn a_cookie_is_known_only_for_its_account_password_key_and_lifetime() {
        let c = issue("key", 7, "$argon2id$hash-a", now());
        assert!(is_known(&c, "key", 7, "$argon2id$hash-a", now()));
        assert!(is_known(&c, "key", 7, "$argon2id$hash-a", now() + DEVICE_TTL));
        assert!(!is_known(&c, "key", 7, "$argon2id$hash-a", now() + DEVICE_TTL + TimeDelta::seconds(1)));
        assert!(!is_known(&c, "key", 8, "$argon2id$hash-a", now()), "another account");
        assert!(!is_known(&c, "key", 7, "$argon2id$hash-b", now()), "after a password change");
        assert!(!is_known(&c, "other key", 7, "$argon2id$hash-a", now()), "another database");
        let future = issue("key", 7, "$argon2id$hash-a", now() + TimeDelta::hours(1));
        assert!(!is_known(&future, "key", 7, "$argon2id$hash-a", now()), "issued in the future");
    }

    #[test]
    fn forged_and_malformed_cookies_are_unknown() {
        let c = issue("key", 7, "h", now());
        let (head, _) = c.rsplit_once('.').expect("three parts");
        for bad in ["", "7", "7.1", "x.y.z", &format!("{head}.AAAA"), &c.replacen('7', "8", 1), &format!("{c}x")] {
            assert!(!is_known(bad, "key", 7, "h", now()), "{bad:?}");
        }
    }
}
