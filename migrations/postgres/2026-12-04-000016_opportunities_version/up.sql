-- Opportunities bump their owner's data version like projects do (through
-- their client), so what is read from them (the open pipeline in the weekly
-- review) can be kept per version too.
CREATE TRIGGER opportunities_data_version AFTER INSERT OR UPDATE OR DELETE ON opportunities
    FOR EACH ROW EXECUTE FUNCTION lauf_project_changed();
