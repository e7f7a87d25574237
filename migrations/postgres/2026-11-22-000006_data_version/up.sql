-- A per-user data version: every change to what the Command Center shows bumps
-- users.data_version in the same transaction, so a page cached for one version is
-- known current by the version alone, in every process. Kept by triggers, so no
-- write path (forms, imports, the demo builder, psql) can forget it.
ALTER TABLE users ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

-- Once per user and transaction: a batch of 1,000 inserted blocks bumps the
-- version once, not 1,000 times (each a new row version of the same user). The
-- marker is transaction-local (set_config(…, true)) and undone with a rolled-back
-- savepoint, so a later change in the transaction bumps again.
CREATE FUNCTION lauf_bump_data_version(owner TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF owner IS NOT NULL
       AND current_setting('lauf.bumped_user', true) IS DISTINCT FROM owner THEN
        UPDATE users SET data_version = data_version + 1 WHERE id = owner;
        PERFORM set_config('lauf.bumped_user', owner, true);
    END IF;
END
$$;

CREATE FUNCTION lauf_data_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM lauf_bump_data_version(OLD.user_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM lauf_bump_data_version(NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

-- Projects carry no owner: it is their client's.
CREATE FUNCTION lauf_project_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM lauf_bump_data_version((SELECT user_id FROM clients WHERE id = OLD.client_id));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM lauf_bump_data_version((SELECT user_id FROM clients WHERE id = NEW.client_id));
    END IF;
    RETURN NULL;
END
$$;

-- Links carry no owner: it is the asset's.
CREATE FUNCTION lauf_link_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM lauf_bump_data_version((SELECT user_id FROM assets WHERE id = OLD.asset_id));
    ELSE
        PERFORM lauf_bump_data_version((SELECT user_id FROM assets WHERE id = NEW.asset_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER activities_data_version AFTER INSERT OR UPDATE OR DELETE ON activities
    FOR EACH ROW EXECUTE FUNCTION lauf_data_changed();
CREATE TRIGGER goals_data_version AFTER INSERT OR UPDATE OR DELETE ON goals
    FOR EACH ROW EXECUTE FUNCTION lauf_data_changed();
CREATE TRIGGER clients_data_version AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION lauf_data_changed();
CREATE TRIGGER projects_data_version AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION lauf_project_changed();
CREATE TRIGGER tasks_data_version AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION lauf_data_changed();
CREATE TRIGGER assets_data_version AFTER INSERT OR UPDATE OR DELETE ON assets
    FOR EACH ROW EXECUTE FUNCTION lauf_data_changed();
CREATE TRIGGER task_assets_data_version AFTER INSERT OR DELETE ON task_assets
    FOR EACH ROW EXECUTE FUNCTION lauf_link_changed();
