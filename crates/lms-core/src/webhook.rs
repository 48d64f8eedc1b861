//! Webhooks' rules: the events an endpoint can subscribe to (and which
//! audited change each one is), the two message formats, what a valid
//! endpoint URL is, and which addresses a delivery may never reach unless
//! HR allows private addresses (SSRF protection).
//!
//! Pure: it must not know HTTP clients, DNS, the tables or the clock.

use crate::DomainError;
use std::net::IpAddr;

/// What an endpoint is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    RequestSubmitted,
    RequestApproved,
    RequestRejected,
    RequestCancelled,
    EmployeeCreated,
    EmployeeDeactivated,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 6] = [
        WebhookEvent::RequestSubmitted,
        WebhookEvent::RequestApproved,
        WebhookEvent::RequestRejected,
        WebhookEvent::RequestCancelled,
        WebhookEvent::EmployeeCreated,
        WebhookEvent::EmployeeDeactivated,
    ];

    /// The event's name, as subscribed to and sent in `X-LMS-Event`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::RequestSubmitted => "leave_request.submitted",
            WebhookEvent::RequestApproved => "leave_request.approved",
            WebhookEvent::RequestRejected => "leave_request.rejected",
            WebhookEvent::RequestCancelled => "leave_request.cancelled",
            WebhookEvent::EmployeeCreated => "employee.created",
            WebhookEvent::EmployeeDeactivated => "employee.deactivated",
        }
    }

    /// The audit action recording the change this event tells of.
    pub fn audit_action(self) -> &'static str {
        match self {
            WebhookEvent::RequestSubmitted => "leave_request.submit",
            WebhookEvent::RequestApproved => "leave_request.approve",
            WebhookEvent::RequestRejected => "leave_request.reject",
            WebhookEvent::RequestCancelled => "leave_request.cancel",
            WebhookEvent::EmployeeCreated => "employee.create",
            WebhookEvent::EmployeeDeactivated => "employee.deactivate",
        }
    }

    /// The event an audit action is, if any.
    pub fn from_audit_action(action: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.audit_action() == action)
    }

    /// A sentence for a chat channel (the Slack format), from the change's
    /// entity and, when known, the name and dates it carries.
    pub fn sentence(self, entity_id: &str, who: Option<&str>, dates: Option<(&str, &str)>) -> String {
        let who = who.map(|w| format!(" of {w}")).unwrap_or_default();
        let dates = dates.map(|(s, e)| format!(" ({s} to {e})")).unwrap_or_default();
        match self {
            WebhookEvent::RequestSubmitted => format!("Leave request #{entity_id}{who}{dates} was submitted."),
            WebhookEvent::RequestApproved => format!("Leave request #{entity_id}{who}{dates} was approved."),
            WebhookEvent::RequestRejected => format!("Leave request #{entity_id}{who}{dates} was rejected."),
            WebhookEvent::RequestCancelled => format!("Leave request #{entity_id}{who}{dates} was cancelled."),
            WebhookEvent::EmployeeCreated => format!("Employee #{entity_id}{who} was created."),
            WebhookEvent::EmployeeDeactivated => format!("Employee #{entity_id}{who} was deactivated."),
        }
    }
}

impl std::str::FromStr for WebhookEvent {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == s.trim()).ok_or_else(|| {
            let names: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
            DomainError::InvalidRule(format!("`{s}` is not a webhook event; use one of {}", names.join(", ")))
        })
    }
}

/// How a delivery's body is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The event as JSON: id, event, time, entity, actor, data.
    Json,
    /// `{"text": "…"}`: a sentence a Slack-compatible incoming webhook posts.
    Slack,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
        }
    }
}

impl std::str::FromStr for WebhookFormat {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "json" => Ok(WebhookFormat::Json),
            "slack" => Ok(WebhookFormat::Slack),
            _ => Err(DomainError::InvalidRule(format!("`{s}` is not a webhook format; use json or slack"))),
        }
    }
}

/// An endpoint's URL: http or https, with a host, without user or password
/// (the secret signs instead) or fragment, at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    pub fn parse(s: &str) -> Result<WebhookUrl, DomainError> {
        let bad = |why: &str| DomainError::InvalidRule(format!("the webhook URL `{s}` {why}"));
        if s.len() > 2000 {
            return Err(bad("is longer than 2,000 characters"));
        }
        let u = url::Url::parse(s.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(bad("must start with https:// or http://"));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("must not carry a user name or password (deliveries are signed instead)"));
        }
        if u.fragment().is_some() {
            return Err(bad("must not have a #fragment"));
        }
        Ok(WebhookUrl(u))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as written (a name, or an address without brackets).
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string(),
            None => String::new(),
        }
    }

    /// The port, the scheme's default when none is written.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }
}

/// Whether a delivery may reach `ip` without HR allowing private
/// addresses: not loopback, private (RFC 1918), shared (RFC 6598),
/// link-local, unique-local IPv6, unspecified, multicast or broadcast (nor
/// an IPv4 address mapped into IPv6 that is one of those).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The addresses among `resolved` a delivery must not reach, unless
/// private addresses are allowed; an error naming the first one (and an
/// error when there is no address at all).
pub fn check_addresses(host: &str, resolved: &[IpAddr], allow_private: bool) -> Result<(), DomainError> {
    if resolved.is_empty() {
        return Err(DomainError::InvalidRule(format!("the webhook host `{host}` resolves to no address")));
    }
    if allow_private {
        return Ok(());
    }
    match resolved.iter().find(|ip| !is_public(**ip)) {
        Some(ip) => Err(DomainError::InvalidRule(format!(
            "the webhook host `{host}` resolves to {ip}, a loopback, private, link-local or otherwise non-public \
             address; use a public address, or have HR allow private addresses (PUT /api/v1/settings/webhooks)"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip(s)), "{s} counts as public");
        }
        for s in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(ip(s)), "{s} counts as not public");
        }
    }

    #[test]
    fn the_setting_allows_private_addresses() {
        assert!(check_addresses("h", &[ip("127.0.0.1")], false).is_err());
        assert!(check_addresses("h", &[ip("8.8.8.8"), ip("10.0.0.1")], false).is_err());
        assert!(check_addresses("h", &[ip("127.0.0.1")], true).is_ok());
        assert!(check_addresses("h", &[], true).is_err());
        assert!(check_addresses("h", &[ip("8.8.8.8")], false).is_ok());
    }

    #[test]
    fn urls_are_http_or_https_without_credentials() {
        assert!(WebhookUrl::parse("https://hooks.example.com/x?y=1").is_ok());
        assert_eq!(WebhookUrl::parse("http://127.0.0.1:8080/h").map(|u| u.port()).ok(), Some(8080));
        assert_eq!(WebhookUrl::parse("https://[::1]/h").map(|u| u.host()).ok().as_deref(), Some("::1"));
        for bad in ["ftp://x/y", "https://user:pw@x/y", "not a url", "https://x/y#frag", "file:///etc/passwd"] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn events_round_trip_and_map_from_audit_actions() {
        for e in WebhookEvent::ALL {
            assert_eq!(e.as_str().parse::<WebhookEvent>().ok(), Some(e));
            assert_eq!(WebhookEvent::from_audit_action(e.audit_action()), Some(e));
        }
        assert!("leave_request.updated".parse::<WebhookEvent>().is_err());
        assert_eq!(WebhookEvent::from_audit_action("employee.update"), None);
    }
}
