#!/usr/bin/env bash
# Starts a local PostgreSQL for the tests (installing it when missing) and prints a URL for a role
# that may create databases. Idempotent: reuses the running cluster and the role.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/apt-install.sh postgresql >&2
if ! pg_lsclusters -h | grep -q .; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_createcluster "$ver" main >&2
fi
read -r ver name port status _ < <(pg_lsclusters -h | head -1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$ver" "$name" start >&2
fi
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}
for _ in $(seq 1 50); do
  as_postgres "psql -p $port -tAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'cloudhall'\"" | grep -q 1; then
  as_postgres "psql -p $port -c \"CREATE ROLE cloudhall LOGIN CREATEDB PASSWORD 'cloudhall'\"" >&2
fi
# Databases left by earlier test runs.
for db in $(as_postgres "psql -p $port -tAc \"SELECT datname FROM pg_database WHERE datname LIKE 'cloudhall_t%'\""); do
  as_postgres "psql -p $port -qc 'DROP DATABASE IF EXISTS $db'" >&2 || true
done
echo "postgres://cloudhall:cloudhall@127.0.0.1:$port/postgres"
