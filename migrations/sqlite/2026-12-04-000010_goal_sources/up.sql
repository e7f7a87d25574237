-- A goal can count every completed block of a category or of a catalog activity,
-- besides the blocks linked to it one by one. (No foreign key on the activity:
-- activities are archived, never deleted, and SQLite cannot drop such a column
-- again; the app checks the activity is the owner's.)
ALTER TABLE goals ADD COLUMN counts_category TEXT CHECK (counts_category IN ('DESIGN', 'CODE', 'CLIENT', 'LEARNING', 'FITNESS', 'ADMIN', 'SAAS', 'NETWORKING', 'PERSONAL', 'LEISURE', 'ROUTINE'));
ALTER TABLE goals ADD COLUMN counts_activity_id TEXT;
