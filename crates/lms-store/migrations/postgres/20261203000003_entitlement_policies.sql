-- Entitlement policies per leave type and whom they apply to (a department
-- or a person, with dates of validity); the lines the entitlement job
-- writes, dated (valid_from) and keyed (line_key: allocation,
-- accrual:2026-05, carry-over, expiry, pro-rata:<leaving date>) so that a
-- second run writes nothing; a person's leaving date (pro-rata for
-- leavers); the job's reports. Expand only: new tables, nullable columns
-- and an index the release before ignores (its lines have no key).
ALTER TABLE ledger_entries ADD COLUMN valid_from DATE;
ALTER TABLE ledger_entries ADD COLUMN line_key TEXT;
CREATE UNIQUE INDEX ledger_line_key_idx ON ledger_entries(employee_id, leave_type_id, year, line_key)
    WHERE line_key IS NOT NULL;
-- A balance sums a person's lines of a year per type: with accrual there
-- are a dozen or more per type and year, read from the index alone.
CREATE INDEX ledger_balance_idx ON ledger_entries(employee_id, year, leave_type_id, amount);
ALTER TABLE employees ADD COLUMN leaving_date DATE;

CREATE TABLE entitlement_policies (
    id BIGSERIAL PRIMARY KEY,
    leave_type_id BIGINT NOT NULL REFERENCES leave_types(id),
    name TEXT NOT NULL UNIQUE,
    allowance BIGINT NOT NULL CHECK (allowance >= 0),
    accrual TEXT NOT NULL,
    carry_over_cap BIGINT NOT NULL DEFAULT 0 CHECK (carry_over_cap >= 0),
    carry_over_months INTEGER NOT NULL DEFAULT 3 CHECK (carry_over_months BETWEEN 1 AND 12),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE policy_assignments (
    id BIGSERIAL PRIMARY KEY,
    policy_id BIGINT NOT NULL REFERENCES entitlement_policies(id),
    department TEXT,
    employee_id BIGINT REFERENCES employees(id),
    valid_from DATE NOT NULL,
    valid_to DATE,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK ((department IS NULL) <> (employee_id IS NULL))
);
CREATE INDEX policy_assignments_policy_idx ON policy_assignments(policy_id);

CREATE TABLE entitlement_runs (
    id BIGSERIAL PRIMARY KEY,
    as_of DATE NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    started_by BIGINT REFERENCES employees(id),
    lines_written BIGINT NOT NULL,
    report TEXT NOT NULL
);
