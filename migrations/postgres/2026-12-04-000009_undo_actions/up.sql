-- What "Undo" puts back: the last few seconds' deletes, moves, status changes and
-- carry-overs, one row per action, as a JSON document the app wrote itself.
-- A row is used once (deleted when undone) and is worthless after expires_at.
CREATE TABLE undo_actions (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    payload    TEXT NOT NULL CHECK (length(payload) <= 65536),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX undo_actions_user ON undo_actions (user_id, expires_at);
