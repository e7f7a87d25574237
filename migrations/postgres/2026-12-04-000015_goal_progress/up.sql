-- Each step of a goal's count (a linked block done or undone, a CRM event
-- counted or taken back) at its instant, net per instant: the pace chart
-- draws a period's progress from it. Recording starts with this migration; a
-- count made before it shows at the start of the period.
CREATE TABLE goal_progress (
    goal_id TEXT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    at      TIMESTAMP NOT NULL,
    delta   INTEGER NOT NULL,
    PRIMARY KEY (goal_id, at)
);
