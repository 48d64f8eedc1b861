//! Validation of free-text fields shared by the HR resources.

use crate::ApiError;

/// A trimmed name of 1 to `max` characters.
pub fn name(raw: &str, max: usize) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(ApiError::unprocessable("invalid_name", format!("name must have 1 to {max} characters")));
    }
    Ok(name.to_string())
}
