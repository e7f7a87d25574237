-- A per-user data version: every change to what the Command Center shows bumps
-- users.data_version in the same transaction, so a page cached for one version is
-- known current by the version alone, in every process. Kept by triggers, so no
-- write path (forms, imports, the demo builder, psql) can forget it.
ALTER TABLE users ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER activities_version_insert AFTER INSERT ON activities BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER activities_version_update AFTER UPDATE ON activities BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER activities_version_delete AFTER DELETE ON activities BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER goals_version_insert AFTER INSERT ON goals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER goals_version_update AFTER UPDATE ON goals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER goals_version_delete AFTER DELETE ON goals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER clients_version_insert AFTER INSERT ON clients BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER clients_version_update AFTER UPDATE ON clients BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER clients_version_delete AFTER DELETE ON clients BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

-- Projects carry no owner: it is their client's.
CREATE TRIGGER projects_version_insert AFTER INSERT ON projects BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id = (SELECT user_id FROM clients WHERE id = NEW.client_id);
END;
CREATE TRIGGER projects_version_update AFTER UPDATE ON projects BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id IN (SELECT user_id FROM clients WHERE id IN (OLD.client_id, NEW.client_id));
END;
CREATE TRIGGER projects_version_delete AFTER DELETE ON projects BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id = (SELECT user_id FROM clients WHERE id = OLD.client_id);
END;

CREATE TRIGGER tasks_version_insert AFTER INSERT ON tasks BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER tasks_version_update AFTER UPDATE ON tasks BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER tasks_version_delete AFTER DELETE ON tasks BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER assets_version_insert AFTER INSERT ON assets BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER assets_version_update AFTER UPDATE ON assets BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER assets_version_delete AFTER DELETE ON assets BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

-- Links carry no owner: it is the asset's.
CREATE TRIGGER task_assets_version_insert AFTER INSERT ON task_assets BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id = (SELECT user_id FROM assets WHERE id = NEW.asset_id);
END;
CREATE TRIGGER task_assets_version_delete AFTER DELETE ON task_assets BEGIN
    UPDATE users SET data_version = data_version + 1
     WHERE id = (SELECT user_id FROM assets WHERE id = OLD.asset_id);
END;
