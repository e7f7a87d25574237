-- Why an opportunity was dismissed, shown beside it (and cleared when it is
-- restored); before this it lived only in the client's timeline.
ALTER TABLE opportunities ADD COLUMN dismissed_reason TEXT CHECK (length(dismissed_reason) <= 500);
