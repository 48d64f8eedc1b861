//! Leave-type codes and display colours as validated newtypes.

use crate::DomainError;
use std::fmt;

/// A leave type's code: 1-32 of `[a-z0-9_-]`, e.g. `annual`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaveTypeCode(String);

impl LeaveTypeCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(LeaveTypeCode(s.to_string()))
        } else {
            Err(DomainError::InvalidLeaveTypeCode(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeaveTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `#rrggbb` colour, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colour(String);

impl Colour {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok = s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit());
        if ok {
            Ok(Colour(s.to_lowercase()))
        } else {
            Err(DomainError::InvalidColour(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn codes_and_colours() {
        assert!(LeaveTypeCode::parse("annual").is_ok());
        assert!(LeaveTypeCode::parse("Annual").is_err());
        assert!(LeaveTypeCode::parse("").is_err());
        assert_eq!(Colour::parse("#AABBCC").unwrap().as_str(), "#aabbcc");
        assert!(Colour::parse("red").is_err());
    }
}
