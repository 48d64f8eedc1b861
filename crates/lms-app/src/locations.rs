//! Locations and their holiday calendars (HR admins change them; anyone
//! signed in reads them): create, rename, delete an unused location; add,
//! change, remove a location's holidays; import a calendar file (all of it
//! in one transaction, or nothing); put a person in a location. Each change
//! is audited. Requests already made keep their amounts.
//!
//! Locations come with migration [`LOCATIONS_VERSION`]: on an instance
//! that does not count on it (`--schema previous`) these steps answer "not
//! found" and every request counts the company-wide calendar, as the
//! release before did. Must not know HTTP or SQL.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::calendar_file::{self, CalendarFormat};
use lms_core::HolidayDate;
use lms_store::employees;
use lms_store::locations::{self, Calendars, Imported, Location, LocationHoliday, LOCATIONS_VERSION};
use lms_store::{Db, StoreError};
use serde_json::json;

/// The longest location name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Which holiday calendars this instance reads.
pub fn calendars(db: &Db) -> Calendars {
    if db.counts(LOCATIONS_VERSION) {
        Calendars::PerLocation
    } else {
        Calendars::CompanyOnly
    }
}

/// Whether this instance has locations at all.
pub fn available(db: &Db) -> bool {
    calendars(db) == Calendars::PerLocation
}

fn require_available(db: &Db) -> Result<()> {
    if available(db) {
        Ok(())
    } else {
        Err(StoreError::NotFound("locations (this instance runs on the schema of the release before them)".into())
            .into())
    }
}

/// Every location, by name.
pub async fn list(db: &Db) -> Result<Vec<Location>> {
    require_available(db)?;
    let mut c = db.acquire().await?;
    Ok(locations::list(&mut c.conn()).await?)
}

/// One location.
pub async fn get(db: &Db, id: i64) -> Result<Location> {
    require_available(db)?;
    let mut c = db.acquire().await?;
    Ok(locations::require(&mut c.conn(), id).await?)
}

/// A location's holidays as entered (a yearly one once).
pub async fn holidays(db: &Db, location_id: i64) -> Result<Vec<LocationHoliday>> {
    require_available(db)?;
    let mut c = db.acquire().await?;
    locations::require(&mut c.conn(), location_id).await?;
    Ok(locations::holidays_of(&mut c.conn(), location_id).await?)
}

pub async fn create(db: &Db, caller: &Caller, name: &str, now: DateTime<Utc>) -> Result<Location> {
    caller.require_hr()?;
    require_available(db)?;
    let name = lms_core::text::name(name, MAX_NAME_CHARS)?;
    let mut tx = db.begin().await?;
    let l = locations::create(&mut tx.conn(), &name, now).await?;
    let what =
        Audited { action: "location.create", entity: ("location", l.id.to_string()), before: None, after: Some(&l) };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(l)
}

pub async fn rename(db: &Db, caller: &Caller, id: i64, name: &str, now: DateTime<Utc>) -> Result<Location> {
    caller.require_hr()?;
    require_available(db)?;
    let name = lms_core::text::name(name, MAX_NAME_CHARS)?;
    let mut tx = db.begin().await?;
    let before = locations::require(&mut tx.conn(), id).await?;
    let after = locations::rename(&mut tx.conn(), id, &name).await?;
    let what = Audited {
        action: "location.rename",
        entity: ("location", id.to_string()),
        before: Some(&before),
        after: Some(&after),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a location nobody belongs to, with its holidays (they are in
/// the audit record).
pub async fn delete(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<()> {
    caller.require_hr()?;
    require_available(db)?;
    let mut tx = db.begin().await?;
    let location = locations::require(&mut tx.conn(), id).await?;
    let holidays = locations::holidays_of(&mut tx.conn(), id).await?;
    locations::delete(&mut tx.conn(), id).await?;
    let before = json!({ "location": location, "holidays": holidays });
    let what =
        Audited { action: "location.delete", entity: ("location", id.to_string()), before: Some(&before), after: None };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_holiday(
    db: &Db,
    caller: &Caller,
    location_id: i64,
    when: HolidayDate,
    name: &str,
    now: DateTime<Utc>,
) -> Result<LocationHoliday> {
    caller.require_hr()?;
    require_available(db)?;
    let name = lms_core::text::name(name, calendar_file::MAX_NAME_CHARS)?;
    let mut tx = db.begin().await?;
    let h = locations::add_holiday(&mut tx.conn(), location_id, when, &name, now).await?;
    let what = Audited {
        action: "location_holiday.create",
        entity: ("location_holiday", h.id.to_string()),
        before: None,
        after: Some(&h),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(h)
}

#[allow(clippy::too_many_arguments)]
pub async fn update_holiday(
    db: &Db,
    caller: &Caller,
    location_id: i64,
    id: i64,
    when: HolidayDate,
    name: &str,
    now: DateTime<Utc>,
) -> Result<LocationHoliday> {
    caller.require_hr()?;
    require_available(db)?;
    let name = lms_core::text::name(name, calendar_file::MAX_NAME_CHARS)?;
    let mut tx = db.begin().await?;
    let before = locations::holiday(&mut tx.conn(), location_id, id).await?;
    let after = locations::update_holiday(&mut tx.conn(), location_id, id, when, &name).await?;
    let what = Audited {
        action: "location_holiday.update",
        entity: ("location_holiday", id.to_string()),
        before: Some(&before),
        after: Some(&after),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete_holiday(db: &Db, caller: &Caller, location_id: i64, id: i64, now: DateTime<Utc>) -> Result<()> {
    caller.require_hr()?;
    require_available(db)?;
    let mut tx = db.begin().await?;
    let before = locations::holiday(&mut tx.conn(), location_id, id).await?;
    locations::delete_holiday(&mut tx.conn(), location_id, id).await?;
    let what = Audited {
        action: "location_holiday.delete",
        entity: ("location_holiday", id.to_string()),
        before: Some(&before),
        after: None,
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads `text` in `format` and adds to the location what it lacks, in one
/// transaction with one audit record: a file that cannot be read in full
/// is refused (naming the line) and nothing is written.
pub async fn import(
    db: &Db,
    caller: &Caller,
    location_id: i64,
    format: CalendarFormat,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Imported> {
    caller.require_hr()?;
    require_available(db)?;
    let found = calendar_file::parse(format, text)?;
    let incoming = found.into_iter().map(|h| (h.date, h.name)).collect();
    let mut tx = db.begin().await?;
    let imported = locations::import(&mut tx.conn(), location_id, incoming, now).await?;
    let format_name = match format {
        CalendarFormat::Ics => "ics",
        CalendarFormat::Csv => "csv",
    };
    let after = json!({
        "format": format_name,
        "added": imported.added,
        "already_there": imported.already_there.iter()
            .map(|(when, name)| json!({ "date": when.first(), "recurring": when.is_recurring(), "name": name }))
            .collect::<Vec<_>>(),
    });
    let what = Audited {
        action: "location.import",
        entity: ("location", location_id.to_string()),
        before: None,
        after: Some(&after),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(imported)
}

/// The location a person belongs to (HR, or the person themself: the
/// front door checks).
pub async fn location_of(db: &Db, employee_id: i64) -> Result<Option<Location>> {
    require_available(db)?;
    let mut c = db.acquire().await?;
    employees::require(&mut c.conn(), employee_id).await?;
    Ok(locations::location_of(&mut c.conn(), employee_id).await?)
}

/// Puts a person in a location, or (`None`) in none: from then on their
/// requests count that location's calendar (or the company-wide one).
pub async fn set_location_of(
    db: &Db,
    caller: &Caller,
    employee_id: i64,
    location_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Location>> {
    caller.require_hr()?;
    require_available(db)?;
    let mut tx = db.begin().await?;
    employees::require(&mut tx.conn(), employee_id).await?;
    let before = locations::location_of(&mut tx.conn(), employee_id).await?;
    locations::set_location_of(&mut tx.conn(), employee_id, location_id, now).await?;
    let after = locations::location_of(&mut tx.conn(), employee_id).await?;
    let (was, is) = (json!({ "location": before }), json!({ "location": after }));
    let what = Audited {
        action: "employee.location",
        entity: ("employee", employee_id.to_string()),
        before: Some(&was),
        after: Some(&is),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(after)
}
