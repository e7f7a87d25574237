DROP TRIGGER opportunities_data_version ON opportunities;
