#!/bin/sh
# The PostgreSQL primary of compose.yaml: its server certificate installed for the postgres user
# (PostgreSQL refuses a key others can read), replication allowed over TLS, then the image's own
# entrypoint (which initialises the cluster on the first start and drops to the postgres user).
# The replica's slot keeps the WAL it has not received yet, up to max_slot_wal_keep_size (past
# that the slot is invalidated and the replica must be cloned again: remove its volume).
set -eu
install -o postgres -g postgres -m 0600 /compose/certs/server.key /var/lib/postgresql/server.key
install -o postgres -g postgres -m 0644 /compose/certs/server.crt /var/lib/postgresql/server.crt
# Run once, when the cluster is initialised: TCP clients only over TLS, replication included.
cat > /docker-entrypoint-initdb.d/10-hba.sh <<'HBA'
#!/bin/sh
cat > "$PGDATA/pg_hba.conf" <<'CONF'
local all all trust
hostssl all all all scram-sha-256
hostssl replication all all scram-sha-256
CONF
HBA
chmod 755 /docker-entrypoint-initdb.d/10-hba.sh
exec docker-entrypoint.sh postgres \
  -c ssl=on -c ssl_cert_file=/var/lib/postgresql/server.crt -c ssl_key_file=/var/lib/postgresql/server.key \
  -c wal_level=replica -c max_wal_senders=5 -c max_replication_slots=5 -c hot_standby=on \
  -c max_slot_wal_keep_size=4GB
