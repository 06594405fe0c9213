#!/usr/bin/env bash
# Check-in throughput: a few hundred vendors posting 出摊打卡 at once, against the server's
# own /healthz in the same run.
#
#   bench/checkin.sh [duration_seconds] [vendors]
#
# Builds the release binary, loads the demo population on a fresh data folder (before the
# day's trading, so nobody is checked in), restarts the server at 09:00 on a season day,
# signs in `vendors` demo vendors, and runs wrk with one connection per vendor, each request
# a check-in at the vendor's own slot (a few metres off, as a phone reports). The first
# check-in of each vendor answers 201, the rest 200 (the same record); every attempt is a
# write that is on disk (synchronous=FULL) before it is answered. Only 200 and 201 count:
# any other answer fails the run. Traffic goes only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-15}
vendors=${2:-300}
# Paced run: every vendor posts again this long after each answer (300 vendors / 0.125 s = 2,400/s offered at most).
pause_ms=${PAUSE_MS:-125}
threads=2
port=${BENCH_PORT:-18081}
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
swift build -c release --product guatan >/dev/null
bin=$(swift build -c release --show-bin-path)/guatan

work=$(mktemp -d)
server=
stop_server() { [[ -n $server ]] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; server=; }
trap 'stop_server; rm -rf "$work"' EXIT
start_server() {
    "$bin" serve --data "$work/data" --port "$port" --log-level warning "$@" >"$work/serve.out" &
    server=$!
    until curl -sf "$base/healthz" >/dev/null; do sleep 0.05; done
}

start_server --demo --now 2026-07-14T23:00:00+08:00
stop_server
start_server --now 2026-07-15T09:00:00+08:00

# Sign the vendors in (bcrypt, so in parallel) and write wrk's script: one vendor per request in turn.
python3 - "$base" "$vendors" "$work/checkin.lua" "$pause_ms" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, count, script, pause_ms = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

def call(path, body=None, token=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)

def vendor(i):
    token = call("/api/v1/auth/login", {"username": "demo.v%04d" % i, "password": "guatan-demo-2026"})["token"]
    permits = call("/api/v1/me/permits", token=token)["items"]
    if not permits or permits[0]["status"] != "issued":
        return None
    position = call("/api/v1/stalls/" + permits[0]["slot_id"])["position"]
    return token, {"lat": position["lat"] + 0.0002, "lng": position["lng"], "accuracy_m": 15}

with ThreadPoolExecutor(4) as pool:
    signed = [v for v in pool.map(vendor, range(1, count * 11 // 10 + 20)) if v][:count]
lua = ["local vendors = {"]
for token, body in signed:
    lua.append('  {"Bearer %s", %s},' % (token, json.dumps(json.dumps(body))))
lua.append("}")
lua.append("""
local i = 0
request = function()
  i = i % #vendors + 1
  local v = vendors[i]
  return wrk.format("POST", "/api/v1/checkins", {["Authorization"] = v[1], ["Content-Type"] = "application/json"}, v[2])
end
""")
open(script, "w").write("\n".join(lua))
# The paced script: each vendor waits pause_ms between his posts, as people do.
open(script.replace(".lua", "-paced.lua"), "w").write("\n".join(lua) + "\ndelay = function() return %d end\n" % pause_ms)
print(len(signed), file=sys.stderr)
PY

run_wrk() {  # connections [script] path -> "rps p50 p99"
    local connections=$1 script=$2 path=$3 out
    if [[ -n $script ]]; then
        out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$script" "$base$path")
    else
        out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$base$path")
    fi
    local errors
    errors=$(awk '/Non-2xx or 3xx/{print $NF}' <<<"$out")
    [[ -z $errors ]] || { echo "wrk saw $errors non-2xx/3xx answers for $path" >&2; echo "$out" >&2; exit 1; }
    awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print rps, p50, p99}' <<<"$out"
}

echo "Guatan check-in bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "wrk -t$threads -d${duration}s, $vendors vendors each on their own connection; paced run: ${pause_ms} ms between a vendor's posts"
echo
read -r h1 h1p50 h1p99 < <(run_wrk "$vendors" "" /healthz)
read -r p p50 p99 < <(run_wrk "$vendors" "$work/checkin-paced.lua" /api/v1/checkins)
read -r c c50 c99 < <(run_wrk "$vendors" "$work/checkin.lua" /api/v1/checkins)
read -r h2 h2p50 h2p99 < <(run_wrk "$vendors" "" /healthz)
baseline=$(awk -v a="$h1" -v b="$h2" 'BEGIN{printf "%.2f", (a+b)/2}')
created=$(sqlite3 "$work/data/guatan.sqlite" "SELECT COUNT(*) FROM checkin WHERE business_date = '2026-07-15'" 2>/dev/null || echo "?")
attempts=$(sqlite3 "$work/data/guatan.sqlite" "SELECT COUNT(*) FROM checkin_attempt" 2>/dev/null || echo "?")
echo "| endpoint | requests/s | × /healthz | p50 | p99 |"
echo "|---|---:|---:|---:|---:|"
echo "| healthz | $h1 | $(awk -v a="$h1" -v b="$baseline" 'BEGIN{printf "%.2f", a/b}') | $h1p50 | $h1p99 |"
echo "| POST /api/v1/checkins, each vendor pausing ${pause_ms} ms | $p | $(awk -v a="$p" -v b="$baseline" 'BEGIN{printf "%.2f", a/b}') | $p50 | $p99 |"
echo "| POST /api/v1/checkins, flat out | $c | $(awk -v a="$c" -v b="$baseline" 'BEGIN{printf "%.2f", a/b}') | $c50 | $c99 |"
echo "| healthz again | $h2 | $(awk -v a="$h2" -v b="$baseline" 'BEGIN{printf "%.2f", a/b}') | $h2p50 | $h2p99 |"
echo
echo "check-ins stored for the day: $created; attempts stored: $attempts"
