#!/usr/bin/env bash
# The task-engine benchmark (issue 4), on a release build and a private PostgreSQL cluster:
#   throughput: tasks per second through enqueue -> claim -> complete with 1, 2 and 4 workers
#   latency:    POST /api/v1/tasks to the task's events on an SSE client of /api/v1/events/stream
# Usage: benchmarks/tasks.sh [tasks per throughput run, default 2000] [latency samples, default 200]
# Prints Markdown tables (recorded in docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${1:-2000}
samples=${2:-200}
scripts/setup
swift build -c release --product platform >/dev/null
swift build -c release --product TaskBench >/dev/null
bin=.build/release

work=$(mktemp -d /tmp/platform-taskbench.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    $bin/platform local-db stop --directory "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

eval "$($bin/platform local-db start --directory "$work/pg" --port "$(free_port)" --ephemeral --setting max_connections=300)"
export DATABASE_URL DATABASE_MIGRATION_URL
export JWT_SECRET="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export LOG_LEVEL=warning RATE_LIMIT_DEFAULT=1000000 RATE_LIMIT_AUTH=1000000 STORAGE_DIR="$work/storage"
$bin/platform migrate >/dev/null
password="Bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
PLATFORM_ADMIN_PASSWORD="$password" $bin/platform bootstrap --admin-email bench@example.com --tenant bench >/dev/null

echo "| workers | tasks | enqueue tasks/s | claim -> complete tasks/s | end to end tasks/s |"
echo "| --- | --- | --- | --- | --- |"
$bin/TaskBench --mode throughput --database-url "$DATABASE_URL" --tasks "$tasks"

port=$(free_port)
HTTP_PORT=$port TASKS_SERVE_CONCURRENCY=4 $bin/platform serve --no-migrate > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"username\": \"bench\", \"password\": \"$password\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
echo
echo "| path | samples | p50 ms | p95 ms | p99 ms |"
echo "| --- | --- | --- | --- | --- |"
$bin/TaskBench --mode latency --base-url "http://127.0.0.1:$port" --token "$token" --samples "$samples"
