DROP TABLE goal_progress;
