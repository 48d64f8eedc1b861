//! Rules for free text people type: names.

use crate::DomainError;

/// A trimmed name of 1 to `max` characters.
pub fn name(raw: &str, max: usize) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(DomainError::InvalidName { max });
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(name("  Christmas Eve ", 100), Ok("Christmas Eve".to_string()));
        assert_eq!(name(" ", 100), Err(DomainError::InvalidName { max: 100 }));
        assert_eq!(name(&"é".repeat(100), 100).map(|n| n.chars().count()), Ok(100));
        assert_eq!(name(&"é".repeat(101), 100), Err(DomainError::InvalidName { max: 100 }));
    }
}
