-- A request that crosses a turn of the leave year is stored as one row per
-- leave year it touches (each charged to its own year, so every per-year
-- sum stays exact); the parts of one request name the first part's id here
-- (the first part names itself). NULL: a request in one piece. Expand only
-- (a nullable column and an index): the release before ignores both and
-- reads each part as a request of its own year.
ALTER TABLE leave_requests ADD COLUMN part_of BIGINT REFERENCES leave_requests(id);
CREATE INDEX leave_requests_part_of_idx ON leave_requests(part_of);
