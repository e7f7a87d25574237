DROP TABLE calendar_feeds;
DROP INDEX tasks_open_idx;
