//! Sessions, personal API tokens and login attempts. Only hashes of session
//! ids and tokens are stored; the caller hashes what the client presents.

use crate::employees::Employee;
use crate::{Conn, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

const EMPLOYEE_COLUMNS: &str =
    "e.id, e.email, e.name, e.department, e.manager_id, e.start_date, e.role, e.active, e.created_at, e.updated_at";

/// The one definition of a live session: `$1` its hash, `$2` now.
const SESSION_IS_LIVE: &str = "s.token_hash = $1 AND s.expires_at > $2 AND e.active = TRUE";
/// The one definition of a live API token: `$1` its hash, `$2` now.
const TOKEN_IS_LIVE: &str =
    "t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND e.active = TRUE";

/// What a client presented to say who it is, as stored: the hash of a
/// session id or of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerSecret<'a> {
    Session(&'a str),
    Token(&'a str),
}

impl CallerSecret<'_> {
    pub(crate) fn hash(&self) -> &str {
        match self {
            CallerSecret::Session(h) | CallerSecret::Token(h) => h,
        }
    }
}

/// A common table expression `caller (employee_id, token_id, last_used_at)`:
/// the active employee behind a live session or token, by the same rules
/// as [`session_employee`] and [`token_employee`], so that a query can
/// authenticate and read in one round trip. Parameters: `$1` the secret's
/// hash, `$2` now. One statement per kind of secret: a single statement
/// choosing its branch by a parameter is planned anew on every execution
/// by PostgreSQL (measured: a quarter of the throughput).
pub(crate) fn caller_cte(secret: &CallerSecret<'_>) -> String {
    match secret {
        CallerSecret::Token(_) => format!(
            "caller AS (SELECT e.id AS employee_id, t.id AS token_id, t.last_used_at AS last_used_at \
             FROM api_tokens t JOIN employees e ON e.id = t.employee_id WHERE {TOKEN_IS_LIVE})"
        ),
        CallerSecret::Session(_) => format!(
            "caller AS (SELECT e.id AS employee_id, CAST(NULL AS BIGINT) AS token_id, NULL AS last_used_at \
             FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE {SESSION_IS_LIVE})"
        ),
    }
}

pub async fn create_session(
    c: &mut Conn<'_>,
    token_hash: &str,
    employee_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    q!(exec c, "INSERT INTO sessions (token_hash, employee_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash, employee_id, now, expires_at)?;
    Ok(())
}

/// The active employee behind an unexpired session.
pub async fn session_employee(c: &mut Conn<'_>, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Employee>> {
    let sql = format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE {SESSION_IS_LIVE}"
    );
    Ok(q!(opt c, Employee, &sql, token_hash, now)?)
}

/// The person behind an unexpired session with what every page shows
/// about them and the instance ([`crate::settings::for_person`]), in one
/// round trip: the page view's authentication and frame together.
pub async fn session_viewer(
    c: &mut Conn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Employee, crate::settings::PersonSettings)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        employee: Employee,
        maintenance: Option<String>,
        language: Option<String>,
        unread: i64,
    }
    let sql = format!(
        "SELECT {EMPLOYEE_COLUMNS}, (SELECT value FROM settings WHERE key = 'maintenance') AS maintenance, \
         (SELECT value FROM settings WHERE key = 'language:' || CAST(e.id AS TEXT)) AS language, \
         (SELECT COUNT(*) FROM notifications n WHERE n.recipient_id = e.id AND n.read_at IS NULL) AS unread \
         FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE {SESSION_IS_LIVE}"
    );
    Ok(q!(opt c, Row, &sql, token_hash, now)?.map(|r| {
        let settings = crate::settings::PersonSettings {
            maintenance: r.maintenance.as_deref() == Some("on"),
            language: r.language,
            unread_notifications: r.unread,
        };
        (r.employee, settings)
    }))
}

pub async fn delete_session(c: &mut Conn<'_>, token_hash: &str) -> Result<bool> {
    Ok(q!(exec c, "DELETE FROM sessions WHERE token_hash = $1", token_hash)? > 0)
}

/// Ends every session of an employee (deactivation, password change).
pub async fn delete_sessions_of(c: &mut Conn<'_>, employee_id: i64) -> Result<u64> {
    Ok(q!(exec c, "DELETE FROM sessions WHERE employee_id = $1", employee_id)?)
}

/// After a person changes their own password: every session but `keep`
/// (the hash of the one they changed it from) ends, and every API token is
/// revoked.
pub async fn end_other_sessions(
    c: &mut Conn<'_>,
    employee_id: i64,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    q!(exec c, "DELETE FROM sessions WHERE employee_id = $1 AND token_hash <> $2", employee_id, keep.unwrap_or(""))?;
    revoke_tokens_of(c, employee_id, now).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub employee_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str = "id, employee_id, name, created_at, expires_at, last_used_at, revoked_at";

pub async fn create_token(
    c: &mut Conn<'_>,
    employee_id: i64,
    name: &str,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<ApiToken> {
    let sql = format!(
        "INSERT INTO api_tokens (employee_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
    );
    Ok(q!(one c, ApiToken, &sql, employee_id, name, token_hash, now, expires_at)?)
}

pub async fn list_tokens(c: &mut Conn<'_>, employee_id: i64) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE employee_id = $1 ORDER BY id");
    Ok(q!(all c, ApiToken, &sql, employee_id)?)
}

/// Revokes a token of `employee_id`; false when there is no such live token.
/// Revokes every live token of a person (password reset, deactivation);
/// how many were live.
pub async fn revoke_tokens_of(c: &mut Conn<'_>, employee_id: i64, now: DateTime<Utc>) -> Result<u64> {
    Ok(
        q!(exec c, "UPDATE api_tokens SET revoked_at = $1 WHERE employee_id = $2 AND revoked_at IS NULL", now, employee_id)?,
    )
}

pub async fn revoke_token(c: &mut Conn<'_>, employee_id: i64, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(q!(exec c, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND employee_id = $3 AND revoked_at IS NULL",
        now, id, employee_id)?
        > 0)
}

/// A live token and the active employee behind it.
#[derive(Debug, Clone)]
pub struct TokenUse {
    pub employee: Employee,
    pub token_id: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The active employee behind a live token.
pub async fn token_employee(c: &mut Conn<'_>, token_hash: &str, now: DateTime<Utc>) -> Result<Option<TokenUse>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        employee: Employee,
        token_id: i64,
        last_used_at: Option<DateTime<Utc>>,
    }
    let sql = format!(
        "SELECT {EMPLOYEE_COLUMNS}, t.id AS token_id, t.last_used_at FROM api_tokens t JOIN employees e ON e.id = t.employee_id \
         WHERE {TOKEN_IS_LIVE}"
    );
    Ok(q!(opt c, Row, &sql, token_hash, now)?.map(|r| TokenUse {
        employee: r.employee,
        token_id: r.token_id,
        last_used_at: r.last_used_at,
    }))
}

/// Records when a token was last used.
pub async fn touch_token(c: &mut Conn<'_>, token_id: i64, now: DateTime<Utc>) -> Result<()> {
    q!(exec c, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", now, token_id)?;
    Ok(())
}

/// Records a login attempt as failed before the password is checked, so
/// that parallel attempts count each other (the count that follows sees
/// this row); returns its id for [`login_succeeded`].
pub async fn begin_login_attempt(c: &mut Conn<'_>, email: &str, client_addr: &str, now: DateTime<Utc>) -> Result<i64> {
    Ok(q!(scalar c, i64,
        "INSERT INTO login_attempts (email, client_addr, success, at) VALUES ($1, $2, FALSE, $3) RETURNING id",
        email, client_addr, now)?)
}

/// The attempt begun with [`begin_login_attempt`] succeeded.
pub async fn login_succeeded(c: &mut Conn<'_>, attempt_id: i64) -> Result<()> {
    q!(exec c, "UPDATE login_attempts SET success = TRUE WHERE id = $1", attempt_id)?;
    Ok(())
}

/// An attempt refused before its password was checked does not count.
pub async fn forget_login_attempt(c: &mut Conn<'_>, attempt_id: i64) -> Result<()> {
    q!(exec c, "DELETE FROM login_attempts WHERE id = $1", attempt_id)?;
    Ok(())
}

/// Failed login attempts of one account or one client address within the
/// limiter's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Failed (or still unchecked) attempts, the current one included.
    pub count: i64,
    /// When the latest failure other than the current attempt happened.
    pub latest_other: Option<DateTime<Utc>>,
}

/// Failures since `since` for this email and for this address, counting
/// the attempt `current` (begun with [`begin_login_attempt`]) but not
/// taking its time as the latest.
pub async fn recent_failures(
    c: &mut Conn<'_>,
    email: &str,
    client_addr: &str,
    since: DateTime<Utc>,
    current: i64,
) -> Result<(Failures, Failures)> {
    let by_email = failures_by(c, "email", email, since, current).await?;
    let by_addr = failures_by(c, "client_addr", client_addr, since, current).await?;
    Ok((by_email, by_addr))
}

/// The failures whose `column` (`email` or `client_addr`, never input) is `value`.
async fn failures_by(
    c: &mut Conn<'_>,
    column: &'static str,
    value: &str,
    since: DateTime<Utc>,
    current: i64,
) -> Result<Failures> {
    let recent = format!("{column} = $1 AND success = FALSE AND at > $2");
    let count = q!(scalar c, i64, &format!("SELECT COUNT(*) FROM login_attempts WHERE {recent}"), value, since)?;
    let latest_other = q!(opt c, (DateTime<Utc>,),
        &format!("SELECT at FROM login_attempts WHERE {recent} AND id <> $3 ORDER BY at DESC LIMIT 1"),
        value, since, current)?
    .map(|(at,)| at);
    Ok(Failures { count, latest_other })
}

/// Housekeeping at login: drops the employee's expired sessions and login
/// attempts on this email older than `attempts_before`.
pub async fn prune(
    c: &mut Conn<'_>,
    employee_id: i64,
    email: &str,
    now: DateTime<Utc>,
    attempts_before: DateTime<Utc>,
) -> Result<()> {
    q!(exec c, "DELETE FROM sessions WHERE employee_id = $1 AND expires_at <= $2", employee_id, now)?;
    q!(exec c, "DELETE FROM login_attempts WHERE email = $1 AND at < $2", email, attempts_before)?;
    Ok(())
}
