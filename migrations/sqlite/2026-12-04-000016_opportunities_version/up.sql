-- Opportunities bump their owner's data version like projects do (through
-- their client), so what is read from them (the open pipeline in the weekly
-- review) can be kept per version too.
CREATE TRIGGER opportunities_version_insert AFTER INSERT ON opportunities BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id = (SELECT user_id FROM clients WHERE id = NEW.client_id);
END;
CREATE TRIGGER opportunities_version_update AFTER UPDATE ON opportunities BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id IN (SELECT user_id FROM clients WHERE id IN (OLD.client_id, NEW.client_id));
END;
CREATE TRIGGER opportunities_version_delete AFTER DELETE ON opportunities BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id = (SELECT user_id FROM clients WHERE id = OLD.client_id);
END;
