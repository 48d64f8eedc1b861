//! What a person changes about themselves: the language of their pages and
//! their password. Each change is audited (a password change without the hash).

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::Language;
use lms_store::{auth, employees, settings, Db};

/// Sets the caller's page language; `None` follows the browser's.
pub async fn set_language(db: &Db, caller: &Caller, language: Option<Language>, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin().await?;
    let tag = language.map(Language::tag);
    settings::set_language(&mut tx.conn(), caller.actor.id, tag, now).await?;
    let after = serde_json::json!({ "language": tag });
    let what = Audited {
        action: "employee.language",
        entity: ("employee", caller.actor.id.to_string()),
        before: None,
        after: Some(&after),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the caller's password (the current one already checked, the
/// new one already hashed). Every other session and every API token of the
/// caller ends; `keep_session` (the hash of the session the change came
/// from, if any) stays.
pub async fn change_password(
    db: &Db,
    caller: &Caller,
    new_hash: &str,
    keep_session: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    employees::set_password(&mut tx.conn(), caller.actor.id, new_hash, now).await?;
    auth::end_other_sessions(&mut tx.conn(), caller.actor.id, keep_session, now).await?;
    let what = Audited {
        action: "employee.password_change",
        entity: ("employee", caller.actor.id.to_string()),
        before: None,
        after: None::<&()>,
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}
