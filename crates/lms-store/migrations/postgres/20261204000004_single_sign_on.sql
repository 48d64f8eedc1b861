-- Single sign-on (OpenID Connect): the sign-ins begun at the provider and
-- not yet finished (keyed by the hash of their `state`, bound to the
-- browser by the hash of a cookie, with the nonce and the PKCE verifier;
-- taken once, so that a replayed or expired answer finds nothing, and
-- shared by every instance, so that a sign-in begun on blue may finish on
-- green), the identities linked to people (issuer and subject, each
-- linked once), whether a person may sign in with a password, and the ID
-- token of a session opened by single sign-on (its logout hint). Expand
-- only: the release before ignores the new tables and columns.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sso_logins_expires_idx ON sso_logins(expires_at);

CREATE TABLE sso_identities (
    id BIGSERIAL PRIMARY KEY,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    email TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX sso_identities_employee_idx ON sso_identities(employee_id);

ALTER TABLE employees ADD COLUMN password_login BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE sessions ADD COLUMN sso_id_token TEXT;
