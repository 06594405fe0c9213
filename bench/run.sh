#!/usr/bin/env bash
# Load test of the public read path against the server's own /healthz, in one run.
#
#   bench/run.sh [duration_seconds] [connections]
#
# Builds the release binary, starts it on a fresh data folder (the seed registry) on a
# loopback port, runs wrk (Debian's package) against each endpoint in turn with the same
# settings, and prints a Markdown table with each figure as a share of /healthz.
# Traffic goes only to 127.0.0.1; every wrk run is bounded by its duration.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
connections=${2:-64}
threads=2
port=${BENCH_PORT:-18080}
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
swift build -c release --product guatan >/dev/null
bin=$(swift build -c release --show-bin-path)/guatan

data=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
start=$(date +%s%N)
"$bin" serve --data "$data/data" --port "$port" --log-level warning &
server=$!
until curl -sf "$base/healthz" >/dev/null; do sleep 0.05; done
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))

gzip_etag=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$base/api/v1/map.geojson" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
map_bytes=$(curl -s "$base/api/v1/map.geojson" | wc -c)
map_gzip_bytes=$(curl -s -H 'Accept-Encoding: gzip' "$base/api/v1/map.geojson" | wc -c)

# name|path|extra header
cases=(
  "healthz|/healthz|"
  "districts|/api/v1/districts|"
  "map gzip|/api/v1/map.geojson|Accept-Encoding: gzip"
  "map 304|/api/v1/map.geojson|If-None-Match: $gzip_etag"
  "stall page|/api/v1/stalls/CG-001-01|"
  "site page|/api/v1/sites/AN-001|Accept-Encoding: gzip"
  "nearby 1 km|/api/v1/stalls/nearby?lat=36.0605&lng=103.83|"
  "site search|/api/v1/sites?q=%E5%B0%8F%E5%8C%BA|"
  "healthz again|/healthz|"
)

run_wrk() {  # path header -> "rps p50 p99"
    local path=$1 header=$2 out
    if [[ -n $header ]]; then
        out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "$header" "$base$path")
    else
        out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$base$path")
    fi
    local errors
    errors=$(awk '/Non-2xx or 3xx/{print $NF}' <<<"$out")
    [[ -z $errors ]] || { echo "wrk saw $errors non-2xx/3xx answers for $path" >&2; exit 1; }
    awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print rps, p50, p99}' <<<"$out"
}

echo "Guatan bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "wrk -t$threads -c$connections -d${duration}s; server ready ${ready_ms} ms after launch (empty folder: migrate + seed);"
echo "map body ${map_bytes} bytes, gzip ${map_gzip_bytes} bytes"
echo
# /healthz runs first and last; every ratio is against the mean of the two, which
# absorbs the drift of a shared machine over the run.
declare -a names rpss p50s p99s
for case in "${cases[@]}"; do
    IFS='|' read -r name path header <<<"$case"
    read -r rps p50 p99 < <(run_wrk "$path" "$header")
    names+=("$name"); rpss+=("$rps"); p50s+=("$p50"); p99s+=("$p99")
done
baseline=$(awk -v a="${rpss[0]}" -v b="${rpss[-1]}" 'BEGIN{printf "%.2f", (a+b)/2}')
echo "| endpoint | requests/s | × /healthz | p50 | p99 |"
echo "|---|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
    ratio=$(awk -v a="${rpss[$i]}" -v b="$baseline" 'BEGIN{printf "%.2f", a/b}')
    echo "| ${names[$i]} | ${rpss[$i]} | $ratio | ${p50s[$i]} | ${p99s[$i]} |"
done
rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$server/status")
echo
echo "Resident memory after the run: $((rss_kb / 1024)) MB"
