//! Locations and their holiday calendars: each location has its own
//! complete calendar of one-off and yearly holidays; a person belongs to at
//! most one location, and a person without one keeps the company-wide
//! calendar (`holidays`). Which calendar counts for a person is
//! [`calendar_of`]; the tables come with migration [`LOCATIONS_VERSION`],
//! so the caller says through [`Calendars`] whether the instance counts on
//! them. The rules (yearly dates, one holiday per date, what an import
//! adds) are `lms_core::holiday`'s.

use crate::holidays::{self, Holiday};
use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::HolidayDate;
use serde::Serialize;

/// The migration that brings locations (`locations`, `location_holidays`,
/// `employee_locations`). An instance that does not count on it
/// (`Db::counts`) treats everyone as having no location.
pub const LOCATIONS_VERSION: i64 = 20261203000001;

/// Which holiday calendars an instance reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendars {
    /// The company-wide calendar for everyone (the release before locations).
    CompanyOnly,
    /// A person's location's calendar; the company-wide one for people without a location.
    PerLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Location {
    pub id: i64,
    pub name: String,
    /// People who belong to it.
    pub people: i64,
}

/// One holiday of a location: once on `date`, or every year from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LocationHoliday {
    pub id: i64,
    pub location_id: i64,
    #[serde(rename = "date")]
    pub day: NaiveDate,
    pub name: String,
    pub recurring: bool,
}

impl LocationHoliday {
    pub fn when(&self) -> HolidayDate {
        HolidayDate::new(self.day, self.recurring)
    }
}

/// The calendar that counts for a person, and the holidays it puts in a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedCalendar {
    /// The person's location; `None`: the company-wide calendar.
    pub location: Option<Location>,
    /// One holiday per date, in order (`id` is the location holiday's or the company holiday's).
    pub holidays: Vec<Holiday>,
}

const SELECT: &str = "SELECT l.id, l.name, \
     (SELECT COUNT(*) FROM employee_locations el WHERE el.location_id = l.id) AS people FROM locations l";

pub async fn list(c: &mut Conn<'_>) -> Result<Vec<Location>> {
    Ok(q!(all c, Location, &format!("{SELECT} ORDER BY l.name, l.id"))?)
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<Location>> {
    Ok(q!(opt c, Location, &format!("{SELECT} WHERE l.id = $1"), id)?)
}

pub async fn require(c: &mut Conn<'_>, id: i64) -> Result<Location> {
    get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("location {id}")))
}

fn map_name_taken(name: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() {
            StoreError::conflict("location_exists", format!("a location named '{name}' exists already"))
        } else {
            e
        }
    }
}

pub async fn create(c: &mut Conn<'_>, name: &str, now: DateTime<Utc>) -> Result<Location> {
    let id = q!(scalar c, i64, "INSERT INTO locations (name, created_at) VALUES ($1, $2) RETURNING id", name, now)
        .map_err(map_name_taken(name))?;
    require(c, id).await
}

pub async fn rename(c: &mut Conn<'_>, id: i64, name: &str) -> Result<Location> {
    let n = q!(exec c, "UPDATE locations SET name = $1 WHERE id = $2", name, id).map_err(map_name_taken(name))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("location {id}")));
    }
    require(c, id).await
}

/// Deletes a location nobody belongs to, with its holidays.
pub async fn delete(c: &mut Conn<'_>, id: i64) -> Result<()> {
    let loc = require(c, id).await?;
    if loc.people > 0 {
        return Err(StoreError::conflict(
            "location_in_use",
            format!("{} people belong to '{}'; move them to another location first", loc.people, loc.name),
        ));
    }
    q!(exec c, "DELETE FROM location_holidays WHERE location_id = $1", id)?;
    q!(exec c, "DELETE FROM locations WHERE id = $1", id)?;
    Ok(())
}

const HOLIDAY: &str = "SELECT id, location_id, day, name, recurring FROM location_holidays";

/// A location's holidays as entered (yearly ones once), one-offs first, by date.
pub async fn holidays_of(c: &mut Conn<'_>, location_id: i64) -> Result<Vec<LocationHoliday>> {
    Ok(
        q!(all c, LocationHoliday, &format!("{HOLIDAY} WHERE location_id = $1 ORDER BY recurring, day, id"), location_id)?,
    )
}

pub async fn holiday(c: &mut Conn<'_>, location_id: i64, id: i64) -> Result<LocationHoliday> {
    q!(opt c, LocationHoliday, &format!("{HOLIDAY} WHERE id = $1 AND location_id = $2"), id, location_id)?
        .ok_or_else(|| StoreError::NotFound(format!("holiday {id} of location {location_id}")))
}

/// Refuses `when` if the location's other holidays already make every one of its days a holiday.
fn refuse_covered(others: &[LocationHoliday], when: HolidayDate) -> Result<()> {
    match others.iter().find(|h| h.when().covers(&when)) {
        Some(h) => Err(StoreError::conflict(
            "holiday_exists",
            format!(
                "'{}' ({}{}) already makes this a holiday",
                h.name,
                h.day,
                if h.recurring { ", every year" } else { "" }
            ),
        )),
        None => Ok(()),
    }
}

/// Adds a holiday; one whose days are all holidays already is a conflict.
pub async fn add_holiday(
    c: &mut Conn<'_>,
    location_id: i64,
    when: HolidayDate,
    name: &str,
    now: DateTime<Utc>,
) -> Result<LocationHoliday> {
    require(c, location_id).await?;
    refuse_covered(&holidays_of(c, location_id).await?, when)?;
    insert_holiday(c, location_id, when, name, now).await
}

async fn insert_holiday(
    c: &mut Conn<'_>,
    location_id: i64,
    when: HolidayDate,
    name: &str,
    now: DateTime<Utc>,
) -> Result<LocationHoliday> {
    let sql = "INSERT INTO location_holidays (location_id, day, name, recurring, created_at) \
               VALUES ($1, $2, $3, $4, $5) RETURNING id, location_id, day, name, recurring";
    q!(one c, LocationHoliday, sql, location_id, when.first(), name, when.is_recurring(), now).map_err(|e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() {
            StoreError::conflict("holiday_exists", format!("{} is already a holiday of this location", when.first()))
        } else {
            e
        }
    })
}

/// Changes a holiday's date, name or recurrence.
pub async fn update_holiday(
    c: &mut Conn<'_>,
    location_id: i64,
    id: i64,
    when: HolidayDate,
    name: &str,
) -> Result<LocationHoliday> {
    holiday(c, location_id, id).await?;
    let others: Vec<_> = holidays_of(c, location_id).await?.into_iter().filter(|h| h.id != id).collect();
    refuse_covered(&others, when)?;
    let sql = "UPDATE location_holidays SET day = $1, name = $2, recurring = $3 WHERE id = $4 AND location_id = $5 \
               RETURNING id, location_id, day, name, recurring";
    q!(one c, LocationHoliday, sql, when.first(), name, when.is_recurring(), id, location_id).map_err(|e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() {
            StoreError::conflict("holiday_exists", format!("{} is already a holiday of this location", when.first()))
        } else {
            e
        }
    })
}

pub async fn delete_holiday(c: &mut Conn<'_>, location_id: i64, id: i64) -> Result<()> {
    holiday(c, location_id, id).await?;
    q!(exec c, "DELETE FROM location_holidays WHERE id = $1", id)?;
    Ok(())
}

/// What an import added, and what it brought that was already there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imported {
    pub added: Vec<LocationHoliday>,
    pub already_there: Vec<(HolidayDate, String)>,
}

/// Adds what `incoming` brings that the location lacks (all of it, or none
/// when a statement fails: the caller's transaction).
pub async fn import(
    c: &mut Conn<'_>,
    location_id: i64,
    incoming: Vec<(HolidayDate, String)>,
    now: DateTime<Utc>,
) -> Result<Imported> {
    require(c, location_id).await?;
    let existing: Vec<HolidayDate> = holidays_of(c, location_id).await?.iter().map(LocationHoliday::when).collect();
    let plan = lms_core::holiday::plan_import(&existing, incoming);
    let mut added = Vec::with_capacity(plan.add.len());
    for (when, name) in &plan.add {
        added.push(insert_holiday(c, location_id, *when, name, now).await?);
    }
    Ok(Imported { added, already_there: plan.already_there })
}

/// The location person `employee_id` belongs to.
pub async fn location_of(c: &mut Conn<'_>, employee_id: i64) -> Result<Option<Location>> {
    let sql = format!("{SELECT} JOIN employee_locations e ON e.location_id = l.id WHERE e.employee_id = $1");
    Ok(q!(opt c, Location, &sql, employee_id)?)
}

/// The location of each of `employee_ids` that has one, in one statement.
pub async fn locations_of(c: &mut Conn<'_>, employee_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    if employee_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=employee_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT employee_id, location_id FROM employee_locations WHERE employee_id IN ({})",
        placeholders.join(", ")
    );
    // One placeholder per id, bound in turn (the `q!` forms take a fixed list).
    Ok(match c {
        Conn::Pg(conn) => {
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in employee_ids {
                query = query.bind(*id);
            }
            query.fetch_all(&mut **conn).await?
        }
        Conn::Sqlite(conn) => {
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in employee_ids {
                query = query.bind(*id);
            }
            query.fetch_all(&mut **conn).await?
        }
    })
}

/// Puts a person in a location, or (`None`) in none.
pub async fn set_location_of(
    c: &mut Conn<'_>,
    employee_id: i64,
    location_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    q!(exec c, "DELETE FROM employee_locations WHERE employee_id = $1", employee_id)?;
    if let Some(l) = location_id {
        require(c, l).await?;
        q!(exec c, "INSERT INTO employee_locations (employee_id, location_id, updated_at) VALUES ($1, $2, $3)",
            employee_id, l, now)?;
    }
    Ok(())
}

/// A location's holidays in `from..=to`, one per date.
pub async fn calendar(c: &mut Conn<'_>, location_id: i64, from: NaiveDate, to: NaiveDate) -> Result<Vec<Holiday>> {
    let entries: Vec<(HolidayDate, (i64, String))> =
        holidays_of(c, location_id).await?.into_iter().map(|h| (h.when(), (h.id, h.name))).collect();
    Ok(lms_core::holiday::expand(&entries, from, to)
        .into_iter()
        .map(|(day, (id, name))| Holiday { id, day, name })
        .collect())
}

/// The calendar that counts for person `employee_id` in `from..=to`: their
/// location's, or the company-wide one (no location, or an instance that
/// reads only the company calendar).
pub async fn calendar_of(
    c: &mut Conn<'_>,
    employee_id: i64,
    calendars: Calendars,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<AppliedCalendar> {
    let location = match calendars {
        Calendars::CompanyOnly => None,
        Calendars::PerLocation => location_of(c, employee_id).await?,
    };
    let holidays = match &location {
        Some(l) => calendar(c, l.id, from, to).await?,
        None => holidays::list(c, from, to).await?,
    };
    Ok(AppliedCalendar { location, holidays })
}
