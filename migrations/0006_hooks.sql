-- Webhooks (Parse's Hooks API): external HTTPS endpoints registered as an app's cloud functions
-- or triggers.

CREATE TABLE function_hooks (
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- '' for a function; the class of a trigger.
    class_name  text NOT NULL,
    -- The function's name, or the trigger's (beforeSave...).
    name        text NOT NULL,
    url         text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, class_name, name)
);
