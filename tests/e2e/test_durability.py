"""A power cut, not just a crash: every write is answered only after SQLite has synced its
WAL to the disk (synchronous = FULL), and a photo's file is synced before the row that
names it. kill -9 cannot show this (the kernel keeps a killed process's writes), so the
test watches the server's system calls with strace: between reading a request and writing
its answer there must be an fdatasync/fsync of the WAL, after the WAL's last write."""

import io
import re
import shutil
import signal
import subprocess
import time

import pytest
import requests
from PIL import Image

from conftest import Server

STRACE = shutil.which("strace")


def login(server, username):
    answer = requests.post(server.base + "/api/v1/auth/login", json={"username": username, "password": "guatan-demo-2026"}, timeout=10)
    return {"Authorization": "Bearer " + answer.json()["token"]}


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def handled(lines, request_line):
    """The system calls made between reading the request and writing its answer."""
    start = next(i for i, line in enumerate(lines) if request_line in line)
    end = next(i for i in range(start + 1, len(lines)) if re.search(r'"HTTP/1\.1 20[01] ', lines[i]))
    return lines[start:end]


def synced_after_last_write(calls, file_pattern):
    writes = [i for i, line in enumerate(calls) if re.search(r"pwrite64\(\d+<[^>]*" + file_pattern + ">", line)]
    syncs = [i for i, line in enumerate(calls) if re.search(r"f(data)?sync\(\d+<[^>]*" + file_pattern + ">", line)]
    return bool(writes) and bool(syncs) and max(syncs) > max(writes)


@pytest.mark.skipif(STRACE is None, reason="strace is not installed (.ci/run installs it)")
def test_every_write_is_synced_to_disk_before_it_is_answered(workdir):
    Server(workdir / "data", "--demo", "--now", "2026-07-14T23:00:00+08:00").start().stop()
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00", "--report-rate", "0").start()
    trace = workdir / "strace.out"
    try:
        officer = login(server, "demo.officer.cg")
        permit = requests.get(server.base + "/api/v1/permits?state=issued&per_page=1", headers=officer, timeout=10).json()["items"][0]
        tracer = subprocess.Popen(
            [STRACE, "-f", "-y", "-s", "40", "-e", "trace=read,write,writev,pwrite64,fsync,fdatasync", "-p", str(server.process.pid), "-o", str(trace)],
            stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        if tracer.poll() is not None:
            pytest.skip(f"strace cannot attach here: {tracer.stderr.read().strip()}")

        report = requests.post(server.base + "/api/v1/reports", json={"category": "hygiene", "description": "瓜皮没清理", "slot_id": "CG-001-01"}, timeout=10)
        assert report.status_code == 201
        checkin = requests.post(server.base + "/api/v1/officer/checkins", headers=officer, timeout=10,
                                json={"permit_no": permit["permit_no"], "reason": "手机没电"})
        assert checkin.status_code == 201, checkin.text
        inspection = requests.post(server.base + "/api/v1/inspections", headers=officer, timeout=10,
                                   json={"slot_id": permit["slot_id"], "result": "compliant"})
        assert inspection.status_code == 201, inspection.text
        photo = requests.post(server.base + "/api/v1/reports", data={"category": "noise", "description": "喇叭太响", "slot_id": "CG-002-01"},
                              files={"photo": ("p.jpg", jpeg(), "image/jpeg")}, timeout=10)
        assert photo.status_code == 201, photo.text
        time.sleep(0.5)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
    finally:
        server.stop()

    lines = trace.read_text().splitlines()
    for request_line in ["POST /api/v1/reports HTTP/1.1", "POST /api/v1/officer/checkins", "POST /api/v1/inspections"]:
        calls = handled(lines, request_line)
        assert synced_after_last_write(calls, r"guatan\.sqlite-wal"), f"{request_line} was answered before its WAL was synced"
    # The photo: staged and synced before the transaction's WAL sync, moved into photos/ (the
    # folder synced) after it: a refused request never leaves a file among the photos.
    photo_request = [i for i, line in enumerate(lines) if "POST /api/v1/reports HTTP/1.1" in line][-1]
    calls = handled(lines[photo_request:], "POST /api/v1/reports HTTP/1.1")
    photo_sync = next(i for i, line in enumerate(calls) if re.search(r"f(data)?sync\(\d+<[^>]*/photo-staging/[^>]*\.jpg\.[^>]*>", line))
    wal_syncs = [i for i, line in enumerate(calls) if re.search(r"f(data)?sync\(\d+<[^>]*guatan\.sqlite-wal>", line)]
    assert wal_syncs and photo_sync < max(wal_syncs)
    folder_syncs = [i for i, line in enumerate(calls) if re.search(r"fsync\(\d+<[^>]*/photos>\)", line)]
    assert folder_syncs and max(folder_syncs) > max(wal_syncs), "the photo was not moved in after the commit"
