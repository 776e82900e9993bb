-- The durable queue background work runs from (cloud-code jobs now, push delivery later), and
-- apps' job schedules.
--
-- A task is claimed with `FOR UPDATE SKIP LOCKED` and leased (`locked_until`): any number of
-- instances take tasks from the same table, each task is run by one of them at a time, and a task
-- whose instance died is taken again when its lease runs out (or given up after `max_attempts`).

CREATE TABLE queue_tasks (
    id            bigserial PRIMARY KEY,
    -- What runs it: `job`, later `push`...
    kind          text NOT NULL,
    app_id        bigint REFERENCES apps (id) ON DELETE CASCADE,
    payload       jsonb NOT NULL,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 1,
    locked_until  timestamptz,
    last_error    text,
    -- Set for work that must be queued once only (a schedule's tick).
    dedupe_key    text UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_tasks_due ON queue_tasks (run_at);

CREATE TABLE function_schedules (
    id          bigserial PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    job         text NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    -- A cron expression (5 fields, or 6 with seconds first), in UTC.
    cron        text NOT NULL,
    description text NOT NULL DEFAULT '',
    enabled     boolean NOT NULL DEFAULT true,
    next_run    timestamptz NOT NULL,
    last_run    timestamptz,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX function_schedules_due ON function_schedules (next_run) WHERE enabled;
CREATE INDEX function_schedules_app ON function_schedules (app_id);
