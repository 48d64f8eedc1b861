//! `{{name}}` placeholders in plan strings, resolved when a run starts.
//!
//! Known names are listed in [`crate::plan::validate::PLACEHOLDERS`];
//! `{{env:NAME}}` reads an environment variable through the lookup the
//! caller passes, so this stays free of process state.

use std::collections::BTreeMap;

use crate::error::{CutoverError, Result};

/// Replaces every `{{name}}` in `text` with `vars[name]`, and `{{env:NAME}}`
/// with `env(NAME)`; an unknown or unset name is an error naming it.
pub fn resolve(text: &str, vars: &BTreeMap<String, String>, env: impl Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| CutoverError::invalid("placeholder", format!("unclosed placeholder in {text:?}")))?;
        let name = after[..end].trim();
        let value = match name.strip_prefix("env:") {
            Some(var) => env(var).ok_or_else(|| {
                CutoverError::invalid(
                    "placeholder",
                    format!("environment variable {var} is not set (used in {text:?})"),
                )
            })?,
            None => vars.get(name).cloned().ok_or_else(|| {
                CutoverError::invalid("placeholder", format!("no value for {{{{{name}}}}} in {text:?}"))
            })?,
        };
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The names of the `{{env:NAME}}` placeholders in `text`, in order of
/// appearance (an unclosed placeholder ends the scan; `resolve` reports it).
pub fn env_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        if let Some(var) = after[..end].trim().strip_prefix("env:") {
            out.push(var.trim().to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_vars_and_env() {
        let mut vars = BTreeMap::new();
        vars.insert("self".to_string(), "/usr/bin/lms".to_string());
        let env = |k: &str| (k == "DB").then(|| "sqlite://x".to_string());
        assert_eq!(
            resolve("{{self}} migrate --database-url {{env:DB}}", &vars, env).unwrap(),
            "/usr/bin/lms migrate --database-url sqlite://x"
        );
        assert!(resolve("{{env:NOPE}}", &vars, env).is_err());
        assert!(resolve("{{blue_url}}", &vars, env).is_err());
        assert!(resolve("{{self", &vars, env).is_err());
    }

    #[test]
    fn lists_env_names() {
        assert_eq!(env_names("{{env:A}}/x/{{self}}/{{ env:B }}"), vec!["A".to_string(), "B".to_string()]);
        assert!(env_names("{{env:A").is_empty());
    }
}
