#!/usr/bin/env bash
# Load benchmark of `cloudhall serve` on loopback with wrk: GET /api/v1/tour (full body, and
# revalidated with If-None-Match) and POST /api/v1/memorial/offerings, 64 connections, on SQLite
# and on PostgreSQL. Builds the server alone in release mode (no viewer).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
./tools/apt-install.sh wrk >&2
cargo build --release --no-default-features --features server --bin cloudhall >&2
bin="$CARGO_TARGET_DIR/release/cloudhall"
secs="${BENCH_SECONDS:-15}"
pg_url=$(./tools/pg-test.sh)
bench_db="${pg_url%/*}/cloudhall_bench"
su postgres -c "psql -qc 'DROP DATABASE IF EXISTS cloudhall_bench'" >/dev/null 2>&1 || true
su postgres -c "psql -qc 'CREATE DATABASE cloudhall_bench OWNER cloudhall'" >/dev/null
for db in sqlite postgres; do
  data=$(mktemp -d)
  args=(serve --addr 127.0.0.1:18080 --tour scenes --data "$data")
  [ "$db" = postgres ] && args+=(--database-url "$bench_db")
  RUST_LOG=warn "$bin" "${args[@]}" & pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18080/health >/dev/null && break; sleep 0.1; done
  etag=$(curl -fsI http://127.0.0.1:18080/api/v1/tour | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
  echo "== $db: GET /api/v1/tour ($(curl -fs http://127.0.0.1:18080/api/v1/tour | wc -c) bytes)"
  wrk -t2 -c64 -d"${secs}s" --latency http://127.0.0.1:18080/api/v1/tour | grep -E "Requests/sec|99%"
  echo "== $db: GET /api/v1/tour with If-None-Match (304)"
  wrk -t2 -c64 -d"${secs}s" --latency -H "If-None-Match: $etag" http://127.0.0.1:18080/api/v1/tour | grep -E "Requests/sec|99%"
  echo "== $db: POST /api/v1/memorial/offerings"
  wrk -t2 -c64 -d"${secs}s" --latency -s benches/wrk/offerings.lua http://127.0.0.1:18080 | grep -E "Requests/sec|99%|Non-2xx"
  echo "   stored: $(curl -fs 'http://127.0.0.1:18080/api/v1/memorial/counts?site=chifeng-martyrs-cemetery')"
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
done
