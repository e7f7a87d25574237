#!/usr/bin/env bash
# Load benchmark against the targets of issue 7, on SQLite and on PostgreSQL. Not part
# of `cargo test`: run it by hand on a quiet machine (it takes ~35 minutes with the
# defaults, most of it the 10-minute soak per backend).
#
#   bash tests/bench/load.sh            # both backends
#   bash tests/bench/load.sh sqlite     # one backend
#   BENCH_HISTORY="4 40" bash tests/bench/load.sh # each backend at each history, one run
#
# For each backend it builds the data set with `lauf demo` (BENCH_USERS accounts, each
# with ~20,000 blocks, 60 clients, ~150 projects, ~300 opportunities and BENCH_FILES
# files), starts the release binary, signs every account in, then drives wrk
# (tests/bench/load.lua spreads the requests over all the accounts) at each of
# BENCH_CONNECTIONS against `/`, `/` on a cache miss (a random day each request),
# `/command/calendar`, `/command/tasks` (first page, a search, a filter, and page 20
# as its pager reaches it: the cursor link found by following "Next" 19 times),
# `/clients`, a client page, `/projects`, a project page, `/assets`, `/review` and an
# htmx block completion (BENCH_PAGES lists fewer), printing requests/s, p50, p99, the slowest response and the
# responses that were not 2xx/3xx. At 16 connections (the targets') a mix of all five
# follows for BENCH_SOAK_SECONDS and the server's peak RSS is read, then the other
# concurrencies run and the peak is read again.
#
# Settings (environment): BENCH_USERS (50), BENCH_SCALE (4: 60 clients, ~150 projects,
# ~300 opportunities per account), BENCH_HISTORY (the blocks' scale, default BENCH_SCALE:
# 4 is ~20,000 blocks per account, 40 ~260,000; a list such as "4 40" runs every backend
# at each, with the same clients), BENCH_FILES (2000),
# BENCH_CONNECTIONS ("16 64"), BENCH_SECONDS (20 per figure), BENCH_SOAK_SECONDS (600),
# BENCH_POOL (unset: the app's default, two connections per core), BENCH_PORT (18480),
# BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres).
# Needs wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-both}"
users="${BENCH_USERS:-50}"
scale="${BENCH_SCALE:-4}"
histories="${BENCH_HISTORY:-$scale}"
files="${BENCH_FILES:-2000}"
connections="${BENCH_CONNECTIONS:-16 64}"
duration="${BENCH_SECONDS:-20}"
soak="${BENCH_SOAK_SECONDS:-600}"
pool="${BENCH_POOL:-}"
port="${BENCH_PORT:-18480}"
admin_url="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
password="bench passphrase 42"
origin="http://127.0.0.1:$port"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
bin="$PWD/target/release/lauf"
script="$PWD/tests/bench/load.lua"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Signs every demo account in; writes "cookie csrf id,id,…" per account to $1.
sign_in_all() {
  local out="$1" jar="$work/jar" i email token page
  : > "$out"
  for i in $(seq 1 "$users"); do
    if [ "$users" = 1 ]; then email="bench@example.com"; else email="bench$i@example.com"; fi
    rm -f "$jar"
    token=$(curl -s -c "$jar" -b "$jar" "$origin/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"//')
    curl -s -c "$jar" -b "$jar" -o /dev/null -H "Origin: $origin" -X POST "$origin/login" \
      --data-urlencode "csrf_token=$token" --data-urlencode "email=$email" --data-urlencode "password=$password"
    local cookie
    cookie="lauf_session=$(awk '$6 == "lauf_session" { print $7 }' "$jar")"
    page=$(curl -s -H "Cookie: $cookie" "$origin/")
    token=$(grep -o 'name="csrf_token" value="[^"]*"' <<<"$page" | head -n1 | sed 's/.*value="//;s/"//')
    [ -n "$token" ] || { echo "signing in $email failed"; exit 1; }
    local ids client project
    ids=$(grep -o 'action="/tasks/[^/"]*/status"' <<<"$page" | sed 's#action="/tasks/##;s#/status"##' | sort -u | paste -sd, -)
    client=$(curl -s -H "Cookie: $cookie" "$origin/clients" | grep -o 'href="/clients/[0-9a-f-]\{36\}"' | sed -n '1s#href="/clients/##;1s#"##p')
    project=$(curl -s -H "Cookie: $cookie" "$origin/projects" | grep -o 'href="/projects/[0-9a-f-]\{36\}"' | sed -n '1s#href="/projects/##;1s#"##p')
    local next="/command/tasks" n
    for n in $(seq 2 20); do
      next=$(curl -s -H "Cookie: $cookie" "$origin$next" | { grep -o 'href="[^"]*" rel="next"' || true; } | sed 's/href="//;s/" rel="next"//;s/&amp;/\&/g;s/&#38;/\&/g')
      [ -n "$next" ] || { echo "the tasks list of $email has no page $n"; exit 1; }
    done
    echo "$cookie $token ${ids:--} ${client:--} ${project:--} $next" >> "$out"
  done
}

# One wrk run: prints "target  conns  req/s  p50  p99  max  not-2xx/3xx".
measure() {
  local target="$1" conns="$2" seconds="$3" out
  out=$(BENCH_TARGET="$target" wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$script" "$origin" 2>&1)
  local rps p50 p99 max bad
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  max=$(awk '$1 == "Latency" { print $4; exit }' <<<"$out")
  bad=$(awk '/Non-2xx or 3xx/ { print $NF }' <<<"$out")
  printf '   %-18s %4s conns  %9s req/s   p50 %8s   p99 %8s   max %8s   not 2xx/3xx: %s\n' \
    "$target" "$conns" "$rps" "$p50" "$p99" "$max" "${bad:-0}"
  grep -E 'Socket errors' <<<"$out" | sed 's/^/     /' || true
}

# The six figures at $1 connections, each after a 3-second warm-up.
pages() {
  local target
  for target in ${BENCH_PAGES:-/ miss /command/calendar /command/tasks "/command/tasks?q=design" "/command/tasks?category=ADMIN" page20 /clients client /projects project /assets /review complete}; do
    BENCH_TARGET="$target" wrk -t2 -c"$1" -d3s -s "$script" "$origin" >/dev/null
    measure "$target" "$1" "$duration"
  done
}

# A field of the server's /proc status ("VmHWM" is the peak resident set).
rss() {
  grep "$1" "/proc/$pid/status" | awk '{print $2, $3}'
}

bench() {
  local name="$1" url="$2"
  echo "== $name"
  export DATABASE_URL="$url" LAUF_DATA_DIR="$work/$name" LAUF_BIND="127.0.0.1:$port" \
    RUST_LOG=warn BENCH_ORIGIN="$origin" BENCH_SESSIONS="$work/$name.sessions"
  if [ -n "$pool" ]; then export LAUF_DB_POOL_SIZE="$pool"; else unset LAUF_DB_POOL_SIZE; fi
  local started; started=$(date +%s.%N)
  "$bin" demo --users "$users" --scale "$scale" --history "$history" --files "$files" \
    --email bench@example.com --password "$password" | sed -n 1p
  echo "   data built in $(echo "$(date +%s.%N) - $started" | bc) s"
  # `lauf demo` ends with VACUUM (ANALYZE); the checkpointer would write back what that
  # dirtied during the first figures: do it now so that work is not measured as the app's.
  if [ -n "$url" ]; then psql "$url" -q -c "CHECKPOINT" >/dev/null; fi
  # The data set leaves over a gigabyte of files and database pages dirty in the
  # kernel, written back 30 s later, during the first figures: with 1.2 GB dirty the
  # p99 of `/` on PostgreSQL went from 13 ms to 42-56 ms. Write it back now.
  started=$(date +%s.%N)
  sync
  echo "   written back in $(echo "$(date +%s.%N) - $started" | bc) s"
  "$bin" > "$work/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "$origin/readyz" >/dev/null && break; sleep 0.1; done
  sign_in_all "$BENCH_SESSIONS"
  echo "   $(wc -l < "$BENCH_SESSIONS") accounts signed in; RSS $(rss VmRSS)"
  # The targets are at 16 connections, so the five figures and the soak at 16 come
  # first and the peak RSS is read after them; the other concurrencies follow, with the
  # peak read again.
  pages 16
  echo "   -- mix for ${soak}s at 16 connections"
  measure mix 16 "$soak"
  echo "   peak RSS after the 16-connection figures and the soak: $(rss VmHWM), now $(rss VmRSS)"
  for conns in $connections; do
    [ "$conns" = 16 ] || pages "$conns"
  done
  echo "   peak RSS after all: $(rss VmHWM), now $(rss VmRSS)"
  local slow; slow=$(grep -c 'slow request' "$work/$name.log" || true)
  echo "   requests the server took over 1 s for: $slow"
  [ "$slow" = 0 ] || grep 'slow request' "$work/$name.log" | head -n 5 | sed 's/^/     /'
  if grep -qiE 'panicked|ERROR' "$work/$name.log"; then
    echo "   server log has errors:"; grep -iE 'panicked|ERROR' "$work/$name.log" | head -n 5
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for history in $histories; do
  if [ "$which" = sqlite ] || [ "$which" = both ]; then
    bench "sqlite-history-$history" ""
    rm -rf "$work/sqlite-history-$history"
  fi
  if [ "$which" = postgres ] || [ "$which" = both ]; then
    db="lauf_bench_$$"
    psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
    bench "postgres-history-$history" "${admin_url%/*}/$db"
    psql "$admin_url" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  fi
done
