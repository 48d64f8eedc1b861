-- LMS v3.0.0 initial schema (PostgreSQL). Amounts are millidays (BIGINT).
CREATE TABLE employees (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    manager_id BIGINT REFERENCES employees(id),
    start_date DATE NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('employee', 'manager', 'hr-admin')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash TEXT,
    lock_version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX employees_manager_idx ON employees(manager_id);

CREATE TABLE leave_types (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    deducts_balance BOOLEAN NOT NULL,
    requires_approval BOOLEAN NOT NULL DEFAULT TRUE,
    colour TEXT NOT NULL DEFAULT '#4a90d9',
    default_allowance BIGINT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE ledger_entries (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    leave_type_id BIGINT NOT NULL REFERENCES leave_types(id),
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES employees(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_lookup_idx ON ledger_entries(employee_id, year, leave_type_id);
CREATE UNIQUE INDEX ledger_one_allocation_idx ON ledger_entries(employee_id, leave_type_id, year) WHERE kind = 'allocation';

CREATE TABLE holidays (
    id BIGSERIAL PRIMARY KEY,
    day DATE NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE leave_requests (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    leave_type_id BIGINT NOT NULL REFERENCES leave_types(id),
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    half_day_start BOOLEAN NOT NULL DEFAULT FALSE,
    half_day_end BOOLEAN NOT NULL DEFAULT FALSE,
    year INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    decided_by BIGINT REFERENCES employees(id),
    decided_at TIMESTAMPTZ,
    comment TEXT,
    cancelled_by BIGINT REFERENCES employees(id),
    cancelled_at TIMESTAMPTZ
);
CREATE INDEX leave_requests_employee_idx ON leave_requests(employee_id, year, status);
CREATE INDEX leave_requests_status_idx ON leave_requests(status, start_date);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_employee_idx ON sessions(employee_id);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts(email, at);
CREATE INDEX login_attempts_addr_idx ON login_attempts(client_addr, at);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    recipient_id BIGINT NOT NULL REFERENCES employees(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'in_app',
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX notifications_recipient_idx ON notifications(recipient_id, id);
CREATE INDEX notifications_outbox_idx ON notifications(channel, delivered_at);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    request_id TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at_idx ON audit_events(at);
CREATE INDEX audit_events_entity_idx ON audit_events(entity_type, entity_id);
CREATE INDEX audit_events_actor_idx ON audit_events(actor_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by BIGINT
);
