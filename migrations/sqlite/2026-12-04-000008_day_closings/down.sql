DROP TRIGGER IF EXISTS day_closings_version_insert;
DROP TRIGGER IF EXISTS day_closings_version_update;
DROP TRIGGER IF EXISTS day_closings_version_delete;
DROP TABLE day_closings;
