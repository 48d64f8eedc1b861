//! Who may act on a run: per-person credentials issued for the run.
//!
//! `lms cutover grant --run DIR --role ROLE --name NAME` issues a token for
//! one person in one of the plan's war-room roles and prints it once; the
//! run directory keeps only its SHA-256 (`grants.json`, mode 0600), with the
//! name, role and time. Once a run has a grant, `decide`, `rollback` and
//! `confirm` take the person's identity from their token (`--token` or
//! `LMS_CUTOVER_TOKEN`), never from a free `--by`, and the controller checks
//! it again for every request it journals. The seed's rules hold: checkpoint
//! decisions and manual rollbacks need the release commander; a manual step
//! or checklist item can be confirmed by anyone granted. Automatic rollbacks
//! (a breached gate, a deadline) stay automatic. A run without grants (a
//! rehearsal) takes `--by` as given.
//!
//! Knows the plan's roles and the run directory, not the engine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{CutoverError, Result};
use crate::plan::Plan;
use crate::runner::context::RunDir;

/// The role whose approval decisions and manual rollbacks need.
pub const RELEASE_COMMANDER: &str = "Release Commander";

/// One person's credential for the run (the token itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The person.
    pub name: String,
    /// Their role, as the plan names it.
    pub role: String,
    /// SHA-256 of the token, hex.
    pub token_sha256: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// What a person asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// A checkpoint decision.
    Decide,
    /// A manual rollback.
    Rollback,
    /// A manual step or a checklist item.
    Confirm,
}

fn path(dir: &RunDir) -> std::path::PathBuf {
    dir.root.join("grants.json")
}

fn io(p: &std::path::Path, source: std::io::Error) -> CutoverError {
    CutoverError::JournalIo { path: p.to_path_buf(), source }
}

/// The run's grants (none when the file is absent).
pub fn load(dir: &RunDir) -> Result<Vec<Grant>> {
    let p = path(dir);
    match std::fs::read_to_string(&p) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| CutoverError::invalid("grants", format!("{}: {e}", p.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(&p, e)),
    }
}

/// The plan's name for `role` (matched on the role or an alias, ignoring
/// case, spaces and dashes: `release-commander` is "Release Commander").
pub fn plan_role(plan: &Plan, role: &str) -> Option<String> {
    let norm = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    let wanted = norm(role);
    plan.roles
        .iter()
        .find(|r| norm(&r.role) == wanted || r.aliases.iter().any(|a| norm(a) == wanted))
        .map(|r| r.role.clone())
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Issues a token for `name` in `role`; returns it (shown once).
pub fn issue(dir: &RunDir, plan: &Plan, role: &str, name: &str) -> Result<(Grant, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CutoverError::invalid("grant", "say who the credential is for (--name)"));
    }
    let Some(role) = plan_role(plan, role) else {
        let roles: Vec<&str> = plan.roles.iter().map(|r| r.role.as_str()).collect();
        return Err(CutoverError::invalid(
            "grant",
            format!("no role {role:?} in the plan; its roles: {}", roles.join(", ")),
        ));
    };
    let mut grants = load(dir)?;
    if grants.iter().any(|g| g.name == name && g.role == role) {
        return Err(CutoverError::invalid("grant", format!("{name} already holds a credential as {role}")));
    }
    let token = format!("lmsct_{}", hex::encode(rand::random::<[u8; 24]>()));
    let grant = Grant { name: name.to_string(), role, token_sha256: digest(&token), issued_at: Utc::now() };
    grants.push(grant.clone());
    save(dir, &grants)?;
    Ok((grant, token))
}

fn save(dir: &RunDir, grants: &[Grant]) -> Result<()> {
    let p = path(dir);
    let tmp = dir.root.join("grants.json.tmp");
    let text = serde_json::to_string_pretty(grants).map_err(|e| CutoverError::invalid("grants", e.to_string()))?;
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io(&tmp, e))?;
        f.write_all(text.as_bytes()).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &p).map_err(|e| io(&p, e))
}

/// The grant a token belongs to, if it is one issued for this run.
pub fn holder(dir: &RunDir, token: &str) -> Result<Option<Grant>> {
    let d = digest(token);
    Ok(load(dir)?.into_iter().find(|g| g.token_sha256 == d))
}

/// Who is acting, as the journal records them: `Name (Role)` from a token
/// when the run has grants, else `by` as given. Refused: a missing or
/// unknown token, a `--by` that is not the token's holder, a role that may
/// not do `what`.
pub fn authorize(dir: &RunDir, token: Option<&str>, by: Option<&str>, what: Permission) -> Result<String> {
    let grants = load(dir)?;
    let by = by.map(str::trim).filter(|b| !b.is_empty());
    if grants.is_empty() {
        return by
            .map(str::to_string)
            .ok_or_else(|| CutoverError::DecisionRefused("say who you are (--by NAME)".into()));
    }
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(CutoverError::DecisionRefused(
            "this run has per-person credentials: give yours with --token or LMS_CUTOVER_TOKEN (`lms cutover grant` issues one)"
                .into(),
        ));
    };
    let d = digest(token);
    let Some(g) = grants.iter().find(|g| g.token_sha256 == d) else {
        return Err(CutoverError::DecisionRefused("the token is not one issued for this run".into()));
    };
    if let Some(b) = by {
        if b != g.name {
            return Err(CutoverError::DecisionRefused(format!(
                "the token is {}'s; --by {b:?} does not match (leave --by out)",
                g.name
            )));
        }
    }
    let needs_commander = matches!(what, Permission::Decide | Permission::Rollback);
    if needs_commander && g.role != RELEASE_COMMANDER {
        let act = if what == Permission::Decide { "checkpoint decisions" } else { "a manual rollback" };
        return Err(CutoverError::DecisionRefused(format!(
            "{} is {}: {act} need the {RELEASE_COMMANDER}'s approval (the seed's rule)",
            g.name, g.role
        )));
    }
    Ok(format!("{} ({})", g.name, g.role))
}
