-- Accounts, login and the security audit trail.
-- Timestamps are TIMESTAMP (without zone) holding UTC, so both backends map them to
-- the same Rust type; the app writes them truncated to microseconds.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,                    -- UUID; the Supabase user id in Supabase mode
    email         TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name          TEXT CHECK (length(name) <= 100),
    avatar_url    TEXT,
    preferences   JSONB NOT NULL DEFAULT '{}',
    timezone      TEXT NOT NULL DEFAULT 'America/New_York' CHECK (length(timezone) BETWEEN 1 AND 64),
    -- Identity is (issuer, subject), never the email: a Supabase account and a local
    -- account with the same address are different people until linked on purpose.
    auth_provider TEXT NOT NULL CHECK (auth_provider IN ('local', 'supabase')),
    auth_issuer   TEXT NOT NULL,
    auth_subject  TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at   TIMESTAMP,
    last_login_at TIMESTAMP,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT users_identity_key UNIQUE (auth_issuer, auth_subject)
);
CREATE INDEX users_email_idx ON users (lower(email));

-- Local mode's login handle and argon2id hash; deleting the user deletes them.
CREATE TABLE local_credentials (
    user_id             TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email_lower         TEXT NOT NULL CONSTRAINT local_credentials_email_key UNIQUE,
    password_hash       TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    password_changed_at TIMESTAMP NOT NULL,
    created_at          TIMESTAMP NOT NULL
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored,
-- so a database leak yields no usable cookie. user_id NULL is an anonymous
-- pre-session that carries the CSRF token of the login and sign-up forms.
CREATE TABLE sessions (
    id_hash             TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    kind                TEXT NOT NULL CHECK (kind IN ('anon', 'local', 'supabase')),
    csrf_token          TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    auth_time           TIMESTAMP,
    last_seen_at        TIMESTAMP NOT NULL,
    idle_expires_at     TIMESTAMP NOT NULL,
    absolute_expires_at TIMESTAMP NOT NULL,
    ip                  TEXT,
    user_agent          TEXT,
    CHECK ((kind = 'anon') = (user_id IS NULL))
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_idle_expires_idx ON sessions (idle_expires_at);

-- Failed-login counters shared by every app process (per client IP and per account).
CREATE TABLE login_throttle (
    key               TEXT PRIMARY KEY,                -- 'ip:…' or 'account:<sha256 hex>'
    failures          INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_started_at TIMESTAMP NOT NULL,
    locked_until      TIMESTAMP
);

-- Security-relevant events and, later, a client's timeline. A deleted account takes
-- its history with it; events without an account (a failed login for an unknown
-- address) have no user.
CREATE TABLE audit_logs (
    id          TEXT PRIMARY KEY,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    action      TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    entity_type TEXT,
    entity_id   TEXT,
    details     JSONB NOT NULL DEFAULT '{}',
    ip_address  TEXT,
    created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX audit_logs_user_created_idx ON audit_logs (user_id, created_at);
CREATE INDEX audit_logs_entity_idx ON audit_logs (entity_type, entity_id, created_at);
CREATE INDEX audit_logs_created_idx ON audit_logs (created_at);
