#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test tier:
#   1. host unit tests (pure crates, local IVS, site server — its Redis store against a real Redis),
#      and every fuzz target briefly
#   2. components in headless Chromium (wasm-bindgen-test)
#   3. end to end: built viewer (and the npm package, pkg/) + local IVS + site server + Chromium +
#      the real IVS Player SDK
# and closes with the total count of tests passed and failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
step() { printf '\n\033[1;34m[test]\033[0m %s\n' "$*"; }
status=0
# A failing tier is recorded, not fatal: every tier runs and the summary is always printed.
run() { "$@" 2>&1 | tee -a "$log" || status=1; }

# A Redis for the Redis store's tests (append-only file on, as the site server wants it), on a
# plain port and a TLS port whose certificate a test CA signed; the end-to-end tests start their own.
redis_dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
redis_tls_port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=test CA" \
  -keyout "$redis_dir/ca.key" -out "$redis_dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$redis_dir/redis.key" -out "$redis_dir/redis.csr" 2>/dev/null
openssl x509 -req -in "$redis_dir/redis.csr" -CA "$redis_dir/ca.pem" -CAkey "$redis_dir/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1') -out "$redis_dir/redis.pem" 2>/dev/null
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --appendonly yes --appendfsync always --save "" \
  --tls-port "$redis_tls_port" --tls-cert-file "$redis_dir/redis.pem" --tls-key-file "$redis_dir/redis.key" \
  --tls-ca-cert-file "$redis_dir/ca.pem" --tls-auth-clients no \
  --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
trap 'rm -f "$log"; kill "$(cat "$redis_dir/redis.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$redis_dir"' EXIT
export IVS_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
export IVS_TEST_REDISS_URL="rediss://localhost:$redis_tls_port" IVS_TEST_REDIS_CA="$redis_dir/ca.pem"

step "1/3 host unit tests"
run cargo test -p ivs-proto -p ivs-codecs -p ivs-local -p ivs-site --no-fail-fast

# The fuzzer builds, and every target takes 10,000 hostile inputs (scripts/fuzz.sh runs millions).
step "1/3 every fuzz target, briefly"
run cargo run -q -p ivs-fuzz -- --count 10000

step "2/3 components in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  run cargo test -p ivs-viewer --target wasm32-unknown-unknown

step "3/3 end to end in Chromium, Firefox and WebKitGTK"
trunk build --release --offline
bash scripts/package.sh
cargo build -q -p ivs-local -p ivs-site
run bash scripts/e2e.sh

passed=$(grep -Eo '^test result: .* ([0-9]+) passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '^test result: .* ([0-9]+) failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s += $1} END {print s + 0}')
echo
echo "total: $passed passed, $failed failed"
exit "$status"
