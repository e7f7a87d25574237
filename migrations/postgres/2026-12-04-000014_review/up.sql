-- What the review and its figures need besides blocks and money: the hours a
-- retainer covers each month, the work a project needs (both whole hours,
-- optional), and one note per user and week (what went well, what to change,
-- next week's intentions), keyed by the Monday the ISO week starts on.
ALTER TABLE clients ADD COLUMN retainer_hours_per_month INTEGER CHECK (retainer_hours_per_month BETWEEN 1 AND 744);
ALTER TABLE projects ADD COLUMN estimated_hours INTEGER CHECK (estimated_hours BETWEEN 1 AND 100000);

CREATE TABLE weekly_notes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week_start DATE NOT NULL,
    went_well  TEXT CHECK (length(went_well) <= 5000),
    to_change  TEXT CHECK (length(to_change) <= 5000),
    intentions TEXT CHECK (length(intentions) <= 5000),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, week_start)
);

-- A goal can count CRM events besides blocks: a payment received, a project
-- launched, a retainer signed or raised, a contact logged (once per event, and
-- one less when the event is undone).
ALTER TABLE goals ADD COLUMN counts_event TEXT CHECK (counts_event IN ('PAYMENT', 'LAUNCH', 'RETAINER', 'CONTACT'));

-- The business over time: monthly recurring revenue (active clients' retainers)
-- and the open pipeline (opportunities neither converted nor dismissed) as they
-- were on a day. The review writes today's row when it differs from the last
-- one, so history starts when recording starts; `lauf demo` writes a year.
CREATE TABLE business_days (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day      DATE NOT NULL,
    mrr      NUMERIC(12, 2) NOT NULL,
    pipeline NUMERIC(12, 2) NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- A project's work (done in all, done lately, planned ahead) is read for the
-- board, the project page and the review: an index that answers it without
-- reading the blocks themselves, in place of the project-only one.
DROP INDEX tasks_project_idx;
CREATE INDEX tasks_project_work_idx ON tasks (project_id, status, scheduled_date, time_block_minutes);
