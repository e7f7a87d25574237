DROP INDEX tasks_project_work_idx;
CREATE INDEX tasks_project_idx ON tasks (project_id);
DROP TABLE business_days;
ALTER TABLE goals DROP COLUMN counts_event;
DROP TABLE weekly_notes;
ALTER TABLE projects DROP COLUMN estimated_hours;
ALTER TABLE clients DROP COLUMN retainer_hours_per_month;
