#!/usr/bin/env bash
# The workflow-engine benchmark (issue 14), on a release build and a private PostgreSQL cluster:
# a 10-node graph of no-op steps (start, 8 `set` nodes in a chain, end) run through the HTTP API
#   throughput: runs per second, N async executions queued at once and drained by the serve
#               workers (TASKS_SERVE_CONCURRENCY 1, 2, 4)
#   latency:    a synchronous POST /api/v1/flows/{id}/execute, request to answer
# Usage: benchmarks/workflows.sh [runs per throughput pass, default 300] [latency samples, default 100]
# Prints Markdown tables (recorded in docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
samples=${2:-100}
scripts/setup
swift build -c release --product platform >/dev/null
bin=.build/release

work=$(mktemp -d /tmp/platform-flowbench.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
server_pid=
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; server_pid=; }
cleanup() {
    stop_server
    $bin/platform local-db stop --directory "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

eval "$($bin/platform local-db start --directory "$work/pg" --port "$(free_port)" --ephemeral --setting max_connections=300)"
export DATABASE_URL DATABASE_MIGRATION_URL
export JWT_SECRET="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export LOG_LEVEL=warning RATE_LIMIT_DEFAULT=1000000 RATE_LIMIT_AUTH=1000000 STORAGE_DIR="$work/storage" TASKS_POLL_MS=200
$bin/platform migrate >/dev/null
password="Bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
PLATFORM_ADMIN_PASSWORD="$password" $bin/platform bootstrap --admin-email bench@example.com --tenant bench >/dev/null

start_server() {
    port=$(free_port)
    HTTP_PORT=$port TASKS_SERVE_CONCURRENCY=$1 $bin/platform serve --no-migrate > "$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
}

echo "| serve workers | runs | queue runs/s | runs/s (queued -> all finished) | node steps/s |"
echo "| --- | --- | --- | --- | --- |"
for workers in 1 2 4; do
    start_server "$workers"
    python3 benchmarks/workflow_bench.py throughput "http://127.0.0.1:$port" "$password" "$runs" "$workers"
    stop_server
done
start_server 2
echo
echo "| path | samples | p50 ms | p95 ms | p99 ms |"
echo "| --- | --- | --- | --- | --- |"
python3 benchmarks/workflow_bench.py latency "http://127.0.0.1:$port" "$password" "$samples" 2
