#!/usr/bin/env bash
# What HTTPS costs: the same endpoints over plain HTTP, over the service's own TLS
# (--tls-cert) and through nginx running deploy/nginx/guatan.conf, each as a share of plain
# /healthz in the same run.
#
#   bench/tls.sh [duration_seconds] [connections]
#
# Needs wrk, nginx and openssl (Debian's packages). Traffic goes only to 127.0.0.1; every wrk
# run is bounded by its duration.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
connections=${2:-64}
threads=2
for tool in wrk nginx openssl; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install wrk nginx openssl" >&2; exit 1; }
done
swift build -c release --product guatan >/dev/null
bin=$(swift build -c release --show-bin-path)/guatan

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -f $work/nginx.pid ]] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

plain=18180 tls=18443 proxied=18543 proxied_http=18580
"$bin" serve --data "$work/data" --port "$plain" --log-level warning --trusted-proxy 127.0.0.1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$plain/healthz" >/dev/null; do sleep 0.05; done
"$bin" serve --data "$work/data" --port "$tls" --log-level warning --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" &
pids+=($!)
until curl -sfk "https://127.0.0.1:$tls/healthz" >/dev/null; do sleep 0.05; done

# The deployment's nginx site, with this run's ports and certificate.
sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$proxied ssl http2;|" -e "s|listen \[::\]:443 ssl http2;||" \
    -e "s|listen 80;|listen 127.0.0.1:$proxied_http;|" -e "s|listen \[::\]:80;||" \
    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$plain;|" \
    -e "s|/etc/letsencrypt/live/guatan.example.gov.cn/fullchain.pem|$work/cert.pem|" \
    -e "s|/etc/letsencrypt/live/guatan.example.gov.cn/privkey.pem|$work/key.pem|" deploy/nginx/guatan.conf >"$work/site.conf"
user=""
[[ $(id -u) -eq 0 ]] && user="user root;"
cat >"$work/nginx.conf" <<EOF
$user
pid $work/nginx.pid;
error_log $work/error.log warn;
worker_processes auto;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fcgi;
    uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
    include $work/site.conf;
}
EOF
nginx -p "$work" -c "$work/nginx.conf"
until curl -sfk "https://127.0.0.1:$proxied/healthz" >/dev/null; do sleep 0.05; done

run_wrk() {  # url [header] -> "rps p50 p99"
    local url=$1 header=${2:-} out errors
    if [[ -n $header ]]; then
        out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "$header" "$url")
    else
        out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$url")
    fi
    errors=$(awk '/Non-2xx or 3xx/{print $NF}' <<<"$out")
    [[ -z $errors ]] || { echo "wrk saw $errors non-2xx/3xx answers for $url" >&2; exit 1; }
    awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print rps, p50, p99}' <<<"$out"
}

cases=(
    "healthz, plain HTTP|http://127.0.0.1:$plain/healthz|"
    "stall page, plain HTTP|http://127.0.0.1:$plain/api/v1/stalls/CG-001-01|"
    "healthz, --tls-cert|https://127.0.0.1:$tls/healthz|"
    "stall page, --tls-cert|https://127.0.0.1:$tls/api/v1/stalls/CG-001-01|"
    "healthz, --tls-cert, a handshake per request|https://127.0.0.1:$tls/healthz|Connection: close"
    "healthz, nginx → Guatan|https://127.0.0.1:$proxied/healthz|"
    "stall page, nginx → Guatan|https://127.0.0.1:$proxied/api/v1/stalls/CG-001-01|"
    "healthz, plain HTTP again|http://127.0.0.1:$plain/healthz|"
)

echo "Guatan TLS bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; wrk -t$threads -c$connections -d${duration}s"
echo
echo "| endpoint | requests/s | × plain /healthz | p50 | p99 |"
echo "|---|---:|---:|---:|---:|"
results=()
for entry in "${cases[@]}"; do
    IFS='|' read -r name url header <<<"$entry"
    results+=("$name|$(run_wrk "$url" "$header")")
done
first=$(awk '{print $1}' <<<"${results[0]#*|}")
last=$(awk '{print $1}' <<<"${results[-1]#*|}")
for entry in "${results[@]}"; do
    IFS='|' read -r name figures <<<"$entry"
    read -r rps p50 p99 <<<"$figures"
    share=$(awk -v r="$rps" -v a="$first" -v b="$last" 'BEGIN{printf "%.2f", r / ((a + b) / 2)}')
    echo "| $name | $rps | $share | $p50 | $p99 |"
done
