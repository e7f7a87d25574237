DROP STATISTICS tasks_title_words;
DROP INDEX tasks_project_work_idx;
CREATE INDEX tasks_project_work_idx ON tasks (project_id, status, scheduled_date, time_block_minutes);
DROP INDEX tasks_client_work_idx;
CREATE INDEX tasks_client_idx ON tasks (client_id);
DROP INDEX tasks_user_category_idx;
DROP INDEX tasks_user_status_idx;
