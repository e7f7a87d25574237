-- The tasks list filtered by status or by category walks these in day order
-- (the user's index alone would visit every other block of the history).
CREATE INDEX tasks_user_status_idx ON tasks (user_id, status, scheduled_date);
CREATE INDEX tasks_user_category_idx ON tasks (user_id, category, scheduled_date);
-- A client's earnings sum its blocks from the index alone: every column the sums
-- read is in it (the client's own blocks, and its projects' blocks).
DROP INDEX tasks_client_idx;
CREATE INDEX tasks_client_work_idx ON tasks (client_id, status, scheduled_date, time_block_minutes, user_id);
-- A project's blocks newest day first (its page) walk this in order instead of
-- sorting every block of the project; the sums of its work read it alone.
DROP INDEX tasks_project_work_idx;
CREATE INDEX tasks_project_work_idx ON tasks (project_id, scheduled_date, status, time_block_minutes, client_id, user_id);
-- The planner's figure for a title search (lower(title) LIKE '%word%') without
-- statistics on the expression was a handful of rows, so it read every block of
-- the user and sorted them; with them (PostgreSQL 14+) it walks the day index.
CREATE STATISTICS tasks_title_words ON (lower(title)) FROM tasks;
