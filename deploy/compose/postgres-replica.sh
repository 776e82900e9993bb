#!/bin/sh
# The streaming replica of compose.yaml: on its first start, a copy of the primary made with
# pg_basebackup (-R: standby.signal and primary_conninfo, verify-full over TLS; -C -S: the
# replication slot replica1, named in primary_slot_name, so that the primary keeps the WAL this
# replica has not received while it is stopped), then the image's entrypoint, which finds the
# cluster made and starts it as a hot standby.
set -eu
install -o postgres -g postgres -m 0600 /compose/certs/server.key /var/lib/postgresql/server.key
install -o postgres -g postgres -m 0644 /compose/certs/server.crt /var/lib/postgresql/server.crt
install -o postgres -g postgres -m 0644 /compose/certs/ca.crt /var/lib/postgresql/ca.crt
PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  export PGPASSWORD="$(cat /run/secrets/postgres_password)" PGSSLMODE=verify-full PGSSLROOTCERT=/var/lib/postgresql/ca.crt
  # A slot left by a former clone of this replica (its volume removed) is made again.
  gosu postgres psql -h postgres-primary -U hearth -d hearth -Atq -c \
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'replica1' AND NOT active"
  gosu postgres pg_basebackup -h postgres-primary -U hearth -D "$PGDATA" -R -C -S replica1 -X stream -c fast
  unset PGPASSWORD PGSSLMODE PGSSLROOTCERT
fi
exec docker-entrypoint.sh postgres \
  -c ssl=on -c ssl_cert_file=/var/lib/postgresql/server.crt -c ssl_key_file=/var/lib/postgresql/server.key \
  -c hot_standby=on
