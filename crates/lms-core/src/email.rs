//! `Email`: a normalised (trimmed, lower-case) address that has a local part,
//! an `@` and a domain with a dot or `localhost`-style single label.

use crate::DomainError;
use serde::Serialize;
use std::fmt;

/// A syntactically valid, normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.is_empty()
                        && !domain.contains('@')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if ok {
            Ok(Email(s))
        } else {
            Err(DomainError::InvalidEmail(raw.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn normalises_and_rejects() {
        assert_eq!(Email::parse(" HR@Demo.Local ").unwrap().as_str(), "hr@demo.local");
        for bad in ["", "a", "a@", "@b", "a b@c.d", "a@b@c", "a@.b"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
