-- Routines: blocks that repeat (daily, on weekdays, on chosen days, weekly; until
-- a date or for ever). A routine keeps the pattern; its blocks are made lazily,
-- one per day the first time that day (or its week) is shown from today on, and
-- each remembers the day it was made for (routine_date), so a block moved or
-- deleted is not made again. A deleted one leaves a skip.
CREATE TABLE routines (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   TEXT,
    category      TEXT NOT NULL CHECK (category IN ('DESIGN', 'CODE', 'CLIENT', 'LEARNING', 'FITNESS', 'ADMIN', 'SAAS', 'NETWORKING', 'PERSONAL', 'LEISURE', 'ROUTINE')),
    priority      TEXT NOT NULL CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
    energy_level  TEXT NOT NULL CHECK (energy_level IN ('DEEP_WORK', 'MODERATE', 'LIGHT')),
    project_id    TEXT REFERENCES projects (id) ON DELETE SET NULL,
    activity_id   TEXT REFERENCES activities (id) ON DELETE SET NULL,
    goal_id       TEXT REFERENCES goals (id) ON DELETE SET NULL,
    start_time    TEXT CHECK (start_time IS NULL OR length(start_time) = 5),
    minutes       INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 720 AND minutes % 5 = 0),
    cadence       TEXT NOT NULL CHECK (cadence IN ('DAILY', 'WEEKDAYS', 'DAYS', 'WEEKLY')),
    -- The days it falls on: bit 0 Monday … bit 6 Sunday.
    weekdays      INTEGER NOT NULL CHECK (weekdays BETWEEN 1 AND 127),
    starts_on     DATE NOT NULL,
    -- The last day it can fall on; none: for ever. Ending a routine sets it.
    until         DATE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX routines_user_idx ON routines (user_id, until);

CREATE TABLE routine_skips (
    routine_id TEXT NOT NULL REFERENCES routines (id) ON DELETE CASCADE,
    on_date    DATE NOT NULL,
    PRIMARY KEY (routine_id, on_date)
);

-- No foreign key on tasks.routine_id (SQLite cannot drop such a column again);
-- routines are ended, never deleted, except with their owner.
ALTER TABLE tasks ADD COLUMN routine_id TEXT;
ALTER TABLE tasks ADD COLUMN routine_date DATE;
-- The unfinished-blocks index carries routine_id, so the carry-over (which
-- leaves routine blocks alone) is still answered from the index alone.
DROP INDEX tasks_open_idx;
CREATE INDEX tasks_open_idx ON tasks (user_id, scheduled_date, routine_id) WHERE status <> 'DONE';
-- Partial: a one-off block (no routine) must never be looked up through it.
CREATE UNIQUE INDEX tasks_routine_day_idx ON tasks (routine_id, routine_date) WHERE routine_id IS NOT NULL;

-- Recurring goals: a goal that starts again each period (day, week, month, year)
-- of its type; period_start is the first day of the period current_value counts,
-- and each finished period is kept in goal_periods.
ALTER TABLE goals ADD COLUMN recurs BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE goals ADD COLUMN period_start DATE;
CREATE TABLE goal_periods (
    goal_id      TEXT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL CHECK (period_end >= period_start),
    target_value INTEGER,
    achieved     INTEGER NOT NULL CHECK (achieved >= 0),
    PRIMARY KEY (goal_id, period_start)
);

CREATE TRIGGER routines_version_insert AFTER INSERT ON routines BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER routines_version_update AFTER UPDATE ON routines BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER routines_version_delete AFTER DELETE ON routines BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;
