-- Completing or reopening a block recounts its activity's uses: the count and the
-- latest completed_at of the activity's DONE blocks (activities::recount_use). On
-- (activity_id) alone that fetched every block of the activity from the table, one
-- scattered page each (~800 pages for a well-used activity), inside the write. With
-- every filtered column in the index, and completed_at last so the range is in
-- order, the index alone answers it. Its leading column still serves every lookup
-- by activity (the foreign key's ON DELETE SET NULL among them).
DROP INDEX tasks_activity_idx;
CREATE INDEX tasks_activity_use_idx ON tasks (activity_id, user_id, status, completed_at);
