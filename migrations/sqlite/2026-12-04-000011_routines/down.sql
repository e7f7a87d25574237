DROP TABLE goal_periods;
ALTER TABLE goals DROP COLUMN period_start;
ALTER TABLE goals DROP COLUMN recurs;
DROP INDEX tasks_routine_day_idx;
ALTER TABLE tasks DROP COLUMN routine_date;
ALTER TABLE tasks DROP COLUMN routine_id;
DROP TABLE routine_skips;
DROP TABLE routines;
