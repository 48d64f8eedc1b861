//! Employees: people, their manager, role and login password hash.
//! People are deactivated, never deleted.

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{Actor, Email, Role};
use serde::Serialize;

const COLUMNS: &str = "id, email, name, department, manager_id, start_date, role, active, created_at, updated_at";

/// An employee as stored (without the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Employee {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub department: String,
    pub manager_id: Option<i64>,
    pub start_date: NaiveDate,
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Employee {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Employee)
    }
    pub fn actor(&self) -> Actor {
        Actor { id: self.id, role: self.role() }
    }
}

/// Values of a new employee, already validated.
#[derive(Debug, Clone)]
pub struct NewEmployee {
    pub email: Email,
    pub name: String,
    pub department: String,
    pub manager_id: Option<i64>,
    pub start_date: NaiveDate,
    pub role: Role,
    pub password_hash: Option<String>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EmployeeChanges {
    pub name: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<Option<i64>>,
    pub start_date: Option<NaiveDate>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

pub async fn create(c: &mut Conn<'_>, e: &NewEmployee, now: DateTime<Utc>) -> Result<Employee> {
    let sql = format!(
        "INSERT INTO employees (email, name, department, manager_id, start_date, role, active, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $8) RETURNING {COLUMNS}"
    );
    let res = q!(one c, Employee, &sql, e.email.as_str(), &e.name, &e.department, e.manager_id, e.start_date, e.role.as_str(), e.password_hash.as_deref(), now);
    res.map_err(|err| {
        let err = StoreError::from(err);
        if err.is_unique_violation() {
            StoreError::conflict("email_taken", format!("an employee with email {} already exists", e.email))
        } else {
            err
        }
    })
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<Employee>> {
    let sql = format!("SELECT {COLUMNS} FROM employees WHERE id = $1");
    Ok(q!(opt c, Employee, &sql, id)?)
}

pub async fn require(c: &mut Conn<'_>, id: i64) -> Result<Employee> {
    get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("employee {id}")))
}

/// The employee and password hash for a login email.
pub async fn login_record(c: &mut Conn<'_>, email: &str) -> Result<Option<(Employee, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        e: Employee,
        password_hash: Option<String>,
    }
    let sql = format!("SELECT {COLUMNS}, password_hash FROM employees WHERE email = $1");
    Ok(q!(opt c, Row, &sql, email)?.map(|r| (r.e, r.password_hash)))
}

pub async fn list(c: &mut Conn<'_>, include_inactive: bool, limit: i64, offset: i64) -> Result<Vec<Employee>> {
    let sql =
        format!("SELECT {COLUMNS} FROM employees WHERE active = TRUE OR $1 = TRUE ORDER BY id LIMIT $2 OFFSET $3");
    Ok(q!(all c, Employee, &sql, include_inactive, limit, offset)?)
}

/// Which people a directory lists.
#[derive(Debug, Clone, Default)]
pub struct Directory<'a> {
    /// Only the direct reports of this person.
    pub manager: Option<i64>,
    pub department: Option<&'a str>,
    /// Part of the name or email, any case.
    pub search: Option<&'a str>,
    pub include_inactive: bool,
    pub limit: i64,
    pub offset: i64,
}

/// People by name, filtered as `d` says; and how many match in all.
pub async fn directory(c: &mut Conn<'_>, d: &Directory<'_>) -> Result<(Vec<Employee>, i64)> {
    let pattern = d.search.map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
    let filter =
        "($1 = TRUE OR active = TRUE) AND ($2 IS NULL OR manager_id = $2) AND ($3 IS NULL OR department = $3) \
                  AND ($4 IS NULL OR LOWER(name) LIKE $4 OR LOWER(email) LIKE $4)";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        employee: Employee,
        total: i64,
    }
    // The total comes with the page (a window over the filtered rows); only
    // a page past the end needs a statement of its own to count.
    let sql = format!(
        "SELECT {COLUMNS}, COUNT(*) OVER () AS total FROM employees WHERE {filter} ORDER BY name, id LIMIT $5 OFFSET $6"
    );
    let rows =
        q!(all c, Row, &sql, d.include_inactive, d.manager, d.department, pattern.as_deref(), d.limit, d.offset)?;
    let total = match rows.first() {
        Some(r) => r.total,
        None if d.offset == 0 => 0,
        None => {
            let count = format!("SELECT COUNT(*) FROM employees WHERE {filter}");
            q!(scalar c, i64, &count, d.include_inactive, d.manager, d.department, pattern.as_deref())?
        }
    };
    Ok((rows.into_iter().map(|r| r.employee).collect(), total))
}

/// The departments people belong to, by name.
pub async fn departments(c: &mut Conn<'_>) -> Result<Vec<String>> {
    Ok(q!(all c, (String,), "SELECT DISTINCT department FROM employees WHERE active = TRUE ORDER BY department")?
        .into_iter()
        .map(|(d,)| d)
        .collect())
}

/// Active HR admins, who approve requests of people without a manager.
pub async fn hr_admin_ids(c: &mut Conn<'_>) -> Result<Vec<i64>> {
    Ok(q!(all c, (i64,), "SELECT id FROM employees WHERE role = 'hr-admin' AND active = TRUE ORDER BY id")?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

pub async fn count_active(c: &mut Conn<'_>) -> Result<i64> {
    Ok(q!(scalar c, i64, "SELECT COUNT(*) FROM employees WHERE active = TRUE")?)
}

pub async fn set_password(c: &mut Conn<'_>, id: i64, hash: &str, now: DateTime<Utc>) -> Result<()> {
    q!(exec c, "UPDATE employees SET password_hash = $1, updated_at = $2 WHERE id = $3", hash, now, id)?;
    Ok(())
}

pub async fn update(c: &mut Conn<'_>, id: i64, ch: &EmployeeChanges, now: DateTime<Utc>) -> Result<Employee> {
    let cur = require(c, id).await?;
    let name = ch.name.clone().unwrap_or(cur.name);
    let department = ch.department.clone().unwrap_or(cur.department);
    let manager_id = ch.manager_id.unwrap_or(cur.manager_id);
    let start_date = ch.start_date.unwrap_or(cur.start_date);
    let role = ch.role.map(|r| r.as_str().to_string()).unwrap_or(cur.role);
    let active = ch.active.unwrap_or(cur.active);
    let sql = format!(
        "UPDATE employees SET name = $1, department = $2, manager_id = $3, start_date = $4, role = $5, active = $6, \
         updated_at = $7 WHERE id = $8 RETURNING {COLUMNS}"
    );
    Ok(q!(one c, Employee, &sql, name, department, manager_id, start_date, role, active, now, id)?)
}

/// Takes the employee's row lock for the rest of the transaction, so that
/// concurrent balance-changing operations of one person run one at a time.
/// (On SQLite the first write also takes the database write lock.)
pub async fn lock(c: &mut Conn<'_>, id: i64) -> Result<()> {
    let n = q!(exec c, "UPDATE employees SET lock_version = lock_version + 1 WHERE id = $1", id)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("employee {id}")));
    }
    Ok(())
}

/// Whether `manager` would become a manager of itself through `employee`.
pub async fn would_cycle(c: &mut Conn<'_>, employee: i64, manager: i64) -> Result<bool> {
    let mut cur = Some(manager);
    let mut steps = 0;
    while let Some(id) = cur {
        if id == employee {
            return Ok(true);
        }
        steps += 1;
        if steps > 1000 {
            return Ok(true);
        }
        cur = get(c, id).await?.and_then(|e| e.manager_id);
    }
    Ok(false)
}
