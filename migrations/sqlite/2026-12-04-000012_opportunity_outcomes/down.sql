ALTER TABLE opportunities DROP COLUMN dismissed_reason;
