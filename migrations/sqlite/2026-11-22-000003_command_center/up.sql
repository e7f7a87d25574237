-- The Command Center: a partial index over unfinished blocks (the backlog and the
-- carry-over count read only these), and private calendar feed tokens.

CREATE INDEX tasks_open_idx ON tasks (user_id, scheduled_date) WHERE status <> 'DONE';

-- One feed per user; only the token's SHA-256 is stored, and regenerating replaces
-- it, so the old URL stops working at once.
CREATE TABLE calendar_feeds (
    user_id    TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL CONSTRAINT calendar_feeds_token_key UNIQUE CHECK (length(token_hash) = 64),
    created_at TIMESTAMP NOT NULL
);
