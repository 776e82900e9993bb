-- Push: each app's provider credentials (write-only through the management API), and the
-- batches whose delivery was given up.
CREATE TABLE push_credentials (
    app_id bigint NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('apns', 'fcm', 'hook')),
    -- What may be shown: ids, topic, URL, device types.
    config jsonb NOT NULL,
    -- The key, service account key or signing secret.
    secret text NOT NULL,
    fingerprint text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, provider)
);

CREATE TABLE push_dead_letters (
    id bigserial PRIMARY KEY,
    app_id bigint NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    push_id text NOT NULL,
    provider text NOT NULL,
    installation_ids text[] NOT NULL,
    reason text NOT NULL,
    attempts integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_dead_letters_app ON push_dead_letters (app_id, created_at);
