-- Payments as they happen: a project's paid amount rising (or, corrected,
-- falling) writes the difference here with the instant it was recorded, so
-- "paid this year" and earnings per hour read money by date. Money received
-- stays received when its project is deleted (project_id becomes NULL); it
-- goes with its client.
CREATE TABLE payments (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects (id) ON DELETE SET NULL,
    amount     NUMERIC(10, 2) NOT NULL CHECK (amount <> 0),
    paid_at    TIMESTAMP NOT NULL
);
CREATE INDEX payments_client_idx ON payments (client_id, paid_at);
CREATE INDEX payments_user_idx ON payments (user_id, paid_at);
