-- The pages ask "who is off between these days" (team calendar, approvals'
-- conflicts, the dashboard's today and this week) and "requests by start
-- month" (the dashboard's trend): indexes on the dates. Expand only (new
-- indexes): the release before ignores them.
CREATE INDEX leave_requests_active_end_idx ON leave_requests(status, end_date);
CREATE INDEX leave_requests_start_idx ON leave_requests(start_date);
