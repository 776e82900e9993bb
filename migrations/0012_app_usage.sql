-- Per-app usage, one row per app and minute (server/src/usage.rs). Each instance counts in
-- memory and adds its counts to the rows every few seconds (INSERT ... ON CONFLICT DO UPDATE),
-- so the rows hold the sum over every instance. Rows older than the retention are deleted.

CREATE TABLE app_usage (
    app_id          bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- The start of the minute.
    minute          timestamptz NOT NULL,
    requests        bigint NOT NULL DEFAULT 0,
    -- Answers with a 4xx status, and with a 5xx status.
    client_errors   bigint NOT NULL DEFAULT 0,
    server_errors   bigint NOT NULL DEFAULT 0,
    -- Requests per latency bucket; the buckets' bounds are fixed in usage.rs.
    latency         bigint[] NOT NULL,
    function_calls  bigint NOT NULL DEFAULT 0,
    function_errors bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, minute)
);

-- For the retention's deletes.
CREATE INDEX app_usage_minute ON app_usage (minute);

-- The audit log's filters by action and by actor, within an app or the whole instance.
CREATE INDEX audit_log_app_action ON audit_log (app_id, action, id DESC);
CREATE INDEX audit_log_app_actor ON audit_log (app_id, lower(actor), id DESC);
