-- Assets: what the upload checked (content hash, pixel size), where the thumbnail
-- lives, and a queue of stored objects whose rows are gone.

ALTER TABLE assets ADD COLUMN sha256 TEXT CHECK (sha256 IS NULL OR length(sha256) = 64);
ALTER TABLE assets ADD COLUMN width INTEGER CHECK (width IS NULL OR width > 0);
ALTER TABLE assets ADD COLUMN height INTEGER CHECK (height IS NULL OR height > 0);
ALTER TABLE assets ADD COLUMN thumbnail_path TEXT;
ALTER TABLE assets ADD COLUMN original_name TEXT CHECK (original_name IS NULL OR length(original_name) <= 255);

CREATE INDEX assets_user_type_idx ON assets (user_id, type);

-- Deleting an asset removes its row and queues its objects here in one transaction;
-- the files are removed after the commit, and a failed removal stays queued for the
-- next attempt (and `lauf storage check`). A row never points at a missing file.
CREATE TABLE storage_deletions (
    storage_key TEXT PRIMARY KEY,
    queued_at   TIMESTAMP NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
