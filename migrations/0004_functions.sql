-- Cloud functions: an app's deployed WebAssembly modules (versioned, one active), the logs of
-- their calls, and the durable queue background work runs from.

CREATE TABLE function_deployments (
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    sha256      text NOT NULL,
    module      bytea NOT NULL,
    -- What the module declares: {"functions": [...], "triggers": [...], "jobs": [...]}.
    manifest    jsonb NOT NULL,
    size        integer NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, version)
);
CREATE UNIQUE INDEX function_deployments_active ON function_deployments (app_id) WHERE active;

CREATE TABLE function_logs (
    id          bigserial PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    level       text NOT NULL,
    -- function:<name>, beforeSave:<class>, job:<name>, ...
    source      text NOT NULL,
    message     text NOT NULL,
    duration_us bigint
);
CREATE INDEX function_logs_app ON function_logs (app_id, id DESC);
