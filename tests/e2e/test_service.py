"""The service as its users meet it: started from the command line on a fresh data folder."""

import gzip
import json
import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import ROOT, Server, binary, run_cli

SITES_HEADER = "site_id,district,name,address,street_office,lat,lng,opens_at,closes_at,slots\n"


def test_fresh_folder_is_seeded_and_serves_the_whole_map(server):
    features = server.get("/api/v1/map.geojson").json()["features"]
    assert len(features) == 390
    assert sum(f["properties"]["slot_count"] for f in features) == 2059
    for f in features:
        lng, lat = f["geometry"]["coordinates"]
        assert 103.5 < lng < 104.0 and 35.9 < lat < 36.2
    assert "seed registry loaded" in server.output()


def test_clock_starts_at_now_and_runs_on(server):
    season = server.get("/api/v1/seasons/current").json()
    assert season["today"] == "2026-07-15"
    assert season["in_season_today"] is True
    assert season["now"].startswith("2026-07-15T09:0")


def test_gzip_and_304_over_a_real_socket(server):
    r = server.get("/api/v1/map.geojson", headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = r.raw.read(decode_content=False)
    assert r.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(raw))["features"]) == 390
    again = server.get("/api/v1/map.geojson", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_restart_keeps_the_registry_and_does_not_seed_twice(workdir):
    data = workdir / "data"
    first = Server(data).start()
    etag = first.get("/api/v1/map.geojson").headers["ETag"]
    assert first.stop() == 0, first.output()
    second = Server(data).start()
    try:
        assert "seed registry loaded" not in second.output()
        r = second.get("/api/v1/map.geojson")
        assert r.headers["ETag"] == etag, "same registry, same bytes, same ETag"
        assert sum(d["slot_count"] for d in second.get("/api/v1/districts").json()["items"]) == 2059
    finally:
        second.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_shutdown_on_signals(workdir, sig):
    s = Server(workdir / "data").start()
    assert s.stop(sig) == 0, s.output()
    assert "stopped" in s.output()


def test_environment_variables_are_the_fallback(workdir):
    # GUATAN_NOW applies as no --now is given; GUATAN_PORT is overridden by --port.
    s = Server(workdir / "data", env={"GUATAN_NOW": "2026-03-01T12:00:00+08:00", "GUATAN_PORT": "1"}).start()
    try:
        assert s.get("/api/v1/seasons/current").json()["phase"] == "upcoming"
    finally:
        s.stop()
    # GUATAN_DATA names the data folder when --data is not given.
    folder = workdir / "from-env"
    result = subprocess.run([str(binary()), "migrate"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "GUATAN_DATA": str(folder)})
    assert result.returncode == 0, result.stderr
    assert (folder / "guatan.sqlite").exists()


def test_bad_command_line_values_are_refused_clearly(workdir):
    for args, words in [
        (["serve", "--now", "yesterday"], "RFC 3339"),
        (["serve", "--port", "99999"], "port"),
        (["serve", "--log-level", "loud"], "log level"),
    ]:
        result = run_cli(*args, data=workdir / "data")
        assert result.returncode != 0
        assert words in result.stderr, result.stderr


def test_migrate_lists_migrations(workdir):
    result = run_cli("migrate", data=workdir / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2026-11-29-registry", "2026-11-29-accounts", "2026-11-29-vendors", "2026-11-29-permits", "2026-11-29-checkins", "2026-11-29-applications", "2026-11-29-reports", "2026-11-29-inspections", "2026-11-29-permit-issued-at", "2026-11-29-statistics-indexes",
                                     "2026-12-03-private-inspection-photos", "2026-12-03-login-pairs", "2026-12-04-number-sequences", "2026-12-04-request-limits", "2026-12-04-registry-version-shards",
                                     "2026-12-05-allocation", "2026-12-06-retired-places", "2026-12-06-feedback",
                                     "2026-12-07-voice-notes", "2026-12-07-feedback-retention"]


def test_import_sites_while_the_server_runs(server, workdir):
    good = workdir / "new.csv"
    good.write_text(SITES_HEADER + "QLH-300,QLH,西湖街新摊点,兰州市七里河区西湖街道西湖街8号,西湖街道,36.0640,103.7950,07:00,21:00,5\n", encoding="utf-8")
    etag = server.get("/api/v1/map.geojson").headers["ETag"]
    result = run_cli("import-sites", str(good), data=server.data)
    assert result.returncode == 0, result.stderr
    assert "1 sites created" in result.stdout and "5 slots created" in result.stdout
    # The running server notices within about a second.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r = server.get("/api/v1/map.geojson", headers={"If-None-Match": etag})
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200
    assert len(r.json()["features"]) == 391
    site = server.get("/api/v1/sites/QLH-300").json()
    assert [s["slot_id"] for s in site["slots"]] == [f"QLH-300-0{n}" for n in range(1, 6)]


def test_import_sites_refuses_a_bad_file_whole(server, workdir):
    bad = workdir / "bad.csv"
    bad.write_text(
        SITES_HEADER
        + "QLH-301,QLH,好摊点,兰州市七里河区西湖街1号,西湖街道,36.0640,103.7950,,,2\n"
        + "QLH-302,QLH,,兰州市七里河区西湖街2号,西湖街道,36.0640,103.7950,,,2\n"
        + "QLH-303,QLH,摊点,兰州市七里河区西湖街3号,西湖街道,103.79,36.06,,,2\n",
        encoding="utf-8")
    result = run_cli("import-sites", str(bad), data=server.data)
    assert result.returncode == 1
    assert "line 3" in result.stderr and "line 4" in result.stderr
    assert "nothing imported" in result.stderr
    assert server.get("/api/v1/sites/QLH-301").status_code == 404


def test_home_page_and_documents(server):
    home = server.get("/")
    assert home.status_code == 200 and "瓜摊" in home.text
    assert server.get("/openapi.yaml").headers["Content-Type"].startswith("application/yaml")
    assert "guatan_http_requests_total" in server.get("/metrics").text


def test_first_admin_from_the_command_line_then_sign_in_over_http(server):
    result = run_cli("user", "add", "--username", "chief", "--role", "admin", "--password-stdin",
                     data=server.data, stdin="melon season 2026\n")
    assert result.returncode == 0, result.stderr
    assert "created admin chief" in result.stdout
    login = requests.post(server.base + "/api/v1/auth/login", json={"username": "chief", "password": "melon season 2026"}, timeout=10)
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    officer = requests.post(server.base + "/api/v1/admin/users", headers=headers, timeout=10,
                            json={"username": "an.zhao", "password": "peaches of anning", "role": "officer", "district": "AN"})
    assert officer.status_code == 201, officer.text
    me = requests.get(server.base + "/api/v1/me", headers=headers, timeout=10).json()
    assert me == {"account_id": me["account_id"], "username": "chief", "role": "admin"}
    assert requests.post(server.base + "/api/v1/auth/logout", headers=headers, timeout=10).status_code == 204
    assert requests.get(server.base + "/api/v1/me", headers=headers, timeout=10).status_code == 401


def test_user_add_refuses_bad_input(workdir):
    data = workdir / "data"
    cases = [
        (["--username", "chief", "--role", "admin"], "melon season 2026\n", "password-stdin"),
        (["--username", "chief", "--role", "admin", "--password-stdin"], "short\n", "at least 8"),
        (["--username", "cg.li", "--role", "officer", "--password-stdin"], "melon season 2026\n", "district"),
        (["--username", "cg.li", "--role", "chief", "--password-stdin"], "melon season 2026\n", "admin, officer or call_taker"),
    ]
    for args, stdin, words in cases:
        result = run_cli("user", "add", *args, data=data, stdin=stdin)
        assert result.returncode != 0
        assert words in result.stderr, result.stderr
    ok = run_cli("user", "add", "--username", "chief", "--role", "admin", "--password-stdin", data=data, stdin="melon season 2026\n")
    assert ok.returncode == 0, ok.stderr
    again = run_cli("user", "add", "--username", "chief", "--role", "admin", "--password-stdin", data=data, stdin="melon season 2026\n")
    assert again.returncode != 0 and "taken" in again.stderr


def test_vendor_registration_keeps_the_id_card_private(server):
    assert run_cli("user", "add", "--username", "chief", "--role", "admin", "--password-stdin",
                   data=server.data, stdin="melon season 2026\n").returncode == 0
    token = requests.post(server.base + "/api/v1/auth/login", timeout=10,
                          json={"username": "chief", "password": "melon season 2026"}).json()["token"]
    farmer = {"name": "李四", "phone": "13800001111", "id_card_no": "620102198006151230", "origin": "安宁区沙井驿",
              "vehicle_plate": "甘A·D1234", "produce": ["白凤桃"], "username": "lisi", "password": "peach orchard 88"}
    created = requests.post(server.base + "/api/v1/admin/vendors", json=farmer, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    assert created.json()["vendor"]["id_card_last4"] == "1230"
    assert "620102198006151230" not in created.text
    key = server.data / "personal-data.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    assert b"620102198006151230" not in (server.data / "guatan.sqlite").read_bytes()
    vendor_token = requests.post(server.base + "/api/v1/auth/login", timeout=10,
                                 json={"username": "lisi", "password": "peach orchard 88"}).json()["token"]
    me = requests.get(server.base + "/api/v1/me", headers={"Authorization": f"Bearer {vendor_token}"}, timeout=10).json()
    assert me["vendor"]["vehicle_plate"] == "甘AD1234"
