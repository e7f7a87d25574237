DROP TABLE storage_deletions;
DROP INDEX assets_user_type_idx;
ALTER TABLE assets DROP COLUMN original_name;
ALTER TABLE assets DROP COLUMN thumbnail_path;
ALTER TABLE assets DROP COLUMN height;
ALTER TABLE assets DROP COLUMN width;
ALTER TABLE assets DROP COLUMN sha256;
