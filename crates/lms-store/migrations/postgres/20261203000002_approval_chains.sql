-- Approval chains and delegation (docs/LEAVE-RULES.md). Expand only: three
-- new tables. The release before ignores them and decides every request in
-- one step, as it always did; a request it submitted has no stages.

-- A leave type's chain, when HR set one (none set: `requires_approval`
-- read as none or the manager). `chain`: none, manager, manager_then_hr,
-- or two:<approver>,<approver>.
CREATE TABLE leave_type_chains (
    leave_type_id BIGINT PRIMARY KEY REFERENCES leave_types(id),
    chain TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by BIGINT REFERENCES employees(id)
);

-- The stages of a request's approval, one row per stage and round: round 0
-- is the request itself, round 1, 2, … a cancellation of leave that had
-- started. A stage is open while `decision` is NULL.
CREATE TABLE leave_request_stages (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES leave_requests(id),
    round INTEGER NOT NULL,
    position INTEGER NOT NULL,
    approver TEXT NOT NULL,
    asked_by BIGINT REFERENCES employees(id),
    asked_at TIMESTAMPTZ NOT NULL,
    decision TEXT CHECK (decision IN ('approved', 'rejected')),
    decided_by BIGINT REFERENCES employees(id),
    on_behalf_of BIGINT REFERENCES employees(id),
    decided_at TIMESTAMPTZ,
    comment TEXT,
    UNIQUE (request_id, round, position)
);
CREATE INDEX leave_request_stages_open_idx ON leave_request_stages(request_id) WHERE decision IS NULL;

-- A manager's deputy for a date range (both ends included).
CREATE TABLE delegations (
    id BIGSERIAL PRIMARY KEY,
    manager_id BIGINT NOT NULL REFERENCES employees(id),
    deputy_id BIGINT NOT NULL REFERENCES employees(id),
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    created_by BIGINT REFERENCES employees(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX delegations_manager_idx ON delegations(manager_id, end_date);
CREATE INDEX delegations_deputy_idx ON delegations(deputy_id, end_date);
