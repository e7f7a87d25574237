-- The daily shutdown: a closed day and the note its owner left for the next
-- morning. The day page shows the note, so a change bumps the data version.
CREATE TABLE day_closings (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day       DATE NOT NULL,
    note      TEXT CHECK (length(note) <= 2000),
    -- What the day held when it was closed (its blocks move on afterwards).
    planned_blocks  INTEGER NOT NULL CHECK (planned_blocks >= 0),
    done_blocks     INTEGER NOT NULL CHECK (done_blocks BETWEEN 0 AND planned_blocks),
    planned_minutes INTEGER NOT NULL CHECK (planned_minutes >= 0),
    done_minutes    INTEGER NOT NULL CHECK (done_minutes BETWEEN 0 AND planned_minutes),
    closed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, day)
);

CREATE TRIGGER day_closings_version_insert AFTER INSERT ON day_closings BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER day_closings_version_update AFTER UPDATE ON day_closings BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER day_closings_version_delete AFTER DELETE ON day_closings BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;
