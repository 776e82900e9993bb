-- Bus frames too large for a NOTIFY payload (8,000 bytes): stored here by the notifying
-- statement, read back by each instance, deleted after a while (server/src/bus/postgres.rs).
-- Unlogged: no write-ahead log for them; a crash empties the table, and every listener
-- reconnects and starts over anyway.

CREATE UNLOGGED TABLE bus_payloads (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    frame      text NOT NULL
);

CREATE INDEX bus_payloads_created_at ON bus_payloads (created_at);
