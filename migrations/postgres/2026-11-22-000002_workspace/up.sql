-- The LAUF OS workspace: the activity catalog, goals, the CRM and the day plan.
-- Enum values are TEXT with CHECK constraints (never database enum types), money is
-- NUMERIC(10,2), ids are UUID strings. Every row belongs to one user, directly or
-- (projects, opportunities) through its client.

CREATE TABLE activities (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description      TEXT,
    category         TEXT NOT NULL CHECK (category IN ('DESIGN', 'CODE', 'CLIENT', 'LEARNING', 'FITNESS', 'ADMIN', 'SAAS', 'NETWORKING', 'PERSONAL', 'LEISURE', 'ROUTINE')),
    default_duration INTEGER NOT NULL DEFAULT 90 CHECK (default_duration BETWEEN 5 AND 720 AND default_duration % 5 = 0),
    energy_level     TEXT NOT NULL DEFAULT 'MODERATE' CHECK (energy_level IN ('DEEP_WORK', 'MODERATE', 'LIGHT')),
    icon             TEXT CHECK (length(icon) <= 32),
    is_active        BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order       INTEGER NOT NULL DEFAULT 0,
    times_used       INTEGER NOT NULL DEFAULT 0 CHECK (times_used >= 0),
    last_used        TIMESTAMP,
    created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX activities_user_idx ON activities (user_id, sort_order);

CREATE TABLE goals (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   TEXT,
    type          TEXT NOT NULL CHECK (type IN ('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY')),
    target_value  INTEGER CHECK (target_value > 0),
    current_value INTEGER NOT NULL DEFAULT 0 CHECK (current_value >= 0),
    start_date    DATE,
    due_date      DATE,
    completed_at  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (start_date IS NULL OR due_date IS NULL OR due_date >= start_date)
);
CREATE INDEX goals_user_type_idx ON goals (user_id, type);

CREATE TABLE clients (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email                 TEXT,
    phone                 TEXT,
    company               TEXT,
    industry              TEXT,
    website_url           TEXT,
    github_url            TEXT,
    vercel_url            TEXT,
    figma_url             TEXT,
    credentials           TEXT,                     -- AEAD envelope, never plaintext
    status                TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED', 'COMPLETED', 'CHURNED')),
    health_score          TEXT NOT NULL DEFAULT 'GREEN' CHECK (health_score IN ('GREEN', 'YELLOW', 'RED')),
    contract_value        NUMERIC(10, 2) CHECK (contract_value >= 0),
    monthly_retainer      NUMERIC(10, 2) CHECK (monthly_retainer >= 0),
    payment_status        TEXT NOT NULL DEFAULT 'CURRENT' CHECK (payment_status IN ('CURRENT', 'PENDING', 'OVERDUE')),
    last_contacted        TIMESTAMP,
    next_followup         TIMESTAMP,
    followup_cadence_days INTEGER NOT NULL DEFAULT 14 CHECK (followup_cadence_days BETWEEN 1 AND 365),
    referred_by           TEXT,
    notes                 TEXT,
    metadata              JSONB NOT NULL DEFAULT '{}',
    created_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX clients_user_idx ON clients (user_id, name);
CREATE INDEX clients_health_score_idx ON clients (user_id, health_score);
CREATE INDEX clients_followup_idx ON clients (user_id, next_followup);

-- A client's projects go with the client.
CREATE TABLE projects (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description    TEXT,
    type           TEXT NOT NULL DEFAULT 'WEBSITE' CHECK (type IN ('WEBSITE', 'WEBAPP', 'MOBILE', 'BRANDING', 'OTHER')),
    status         TEXT NOT NULL DEFAULT 'PLANNING' CHECK (status IN ('PLANNING', 'DESIGN', 'DEVELOPMENT', 'REVIEW', 'LAUNCHED')),
    priority       TEXT NOT NULL DEFAULT 'MEDIUM' CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
    start_date     DATE,
    due_date       DATE,
    budget         NUMERIC(10, 2) CHECK (budget >= 0),
    paid_amount    NUMERIC(10, 2) NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
    repository_url TEXT,
    staging_url    TEXT,
    production_url TEXT,
    created_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX projects_client_idx ON projects (client_id, status);
CREATE INDEX projects_status_idx ON projects (status);
CREATE INDEX projects_due_date_idx ON projects (due_date);

-- Upsell opportunities; converting one creates a project and remembers which.
CREATE TABLE opportunities (
    id                   TEXT PRIMARY KEY,
    client_id            TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    title                TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description          TEXT,
    value                NUMERIC(10, 2) CHECK (value >= 0),
    is_ai_generated      BOOLEAN NOT NULL DEFAULT FALSE,
    is_dismissed         BOOLEAN NOT NULL DEFAULT FALSE,
    is_converted         BOOLEAN NOT NULL DEFAULT FALSE,
    converted_project_id TEXT REFERENCES projects (id) ON DELETE SET NULL,
    created_at           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (NOT (is_dismissed AND is_converted))
);
CREATE INDEX opportunities_client_idx ON opportunities (client_id);

-- Blocks of the day plan. A task outlives the project, client, activity or goal it
-- points at (the link is cleared), but not its user.
CREATE TABLE tasks (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id         TEXT REFERENCES projects (id) ON DELETE SET NULL,
    client_id          TEXT REFERENCES clients (id) ON DELETE SET NULL,
    activity_id        TEXT REFERENCES activities (id) ON DELETE SET NULL,
    goal_id            TEXT REFERENCES goals (id) ON DELETE SET NULL,
    title              TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description        TEXT,
    category           TEXT NOT NULL CHECK (category IN ('DESIGN', 'CODE', 'CLIENT', 'LEARNING', 'FITNESS', 'ADMIN', 'SAAS', 'NETWORKING', 'PERSONAL', 'LEISURE', 'ROUTINE')),
    priority           TEXT NOT NULL DEFAULT 'MEDIUM' CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
    status             TEXT NOT NULL DEFAULT 'TODO' CHECK (status IN ('TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE')),
    scheduled_date     DATE,
    scheduled_time     TEXT CHECK (scheduled_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    time_block_minutes INTEGER NOT NULL DEFAULT 90 CHECK (time_block_minutes BETWEEN 5 AND 720 AND time_block_minutes % 5 = 0),
    energy_level       TEXT NOT NULL DEFAULT 'MODERATE' CHECK (energy_level IN ('DEEP_WORK', 'MODERATE', 'LIGHT')),
    completed_at       TIMESTAMP,
    created_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- DONE and completed_at move together; a start time needs a day.
    CHECK ((status = 'DONE') = (completed_at IS NOT NULL)),
    CHECK (scheduled_time IS NULL OR scheduled_date IS NOT NULL)
);
CREATE INDEX tasks_user_schedule_idx ON tasks (user_id, scheduled_date, scheduled_time);
CREATE INDEX tasks_scheduled_date_idx ON tasks (scheduled_date);
CREATE INDEX tasks_activity_idx ON tasks (activity_id);
CREATE INDEX tasks_goal_idx ON tasks (goal_id);
CREATE INDEX tasks_project_idx ON tasks (project_id);
CREATE INDEX tasks_client_idx ON tasks (client_id);

CREATE TABLE assets (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id    TEXT REFERENCES projects (id) ON DELETE SET NULL,
    client_id     TEXT REFERENCES clients (id) ON DELETE SET NULL,
    type          TEXT NOT NULL CHECK (type IN ('IMAGE', 'VIDEO', 'DOCUMENT', 'CODE', 'DESIGN', 'OTHER')),
    category      TEXT CHECK (length(category) <= 64),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    storage_path  TEXT NOT NULL CONSTRAINT assets_storage_path_key UNIQUE,
    url           TEXT NOT NULL,
    thumbnail_url TEXT,
    file_size     BIGINT NOT NULL CHECK (file_size >= 0),
    mime_type     TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX assets_user_created_idx ON assets (user_id, created_at);
CREATE INDEX assets_client_idx ON assets (client_id);
CREATE INDEX assets_project_idx ON assets (project_id);

-- The seed's `assets.tags String[]`, as rows: portable to SQLite and indexable by tag.
CREATE TABLE asset_tags (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL CHECK (length(tag) BETWEEN 1 AND 50),
    PRIMARY KEY (asset_id, tag)
);
CREATE INDEX asset_tags_user_tag_idx ON asset_tags (user_id, tag);

-- The seed's `tasks.linkedAssets String[]`, with referential integrity: deleting the
-- task or the asset removes the link, never leaves a dangling id.
CREATE TABLE task_assets (
    task_id    TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    asset_id   TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (task_id, asset_id)
);
CREATE INDEX task_assets_asset_idx ON task_assets (asset_id);
