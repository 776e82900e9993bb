-- Control plane: instance settings, admins, apps and their keys, memberships, audit log.
-- Each app's own data lives in its own schema (apps.schema_name), created with the app.

CREATE TABLE hearth_settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE admins (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    -- Instance administrators see every app and manage admins.
    is_superuser  boolean NOT NULL DEFAULT false,
    -- Bumped to invalidate every token issued before (password change, forced logout).
    token_version integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX admins_email_key ON admins (lower(email));

CREATE TABLE apps (
    id                   bigserial PRIMARY KEY,
    application_id       text NOT NULL UNIQUE,
    name                 text NOT NULL,
    -- Always 'app_<id>': never derived from user input.
    schema_name          text NOT NULL UNIQUE,
    -- Named PostgreSQL data source holding the app's schema.
    data_source          text NOT NULL DEFAULT 'default',
    master_key           text NOT NULL,
    read_only_master_key text NOT NULL,
    rest_api_key         text,
    javascript_key       text,
    client_key           text,
    settings             jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app_members (
    app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    admin_id   bigint NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('owner', 'developer', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, admin_id)
);
CREATE INDEX app_members_admin ON app_members (admin_id);

-- No foreign keys: the trail outlives the admins and apps it mentions.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       bigint,
    actor          text NOT NULL,
    app_id         bigint,
    application_id text,
    action         text NOT NULL,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id     text
);
CREATE INDEX audit_log_app ON audit_log (app_id, id DESC);
