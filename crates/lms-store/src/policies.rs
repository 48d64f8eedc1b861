//! Entitlement policies per leave type (allowance, accrual, carry-over) and
//! their assignments to a department or a person, each valid between dates.
//! Which policy applies to whom on a day is decided here in one place
//! ([`Assignments::effective`]): a person's own assignment wins over their
//! department's; among several, the one valid from the latest day.
//!
//! Tables from migration [`MIGRATION`]; callers ask `Db::counts` first.

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{entitlement::Accrual, DomainError, LeaveAmount};
use serde::Serialize;

/// The migration that brings policies, keyed ledger lines and leaving dates.
pub const MIGRATION: i64 = 20261203000003;

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StoredPolicy {
    pub id: i64,
    pub leave_type_id: i64,
    #[sqlx(default)]
    pub leave_type: String,
    pub name: String,
    /// Per full year, in the type's unit (millidays, or minutes for hours).
    pub allowance: i64,
    pub accrual: String,
    /// In the type's unit.
    pub carry_over_cap: i64,
    pub carry_over_months: i32,
    /// The type's unit (not a column of the policy: the caller sets it,
    /// [`Assignments::with_units`]; days until then).
    #[sqlx(skip)]
    pub unit: lms_core::LeaveUnit,
}

impl StoredPolicy {
    /// The domain policy (refusing a stored value this build cannot read).
    pub fn policy(&self) -> Result<lms_core::entitlement::Policy> {
        let accrual: Accrual = self.accrual.parse().map_err(|e: DomainError| StoreError::Corrupt(e.to_string()))?;
        let months = u32::try_from(self.carry_over_months).unwrap_or(0);
        Ok(lms_core::entitlement::Policy::new(
            LeaveAmount::from_millidays(self.allowance),
            accrual,
            LeaveAmount::from_millidays(self.carry_over_cap),
            months,
        )?
        .in_unit(self.unit))
    }
}

/// A policy's values, validated by [`lms_core::entitlement::Policy::new`].
#[derive(Debug, Clone)]
pub struct PolicyValues<'a> {
    pub leave_type_id: i64,
    pub name: &'a str,
    pub policy: lms_core::entitlement::Policy,
}

const POLICY_COLUMNS: &str = "p.id, p.leave_type_id, t.code AS leave_type, p.name, p.allowance, p.accrual, \
    p.carry_over_cap, p.carry_over_months FROM entitlement_policies p JOIN leave_types t ON t.id = p.leave_type_id";

pub async fn list(c: &mut Conn<'_>) -> Result<Vec<StoredPolicy>> {
    let sql = format!("SELECT {POLICY_COLUMNS} ORDER BY p.id");
    Ok(q!(all c, StoredPolicy, &sql)?)
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<StoredPolicy> {
    let sql = format!("SELECT {POLICY_COLUMNS} WHERE p.id = $1");
    q!(opt c, StoredPolicy, &sql, id)?.ok_or_else(|| StoreError::NotFound(format!("policy {id}")))
}

fn map_name(name: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() {
            StoreError::conflict(
                "policy_exists",
                format!("a policy named {name:?} exists already; choose another name"),
            )
        } else {
            e
        }
    }
}

pub async fn create(c: &mut Conn<'_>, v: &PolicyValues<'_>, now: DateTime<Utc>) -> Result<StoredPolicy> {
    let p = &v.policy;
    let id = q!(scalar c, i64,
        "INSERT INTO entitlement_policies (leave_type_id, name, allowance, accrual, carry_over_cap, carry_over_months, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        v.leave_type_id, v.name, p.allowance().millidays(), p.accrual().as_str(), p.carry_over_cap().millidays(),
        p.carry_over_months() as i32, now)
    .map_err(map_name(v.name))?;
    get(c, id).await
}

pub async fn update(c: &mut Conn<'_>, id: i64, v: &PolicyValues<'_>, now: DateTime<Utc>) -> Result<StoredPolicy> {
    let p = &v.policy;
    let n = q!(exec c,
        "UPDATE entitlement_policies SET leave_type_id = $1, name = $2, allowance = $3, accrual = $4, carry_over_cap = $5, \
         carry_over_months = $6, updated_at = $7 WHERE id = $8",
        v.leave_type_id, v.name, p.allowance().millidays(), p.accrual().as_str(), p.carry_over_cap().millidays(),
        p.carry_over_months() as i32, now, id)
    .map_err(map_name(v.name))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("policy {id}")));
    }
    get(c, id).await
}

/// Deletes a policy that nobody is assigned to.
pub async fn delete(c: &mut Conn<'_>, id: i64) -> Result<()> {
    let used = q!(scalar c, i64, "SELECT COUNT(*) FROM policy_assignments WHERE policy_id = $1", id)?;
    if used > 0 {
        return Err(StoreError::conflict(
            "policy_in_use",
            format!("policy {id} has {used} assignment(s); end or delete them first"),
        ));
    }
    if q!(exec c, "DELETE FROM entitlement_policies WHERE id = $1", id)? == 0 {
        return Err(StoreError::NotFound(format!("policy {id}")));
    }
    Ok(())
}

/// To whom a policy applies, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Assignment {
    pub id: i64,
    pub policy_id: i64,
    pub leave_type_id: i64,
    /// A department's name, or…
    pub department: Option<String>,
    /// …one person.
    pub employee_id: Option<i64>,
    pub valid_from: NaiveDate,
    /// The last day it applies, if it ends.
    pub valid_to: Option<NaiveDate>,
}

impl Assignment {
    fn covers(&self, day: NaiveDate) -> bool {
        day >= self.valid_from && self.valid_to.is_none_or(|t| day <= t)
    }
}

/// Whom a new assignment names: a department or a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Department(String),
    Employee(i64),
}

const ASSIGNMENT_COLUMNS: &str =
    "a.id, a.policy_id, p.leave_type_id, a.department, a.employee_id, a.valid_from, a.valid_to \
    FROM policy_assignments a JOIN entitlement_policies p ON p.id = a.policy_id";

/// Every assignment (all policies), for the job and for a person's view.
pub async fn assignments(c: &mut Conn<'_>, policy_id: Option<i64>) -> Result<Vec<Assignment>> {
    let sql = format!("SELECT {ASSIGNMENT_COLUMNS} WHERE ($1 IS NULL OR a.policy_id = $1) ORDER BY a.id");
    Ok(q!(all c, Assignment, &sql, policy_id)?)
}

pub async fn assign(
    c: &mut Conn<'_>,
    policy_id: i64,
    to: &Assignee,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Assignment> {
    get(c, policy_id).await?;
    if let Some(t) = valid_to {
        lms_core::DateRange::new(valid_from, t)?;
    }
    let (department, employee_id) = match to {
        Assignee::Department(d) => (Some(d.as_str()), None),
        Assignee::Employee(e) => (None, Some(*e)),
    };
    if let Some(e) = employee_id {
        if crate::employees::get(c, e).await?.is_none() {
            return Err(StoreError::NotFound(format!("employee {e}")));
        }
    }
    let id = q!(scalar c, i64,
        "INSERT INTO policy_assignments (policy_id, department, employee_id, valid_from, valid_to, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        policy_id, department, employee_id, valid_from, valid_to, now)?;
    let sql = format!("SELECT {ASSIGNMENT_COLUMNS} WHERE a.id = $1");
    Ok(q!(one c, Assignment, &sql, id)?)
}

pub async fn unassign(c: &mut Conn<'_>, id: i64) -> Result<Assignment> {
    let sql = format!("SELECT {ASSIGNMENT_COLUMNS} WHERE a.id = $1");
    let a = q!(opt c, Assignment, &sql, id)?.ok_or_else(|| StoreError::NotFound(format!("policy assignment {id}")))?;
    q!(exec c, "DELETE FROM policy_assignments WHERE id = $1", id)?;
    Ok(a)
}

/// All assignments and policies, to answer "which policy applies to this
/// person for this type on this day" without another round trip.
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    pub policies: Vec<StoredPolicy>,
    pub assignments: Vec<Assignment>,
}

impl Assignments {
    pub async fn load(c: &mut Conn<'_>) -> Result<Assignments> {
        Ok(Assignments { policies: list(c).await?, assignments: assignments(c, None).await? })
    }

    /// The same, each policy knowing its type's unit.
    pub fn with_units(mut self, units: &crate::leave_types::TypeUnits) -> Self {
        for p in &mut self.policies {
            p.unit = units.of(&p.leave_type);
        }
        self
    }

    /// The policy of `leave_type_id` for a person of `department` on `day`:
    /// their own assignment before their department's, then the latest
    /// `valid_from`.
    pub fn effective(
        &self,
        employee_id: i64,
        department: &str,
        leave_type_id: i64,
        day: NaiveDate,
    ) -> Option<&StoredPolicy> {
        let mine = |a: &&Assignment| a.employee_id == Some(employee_id);
        let dept = |a: &&Assignment| a.department.as_deref() == Some(department);
        let candidates = self.assignments.iter().filter(|a| a.leave_type_id == leave_type_id && a.covers(day));
        let best = candidates
            .clone()
            .filter(mine)
            .max_by_key(|a| (a.valid_from, a.id))
            .or_else(|| candidates.filter(dept).max_by_key(|a| (a.valid_from, a.id)))?;
        self.policies.iter().find(|p| p.id == best.policy_id)
    }

    /// The leave types any policy covers.
    pub fn leave_types(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.policies.iter().map(|p| p.leave_type_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}
