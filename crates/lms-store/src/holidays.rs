//! Company holidays: dates that are not working days for anyone.

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::WorkCalendar;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Holiday {
    pub id: i64,
    #[serde(rename = "date")]
    pub day: NaiveDate,
    pub name: String,
}

pub async fn list(c: &mut Conn<'_>, from: NaiveDate, to: NaiveDate) -> Result<Vec<Holiday>> {
    Ok(q!(all c, Holiday, "SELECT id, day, name FROM holidays WHERE day >= $1 AND day <= $2 ORDER BY day", from, to)?)
}

/// The work calendar covering `from..=to`.
pub async fn calendar(c: &mut Conn<'_>, from: NaiveDate, to: NaiveDate) -> Result<WorkCalendar> {
    Ok(WorkCalendar::new(list(c, from, to).await?.into_iter().map(|h| h.day)))
}

fn map_dup(day: NaiveDate) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() {
            StoreError::conflict("holiday_exists", format!("{day} is already a holiday"))
        } else {
            e
        }
    }
}

pub async fn create(c: &mut Conn<'_>, day: NaiveDate, name: &str, now: DateTime<Utc>) -> Result<Holiday> {
    q!(one c, Holiday, "INSERT INTO holidays (day, name, created_at) VALUES ($1, $2, $3) RETURNING id, day, name", day, name, now)
        .map_err(map_dup(day))
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<Holiday>> {
    Ok(q!(opt c, Holiday, "SELECT id, day, name FROM holidays WHERE id = $1", id)?)
}

pub async fn update(c: &mut Conn<'_>, id: i64, day: NaiveDate, name: &str) -> Result<Holiday> {
    q!(opt c, Holiday, "UPDATE holidays SET day = $1, name = $2 WHERE id = $3 RETURNING id, day, name", day, name, id)
        .map_err(map_dup(day))?
        .ok_or_else(|| StoreError::NotFound(format!("holiday {id}")))
}

pub async fn delete(c: &mut Conn<'_>, id: i64) -> Result<bool> {
    Ok(q!(exec c, "DELETE FROM holidays WHERE id = $1", id)? > 0)
}
