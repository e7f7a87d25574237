#!/usr/bin/env bash
# What Supabase mode costs a signed-in page: the same empty account's `/` and
# `/clients` under wrk, once in local mode and once in Supabase mode (against
# `fake_supabase`, an ES256 project on loopback), on SQLite; then the raw cost of
# one token verification (`jwt_verify`). Not part of `cargo test`.
#
#   bash tests/bench/supabase.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
connections="${BENCH_CONNECTIONS:-16}"
duration="${BENCH_SECONDS:-15}"
port="${BENCH_PORT:-18480}"
fake_port="${BENCH_FAKE_PORT:-18490}"
password="bench passphrase 42"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --features test-support --bin lauf --example fake_supabase --example jwt_verify
bin="$PWD/target/release/lauf"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$PWD/target/release/examples/fake_supabase" "$fake_port" > "$work/fake.log" 2>&1 &
origin="http://127.0.0.1:$port"

csrf() { curl -s -c "$1" -b "$1" "$origin$2" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"//'; }

bench() {
  local mode="$1"
  echo "== $mode mode"
  export LAUF_DATA_DIR="$work/$mode" LAUF_BIND="127.0.0.1:$port" RUST_LOG=warn LAUF_AUTH_MODE="$mode"
  if [ "$mode" = supabase ]; then
    export SUPABASE_URL="http://127.0.0.1:$fake_port" SUPABASE_PUBLISHABLE_KEY=bench
  fi
  "$bin" > "$work/$mode.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "$origin/readyz" >/dev/null && break; sleep 0.1; done
  local jar="$work/$mode.jar"
  if [ "$mode" = local ]; then
    curl -s -c "$jar" -b "$jar" -o /dev/null -H "Origin: $origin" -X POST "$origin/signup" \
      --data-urlencode "csrf_token=$(csrf "$jar" /signup)" --data-urlencode "email=ana@example.com" \
      --data-urlencode "password=$password" --data-urlencode "password_confirm=$password" --data-urlencode "timezone=UTC"
  else
    curl -s -c "$jar" -b "$jar" -o /dev/null -H "Origin: $origin" -X POST "$origin/login" \
      --data-urlencode "csrf_token=$(csrf "$jar" /login)" --data-urlencode "email=ana@example.com" \
      --data-urlencode "password=$password"
  fi
  local cookie status
  cookie=$(awk '$6 == "lauf_session" { print $7 }' "$jar")
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: lauf_session=$cookie" "$origin/")
  [ "$status" = 200 ] || { echo "sign-in failed ($status)"; cat "$work/$mode.log"; exit 1; }
  for page in / /clients; do
    echo "   -- GET $page"
    wrk -t2 -c"$connections" -d3s -H "Cookie: lauf_session=$cookie" "$origin$page" >/dev/null
    wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Cookie: lauf_session=$cookie" "$origin$page" \
      | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
  done
  echo "   peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

bench local
bench supabase
echo "== one verification, no memo"
"$PWD/target/release/examples/jwt_verify" 20000
