-- The unread count every page shows: notifications of one person not yet
-- read. Expand only (a new index): the release before ignores it.
CREATE INDEX notifications_unread_idx ON notifications(recipient_id) WHERE read_at IS NULL;
