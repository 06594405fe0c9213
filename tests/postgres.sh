#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests, from Debian's packages (tests/setup.sh
# installs them): its own cluster in a temporary folder, on loopback only, never the
# machine's own server.
#
#   tests/postgres.sh start     initdb (once) and start; prints the URL to stdout
#   tests/postgres.sh stop      stop it and remove its folder
#   tests/postgres.sh halt      stop it, keeping its databases (start brings it back)
#   tests/postgres.sh url       the URL of the running server
#
# The URL names a database that holds nothing but the test databases the Swift suite and the
# end-to-end tests create and drop (one per test). Trust authentication on 127.0.0.1 only:
# the cluster exists for the length of a test run. synchronous_commit and fsync stay on, as
# in production: the durability tests count on them.
set -euo pipefail

port=${GUATAN_TEST_PG_PORT:-54329}
folder=${GUATAN_TEST_PG_DIR:-${TMPDIR:-/tmp}/guatan-test-postgres-$port}
bin=/usr/lib/postgresql/15/bin
url="postgres://guatan@127.0.0.1:$port/guatan"

as_owner() {
    # initdb and the server refuse to run as root; Debian's package brings the postgres user.
    # From /, which the postgres user can always enter (the repository may be under /root).
    if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case ${1:-start} in
start)
    [[ -x $bin/pg_ctl ]] || { echo "postgres.sh: PostgreSQL 15 is missing: apt-get install postgresql" >&2; exit 1; }
    if [[ ! -f $folder/PG_VERSION ]]; then
        mkdir -p "$folder"
        [[ $(id -u) -eq 0 ]] && chown postgres: "$folder"
        as_owner "$bin/initdb" -D "$folder" -U guatan -A trust -E UTF8 --locale C.UTF-8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$folder" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$folder" -l "$folder/server.log" -w -t 60 start \
            -o "-p $port -c listen_addresses=127.0.0.1 -k $folder -c max_connections=400 -c shared_buffers=128MB" >/dev/null
    fi
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U guatan -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = 'guatan'" |
        grep -q 1 || as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U guatan guatan
    echo "$url"
    ;;
stop)
    if [[ -f $folder/PG_VERSION ]]; then
        as_owner "$bin/pg_ctl" -D "$folder" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$folder"
    fi
    ;;
halt)
    # Stops the server and keeps its data (the tests restart it under load with start).
    as_owner "$bin/pg_ctl" -D "$folder" -m fast -w stop >/dev/null 2>&1 || true
    ;;
url)
    echo "$url"
    ;;
*)
    echo "usage: tests/postgres.sh start|stop|halt|url" >&2
    exit 2
    ;;
esac
