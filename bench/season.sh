#!/usr/bin/env bash
# A whole season under load: every endpoint of issue 7's list against the server's own
# /healthz in the same run, on a generated season.
#
#   bench/season.sh [scale] [seconds]          scale 1 (default) or 100
#   THROUGH=2026-06-17 bench/season.sh 100     a season generated only through that day, the
#                                              server's clock at 18:00 the day after (the map and
#                                              nearby search read today's statuses, not the history:
#                                              minutes to generate at scale 100 instead of 23)
#   BACKEND=postgres INSTANCES=1|2 bench/season.sh 1
#                                              the same season moved into PostgreSQL
#                                              (copy-to-postgres, on tests/postgres.sh's server
#                                              or BENCH_DATABASE_SERVER), one instance, or two
#                                              behind nginx (plain HTTP on loopback)
#
# Builds the release binary; generates the season once into bench/results/season-SCALE
# (`guatan generate-season --scale SCALE --through 2026-10-14`, kept for later runs); starts
# the server on it (a copy at scale 1) at 18:00 on the season's last day, timing the start
# and signing in; then runs wrk (Debian's package) against each endpoint in turn. /healthz
# runs before and after each group at the same connection count, and every figure is a share
# of their mean. Any answer other than 2xx/3xx fails the run. Traffic goes only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=${1:-1}
duration=${2:-10}
connections=${CONNECTIONS:-64}
vendors=${VENDORS:-300}
pause_ms=${PAUSE_MS:-125}
threads=2
port=${BENCH_PORT:-18082}
base="http://127.0.0.1:$port"
through=${THROUGH:-2026-10-14}
today=$(date -d "$through + 1 day" +%F)
now="${today}T18:00:00+08:00"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3" >&2; exit 1; }
swift build -c release --product guatan >/dev/null
bin=$(swift build -c release --show-bin-path)/guatan

season="bench/results/season-$scale$( [[ $through == 2026-10-14 ]] || echo "-through-$through" )"
if [[ ! -f $season/guatan.sqlite ]]; then
    rm -rf "$season"
    mkdir -p bench/results
    echo "generating the season at scale $scale into $season (once) …" >&2
    "$bin" generate-season --data "$season" --scale "$scale" --season 2026 --through "$through" --log-level warning >&2
fi

backend=${BACKEND:-sqlite}
instances=${INSTANCES:-1}
[[ $backend == sqlite || $backend == postgres ]] || { echo "BACKEND must be sqlite or postgres" >&2; exit 1; }
[[ $backend == postgres || $instances == 1 ]] || { echo "two instances need BACKEND=postgres" >&2; exit 1; }
[[ $backend == sqlite || $scale == 1 || $through != 2026-10-14 ]] || echo "moving a whole season at scale 100 into PostgreSQL takes hours: THROUGH=2026-06-17 is enough for the reads measured" >&2

work=$(mktemp -d)
server=
second=
proxy=
database=
stop_server() {
    for pid in $server $second $proxy; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    server= second= proxy=
}
cleanup() {
    status=$?
    stop_server
    [[ $status == 0 ]] || tail -20 "$work/serve.out" >&2
    [[ -z $database ]] || psql "$pg_server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
if [[ $scale == 1 ]]; then
    cp -r "$season" "$work/data"   # the writes below stay out of the kept season
    data="$work/data"
else
    data="$season"                 # too big to copy: only reads run at this scale
fi

serve_args=()
if [[ $backend == postgres ]]; then
    # The season moved into a database of its own, as an operator would move a folder.
    command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql" >&2; exit 1; }
    pg_server=${BENCH_DATABASE_SERVER:-$(tests/postgres.sh start)}
    database="guatan_bench_$$"
    psql "$pg_server" -qc "CREATE DATABASE $database" >/dev/null
    pg_url="${pg_server%/*}/$database"
    echo "copying the season into PostgreSQL ($pg_url) …" >&2
    "$bin" copy-to-postgres --data "$data" --database "$pg_url" --log-level warning | tail -2 >&2
    serve_args=(--database "$pg_url")
fi

wait_for() {  # url pid
    until curl -sf "$1/healthz" >/dev/null; do
        kill -0 "$2" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
        sleep 0.01
    done
}

start_server() {  # launches the server(s); sets ready_ms to the milliseconds until /healthz answers
    local start
    start=$(date +%s%N)
    "$bin" serve --data "$data" "${serve_args[@]}" --port "$port" --log-level warning --now "$now" --report-rate 0 >"$work/serve.out" 2>&1 &
    server=$!
    wait_for "http://127.0.0.1:$port" "$server"
    ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [[ $instances == 2 ]]; then
        "$bin" serve --data "$data" "${serve_args[@]}" --port $((port + 1)) --log-level warning --now "$now" --report-rate 0 \
            --trusted-proxy 127.0.0.1 >"$work/serve2.out" 2>&1 &
        second=$!
        wait_for "http://127.0.0.1:$((port + 1))" "$second"
        # nginx spreads the requests over both (least busy first), plain HTTP on loopback.
        mkdir -p "$work/nginx"
        cat >"$work/nginx/nginx.conf" <<CONF
$( [[ $(id -u) == 0 ]] && echo "user root;" )
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
worker_processes 2;
events { worker_connections 2048; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    upstream guatan { least_conn; server 127.0.0.1:$port; server 127.0.0.1:$((port + 1)); keepalive 64; }
    server {
        listen 127.0.0.1:$((port + 2));
        location / {
            proxy_pass http://guatan;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
CONF
        nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
        proxy=$!
        base="http://127.0.0.1:$((port + 2))"
        wait_for "$base" "$proxy"
    fi
}
curl -sf "$base/healthz" >/dev/null && { echo "port $port is taken by another server: stop it or set BENCH_PORT" >&2; exit 1; }
# Start-up is timed on the second start (the first may bring the schema up to date).
start_server
stop_server
start_server
# The first map request, made the moment /healthz answers: it waits for the snapshot the
# server builds as it starts. Timed apart from the steady state.
first_map_ms=$(curl -s -o /dev/null -w '%{time_total}' -H 'Accept-Encoding: gzip' "$base/api/v1/map.geojson" | awk '{printf "%d", $1 * 1000}')

token() {
    curl -sf -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"guatan-demo-2026\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
admin=$(token demo.admin)

gzip_etag=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$base/api/v1/map.geojson" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
map_gzip_bytes=$(curl -s -H 'Accept-Encoding: gzip' "$base/api/v1/map.geojson" | wc -c)

# wrk scripts: report intake (a citizen's JSON report on a stall, in turn over many stalls)
# and check-ins (each vendor on his own connection, at his own slot).
python3 - "$base" "$vendors" "$work" "$pause_ms" "$scale" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, count, work, pause_ms, scale = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

def call(path, body=None, token=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)

slots = [f["properties"]["slots"][0]["slot_id"] for f in call("/api/v1/map.geojson?district=CG")["features"]][:100]
lua = ["local slots = {" + ",".join('"%s"' % s for s in slots) + "}", """
local i = 0
request = function()
  i = i % #slots + 1
  local body = '{"category": "hygiene", "description": "摊位旁瓜皮没有清理 (bench)", "slot_id": "' .. slots[i] .. '"}'
  return wrk.format("POST", "/api/v1/reports", {["Content-Type"] = "application/json"}, body)
end
"""]
open(work + "/report.lua", "w").write("\n".join(lua))
# Viewports of Chengguan's centre shifted by a metre or so each time: none is served from
# the viewport cache, every one is cut from the snapshot and compressed.
open(work + "/bbox.lua", "w").write("""
local n = 0
request = function()
  n = n + 1
  local d = (n % 100000) * 0.00001
  return wrk.format("GET", string.format("/api/v1/map.geojson?bbox=%.5f,36.03,%.5f,36.08", 103.80 + d, 103.88 + d))
end
""")
# Statistics over a different period each time (the season up to each of its days): every
# request misses the 30-second cache and is computed in full.
open(work + "/stats-uncached.lua", "w").write("""
local n = 0
local start = os.time({year = 2026, month = 6, day = 15, hour = 12})
request = function()
  -- 60 first days × 60 last days: no period repeats within a run.
  n = n + 1
  local from = start + (n % 60) * 86400
  local to = start + (60 + math.floor(n / 60) % 60) * 86400
  return wrk.format("GET", "/api/v1/admin/stats?from=" .. os.date("%Y-%m-%d", from) .. "&to=" .. os.date("%Y-%m-%d", to))
end
""")

if scale == 1:
    def vendor(i):
        token = call("/api/v1/auth/login", {"username": "demo.v%04d" % i, "password": "guatan-demo-2026"})["token"]
        permits = call("/api/v1/me/permits", token=token)["items"]
        if not permits or permits[0]["status"] != "issued":
            return None
        position = call("/api/v1/stalls/" + permits[0]["slot_id"])["position"]
        return token, {"lat": position["lat"] + 0.0002, "lng": position["lng"], "accuracy_m": 15}
    with ThreadPoolExecutor(4) as pool:
        signed = [v for v in pool.map(vendor, range(1, count * 11 // 10 + 20)) if v][:count]
    lua = ["local vendors = {"] + ['  {"Bearer %s", %s},' % (t, json.dumps(json.dumps(b))) for t, b in signed] + ["}", """
local i = 0
request = function()
  i = i % #vendors + 1
  local v = vendors[i]
  return wrk.format("POST", "/api/v1/checkins", {["Authorization"] = v[1], ["Content-Type"] = "application/json"}, v[2])
end
delay = function() return PAUSE end
""".replace("PAUSE", str(pause_ms))]
    open(work + "/checkin.lua", "w").write("\n".join(lua))
PY

run_wrk() {  # connections path [header] [script] -> "rps p50 p99"
    local c=$1 path=$2 header=${3:-} script=${4:-} out
    local args=(-t"$(( c < threads ? c : threads ))" -c"$c" -d"${duration}s" --latency)
    [[ -n $header ]] && args+=(-H "$header")
    [[ -n $script ]] && args+=(-s "$script")
    out=$(wrk "${args[@]}" "$base$path")
    local errors
    errors=$(awk '/Non-2xx or 3xx/{print $NF}' <<<"$out")
    [[ -z $errors ]] || { echo "wrk saw $errors non-2xx/3xx answers for $path" >&2; echo "$out" >&2; exit 1; }
    awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print rps, p50, p99}' <<<"$out"
}

rows=()
group() {  # connections then "name|path|header|script" cases, between two /healthz runs
    local c=$1; shift
    local -a names rpss p50s p99s
    local name path header script rps p50 p99
    for case in "healthz|/healthz||" "$@" "healthz again|/healthz||"; do
        IFS='|' read -r name path header script <<<"$case"
        read -r rps p50 p99 < <(run_wrk "$c" "$path" "$header" "$script")
        names+=("$name"); rpss+=("$rps"); p50s+=("$p50"); p99s+=("$p99")
    done
    local baseline
    baseline=$(awk -v a="${rpss[0]}" -v b="${rpss[-1]}" 'BEGIN{printf "%.2f", (a+b)/2}')
    for i in "${!names[@]}"; do
        rows+=("| ${names[$i]} | $c | ${rpss[$i]} | $(awk -v a="${rpss[$i]}" -v b="$baseline" 'BEGIN{printf "%.2f", a/b}') | ${p50s[$i]} | ${p99s[$i]} |")
    done
}

echo "Guatan season bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
counts=$(sqlite3 "$data/guatan.sqlite" "SELECT (SELECT COUNT(*) FROM site) || ' sites, ' || (SELECT COUNT(*) FROM slot) || ' slots, ' || (SELECT COUNT(*) FROM permit) || ' permits, ' || (SELECT COUNT(*) FROM checkin) || ' check-ins, ' || (SELECT COUNT(*) FROM report) || ' reports, ' || (SELECT COUNT(*) FROM inspection) || ' inspections'")
echo "scale $scale: $counts; database $(du -h "$data/guatan.sqlite" | cut -f1)"
echo "backend: $backend$( [[ $backend == postgres ]] && echo " ($instances instance(s)$( [[ $instances == 2 ]] && echo ", behind nginx"))" )"
echo "server clock $now; ready ${ready_ms} ms after launch; first map request ${first_map_ms} ms after that; map gzip ${map_gzip_bytes} bytes"
echo "wrk -t$threads -d${duration}s"
echo

only=${ONLY:-}   # ONLY=checkin (or stats, intake, reads) runs one group
if [[ $scale == 1 ]]; then
    [[ -z $only || $only == reads ]] && group "$connections" \
        "map gzip|/api/v1/map.geojson|Accept-Encoding: gzip|" \
        "map 304|/api/v1/map.geojson|If-None-Match: $gzip_etag|" \
        "stall page|/api/v1/stalls/CG-001-01||" \
        "nearby 1 km|/api/v1/stalls/nearby?lat=36.0605&lng=103.83||" \
        "public report list|/api/v1/reports?district=CG||"
    # A few administrators look at the dashboard at once; citizens report at a steady pace.
    [[ -z $only || $only == stats ]] && group 4 "admin statistics (season)|/api/v1/admin/stats|Authorization: Bearer $admin|" \
        "admin statistics, every request computed|/api/v1/admin/stats|Authorization: Bearer $admin|$work/stats-uncached.lua"
    [[ -z $only || $only == stats ]] && group 1 "admin statistics, every request computed|/api/v1/admin/stats|Authorization: Bearer $admin|$work/stats-uncached.lua"
    [[ -z $only || $only == intake ]] && group 16 "report intake (JSON)|/api/v1/reports||$work/report.lua"
    [[ -z $only || $only == checkin ]] && group "$vendors" "check-in, $vendors vendors pausing ${pause_ms} ms|/api/v1/checkins||$work/checkin.lua"
else
    group "$connections" \
        "map bbox, Chengguan's centre|/api/v1/map.geojson?bbox=103.80,36.03,103.88,36.08|Accept-Encoding: gzip|" \
        "map bbox, every request a new viewport|/api/v1/map.geojson|Accept-Encoding: gzip|$work/bbox.lua" \
        "nearby 1 km|/api/v1/stalls/nearby?lat=36.0605&lng=103.83||" \
        "nearby 1 km, copy 55's city|/api/v1/stalls/nearby?lat=37.3105&lng=105.83||" \
        "stall page|/api/v1/stalls/CG-55001-01||"
    # Latency targets at a load a city's evening brings to one small machine.
    group 8 \
        "map bbox, every request a new viewport|/api/v1/map.geojson|Accept-Encoding: gzip|$work/bbox.lua" \
        "nearby 1 km|/api/v1/stalls/nearby?lat=36.0605&lng=103.83||" \
        "nearby 1 km, copy 55's city|/api/v1/stalls/nearby?lat=37.3105&lng=105.83||"
fi

echo "| endpoint | connections | requests/s | × /healthz | p50 | p99 |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "resident memory after the run: $(awk '/VmRSS/{printf "%d MB", $2 / 1024}' "/proc/$server/status")"
stored="SELECT (SELECT COUNT(*) FROM checkin WHERE business_date = '$today') || ' check-ins today, ' || (SELECT COUNT(*) FROM report WHERE description LIKE '%(bench)') || ' reports'"
if [[ $backend == postgres ]]; then
    echo "stored during the run: $(psql "$pg_url" -qAtc "$stored")"
elif [[ $scale == 1 ]]; then
    echo "stored during the run: $(sqlite3 "$data/guatan.sqlite" "$stored")"
fi
