#!/usr/bin/env bash
# The annotation benchmark (issue 16): jobs per minute for a 10 s clip with every pipeline, at
# 1 and 2 `platform worker` processes (one slot each), and a 1 GB upload's throughput and the
# server's peak RSS while it streams to disk.
# Usage: benchmarks/annotation.sh [jobs per run, default 4]. BIN picks the build (default
# .build/debug; the pipelines' work is ffmpeg, OpenCV and pocketsphinx either way). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-4}
bin=${BIN:-.build/debug}
work=$(mktemp -d /tmp/annotation-bench.XXXXXX)
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

eval "$($bin/platform local-db start --directory "$work/pg" --port "$(free_port)" --ephemeral --setting max_connections=300)"
export DATABASE_URL DATABASE_MIGRATION_URL
export JWT_SECRET="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export LOG_LEVEL=warning RATE_LIMIT_DEFAULT=1000000 RATE_LIMIT_AUTH=1000000 STORAGE_DIR="$work/storage"
export TASKS_SERVE_CONCURRENCY=0 TASKS_POLL_MS=200 ANNOTATION_MAX_CONCURRENT_JOBS=16
$bin/platform migrate >/dev/null
password="Bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
PLATFORM_ADMIN_PASSWORD="$password" $bin/platform bootstrap --admin-email bench@example.com --tenant bench >/dev/null
port=$(free_port)
HTTP_PORT=$port $bin/platform serve > "$work/serve.log" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"username\": \"bench\", \"password\": \"$password\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# A 10 s clip: a test pattern with a cut at 5 s, and speech.
espeak-ng -w "$work/speech.wav" "the quick brown fox jumps over the lazy dog and then runs away into the forest" 2>/dev/null
ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "testsrc=size=640x360:rate=25:duration=5" \
    -f lavfi -i "smptebars=size=640x360:rate=25:duration=5" -i "$work/speech.wav" \
    -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v];[2:a]apad=whole_dur=10[a]" -map "[v]" -map "[a]" \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -t 10 "$work/clip.mp4"

run() {
    local workers=$1
    local started ids=() mine=()
    for index in $(seq 1 "$workers"); do
        $bin/platform worker --id "bench-$workers-$index" --concurrency 1 > "$work/worker-$workers-$index.log" 2>&1 &
        pids+=($!)
        mine+=($!)
    done
    sleep 2
    started=$(date +%s.%N)
    for _ in $(seq 1 "$jobs"); do
        ids+=("$(curl -fsS -H "Authorization: Bearer $token" -F "video=@$work/clip.mp4" \
            -F "selected_pipelines=scene_detection,person_tracking,face_analysis,audio_processing,metadata" \
            "http://127.0.0.1:$port/api/v1/jobs/" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')")
    done
    while true; do
        local pending=0
        for id in "${ids[@]}"; do
            status=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/jobs/$id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
            case $status in completed|failed|cancelled) ;; *) pending=$((pending + 1)) ;; esac
        done
        [ $pending -eq 0 ] && break
        sleep 0.5
    done
    local elapsed
    elapsed=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$started" "$(date +%s.%N)")
    python3 -c "import sys; j, e = int(sys.argv[1]), float(sys.argv[2]); print(f'| {sys.argv[3]} | {j} | {e:.1f} | {j / e * 60:.2f} |')" "$jobs" "$elapsed" "$workers"
    for pid in "${mine[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 1
}

echo "| workers | jobs | seconds | jobs per minute |"
echo "| --- | --- | --- | --- |"
run 1
run 2

# 1 GB upload: streamed to the job's folder (then refused: random bytes are no video).
head -c 1073741824 /dev/urandom > "$work/big.mp4"
before=$(grep VmHWM /proc/$server/status | awk '{print $2}')
started=$(date +%s.%N)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" -F "video=@$work/big.mp4" "http://127.0.0.1:$port/api/v1/jobs/")
elapsed=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$started" "$(date +%s.%N)")
after=$(grep VmHWM /proc/$server/status | awk '{print $2}')
echo
echo "| upload | status | seconds | MB/s | server peak RSS before | after |"
echo "| --- | --- | --- | --- | --- | --- |"
python3 -c "import sys; e = float(sys.argv[1]); print(f'| 1 GiB | {sys.argv[2]} | {e:.1f} | {1024 / e:.0f} | {int(sys.argv[3]) // 1024} MiB | {int(sys.argv[4]) // 1024} MiB |')" \
    "$elapsed" "$status" "$before" "$after"
