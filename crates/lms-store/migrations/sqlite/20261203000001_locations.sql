-- Holiday calendars per location (docs/LEAVE-RULES.md, "Holiday calendars
-- per location"). Expand only: three new tables. The release before never
-- reads them and keeps counting the company-wide `holidays` for everyone;
-- this release counts them only for people who belong to a location.
CREATE TABLE locations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- A holiday of a location: once on `day`, or (`recurring`) every year on
-- `day`'s month and day from `day`'s year.
CREATE TABLE location_holidays (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    location_id BIGINT NOT NULL REFERENCES locations(id),
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    recurring BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX location_holidays_unique_idx ON location_holidays(location_id, day, recurring);

-- The location a person belongs to (at most one; none: the company-wide calendar).
CREATE TABLE employee_locations (
    employee_id BIGINT PRIMARY KEY REFERENCES employees(id),
    location_id BIGINT NOT NULL REFERENCES locations(id),
    updated_at TEXT NOT NULL
);
CREATE INDEX employee_locations_location_idx ON employee_locations(location_id);
