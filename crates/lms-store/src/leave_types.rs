//! Leave types: code, name, whether they deduct from a balance, colour and
//! the default yearly allowance; and the unit each is measured in (days or
//! hours, migration [`UNITS_VERSION`]: the caller says through [`Units`]
//! whether the instance counts on it).

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, Utc};
use lms_core::LeaveUnit;
use serde::Serialize;
use std::collections::HashMap;

/// The migration that adds `leave_types.unit`. An instance that does not
/// count on it (`Db::counts`) reads every type as measured in days.
pub const UNITS_VERSION: i64 = 20261203000005;

/// Which units an instance reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// Every type in days (the release before units).
    AllDays,
    /// Each type's own unit (`leave_types.unit`).
    PerType,
}

impl Units {
    /// The SQL expression of the unit of leave type `t` (aliased `unit`).
    pub(crate) fn column(self) -> &'static str {
        match self {
            Units::AllDays => "'days' AS unit",
            Units::PerType => "t.unit AS unit",
        }
    }
}

/// Reads a stored unit; one this build does not know is an error.
pub(crate) fn parse_unit(raw: &str) -> Result<LeaveUnit> {
    raw.parse().map_err(|_| StoreError::Corrupt(format!("unknown leave unit '{raw}'")))
}

/// Leave type `id`'s unit (days when the instance reads none).
pub async fn unit(c: &mut Conn<'_>, id: i64, units: Units) -> Result<LeaveUnit> {
    match units {
        Units::AllDays => Ok(LeaveUnit::Days),
        Units::PerType => match q!(opt c, (String,), "SELECT unit FROM leave_types WHERE id = $1", id)? {
            Some((u,)) => parse_unit(&u),
            None => Err(StoreError::NotFound(format!("leave type {id}"))),
        },
    }
}

/// The unit of every leave type, by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeUnits(HashMap<String, LeaveUnit>);

impl TypeUnits {
    /// The unit of the type `code` (days for a type it does not know).
    pub fn of(&self, code: &str) -> LeaveUnit {
        self.0.get(code).copied().unwrap_or_default()
    }
}

/// The unit of every leave type (all days when the instance reads none).
pub async fn units(c: &mut Conn<'_>, units: Units) -> Result<TypeUnits> {
    match units {
        Units::AllDays => Ok(TypeUnits::default()),
        Units::PerType => {
            let rows = q!(all c, (String, String), "SELECT code, unit FROM leave_types")?;
            let mut map = HashMap::with_capacity(rows.len());
            for (code, unit) in rows {
                map.insert(code, parse_unit(&unit)?);
            }
            Ok(TypeUnits(map))
        }
    }
}

/// Sets leave type `id`'s unit (only on an instance that counts on [`UNITS_VERSION`]).
pub async fn set_unit(c: &mut Conn<'_>, id: i64, unit: LeaveUnit, now: DateTime<Utc>) -> Result<()> {
    q!(exec c, "UPDATE leave_types SET unit = $1, updated_at = $2 WHERE id = $3", unit.as_str(), now, id)?;
    Ok(())
}

/// Whether any amount was written in leave type `id`: a ledger line or a
/// request (in any status: a cancelled one keeps its amount).
pub async fn has_amounts(c: &mut Conn<'_>, id: i64) -> Result<bool> {
    let n = q!(scalar c, i64,
        "SELECT (SELECT COUNT(*) FROM ledger_entries WHERE leave_type_id = $1) + (SELECT COUNT(*) FROM leave_requests WHERE leave_type_id = $1)",
        id)?;
    Ok(n > 0)
}

const COLUMNS: &str = "id, code, name, deducts_balance, requires_approval, colour, default_allowance, active";

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LeaveType {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub deducts_balance: bool,
    pub requires_approval: bool,
    pub colour: String,
    /// Millidays granted each year by default, if any.
    pub default_allowance: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewLeaveType {
    pub code: String,
    pub name: String,
    pub deducts_balance: bool,
    pub requires_approval: bool,
    pub colour: String,
    pub default_allowance: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct LeaveTypeChanges {
    pub name: Option<String>,
    pub deducts_balance: Option<bool>,
    pub requires_approval: Option<bool>,
    pub colour: Option<String>,
    pub default_allowance: Option<Option<i64>>,
    pub active: Option<bool>,
}

pub async fn list(c: &mut Conn<'_>, include_inactive: bool) -> Result<Vec<LeaveType>> {
    let sql = format!("SELECT {COLUMNS} FROM leave_types WHERE active = TRUE OR $1 = TRUE ORDER BY id");
    Ok(q!(all c, LeaveType, &sql, include_inactive)?)
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<LeaveType>> {
    let sql = format!("SELECT {COLUMNS} FROM leave_types WHERE id = $1");
    Ok(q!(opt c, LeaveType, &sql, id)?)
}

pub async fn by_code(c: &mut Conn<'_>, code: &str) -> Result<Option<LeaveType>> {
    let sql = format!("SELECT {COLUMNS} FROM leave_types WHERE code = $1");
    Ok(q!(opt c, LeaveType, &sql, code)?)
}

pub async fn create(c: &mut Conn<'_>, t: &NewLeaveType, now: DateTime<Utc>) -> Result<LeaveType> {
    let sql = format!(
        "INSERT INTO leave_types (code, name, deducts_balance, requires_approval, colour, default_allowance, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7) RETURNING {COLUMNS}"
    );
    q!(one c, LeaveType, &sql, &t.code, &t.name, t.deducts_balance, t.requires_approval, &t.colour, t.default_allowance, now)
        .map_err(|e| {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                StoreError::conflict("leave_type_exists", format!("a leave type with code '{}' already exists", t.code))
            } else {
                e
            }
        })
}

pub async fn update(c: &mut Conn<'_>, id: i64, ch: &LeaveTypeChanges, now: DateTime<Utc>) -> Result<LeaveType> {
    let cur = get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave type {id}")))?;
    let sql = format!(
        "UPDATE leave_types SET name = $1, deducts_balance = $2, requires_approval = $3, colour = $4, default_allowance = $5, \
         active = $6, updated_at = $7 WHERE id = $8 RETURNING {COLUMNS}"
    );
    Ok(q!(one c, LeaveType, &sql,
        ch.name.clone().unwrap_or(cur.name),
        ch.deducts_balance.unwrap_or(cur.deducts_balance),
        ch.requires_approval.unwrap_or(cur.requires_approval),
        ch.colour.clone().unwrap_or(cur.colour),
        ch.default_allowance.unwrap_or(cur.default_allowance),
        ch.active.unwrap_or(cur.active),
        now, id)?)
}

/// The settings key holding leave type `id`'s request rules. Kept in
/// `settings` rather than in columns of `leave_types` so that this release
/// runs on the schema of the release before it (a cutover rehearsal's
/// stand-in for blue).
fn rules_key(id: i64) -> String {
    format!("leave_type_rules:{id}")
}

/// Leave type `id`'s request rules (none set: the default, no limits). A
/// stored value this build cannot read is an error, never "no rules".
pub async fn rules(c: &mut Conn<'_>, id: i64) -> Result<lms_core::TypeRules> {
    match q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", rules_key(id))? {
        None => Ok(lms_core::TypeRules::default()),
        Some((json,)) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("the rules of leave type {id} cannot be read: {e}"))),
    }
}

/// Stores leave type `id`'s request rules (the default clears them).
pub async fn set_rules(
    c: &mut Conn<'_>,
    id: i64,
    rules: &lms_core::TypeRules,
    by: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let key = rules_key(id);
    q!(exec c, "DELETE FROM settings WHERE key = $1", &key)?;
    if *rules != lms_core::TypeRules::default() {
        let json = serde_json::to_string(rules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        q!(exec c, "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
            &key, json, now, by)?;
    }
    Ok(())
}
