#!/usr/bin/env bash
# Installs what the tests need and this machine lacks, then says where Python lives.
# `make test` runs it first; it is safe to run again (it installs only what is missing).
#   - Debian's packages: with apt-get when running as root; otherwise one message naming
#     the exact `apt-get install` line, and exit 1 (never a silent skip).
#   - Python packages: into .venv/ inside the repository (ignored by git), reused while
#     tests/requirements.txt is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

# package → the file that shows it is installed. Each line says why the tests need it.
packages=(
    "libsqlite3-dev:/usr/include/sqlite3.h"          # GRDB builds against Debian's SQLite
    "zbar-tools:/usr/bin/zbarimg"                    # decodes the stall codes in the QR tests
    "strace:/usr/bin/strace"                         # watches each write synced before its answer
    "chromium:/usr/bin/chromium"                     # the page tests drive a real browser
    "chromium-driver:/usr/bin/chromedriver"
    "libjs-leaflet:/usr/share/javascript/leaflet/leaflet.js"   # the map pages load Leaflet from the machine
    "libjs-leaflet.markercluster:/usr/share/javascript/leaflet/leaflet.markercluster.js"
    "nginx:/usr/sbin/nginx"                          # the HTTPS test puts the service behind nginx
    "prometheus:/usr/bin/promtool"                   # promtool checks /metrics
    "openssl:/usr/bin/openssl"                       # makes the tests' certificates
    "systemd:/usr/bin/systemd-analyze"               # checks the deployment's systemd units
    "sqlite3:/usr/bin/sqlite3"                       # checks databases left by crash tests
    "postgresql:/usr/lib/postgresql/15/bin/pg_ctl"   # the PostgreSQL store's tests (tests/postgres.sh starts its own server)
)
missing=()
for entry in "${packages[@]}"; do
    name=${entry%%:*}
    file=${entry#*:}
    [[ -e $file ]] || missing+=("$name")
done
# Debian's own Python needs python3-venv for `python3 -m venv`; other Pythons carry it.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian packages: ${missing[*]}" >&2
        apt-get update -qq
        # nginx, prometheus and PostgreSQL are tools here, not services: the tests start their own.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        for unit in nginx prometheus postgresql; do
            if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit" 2>/dev/null; then
                systemctl disable --now "$unit" >/dev/null 2>&1 || true
            fi
        done
    else
        echo "setup: the tests need Debian packages that are not installed. Run, as root:" >&2
        echo "    apt-get install -y ${missing[*]}" >&2
        echo "then run make test again." >&2
        exit 1
    fi
fi

venv=.venv
stamp=$venv/.requirements.sha256
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "setup: installing the Python packages into $venv/" >&2
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/requirements.txt
    echo "$want" >"$stamp"
fi
