-- Single sign-on (OpenID Connect): the sign-ins begun at the provider and
-- not yet finished (keyed by the hash of their `state`, bound to the
-- browser by the hash of a cookie, with the nonce and the PKCE verifier
-- and the client address, which may hold only so many at once;
-- taken once, so that a replayed or expired answer finds nothing, and
-- shared by every instance, so that a sign-in begun on blue may finish on
-- green), the identities linked to people (issuer and subject, each
-- linked once), the people who may not sign in with a password, and the
-- ID token of each session single sign-on opened (its logout hint).
-- Expand only, and new tables only: altering `employees` and `sessions`,
-- which every request reads, would lock both exclusively while the release
-- before serves, and a request reading them in the other order deadlocks.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sso_logins_expires_idx ON sso_logins(expires_at);
CREATE INDEX sso_logins_client_idx ON sso_logins(client_addr);

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

CREATE TABLE sso_password_off (
    employee_id BIGINT PRIMARY KEY REFERENCES employees(id),
    since TIMESTAMPTZ NOT NULL
);

CREATE TABLE sso_sessions (
    token_hash TEXT PRIMARY KEY,
    id_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
