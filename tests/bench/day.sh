#!/usr/bin/env bash
# Load benchmark of the Command Center's day page (`/`), the clients list and the
# pipeline board for an account with ~20,000 blocks, 60 clients, ~150 projects and
# ~300 opportunities (`lauf demo --scale 4`), on SQLite and on PostgreSQL. Not part
# of `cargo test`: run it by hand on a quiet machine.
#
#   bash tests/bench/day.sh            # both backends
#   bash tests/bench/day.sh sqlite     # one backend
#
# Needs wrk (installed from Debian's packages if missing) and, for PostgreSQL, a
# server at $BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-both}"
connections="${BENCH_CONNECTIONS:-16}"
duration="${BENCH_SECONDS:-20}"
port="${BENCH_PORT:-18480}"
admin_url="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
bin="$PWD/target/release/lauf"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

bench() {
  local name="$1" url="$2"
  echo "== $name"
  export DATABASE_URL="$url" LAUF_DATA_DIR="$work/$name" LAUF_BIND="127.0.0.1:$port" LAUF_DB_POOL_SIZE="${BENCH_POOL:-32}" RUST_LOG=warn
  local started; started=$(date +%s.%N)
  "$bin" demo --users 1 --scale 4 --email bench@example.com --password "bench passphrase 42" | head -n 1
  echo "   demo data built in $(echo "$(date +%s.%N) - $started" | bc) s"
  "$bin" > "$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local jar="$work/$name.jar" origin="http://127.0.0.1:$port"
  local token
  token=$(curl -s -c "$jar" -b "$jar" "$origin/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"//')
  curl -s -c "$jar" -b "$jar" -o /dev/null -H "Origin: $origin" -X POST "$origin/login" \
    --data-urlencode "csrf_token=$token" --data-urlencode "email=bench@example.com" --data-urlencode "password=bench passphrase 42"
  local cookie
  cookie=$(awk '$6 == "lauf_session" { print $7 }' "$jar")
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: lauf_session=$cookie" "$origin/")
  [ "$status" = 200 ] || { echo "login failed ($status)"; cat "$work/$name.log"; exit 1; }
  for page in / /clients /projects; do
    echo "   -- GET $page"
    wrk -t2 -c"$connections" -d3s -H "Cookie: lauf_session=$cookie" "$origin$page" >/dev/null
    wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Cookie: lauf_session=$cookie" "$origin$page" \
      | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
  done
  echo "   peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [ "$which" = sqlite ] || [ "$which" = both ]; then
  bench sqlite ""
fi
if [ "$which" = postgres ] || [ "$which" = both ]; then
  db="lauf_bench_$$"
  psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
  bench postgres "${admin_url%/*}/$db"
  psql "$admin_url" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi
