//! Validation of free-text fields shared by the HR resources.

use crate::ApiError;

/// A trimmed optional text of at most `max` characters (empty allowed):
/// `field` names it in the error.
pub fn bounded(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(ApiError::unprocessable("text_too_long", format!("{field} must have at most {max} characters")));
    }
    Ok(text.to_string())
}

/// A trimmed name of 1 to `max` characters (the rule is `lms_core::text::name`).
pub fn name(raw: &str, max: usize) -> Result<String, ApiError> {
    Ok(lms_core::text::name(raw, max)?)
}
