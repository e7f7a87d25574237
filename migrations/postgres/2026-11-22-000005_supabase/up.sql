-- Supabase mode: the tokens of a Supabase session live with our session row,
-- encrypted (the browser only ever holds our opaque cookie), and a refresh lease
-- lets one process at a time spend the single-use refresh token.
ALTER TABLE sessions ADD COLUMN sb_session_id TEXT;
ALTER TABLE sessions ADD COLUMN sb_access_token TEXT;        -- encrypted envelope
ALTER TABLE sessions ADD COLUMN sb_refresh_token TEXT;       -- encrypted envelope
ALTER TABLE sessions ADD COLUMN sb_access_expires_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN refresh_lease_until TIMESTAMP;
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- A started Google/GitHub sign-in: bound to the browser that started it by the
-- hash of a cookie only that browser holds, spent once.
CREATE TABLE auth_flows (
    id_hash     TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    verifier    TEXT NOT NULL,                         -- encrypted PKCE code verifier
    next_path   TEXT NOT NULL CHECK (length(next_path) <= 512),
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);
CREATE INDEX auth_flows_expires_idx ON auth_flows (expires_at);
