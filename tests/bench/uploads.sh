#!/usr/bin/env bash
# Upload benchmark: one 100 MB file, then 200 MB as eight 25 MB files in parallel,
# against the release binary on SQLite, with local storage and with S3 storage (a
# real S3-compatible server, s3s-fs, started here). Prints throughput and the app's
# peak RSS (VmHWM) after each step: memory must stay flat, since uploads stream to
# disk and on to storage. Not part of `cargo test`.
#
#   bash tests/bench/uploads.sh            # local and s3
#   bash tests/bench/uploads.sh local      # one store
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-both}"
port="${BENCH_PORT:-18490}"
s3_port=$((port + 1))
cargo build --release --quiet
cargo build --release --quiet --example s3_server
bin="$PWD/target/release/lauf"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Test files: a ZIP signature, then incompressible bytes.
make_file() { { printf 'PK\003\004\024\000\000\000\010\000'; head -c "$(($2 - 10))" /dev/urandom; } > "$1"; }
make_file "$work/big.zip" 100000000
for i in 1 2 3 4 5 6 7 8; do make_file "$work/part$i.zip" 25000000; done

# The CSRF token of a page, with the cookie jar of the current run.
csrf() {
  curl -s -c "$jar" -b "$jar" "$1" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"//' || true
}

rss() { grep VmHWM "/proc/$1/status" | awk '{printf "%.1f MB", $2 / 1024}'; }

bench() {
  local store="$1"
  echo "== storage: $store"
  export LAUF_DATA_DIR="$work/$store" LAUF_BIND="127.0.0.1:$port" LAUF_UPLOAD_MAX_MB=200 RUST_LOG=warn
  unset DATABASE_URL
  if [ "$store" = s3 ]; then
    mkdir -p "$work/s3root/bench"
    target/release/examples/s3_server "$work/s3root" "$s3_port" &
    export LAUF_STORAGE=s3 LAUF_S3_ENDPOINT="http://127.0.0.1:$s3_port" LAUF_S3_BUCKET=bench \
      LAUF_S3_ACCESS_KEY_ID=bench LAUF_S3_SECRET_ACCESS_KEY=bench-secret
  else
    export LAUF_STORAGE=local
  fi
  "$bin" > "$work/$store.log" 2>&1 &
  local pid=$!
  local origin="http://127.0.0.1:$port" jar="$work/$store.jar"
  for _ in $(seq 1 100); do curl -sf "$origin/readyz" >/dev/null && break; sleep 0.1; done
  echo "   idle RSS: $(rss $pid)"
  local token status
  token=$(csrf "$origin/signup")
  status=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $origin" -X POST "$origin/signup" \
    --data-urlencode "csrf_token=$token" --data-urlencode "name=Bench" --data-urlencode "email=bench@example.com" \
    --data-urlencode "password=a long upload passphrase" --data-urlencode "password_confirm=a long upload passphrase" \
    --data-urlencode "timezone=UTC")
  [ "$status" = 303 ] || { echo "sign-up failed ($status)"; exit 1; }
  token=$(csrf "$origin/assets/upload")
  local up="$origin/assets/upload"
  local out
  out=$(curl -s -b "$jar" -H "Origin: $origin" -o /dev/null -w '%{http_code} %{time_total} %{speed_upload}' -F "csrf_token=$token" -F "files=@$work/big.zip" "$up")
  read -r code secs speed <<< "$out"
  echo "   100 MB file: HTTP $code in ${secs} s ($(echo "$speed / 1000000" | bc) MB/s); peak RSS $(rss $pid)"
  local started; started=$(date +%s.%N)
  local uploads=()
  for i in 1 2 3 4 5 6 7 8; do
    curl -s -b "$jar" -H "Origin: $origin" -o /dev/null -w '%{http_code}\n' -F "csrf_token=$token" -F "files=@$work/part$i.zip" "$up" > "$work/$store.par$i" &
    uploads+=($!)
  done
  wait "${uploads[@]}"
  local took; took=$(echo "$(date +%s.%N) - $started" | bc)
  echo "   8 × 25 MB in parallel: $(cat "$work"/$store.par* | sort | uniq -c | tr '\n' ' ')in ${took} s ($(echo "200 / $took" | bc) MB/s); peak RSS $(rss $pid)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ "$store" = s3 ]; then pkill -f "examples/s3_server" || true; fi
}

if [ "$which" = local ] || [ "$which" = both ]; then bench local; fi
if [ "$which" = s3 ] || [ "$which" = both ]; then bench s3; fi
