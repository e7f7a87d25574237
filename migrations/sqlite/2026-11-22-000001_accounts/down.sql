DROP TABLE audit_logs;
DROP TABLE login_throttle;
DROP TABLE sessions;
DROP TABLE local_credentials;
DROP TABLE users;
