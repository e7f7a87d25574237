DROP TABLE business_days;
ALTER TABLE goals DROP COLUMN counts_event;
DROP TABLE weekly_notes;
ALTER TABLE projects DROP COLUMN estimated_hours;
ALTER TABLE clients DROP COLUMN retainer_hours_per_month;
