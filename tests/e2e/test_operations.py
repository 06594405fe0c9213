"""Running the service as a city's IT department does: behind a proxy, watched by Prometheus,
logged as JSON, installed from deploy/ under systemd with a nightly backup."""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from conftest import ROOT, Server, binary

NOW = "2026-07-15T09:00:00+08:00"
PASSWORD = "guatan-demo-2026"


def report(server, forwarded_for=None, phone=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"category": "hygiene", "description": "摊位旁瓜皮没有清理", "slot_id": "CG-001-01"}
    if phone:
        body["contact_phone"] = phone
    return requests.post(server.base + "/api/v1/reports", json=body, headers=headers, timeout=10)


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_no_limit(workdir):
    server = Server(workdir / "data", "--now", NOW, "--report-rate", "2").start()
    try:
        assert report(server, "203.0.113.1").status_code == 201
        assert report(server, "203.0.113.2").status_code == 201
        # A new "address" in the header is only the client's word: still the same client.
        refused = report(server, "198.51.100.77")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert report(server).status_code == 429
        # The forged header never turns the answer into HTTPS either.
        assert "Strict-Transport-Security" not in requests.get(
            server.base + "/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=10).headers
    finally:
        server.stop()


def test_behind_a_trusted_proxy_each_client_has_its_own_limit_and_an_ipv6_64_is_one_client(workdir):
    server = Server(workdir / "data", "--now", NOW, "--report-rate", "2", "--trusted-proxy", "127.0.0.0/8").start()
    try:
        # Two citizens behind the same proxy: one reaching the limit costs the other nothing.
        assert report(server, "203.0.113.1").status_code == 201
        assert report(server, "203.0.113.1").status_code == 201
        assert report(server, "203.0.113.1").status_code == 429
        assert report(server, "203.0.113.2").status_code == 201
        # Forging the left of the header does not help: the proxy appended the real address.
        assert report(server, "203.0.113.99, 203.0.113.1").status_code == 429
        # One phone network hands a client a whole /64: changing the last bits is the same client.
        assert report(server, "2001:db8:1:2::1").status_code == 201
        assert report(server, "2001:db8:1:2:ffff:0:0:7").status_code == 201
        assert report(server, "2001:db8:1:2::abcd").status_code == 429
        assert report(server, "2001:db8:1:3::1").status_code == 201
        # What the proxy says about the scheme is believed: HSTS on its HTTPS answers.
        hsts = requests.get(server.base + "/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert "max-age" in hsts.headers["Strict-Transport-Security"]
        # Links the service makes name the scheme the client really used.
        discovery = requests.get(server.base + "/open311/v2/discovery.json", headers={"X-Forwarded-Proto": "https", "Host": "stalls.example"},
                                 timeout=10).json()
        assert discovery["endpoints"][0]["url"] == "https://stalls.example/open311/v2"
    finally:
        server.stop()


def test_the_metrics_of_a_busy_server_pass_promtool(workdir):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is needed (Debian's prometheus package; make test installs it)"
    server = Server(workdir / "data", "--demo", "--now", NOW, "--report-rate", "3").start(timeout=60)
    try:
        # A morning: vendors check in (one refused), citizens read and report, one hits the limit.
        for n in range(1, 9):
            token = requests.post(server.base + "/api/v1/auth/login", json={"username": f"demo.v{n:04d}", "password": PASSWORD},
                                  timeout=30).json()["token"]
            stall = requests.get(server.base + "/api/v1/me/permits", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
            slot = stall["items"][0]["slot_id"]
            at = requests.get(f"{server.base}/api/v1/stalls/{slot}", timeout=10).json()["position"]
            lat = at["lat"] + (0.05 if n == 8 else 0)
            requests.post(server.base + "/api/v1/checkins", json={"lat": lat, "lng": at["lng"], "accuracy_m": 10},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        for _ in range(3):
            server.get("/api/v1/map.geojson", headers={"Accept-Encoding": "gzip"})
            server.get("/api/v1/stalls/CG-001-01")
            server.get("/api/v1/reports?slot_id=CG-001-01")
        for _ in range(4):
            report(server)
        server.get("/api/v1/no-such-route")

        text = server.get("/metrics").text
        checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), checked.stdout + checked.stderr

        def value(line_start):
            found = [line for line in text.splitlines() if line.startswith(line_start)]
            assert found, f"{line_start} is missing from /metrics"
            return float(found[0].rsplit(" ", 1)[1])

        assert value("guatan_checkins_today ") >= 7
        # The demo has most stalls checked in already: those vendors' taps are repeats.
        def optional(line_start):
            return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))
        assert optional('guatan_checkin_attempts_total{outcome="checked_in"}') + optional('guatan_checkin_attempts_total{outcome="repeat"}') >= 4
        assert optional("guatan_checkin_attempts_total{") == 8, "every attempt is counted once, by its outcome"
        assert value('guatan_checkin_attempts_total{outcome="TOO_FAR"}') >= 1
        assert value("guatan_group_commit_batch_size_count") >= 1
        assert value("guatan_group_commit_duration_seconds_count") >= 1
        assert value("guatan_snapshot_rebuild_duration_seconds_count") >= 1
        assert value('guatan_cache_lookups_total{cache="stall_pages",result="hit"}') >= 1
        assert value('guatan_refused_requests_total{status="429",reason="/api/v1/reports"}') == 1
        assert value("guatan_data_free_bytes") > 0 and value("guatan_database_bytes") > 0
        assert value("guatan_process_resident_memory_bytes") > 1e6 and value("guatan_process_open_fds") > 3
        assert value('guatan_http_requests_total{method="GET",route="/api/v1/stalls/{slot_id}",status="200"}') >= 3
        # An unknown path is counted under one label, never under its own name.
        assert 'route="NotFound",status="404"' in text and "no-such-route" not in text
        assert server.get("/readyz").json()["status"] == "ready"

        # The Grafana dashboard in deploy/ asks only for figures the service really has.
        dashboard = json.loads((ROOT / "deploy" / "grafana" / "guatan-dashboard.json").read_text())
        asked = {name for panel in dashboard["panels"] for target in panel["targets"]
                 for name in re.findall(r"guatan_[a-z_]+", target["expr"])}
        assert len(asked) >= 12
        for name in asked:
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            assert f"# TYPE {family} " in text, f"the dashboard asks for {name}, which /metrics does not have"
    finally:
        server.stop()


def test_json_logs_have_a_line_per_request_and_nothing_private(workdir):
    server = Server(workdir / "data", "--demo", "--now", NOW, "--log-format", "json", "--trusted-proxy", "127.0.0.1").start(timeout=60)
    try:
        login = requests.post(server.base + "/api/v1/auth/login", json={"username": "demo.admin", "password": PASSWORD},
                              headers={"X-Forwarded-For": "203.0.113.50"}, timeout=30)
        token = login.json()["token"]
        server.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        filed = report(server, "203.0.113.51", phone="13912345678").json()
        server.get(f"/api/v1/reports/track/{filed['tracking_code']}")
    finally:
        server.stop()
    lines = [line for line in server.output().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    # Everything the service logs is JSON (the demo's printed logins go to standard output).
    assert records and all({"time", "level", "msg"} <= set(r) for r in records)
    requests_logged = [r for r in records if r["msg"] == "request"]
    by_route = {r["route"]: r for r in requests_logged}
    assert by_route["/api/v1/auth/login"]["status"] == 200 and by_route["/api/v1/auth/login"]["client"] == "203.0.113.50"
    assert by_route["/api/v1/reports"]["method"] == "POST" and by_route["/api/v1/reports"]["client"] == "203.0.113.51"
    assert isinstance(by_route["/api/v1/me"]["duration_ms"], float)
    # The demo's banner (standard output) names the public demo password; the log never does.
    whole = "\n".join(line for line in lines if line.startswith("{"))
    for secret in (PASSWORD, token, "13912345678", filed["tracking_code"]):
        assert secret not in whole, f"the log holds {secret!r}"


def test_the_systemd_unit_verifies_and_is_hardened():
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed (Debian's systemd package; make test installs it)"
    folder = Path(tempfile.mkdtemp(prefix="guatan-unit-"))
    try:
        unit = (ROOT / "deploy" / "systemd" / "guatan.service").read_text()
        for needed in ("User=guatan", "ProtectSystem=strict", "NoNewPrivileges=yes", "ReadWritePaths=/var/lib/guatan",
                       "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID"):
            assert needed in unit, needed
        # verify needs the program to exist: point it at the binary under test.
        (folder / "guatan.service").write_text(unit.replace("/opt/guatan/bin/guatan", str(binary())))
        for name in ("guatan-backup.service", "guatan-backup.timer"):
            text = (ROOT / "deploy" / "systemd" / name).read_text().replace("/opt/guatan/bin/guatan-backup", str(ROOT / "deploy" / "guatan-backup"))
            (folder / name).write_text(text)
        for name in ("guatan.service", "guatan-backup.service", "guatan-backup.timer"):
            verified = subprocess.run([analyze, "verify", "--man=no", str(folder / name)], capture_output=True, text=True, timeout=60)
            assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
        security = subprocess.run([analyze, "security", "--offline=yes", "--threshold=25", str(folder / "guatan.service")],
                                  capture_output=True, text=True, timeout=60)
        assert security.returncode == 0, security.stdout[-2000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_nightly_backup_keeps_database_key_and_photos_and_restores(workdir):
    server = Server(workdir / "data", "--now", NOW).start()
    try:
        photo = requests.post(server.base + "/api/v1/reports", data={"category": "hygiene", "description": "瓜皮", "slot_id": "CG-001-01"},
                              files={"photo": ("a.png", png(), "image/png")}, timeout=30)
        assert photo.status_code == 201, photo.text
        environment = {**os.environ, "GUATAN_BIN": str(binary()), "GUATAN_DATA": str(workdir / "data"),
                       "GUATAN_BACKUPS": str(workdir / "backups")}
        for _ in range(2):
            done = subprocess.run([str(ROOT / "deploy" / "guatan-backup")], env=environment, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    nights = sorted((workdir / "backups").iterdir())
    assert len(nights) == 1  # a second run the same night replaces nothing and adds nothing
    night = nights[0]
    assert (night / "personal-data.key").read_bytes() == (workdir / "data" / "personal-data.key").read_bytes()
    stored = sorted(p.name for p in (workdir / "data" / "photos").rglob("*") if p.is_file())
    assert stored and sorted(p.name for p in (night / "photos").rglob("*") if p.is_file()) == stored
    # The copy restores into a new folder that serves the same report.
    restored = workdir / "restored"
    restored.mkdir()
    shutil.copy(night / "personal-data.key", restored / "personal-data.key")
    shutil.copytree(night / "photos", restored / "photos")
    done = subprocess.run([str(binary()), "restore", str(night / "guatan.sqlite"), "--data", str(restored)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    again = Server(restored, "--now", NOW).start()
    try:
        assert again.get(f"/api/v1/reports/{photo.json()['report_id']}").status_code == 200
    finally:
        again.stop()


def png():
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()
