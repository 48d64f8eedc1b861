//! Single sign-on's use cases: who a verified provider identity is in LMS,
//! HR's settings (create people on their first sign-in, and their
//! department), and whether a person may sign in with a password.
//!
//! The matching rule, in order:
//! 1. an identity (issuer and subject) linked before is that person;
//! 2. otherwise a *verified* email that a person has links the identity to
//!    them (`sso.link`, audited), so a later change of email at the
//!    provider still finds them;
//! 3. otherwise, when HR allows it, a person is created (role employee, in
//!    HR's department, starting today, without a password; audited as
//!    `employee.create`, as HR's own creations are) and linked.
//!
//! An unverified or missing email never matches nor creates anyone; an
//! inactive person is refused. Talking to the provider — and so checking
//! the ID token — is the caller's: this module must not know HTTP, tokens
//! or OpenID Connect, only the verified claims it is given.

use crate::audit::{record as audit, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::{DomainError, Email, Role};
use lms_store::audit::AuditContext;
use lms_store::employees::{self, Employee, NewEmployee};
use lms_store::sso::{self as store, Identity, PasswordLogin};
use lms_store::{Db, StoreError};
use serde::Serialize;

pub use lms_store::sso::{BegunLogin, NewLogin, SsoSettings, DEFAULT_DEPARTMENT, SINGLE_SIGN_ON};

/// Whether this instance counts on single sign-on's migration.
pub fn available(db: &Db) -> bool {
    db.counts(SINGLE_SIGN_ON)
}

fn require_schema(db: &Db) -> Result<()> {
    crate::require_schema(db, SINGLE_SIGN_ON, "single sign-on needs")
}

/// What the provider vouched for, its ID token's signature, issuer,
/// audience, expiry and nonce checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// `email_verified`; missing counts as not verified.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a verified identity does not sign anyone in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The provider did not vouch for the email (or gave none).
    UnverifiedEmail,
    /// No person has the email, and HR does not let sign-ins create people.
    NoAccount,
    /// The person is deactivated.
    Inactive,
}

impl Refusal {
    /// The word the audit log and the page's message key use.
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::UnverifiedEmail => "unverified_email",
            Refusal::NoAccount => "no_account",
            Refusal::Inactive => "inactive",
        }
    }
}

/// Who `claims` is: the person they sign in as (linking or creating as
/// the rule says, in one transaction), or why not. `by` names the request
/// for the audit log; its actor is ignored (nobody is signed in yet).
pub async fn resolve(
    db: &Db,
    by: &AuditContext,
    claims: &VerifiedClaims,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Employee, Refusal>> {
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let email = claims.email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty());
    if let Some(id) = store::linked_employee(&mut tx.conn(), &claims.issuer, &claims.subject).await? {
        let e = employees::require(&mut tx.conn(), id).await?;
        if !e.active {
            return Ok(Err(Refusal::Inactive));
        }
        let seen = email.as_deref().filter(|_| claims.email_verified).unwrap_or(&e.email);
        store::touch(&mut tx.conn(), &claims.issuer, &claims.subject, seen, now).await?;
        tx.commit().await?;
        return Ok(Ok(e));
    }
    let Some(email) = email.filter(|_| claims.email_verified) else { return Ok(Err(Refusal::UnverifiedEmail)) };
    let person = match store::employee_by_email(&mut tx.conn(), &email).await? {
        Some(e) if !e.active => return Ok(Err(Refusal::Inactive)),
        Some(e) => e,
        None => {
            let settings = store::settings(&mut tx.conn()).await?;
            if !settings.create_people {
                return Ok(Err(Refusal::NoAccount));
            }
            let Ok(parsed) = Email::parse(&email) else { return Ok(Err(Refusal::UnverifiedEmail)) };
            let name = claims
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| n.chars().take(200).collect::<String>())
                .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let new = NewEmployee {
                email: parsed,
                name,
                department: settings.department,
                manager_id: None,
                start_date: now.date_naive(),
                role: Role::Employee,
                password_hash: None,
            };
            let e = employees::create(&mut tx.conn(), &new, now).await?;
            let what = Audited {
                action: "employee.create",
                entity: ("employee", e.id.to_string()),
                before: None,
                after: Some(&e),
            };
            audit(&mut tx.conn(), &signing_in(by, e.id), what, now).await?;
            e
        }
    };
    let linked = store::link(&mut tx.conn(), &claims.issuer, &claims.subject, person.id, &email, now).await?;
    if linked != person.id {
        // Another sign-in linked the identity first, to someone else.
        let e = employees::require(&mut tx.conn(), linked).await?;
        tx.commit().await?;
        return Ok(if e.active { Ok(e) } else { Err(Refusal::Inactive) });
    }
    let link = Linked { issuer: &claims.issuer, subject: &claims.subject, email: &email };
    let what =
        Audited { action: "sso.link", entity: ("employee", person.id.to_string()), before: None, after: Some(&link) };
    audit(&mut tx.conn(), &signing_in(by, person.id), what, now).await?;
    tx.commit().await?;
    Ok(Ok(person))
}

/// The audit context of a step the person signing in causes.
fn signing_in(by: &AuditContext, employee_id: i64) -> AuditContext {
    AuditContext { actor_id: Some(employee_id), ..by.clone() }
}

/// What the audit log keeps of a link.
#[derive(Serialize)]
struct Linked<'a> {
    issuer: &'a str,
    subject: &'a str,
    email: &'a str,
}

/// HR's settings (HR admins).
pub async fn settings(db: &Db, caller: &Caller) -> Result<SsoSettings> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    Ok(store::settings(&mut c.conn()).await?)
}

/// Changes HR's settings (HR admins; audited as `settings.sso`).
pub async fn set_settings(db: &Db, caller: &Caller, new: SsoSettings, now: DateTime<Utc>) -> Result<SsoSettings> {
    caller.require_hr()?;
    require_schema(db)?;
    let department = new.department.trim().to_string();
    if department.is_empty() || department.chars().count() > 100 {
        return Err(DomainError::InvalidRule(
            "name the department of people created at their first sign-in (1 to 100 characters)".into(),
        )
        .into());
    }
    let new = SsoSettings { department, ..new };
    let mut tx = db.begin().await?;
    let before = store::settings(&mut tx.conn()).await?;
    store::set_settings(&mut tx.conn(), &new, Some(caller.actor.id), now).await?;
    let what = Audited {
        action: "settings.sso",
        entity: ("settings", "sso".into()),
        before: Some(&before),
        after: Some(&new),
    };
    audit(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(new)
}

/// How a person signs in: with a password or not, and the identities
/// linked to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignInMethods {
    pub password: PasswordLogin,
    pub identities: Vec<Identity>,
}

/// How person `id` signs in (HR admins, or the person themselves).
pub async fn sign_in_methods(db: &Db, caller: &Caller, id: i64) -> Result<SignInMethods> {
    if caller.actor.id != id {
        caller.require_hr()?;
    }
    require_schema(db)?;
    let mut c = db.acquire().await?;
    let password = store::password_login(&mut c.conn(), id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("employee {id}")))?;
    Ok(SignInMethods { password, identities: store::identities_of(&mut c.conn(), id).await? })
}

/// What the audit log keeps of a change to password sign-in.
#[derive(Serialize)]
struct PasswordState {
    enabled: bool,
}

/// Allows or forbids person `id` to sign in with a password (HR admins;
/// audited as `employee.password_login`). Forbidding drops their password
/// and ends the sessions a password opened; an HR admin may not forbid
/// their own (they could lock themselves out). `sso_configured`: whether
/// this instance offers single sign-on (without it, forbidding would leave
/// the person no way in, so it is refused).
pub async fn set_password_login(
    db: &Db,
    caller: &Caller,
    id: i64,
    enabled: bool,
    sso_configured: bool,
    now: DateTime<Utc>,
) -> Result<SignInMethods> {
    caller.require_hr()?;
    require_schema(db)?;
    if !enabled && id == caller.actor.id {
        return Err(DomainError::SelfLockout.into());
    }
    if !enabled && !sso_configured {
        return Err(StoreError::conflict(
            "sso_not_configured",
            "this LMS has no single sign-on configured (lms serve --oidc-issuer): without a password the \
             person could not sign in at all",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let before = store::password_login(&mut tx.conn(), id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("employee {id}")))?;
    if before.enabled != enabled {
        store::set_password_login(&mut tx.conn(), id, enabled, now).await?;
        let what = Audited {
            action: "employee.password_login",
            entity: ("employee", id.to_string()),
            before: Some(&PasswordState { enabled: before.enabled }),
            after: Some(&PasswordState { enabled }),
        };
        audit(&mut tx.conn(), &caller.audit(), what, now).await?;
    }
    let password = store::password_login(&mut tx.conn(), id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("employee {id}")))?;
    let identities = store::identities_of(&mut tx.conn(), id).await?;
    tx.commit().await?;
    Ok(SignInMethods { password, identities })
}

/// Refuses a new password for a person whose password sign-in is off (a
/// front door setting a password checks this first). An instance without
/// the migration has no such flag.
pub async fn require_password_login(db: &Db, id: i64) -> Result<()> {
    if !available(db) {
        return Ok(());
    }
    let mut c = db.acquire().await?;
    match store::password_login(&mut c.conn(), id).await? {
        Some(p) if !p.enabled => Err(StoreError::conflict(
            "password_login_off",
            "this person signs in with single sign-on only; allow password sign-in first \
             (`PUT /api/v1/employees/<id>/sign-in` with `{\"password_login\": true}`)",
        )
        .into()),
        _ => Ok(()),
    }
}
