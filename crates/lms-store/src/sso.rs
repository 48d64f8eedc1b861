//! Single sign-on's records (migration [`SINGLE_SIGN_ON`]): the sign-ins
//! begun at the OpenID provider and not yet finished, the provider
//! identities linked to people, whether a person may sign in with a
//! password, the ID token of a session opened by single sign-on, and HR's
//! two settings (create people on their first sign-in, and in which
//! department).
//!
//! A begun sign-in is taken once ([`take_login`] deletes what it returns),
//! so an answer from the provider that is replayed, or comes after the
//! sign-in expired, finds nothing. Secrets a browser holds (`state`, the
//! browser cookie) are stored as hashes; the caller hashes them. Nothing
//! here is called by an instance that does not count on the migration. It
//! must not know HTTP, OpenID Connect or tokens' contents.

use crate::employees::Employee;
use crate::{Conn, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The migration that brings single sign-on's tables and columns.
pub const SINGLE_SIGN_ON: i64 = 20261204000004;

/// The settings key: whether a verified email no person has creates one.
const CREATE_PEOPLE: &str = "sso_create_people";
/// The settings key: the department of people created so.
const NEW_PEOPLE_DEPARTMENT: &str = "sso_new_people_department";

/// A sign-in begun at the provider, as stored.
pub struct NewLogin<'a> {
    pub state_hash: &'a str,
    pub browser_hash: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    /// The page to land on once signed in.
    pub next_path: &'a str,
    /// Where the request came from.
    pub client_addr: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Records a begun sign-in, unless `max_open` begun from the same client
/// address are neither finished nor expired (then `false`, nothing
/// written); and forgets the expired ones and the ID tokens of sessions
/// that ended.
pub async fn begin_login(c: &mut Conn<'_>, l: &NewLogin<'_>, max_open: i64, now: DateTime<Utc>) -> Result<bool> {
    q!(exec c, "DELETE FROM sso_logins WHERE expires_at <= $1", now)?;
    q!(exec c,
        "DELETE FROM sso_sessions WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = sso_sessions.token_hash)")?;
    let open = q!(scalar c, i64, "SELECT COUNT(*) FROM sso_logins WHERE client_addr = $1", l.client_addr)?;
    if open >= max_open {
        return Ok(false);
    }
    q!(exec c,
        "INSERT INTO sso_logins (state_hash, browser_hash, nonce, pkce_verifier, next_path, client_addr, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        l.state_hash, l.browser_hash, l.nonce, l.pkce_verifier, l.next_path, l.client_addr, now, l.expires_at)?;
    Ok(true)
}

/// A begun sign-in, taken.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BegunLogin {
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub expires_at: DateTime<Utc>,
}

/// Takes the sign-in begun with `state_hash`: deleted whatever follows, so
/// it is taken once. `None` when there is none (never begun, or taken
/// before); the caller checks `expires_at`.
pub async fn take_login(c: &mut Conn<'_>, state_hash: &str) -> Result<Option<BegunLogin>> {
    Ok(q!(opt c, BegunLogin,
        "DELETE FROM sso_logins WHERE state_hash = $1 \
         RETURNING browser_hash, nonce, pkce_verifier, next_path, expires_at",
        state_hash)?)
}

/// A provider identity linked to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub employee_id: i64,
    /// The email it was linked by (or last signed in with).
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: DateTime<Utc>,
}

const IDENTITY: &str = "SELECT issuer, subject, employee_id, email, created_at, last_login_at FROM sso_identities";

/// The person linked to the identity, if any (active or not).
pub async fn linked_employee(c: &mut Conn<'_>, issuer: &str, subject: &str) -> Result<Option<i64>> {
    Ok(q!(opt c, (i64,), "SELECT employee_id FROM sso_identities WHERE issuer = $1 AND subject = $2", issuer, subject)?
        .map(|(id,)| id))
}

/// Links the identity to `employee_id`; when two sign-ins race, the first
/// link stands. The person it is linked to now.
pub async fn link(
    c: &mut Conn<'_>,
    issuer: &str,
    subject: &str,
    employee_id: i64,
    email: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    q!(exec c,
        "INSERT INTO sso_identities (issuer, subject, employee_id, email, created_at, last_login_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (issuer, subject) DO NOTHING",
        issuer, subject, employee_id, email, now)?;
    Ok(q!(scalar c, i64, "SELECT employee_id FROM sso_identities WHERE issuer = $1 AND subject = $2", issuer, subject)?)
}

/// Notes a sign-in through the identity, with the email it came with.
pub async fn touch(c: &mut Conn<'_>, issuer: &str, subject: &str, email: &str, now: DateTime<Utc>) -> Result<()> {
    q!(exec c,
        "UPDATE sso_identities SET last_login_at = $1, email = $2 WHERE issuer = $3 AND subject = $4",
        now, email, issuer, subject)?;
    Ok(())
}

/// The identities linked to a person, oldest first.
pub async fn identities_of(c: &mut Conn<'_>, employee_id: i64) -> Result<Vec<Identity>> {
    let sql = format!("{IDENTITY} WHERE employee_id = $1 ORDER BY id");
    Ok(q!(all c, Identity, &sql, employee_id)?)
}

/// How a person may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswordLogin {
    /// Whether signing in with a password is allowed.
    pub enabled: bool,
    /// Whether the person has a password.
    pub has_password: bool,
}

pub async fn password_login(c: &mut Conn<'_>, employee_id: i64) -> Result<Option<PasswordLogin>> {
    Ok(q!(opt c, (bool, bool),
        "SELECT NOT EXISTS (SELECT 1 FROM sso_password_off o WHERE o.employee_id = e.id), e.password_hash IS NOT NULL \
         FROM employees e WHERE e.id = $1",
        employee_id)?
    .map(|(enabled, has_password)| PasswordLogin { enabled, has_password }))
}

/// Allows or forbids signing in with a password. Forbidding also drops
/// the password (so an instance of the release before, which knows nothing
/// of the flag, refuses it too) and ends the sessions a password opened.
pub async fn set_password_login(c: &mut Conn<'_>, employee_id: i64, enabled: bool, now: DateTime<Utc>) -> Result<()> {
    if enabled {
        q!(exec c, "DELETE FROM sso_password_off WHERE employee_id = $1", employee_id)?;
    } else {
        q!(exec c,
            "INSERT INTO sso_password_off (employee_id, since) VALUES ($1, $2) ON CONFLICT (employee_id) DO NOTHING",
            employee_id, now)?;
        q!(exec c, "UPDATE employees SET password_hash = NULL, updated_at = $1 WHERE id = $2", now, employee_id)?;
        q!(exec c,
            "DELETE FROM sessions WHERE employee_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM sso_sessions o WHERE o.token_hash = sessions.token_hash)",
            employee_id)?;
    }
    Ok(())
}

/// Notes the ID token a session was opened with (its logout hint).
pub async fn set_session_id_token(
    c: &mut Conn<'_>,
    session_hash: &str,
    id_token: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    q!(exec c, "INSERT INTO sso_sessions (token_hash, id_token, created_at) VALUES ($1, $2, $3)",
        session_hash, id_token, now)?;
    Ok(())
}

/// The ID token a session was opened with, if single sign-on opened it;
/// forgotten as it is read (the session is ending).
pub async fn take_session_id_token(c: &mut Conn<'_>, session_hash: &str) -> Result<Option<String>> {
    Ok(q!(opt c, (String,), "DELETE FROM sso_sessions WHERE token_hash = $1 RETURNING id_token", session_hash)?
        .map(|(t,)| t))
}

/// HR's settings for single sign-on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsoSettings {
    /// Whether a verified email that no person has creates a person (role
    /// employee) at their first sign-in.
    pub create_people: bool,
    /// The department of people created so.
    pub department: String,
}

/// The department of created people unless HR names one.
pub const DEFAULT_DEPARTMENT: &str = "General";

pub async fn settings(c: &mut Conn<'_>) -> Result<SsoSettings> {
    let (create, department) = q!(one c, (Option<String>, Option<String>),
        "SELECT (SELECT value FROM settings WHERE key = $1), (SELECT value FROM settings WHERE key = $2)",
        CREATE_PEOPLE, NEW_PEOPLE_DEPARTMENT)?;
    Ok(SsoSettings {
        create_people: create.is_some_and(|v| v == "on"),
        department: department.unwrap_or_else(|| DEFAULT_DEPARTMENT.to_string()),
    })
}

pub async fn set_settings(c: &mut Conn<'_>, s: &SsoSettings, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    let create = if s.create_people { "on" } else { "off" };
    for (key, value) in [(CREATE_PEOPLE, create), (NEW_PEOPLE_DEPARTMENT, s.department.as_str())] {
        q!(exec c,
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
            key, value, now, by)?;
    }
    Ok(())
}

/// The active or inactive person with this email (any case), if any.
pub async fn employee_by_email(c: &mut Conn<'_>, email: &str) -> Result<Option<Employee>> {
    Ok(crate::employees::login_record(c, &email.trim().to_lowercase()).await?.map(|(e, _)| e))
}
