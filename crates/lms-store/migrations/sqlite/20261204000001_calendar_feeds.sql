-- Calendar feeds: a person's secret, revocable iCalendar subscription
-- URLs. Only the SHA-256 of the secret is kept (like API tokens). `scope`
-- is what the feed shows: `person` (one's own leave and holidays), `team`
-- (a manager's direct reports) or `company` (HR: everyone). Expand only: a
-- new table the release before never reads.
CREATE TABLE calendar_feeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('person', 'team', 'company')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX calendar_feeds_employee_idx ON calendar_feeds(employee_id);
