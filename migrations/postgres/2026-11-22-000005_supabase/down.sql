DROP TABLE auth_flows;
ALTER TABLE sessions DROP COLUMN version;
ALTER TABLE sessions DROP COLUMN refresh_lease_until;
ALTER TABLE sessions DROP COLUMN sb_access_expires_at;
ALTER TABLE sessions DROP COLUMN sb_refresh_token;
ALTER TABLE sessions DROP COLUMN sb_access_token;
ALTER TABLE sessions DROP COLUMN sb_session_id;
