DROP INDEX tasks_activity_use_idx;
CREATE INDEX tasks_activity_idx ON tasks (activity_id);
