ALTER TABLE goals DROP COLUMN counts_activity_id;
ALTER TABLE goals DROP COLUMN counts_category;
