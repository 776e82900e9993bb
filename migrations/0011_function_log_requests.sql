-- A function log line remembers the HTTP request whose call wrote it (its X-Request-Id), so the
-- dashboard's invoke console can show the lines of one call.

ALTER TABLE function_logs ADD COLUMN request_id text;

CREATE INDEX function_logs_request ON function_logs (app_id, request_id) WHERE request_id IS NOT NULL;
