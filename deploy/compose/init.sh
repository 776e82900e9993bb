#!/bin/sh
# Makes what deploy/compose.yaml needs and does not keep in the repository, once, on the Docker
# host (needs openssl): random secrets under compose/secrets/ and, under compose/certs/, a
# private CA and PostgreSQL's server certificate (names postgres-primary and postgres-replica),
# which Hearth verifies (sslmode=verify-full). Existing files are kept; remove a file to make it
# again.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets certs

put() { # file, value
  [ -s "secrets/$1" ] || printf '%s\n' "$2" > "secrets/$1"
}
put postgres_password "$(openssl rand -hex 24)"
pw=$(cat secrets/postgres_password)
put database_url "postgres://hearth:$pw@postgres-primary:5432/hearth?sslmode=verify-full"
put database_replica_urls "postgres://hearth:$pw@postgres-replica:5432/hearth?sslmode=verify-full"
put secret_key "$(openssl rand -base64 32)"
put redis_url "redis://redis:6379/0"
put s3_access_key_id "hearth$(openssl rand -hex 6)"
put s3_secret_access_key "$(openssl rand -hex 20)"
put admin_password "$(openssl rand -base64 18)"
put metrics_token "$(openssl rand -hex 24)"

if [ ! -s certs/ca.crt ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 \
    -subj "/CN=Hearth compose CA" -keyout certs/ca.key -out certs/ca.crt 2>/dev/null
  rm -f certs/server.crt
fi
if [ ! -s certs/server.crt ]; then
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -subj "/CN=postgres-primary" -keyout certs/server.key -out certs/server.csr 2>/dev/null
  printf 'subjectAltName=DNS:postgres-primary,DNS:postgres-replica,DNS:localhost\n' > certs/server.ext
  openssl x509 -req -in certs/server.csr -CA certs/ca.crt -CAkey certs/ca.key -CAcreateserial \
    -days 825 -extfile certs/server.ext -out certs/server.crt 2>/dev/null
  rm -f certs/server.csr certs/server.ext
fi
# The folders stay private to the host's user (umask 077); the files inside are readable, because
# compose bind-mounts them into containers that run as other users (Hearth as 65532).
chmod 644 secrets/* certs/ca.crt certs/server.crt
echo "Secrets in $(pwd)/secrets, certificates in $(pwd)/certs. The first admin is admin@example.com,"
echo "password in secrets/admin_password. Keep secrets/secret_key with your database backups."
