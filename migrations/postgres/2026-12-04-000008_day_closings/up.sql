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

CREATE TRIGGER day_closings_data_version AFTER INSERT OR UPDATE OR DELETE ON day_closings
    FOR EACH ROW EXECUTE FUNCTION lauf_data_changed();
