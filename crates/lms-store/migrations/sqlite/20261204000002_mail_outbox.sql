-- Mail delivery from the notification outbox: one row per mail owed (one per
-- in-app notification, enqueued by the mail worker of an instance that has
-- SMTP configured), claimed under a lease so that several instances (blue
-- and green) never work on one mail at once, with its delivery state; and
-- every attempt (when, by which instance, what went wrong). Expand only:
-- new tables and an index on notifications the release before ignores (it
-- keeps writing in-app notifications only; their mails are enqueued from
-- them by this release's worker).
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT NOT NULL UNIQUE REFERENCES notifications(id),
    recipient_id BIGINT NOT NULL REFERENCES employees(id),
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    last_error TEXT,
    recipient_email TEXT,
    subject TEXT,
    message_id TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox(next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX mail_outbox_status_idx ON mail_outbox(status, id);

CREATE TABLE mail_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mail_id BIGINT NOT NULL REFERENCES mail_outbox(id),
    at TEXT NOT NULL,
    instance TEXT NOT NULL,
    error TEXT
);
CREATE INDEX mail_attempts_mail_idx ON mail_attempts(mail_id, id);

-- The worker enqueues the mails of recent notifications.
CREATE INDEX notifications_created_idx ON notifications(created_at);
