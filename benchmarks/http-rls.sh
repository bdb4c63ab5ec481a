#!/usr/bin/env bash
# The request-pipeline benchmark (issue 8): wrk against a release build on loopback, side by side
#   (a) GET /health
#   (b) GET /api/v1/api-keys?limit=20 — authenticated, RBAC-checked, RLS-scoped list of 20 rows
#   (c) pgbench -M prepared running exactly the SQL (b) sends per request: the database's ceiling
#   (d) benchmarks/BareHandler: one plain, unscoped 20-row SELECT through PostgresNIO: the driver's floor
# plus the database round trips per request of (b), counted by pg_stat_statements.
# Usage: benchmarks/http-rls.sh [seconds per run, default 15]. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=32
threads=2
scripts/setup
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product platform >/dev/null
swift build -c release --product BareHandler >/dev/null
bin=.build/release
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d /tmp/platform-bench.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    $bin/platform local-db stop --directory "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

eval "$($bin/platform local-db start --directory "$work/pg" --port "$(free_port)" --ephemeral \
    --setting shared_preload_libraries=pg_stat_statements --setting max_connections=300)"
export DATABASE_URL DATABASE_MIGRATION_URL
export JWT_SECRET="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export LOG_LEVEL=warning RATE_LIMIT_DEFAULT=1000000 RATE_LIMIT_AUTH=1000000 STORAGE_DIR="$work/storage"
$bin/platform migrate >/dev/null
password="Bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
PLATFORM_ADMIN_PASSWORD="$password" $bin/platform bootstrap --admin-email bench@example.com --tenant t001 >/dev/null

# pg_stat_statements needs a superuser to install: the local cluster's, from its credentials file.
superuser_password=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["superuserPassword"])' "$work/pg/credentials.json")
superuser_url=$(echo "$DATABASE_MIGRATION_URL" | sed -E "s#//[^@]+@#//postgres:$superuser_password@#")
psql -q -v ON_ERROR_STOP=1 "$superuser_url" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "GRANT pg_read_all_stats TO platform_owner"

# 100 tenants, one user each, 2,000 API keys per tenant: 200,000 rows.
psql -q -v ON_ERROR_STOP=1 "$DATABASE_MIGRATION_URL" <<'SQL'
SET app.scope = 'platform';
INSERT INTO tenants (id, code, name)
SELECT gen_random_uuid(), 't' || lpad(g::text, 3, '0'), 'Tenant ' || g FROM generate_series(2, 100) g;
INSERT INTO users (id, username, email)
SELECT gen_random_uuid(), 'user-' || t.code, t.code || '@example.com' FROM tenants t WHERE t.code <> 't001';
INSERT INTO tenant_memberships (tenant_id, id, user_id, is_default)
SELECT t.id, gen_random_uuid(), u.id, true FROM tenants t JOIN users u ON u.email = t.code || '@example.com';
INSERT INTO api_keys (tenant_id, id, user_id, name, prefix, key_hash, scopes, created_at)
SELECT m.tenant_id, gen_random_uuid(), m.user_id, 'key ' || g, 'sk_live_bench', sha256(convert_to(m.tenant_id::text || g, 'UTF8')),
       '{}', now() - g * interval '1 minute'
FROM tenant_memberships m, generate_series(1, 2000) g;
-- The floor's table: the same rows and index, no row-level security.
CREATE TABLE bench_plain_api_keys AS SELECT * FROM api_keys;
CREATE INDEX ON bench_plain_api_keys (tenant_id, user_id, created_at DESC, id DESC);
CREATE STATISTICS bench_plain_owner_stats (dependencies) ON tenant_id, user_id FROM bench_plain_api_keys;
SQL
# Steady state: statistics and the visibility map, as autovacuum would leave them.
psql -q "$DATABASE_MIGRATION_URL" -c "VACUUM ANALYZE api_keys" -c "VACUUM ANALYZE bench_plain_api_keys"

api_port=$(free_port)
HTTP_PORT=$api_port $bin/platform serve --no-migrate > "$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$api_port/health" >/dev/null 2>&1 && break; sleep 0.2; done
login=$(curl -fsS -H 'Content-Type: application/json' -d "{\"username\": \"bench\", \"password\": \"$password\"}" "http://127.0.0.1:$api_port/api/v1/auth/login")
token=$(echo "$login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
tenant=$(echo "$login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tenant"]["id"])')
user=$(echo "$login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["user"]["id"])')
session=$(python3 -c 'import base64, json, sys; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sid"])' "$token")
rows=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$api_port/api/v1/api-keys?limit=20" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')
[ "$rows" = 20 ] || { echo "benchmark: (b) returned $rows rows, expected 20"; exit 1; }

bare_port=$(free_port)
BENCH_DATABASE_URL="$DATABASE_MIGRATION_URL" BENCH_TENANT_ID="$tenant" BENCH_USER_ID="$user" BENCH_PORT=$bare_port \
    $bin/BareHandler > "$work/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$bare_port/rows" >/dev/null 2>&1 && break; sleep 0.2; done

run_wrk() { # url [header] -> requests/s and p99 latency
    local url=$1 header=${2:-}
    local args=(-t$threads -c$connections -d"${duration}s" --latency)
    [ -n "$header" ] && args+=(-H "$header")
    wrk "${args[@]}" -d3s "$url" >/dev/null 2>&1   # warm-up
    local out
    out=$(wrk "${args[@]}" "$url")
    local rps p99 requests
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$rps $p99 $requests"
}

read -r a_rps a_p99 _ <<<"$(run_wrk "http://127.0.0.1:$api_port/health")"
psql -q "$superuser_url" -c "SELECT pg_stat_statements_reset()" >/dev/null
read -r b_rps b_p99 b_requests <<<"$(run_wrk "http://127.0.0.1:$api_port/api/v1/api-keys?limit=20" "Authorization: Bearer $token")"
statements=$(psql -qAt "$superuser_url" -c "SELECT sum(calls) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'")
# wrk's warm-up ran inside the counted window too: 3 s of the same traffic.
round_trips=$(python3 -c "print(round($statements / ($b_requests * (1 + 3 / $duration)), 1))")
read -r d_rps d_p99 _ <<<"$(run_wrk "http://127.0.0.1:$bare_port/rows")"

# (c): the statements (b) sends, in order, as one pgbench transaction script.
cat > "$work/b.sql" <<'SQL'
SELECT * FROM app.session_state(:tenant::uuid, :sid::uuid, :usr::uuid);
BEGIN;
SELECT set_config('app.scope', 'tenant', true), set_config('app.tenant_id', :tenant, true), set_config('app.user_id', :usr, true), set_config('app.data_scope', 'all', true), set_config('app.role_ids', '', true);
SELECT id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at FROM api_keys WHERE tenant_id = :tenant::uuid AND user_id = :usr::uuid ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0;
SELECT count(*)::int FROM api_keys WHERE tenant_id = :tenant::uuid AND user_id = :usr::uuid;
COMMIT;
SQL
c_tps=$("$pgbin/pgbench" -M prepared -n -c $connections -j $threads -T "$duration" -D tenant="$tenant" -D usr="$user" -D sid="$session" \
    -f "$work/b.sql" "$DATABASE_URL" 2>/dev/null | awk '/^tps/ {print $3; exit}')

cores=$(nproc)
cat <<EOF2
| run | what | requests/s | p99 |
| --- | --- | ---: | ---: |
| (a) | \`GET /health\` | $a_rps | $a_p99 |
| (b) | \`GET /api/v1/api-keys?limit=20\`, JWT + session check + RBAC + RLS | $b_rps | $b_p99 |
| (c) | pgbench -M prepared, (b)'s SQL per transaction | $c_tps | — |
| (d) | bare handler, one plain 20-row SELECT | $d_rps | $d_p99 |

(b)/(c) = $(python3 -c "print(round($b_rps / $c_tps, 2))"), (b)/(d) = $(python3 -c "print(round($b_rps / $d_rps, 2))"),
database round trips per request of (b): $round_trips (pg_stat_statements calls / requests).
wrk -t$threads -c$connections -d${duration}s, $cores cores, 100 tenants, 200,000 rows, LOG_LEVEL=warning.
EOF2
