#!/usr/bin/env bash
# Benchmark of the statistics with 1,000,000 visits and 100,000 offerings seeded, on SQLite and
# on PostgreSQL: GET /api/v1/stats and /stats.html (one request's time, then wrk with 16
# connections), against the anchor of the issue, the full scan of the visits the statistics used
# to run per request (timed in the same run, on the same database).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
./tools/apt-install.sh wrk sqlite3 >&2
cargo build --release --no-default-features --features server --bin cloudhall >&2
bin="$CARGO_TARGET_DIR/release/cloudhall"
secs="${BENCH_SECONDS:-10}"
visits="${BENCH_VISITS:-1000000}"
offerings="${BENCH_OFFERINGS:-100000}"
pg_url=$(./tools/pg-test.sh)
bench_db="${pg_url%/*}/cloudhall_stats"
sites=$(grep -o '"[a-z0-9-]*",' scenes/tour.ron | tr -d '",' | head -18 | paste -sd' ')
now=$(date +%s)

# The seed, for both databases: visits spread over the last year and over the 18 sites (their
# scenes do not matter to the statistics), offerings over the sites, and the day counts as the
# server keeps them.

echo "### statistics with $visits visits and $offerings offerings ($(date -u +%F), $(nproc) cores)"
for db in sqlite postgres; do
  data=$(mktemp -d)
  args=(serve --addr 127.0.0.1:18081 --tour scenes --data "$data")
  [ "$db" = postgres ] && args+=(--database-url "$bench_db")
  if [ "$db" = postgres ]; then
    su postgres -c "psql -qc 'DROP DATABASE IF EXISTS cloudhall_stats'" >/dev/null 2>&1 || true
    su postgres -c "psql -qc 'CREATE DATABASE cloudhall_stats OWNER cloudhall'" >/dev/null
  fi
  # Start once to make the schema, then seed it with the server stopped.
  RUST_LOG=warn "$bin" "${args[@]}" & pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18081/health >/dev/null && break; sleep 0.1; done
  kill "$pid"; wait "$pid" || true
  t0=$(date +%s.%N)
  if [ "$db" = sqlite ]; then
    ids=$(for s in $sites; do printf "'%s'," "$s"; done | sed 's/,$//')
    sqlite3 "$data/cloudhall.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TEMP TABLE s(n INTEGER, id TEXT);
INSERT INTO s SELECT key, value FROM json_each('[$(echo "$ids" | tr "'" '"')]');
DELETE FROM visits; DELETE FROM visit_days; DELETE FROM offerings; DELETE FROM offering_counts;
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $visits)
INSERT INTO visits (site, scene, client_id, day, at)
  SELECT (SELECT id FROM s WHERE s.n = i.n % 18), 'scene', 'c' || (i.n % 5000), date($now - (i.n % 365) * 86400 + 28800, 'unixepoch'), $now - (i.n % 365) * 86400 FROM i;
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $offerings)
INSERT INTO offerings (target_kind, target_id, kind, client_id, idempotency_key, at)
  SELECT 'site', (SELECT id FROM s WHERE s.n = i.n % 18), 'flower', 'c' || i.n, 'k' || i.n, $now FROM i;
INSERT INTO visit_days (day, site, n) SELECT day, site, COUNT(*) FROM visits GROUP BY day, site;
INSERT INTO offering_counts (target_kind, target_id, kind, n) SELECT target_kind, target_id, kind, COUNT(*) FROM offerings GROUP BY 1, 2, 3;
SQL
    scan() {
      sqlite3 "$data/cloudhall.db" "SELECT COUNT(*) FROM visits; SELECT site, COUNT(*) FROM visits GROUP BY site; SELECT day, COUNT(*) FROM visits WHERE day >= date('now', '-30 days') GROUP BY day;" >/dev/null
    }
  else
    ids=$(for s in $sites; do printf "'%s'," "$s"; done | sed 's/,$//')
    PGPASSWORD=cloudhall psql -q -h 127.0.0.1 -U cloudhall cloudhall_stats <<SQL
DELETE FROM visits; DELETE FROM visit_days; DELETE FROM offerings; DELETE FROM offering_counts;
INSERT INTO visits (site, scene, client_id, day, at)
  SELECT (ARRAY[$ids])[1 + (i % 18)], 'scene', 'c' || (i % 5000), to_char(to_timestamp($now - (i % 365) * 86400 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), $now - (i % 365) * 86400
  FROM generate_series(1, $visits) AS i;
INSERT INTO offerings (target_kind, target_id, kind, client_id, idempotency_key, at)
  SELECT 'site', (ARRAY[$ids])[1 + (i % 18)], 'flower', 'c' || i, 'k' || i, $now FROM generate_series(1, $offerings) AS i;
INSERT INTO visit_days (day, site, n) SELECT day, site, COUNT(*) FROM visits GROUP BY day, site;
INSERT INTO offering_counts (target_kind, target_id, kind, n) SELECT target_kind, target_id, kind, COUNT(*) FROM offerings GROUP BY 1, 2, 3;
ANALYZE;
SQL
    scan() {
      PGPASSWORD=cloudhall psql -q -h 127.0.0.1 -U cloudhall cloudhall_stats -c "SELECT COUNT(*) FROM visits; SELECT site, COUNT(*) FROM visits GROUP BY site; SELECT day, COUNT(*) FROM visits WHERE day >= to_char(now() - interval '30 days', 'YYYY-MM-DD') GROUP BY day;" >/dev/null
    }
  fi
  echo
  echo "== $db (seeded in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s)"
  a0=$(date +%s.%N); for _ in 1 2 3; do scan; done; a1=$(date +%s.%N)
  anchor=$(echo "($a1 - $a0) / 3 * 1000" | bc -l)
  printf "anchor, the old per-request scan of the visits: %.0f ms\n" "$anchor"
  RUST_LOG=warn "$bin" "${args[@]}" & pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18081/health >/dev/null && break; sleep 0.1; done
  total=$(curl -fs http://127.0.0.1:18081/api/v1/stats | grep -o '"total_visits":[0-9]*')
  for path in /api/v1/stats /stats.html; do
    # One request when nothing is kept (after FRESH), then many.
    sleep 2.2
    one=$(curl -fs -o /dev/null -w '%{time_total}' "http://127.0.0.1:18081$path")
    printf "%-15s one request %.1f ms (%.0fx faster than the anchor); " "$path" "$(echo "$one * 1000" | bc -l)" "$(echo "$anchor / ($one * 1000)" | bc -l)"
    wrk -t2 -c16 -d"${secs}s" --latency "http://127.0.0.1:18081$path" | awk '/Requests\/sec/ {r = $2} /99%/ {p = $2} END {printf "%s requests/s, p99 %s\n", r, p}'
  done
  echo "($total)"
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
done
