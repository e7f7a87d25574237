DROP TRIGGER IF EXISTS day_closings_data_version ON day_closings;
DROP TABLE day_closings;
