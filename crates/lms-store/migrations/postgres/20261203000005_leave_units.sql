-- How a leave type is measured: in days (thousandths of a day in every
-- amount column, as before) or in hours (minutes in the same columns; sums
-- are always per leave type, so they never mix). Expand only: a column
-- with a default, so the release before keeps reading every type as days.
ALTER TABLE leave_types ADD COLUMN unit TEXT NOT NULL DEFAULT 'days' CHECK (unit IN ('days', 'hours'));
