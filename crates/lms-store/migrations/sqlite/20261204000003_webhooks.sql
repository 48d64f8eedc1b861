-- Webhooks: the endpoints HR registers (URL, events, format, the signing
-- secret stored as is so that deliveries can be signed, active flag), the
-- deliveries they are owed (one per endpoint and audited change of an event
-- it subscribes to, derived from the audit log by the delivery worker and
-- claimed under a lease so that blue and green never work on one at once)
-- and every attempt (status code or error, duration). Expand only: new
-- tables the release before ignores.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('json', 'slack')),
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    after_audit_id BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BIGINT REFERENCES employees(id),
    deleted_at TEXT
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    audit_id BIGINT NOT NULL REFERENCES audit_events(id),
    event TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (webhook_id, audit_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries(next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries(webhook_id, id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id),
    at TEXT NOT NULL,
    instance TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts(delivery_id, id);
