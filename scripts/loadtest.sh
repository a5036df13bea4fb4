#!/usr/bin/env bash
# Load test of the public catalog against a seeded server, on this machine only.
#
# What it does, and the only things it starts:
#   1. builds ./cmd/souk into a temporary folder;
#   2. seeds a temporary data folder (SQLite + object folder) with the demo data and
#      --products N generated products (or the PostgreSQL database given with --database-url,
#      which should be empty: the load products are added on every run);
#   3. starts `souk serve` on 127.0.0.1:PORT in the background and waits for /readyz;
#   4. runs wrk (Debian package `wrk`) for a bounded time on each URL below, one after the
#      other, and prints the latency percentiles and the request rate;
#   5. stops that server (by the process id it started) and removes the temporary folder
#      (unless --keep).
#
# Usage: scripts/loadtest.sh [--products 50000] [--port 18080] [--duration 20s]
#                            [--connections 16] [--threads 2] [--database-url postgres://…]
#                            [--keep]
# Needs: go, wrk (apt-get install -y wrk), curl.
set -euo pipefail

products=50000
port=18080
duration=20s
connections=16
threads=2
database_url=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --products) products="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --database-url) database_url="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

for tool in go wrk curl; do
  command -v "$tool" >/dev/null || { echo "loadtest: $tool is required (wrk: apt-get install -y wrk)" >&2; exit 1; }
done

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t souk-loadtest-XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then
    echo "kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT INT TERM

export SOUK_DATA_DIR="$work/data" SOUK_ADDR="127.0.0.1:$port" SOUK_LOG_LEVEL=warn
export DATABASE_URL="$database_url"
unset S3_ENDPOINT  # objects in the temporary folder

echo "== build"
(cd "$root" && go build -o "$work/souk" ./cmd/souk)

if [ -n "$database_url" ]; then db_name="PostgreSQL"; else db_name="SQLite in $work/data"; fi
echo "== seed ($products load products, database: $db_name)"
"$work/souk" seed --products "$products"

echo "== serve on 127.0.0.1:$port"
"$work/souk" serve >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server not ready:"; cat "$work/serve.log"; exit 1; }

# wrk prints p50/p90/p99 with --latency; this script adds p95, the target's percentile.
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout + summary.errors.status
  io.write(string.format("  requests %d in %.1fs = %.0f req/s, errors %d (non-2xx/3xx %d)\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    errors, summary.errors.status))
  io.write(string.format("  latency p50 %.2f ms  p90 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

urls=(
  "/products"
  "/products?page=40"
  "/products?craft=zellige&region=FM&min=50&max=800"
  "/products?q=zellige"
  "/products?q=%D8%B2%D9%84%D9%8A%D8%AC"
  "/products?q=cedre"
)
for path in "${urls[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
  echo "== GET $path (status $code; wrk -t$threads -c$connections -d$duration)"
  wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s -s "$work/report.lua" \
    -H 'Accept-Language: fr' "http://127.0.0.1:$port$path" | sed -n '/^  requests/,$p'
done
