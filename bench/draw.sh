#!/usr/bin/env bash
# The season's draw at scale: a generated season with next year's applications (3–5 applicants
# a slot at popular sites), then, through the running server's API, the list and commitment
# published, the draw, the file downloaded and re-run by tools/verify_draw.py, and every permit
# issued after the notice. Each step is timed against the server's own /healthz answered in the
# same run (a round trip of the same server, not a benchmark of the step).
#
#   bench/draw.sh [scale]        scale 1 (default) or 100
#
# Generates once into bench/results/draw-SCALE (`generate-season --scale SCALE --through
# 2026-06-17 --applications 2027`: the history is cut short, so renewal asks no share of days).
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${1:-1}
port=${BENCH_PORT:-18083}
base="http://127.0.0.1:$port"
swift build -c release --product guatan >/dev/null
bin=$(swift build -c release --show-bin-path)/guatan
data="bench/results/draw-$scale"
if [[ ! -f $data/guatan.sqlite ]]; then
    rm -rf "$data"
    mkdir -p bench/results
    echo "generating the season and 2027's applications at scale $scale into $data (once) …" >&2
    "$bin" generate-season --data "$data" --scale "$scale" --season 2026 --through 2026-06-17 --applications 2027 --log-level warning >&2
fi
work=$(mktemp -d)
cp -r "$data"/. "$work"/
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

start() {
    "$bin" serve --data "$work" --port "$port" --now "$1" --log-level warning >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 600); do curl -fs "$base/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
    echo "the server did not start" >&2; cat "$work/serve.log" >&2; exit 1
}
token() {
    curl -fs "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"username": "demo.admin", "password": "guatan-demo-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
step() {
    local action=$1
    local took
    took=$(curl -s -o "$work/step.json" -w '%{http_code} %{time_total}' "$base/api/v1/admin/seasons/2027/transitions" \
        -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "{\"action\": \"$action\"}")
    [[ ${took%% *} == 200 ]] || { echo "$action: ${took%% *} $(cat "$work/step.json")" >&2; exit 1; }
    printf '%-22s %8.2f s\n' "$action" "${took#* }"
}
healthz() { curl -s -o /dev/null -w '%{time_total}' "$base/healthz"; }

start "2027-04-01T09:00:00+08:00"
admin=$(token)
applications=$(curl -fs "$base/api/v1/admin/seasons/2027" -H "Authorization: Bearer $admin" | python3 -c '
import json, sys; d = json.load(sys.stdin); print(sum(d["applications_by_status"].values()), d["slots"])')
echo "scale $scale: ${applications% *} applications for ${applications#* } slots; /healthz $(healthz) s"
step publish_list
step draw
took=$(curl -s -o "$work/draw.json" -w '%{time_total} %{size_download}' "$base/api/v1/seasons/2027/draw")
printf '%-22s %8.2f s  (%d MB)\n' "GET draw file" "${took% *}" $(( ${took#* } / 1000000 ))
t0=$(date +%s.%N)
python3 tools/verify_draw.py "$work/draw.json" --check >/dev/null 2>"$work/verify.txt"
printf '%-22s %8.2f s  %s\n' "verify_draw.py --check" "$(echo "$(date +%s.%N) - $t0" | bc)" "$(cat "$work/verify.txt")"
step start_notice
kill $server; wait $server 2>/dev/null || true
start "2027-04-10T09:00:00+08:00"
admin=$(token)
step allocate
echo "/healthz after: $(healthz) s; resident $(ps -o rss= -p $server | awk '{printf "%d MB", $1/1024}')"
