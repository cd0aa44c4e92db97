#!/usr/bin/env bash
# Load benchmark of `cloudhall serve` on loopback with wrk (64 connections), on SQLite and on
# PostgreSQL, against nginx in the same run:
# - GET /api/v1/tour with `Accept-Encoding: gzip` (cloudhall's precompressed copy), side by side
#   with nginx (one worker, `gzip_static on`) serving the same JSON precompressed: the ratio;
# - GET /api/v1/tour revalidated with If-None-Match (304);
# - GET of a 20 MB asset by 64 clients: the server's resident memory before and after (streamed
#   from disk, it stays flat);
# - POST /api/v1/memorial/offerings: acknowledged, durable offerings a second.
# Builds the server alone in release mode (no viewer).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
./tools/apt-install.sh wrk nginx-light >&2
cargo build --release --no-default-features --features server --bin cloudhall >&2
bin="$CARGO_TARGET_DIR/release/cloudhall"
secs="${BENCH_SECONDS:-15}"
pg_url=$(./tools/pg-test.sh)
bench_db="${pg_url%/*}/cloudhall_bench"
su postgres -c "psql -qc 'DROP DATABASE IF EXISTS cloudhall_bench'" >/dev/null 2>&1 || true
su postgres -c "psql -qc 'CREATE DATABASE cloudhall_bench OWNER cloudhall'" >/dev/null
rps() { awk '/Requests\/sec/ {print $2}'; }
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$1/status"; }

# A tour whose assets hold a 20 MB file (a copy of the bundled tour, the file beside its assets).
work=$(mktemp -d)
cp -r scenes "$work/scenes"
mkdir -p "$work/assets"
for f in assets/*; do ln -s "$PWD/$f" "$work/assets/"; done
head -c 20000000 /dev/urandom > "$work/assets/big.bin"

# nginx: one worker, the tour JSON precompressed with gzip beside it (gzip_static).
ngx="$work/nginx"
mkdir -p "$ngx/root/api/v1" "$ngx/logs"
cat > "$ngx/nginx.conf" <<NGINX
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  gzip_static on;
  server { listen 127.0.0.1:18090; root $ngx/root; location / { } }
}
NGINX

echo "### cloudhall serve against nginx ($(date -u +%F), $(nproc) cores, wrk -t2 -c64 -d${secs}s)"
for db in sqlite postgres; do
  data=$(mktemp -d)
  args=(serve --addr 127.0.0.1:18080 --tour "$work/scenes" --data "$data")
  [ "$db" = postgres ] && args+=(--database-url "$bench_db")
  RUST_LOG=warn "$bin" "${args[@]}" & pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18080/health >/dev/null && break; sleep 0.1; done
  echo
  echo "== $db"
  if [ "$db" = sqlite ]; then
    # nginx serves the very JSON cloudhall sends, gzipped at its best, as gzip_static expects.
    curl -fs http://127.0.0.1:18080/api/v1/tour > "$ngx/root/api/v1/tour"
    gzip -9 -k -f "$ngx/root/api/v1/tour"
    nginx -c "$ngx/nginx.conf" -p "$ngx"
    sleep 0.5
    n=$(wrk -t2 -c64 -d"${secs}s" -H "Accept-Encoding: gzip" http://127.0.0.1:18090/api/v1/tour | rps)
    c=$(wrk -t2 -c64 -d"${secs}s" -H "Accept-Encoding: gzip" http://127.0.0.1:18080/api/v1/tour | rps)
    nginx -c "$ngx/nginx.conf" -p "$ngx" -s stop || true
    echo "GET /api/v1/tour, gzip ($(curl -fs -H 'Accept-Encoding: gzip' http://127.0.0.1:18080/api/v1/tour | wc -c) bytes; plain $(wc -c < "$ngx/root/api/v1/tour")): cloudhall $c requests/s, nginx $n requests/s: $(echo "scale=2; $c / $n" | bc)x"
  else
    c=$(wrk -t2 -c64 -d"${secs}s" -H "Accept-Encoding: gzip" http://127.0.0.1:18080/api/v1/tour | rps)
    echo "GET /api/v1/tour, gzip: $c requests/s"
  fi
  etag=$(curl -fsI http://127.0.0.1:18080/api/v1/tour | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
  echo "GET /api/v1/tour, If-None-Match (304): $(wrk -t2 -c64 -d"${secs}s" -H "If-None-Match: $etag" http://127.0.0.1:18080/api/v1/tour | rps) requests/s"
  before=$(rss "$pid")
  big=$(wrk -t2 -c64 -d"${secs}s" --timeout 30s http://127.0.0.1:18080/assets/big.bin | awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2} END {print r " requests/s, " t "/s"}')
  echo "GET /assets/big.bin (20 MB) by 64 clients: $big; server memory $before before, $(rss "$pid") after"
  echo "POST /api/v1/memorial/offerings: $(wrk -t2 -c64 -d"${secs}s" --latency -s benches/wrk/offerings.lua http://127.0.0.1:18080 | awk '/Requests\/sec/ {r=$2} /99%/ {p=$2} /Non-2xx/ {e=$0} END {print r " requests/s, p99 " p (e ? ", " e : "")}')"
  echo "   stored: $(curl -fs 'http://127.0.0.1:18080/api/v1/memorial/counts?site=chifeng-martyrs-cemetery')"
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
done
rm -rf "$work"
