"""The security review's findings against the real binary: the disk cannot be filled without an
account, one address cannot lock anyone out, slow clients do not hold the server, access can be
taken back, and what is private stays the service user's."""

import os
import socket
import stat
import subprocess
import time

import requests

from conftest import ROOT, Server, run_cli

NOW = "2026-07-15T09:00:00+08:00"
PASSWORD = "guatan-demo-2026"


def segment(marker, payload):
    return bytes([0xFF, marker, (len(payload) + 2) >> 8, (len(payload) + 2) & 0xFF]) + payload


TINY_JPEG = b"\xff\xd8" + segment(0xE0, b"JFIF\0\1\1") + segment(0xDB, b"\0\1\2") + segment(0xC0, b"\x08\0\x01\0\x01\x01\x01\x11\0") + segment(0xDA, b"\1\2\3") + b"\x11\x22\x33\xff\xd9"


def files_in(folder):
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_refused_reports_leave_no_photos_and_count_against_the_address(workdir):
    server = Server(workdir / "data", "--now", NOW, "--report-rate", "4").start()
    try:
        junk = b"\xff\xd8\xff\xda" + os.urandom(4 << 20)
        statuses = []
        for _ in range(6):
            response = requests.post(server.base + "/api/v1/reports", timeout=30,
                                     data={"category": "hygiene", "description": "垃圾", "slot_id": "XX-999-99"},
                                     files={"photo": ("a.jpg", junk, "image/jpeg")})
            statuses.append(response.status_code)
        assert statuses[:4] in ([400] * 4, [415] * 4), statuses
        assert statuses[4:] == [429, 429], statuses
        data = workdir / "data"
        assert files_in(data / "photos") == [] and files_in(data / "photo-staging") == []
    finally:
        server.stop()


def test_five_wrong_passwords_from_one_address_lock_out_only_that_address(workdir):
    server = Server(workdir / "data", "--demo", "--now", NOW, "--trusted-proxy", "127.0.0.1").start(timeout=60)
    try:
        def login(password, address):
            return requests.post(server.base + "/api/v1/auth/login", json={"username": "demo.admin", "password": password},
                                 headers={"X-Forwarded-For": address}, timeout=30)
        for _ in range(5):
            assert login("wrong password", "203.0.113.9").status_code == 401
        held = login(PASSWORD, "203.0.113.9")
        assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
        # The administrator at his desk signs in as usual.
        desk = login(PASSWORD, "198.51.100.7")
        assert desk.status_code == 200, desk.text
        token = desk.json()["token"]
        # ... and can take a stolen phone's access back at once.
        officer = requests.post(server.base + "/api/v1/auth/login", json={"username": "demo.officer.cg", "password": PASSWORD}, timeout=30)
        phone = {"Authorization": "Bearer " + officer.json()["token"]}
        assert requests.get(server.base + "/api/v1/me", headers=phone, timeout=10).status_code == 200
        disabled = requests.post(server.base + "/api/v1/admin/users/demo.officer.cg/disable",
                                 headers={"Authorization": "Bearer " + token}, timeout=10)
        assert disabled.status_code == 200, disabled.text
        assert requests.get(server.base + "/api/v1/me", headers=phone, timeout=10).status_code == 401
    finally:
        server.stop()


def test_slow_clients_are_closed_and_do_not_hold_the_server(workdir):
    server = Server(workdir / "data", "--now", NOW, "--idle-timeout", "3").start()
    sockets = []
    try:
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: ")
            sockets.append(s)
        started = time.monotonic()
        assert server.get("/healthz").status_code == 200
        assert time.monotonic() - started < 1.0
        time.sleep(5)
        closed = 0
        for s in sockets:
            s.settimeout(2)
            try:
                closed += s.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except socket.timeout:
                pass  # still open: counted as not closed
        assert closed == len(sockets), f"{closed} of {len(sockets)} half-sent requests closed"
    finally:
        for s in sockets:
            s.close()
        server.stop()


def test_demo_refuses_a_folder_with_real_accounts(workdir):
    data = workdir / "data"
    made = run_cli("user", "add", "--username", "admin", "--role", "admin", "--password-stdin", data=data, stdin="a long password\n")
    assert made.returncode == 0, made.stderr
    finished = subprocess.run(Server(data, "--demo", "--now", NOW).args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert finished.returncode != 0
    assert "--demo" in finished.stderr and "admin" in finished.stderr
    listed = run_cli("user", "list", data=data)
    assert listed.stdout.count("\n") == 1 and "demo." not in listed.stdout


def test_data_at_rest_is_the_service_users_alone_and_restore_waits_for_the_server(workdir):
    data = workdir / "data"
    server = Server(data, "--now", NOW).start()
    try:
        requests.post(server.base + "/api/v1/reports", timeout=30, data={"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"},
                      files={"photo": ("a.jpg", TINY_JPEG, "image/jpeg")}).raise_for_status()
        backup = workdir / "copy.sqlite"
        assert run_cli("backup", str(backup), data=data).returncode == 0
        for path in [data, *data.rglob("*"), backup]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
        refused = run_cli("restore", str(backup), data=data)
        assert refused.returncode != 0 and "running" in refused.stderr, refused.stderr
    finally:
        server.stop()
    assert run_cli("restore", str(backup), data=data).returncode == 0


def test_an_unusable_personal_data_key_stops_start_up_and_is_never_replaced(workdir):
    data = workdir / "data"
    Server(data, "--now", NOW).start().stop()
    key = data / "personal-data.key"
    key.write_text("not a key\n")
    finished = subprocess.run(Server(data, "--now", NOW).args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert finished.returncode != 0 and "personal-data.key" in finished.stderr, finished.stderr
    assert key.read_text() == "not a key\n"


def test_an_upload_trickled_slower_than_any_phone_network_is_ended(workdir):
    server = Server(workdir / "data", "--now", NOW).start()
    try:
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\n"
                  b"Content-Length: 1000000\r\n\r\n--xyz\r\n")
        started = time.monotonic()
        answer = b""
        s.settimeout(0.5)
        while time.monotonic() - started < 25 and b"\r\n\r\n" not in answer:
            try:
                s.sendall(b"a" * 200)
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                answer += s.recv(4096)
            except socket.timeout:
                pass
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - started < 20
        # Meanwhile everyone else is served as usual.
        assert server.get("/healthz").status_code == 200
        s.close()
    finally:
        server.stop()
