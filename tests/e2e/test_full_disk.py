"""A really full disk (a small tmpfs): writes answer 503 with Retry-After, nothing half-written,
reads go on, and writes work again once there is room. Where the machine does not allow a
mount, DegradationTests (Swift) cover the same by making the store refuse writes."""

import errno
import io
import os
import subprocess

import pytest
import requests
from PIL import Image

from conftest import Server


@pytest.fixture
def small_disk(workdir):
    disk = workdir / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs ({mounted.stderr.strip()}); DegradationTests inject the error instead")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk):
    """Writes a filler file until the disk refuses another byte."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    return filler


def report(server, n):
    return requests.post(server.base + "/api/v1/reports", json={
        "category": "hygiene", "description": f"瓜皮没有清理 {n}", "slot_id": "CG-001-01"}, timeout=30)


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 200, 90)).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_full_disk_refuses_writes_with_503_keeps_reads_and_recovers(small_disk):
    data = small_disk / "data"
    server = Server(data, "--demo", "--now", "2026-07-15T09:00:00+08:00", "--report-rate", "0", "--min-free-mb", "4")
    server.log = small_disk.parent / "serve-full-disk.log"  # the log is not on the small disk
    server.start(timeout=60)
    try:
        ready = server.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
        acknowledged = []
        for n in range(5):
            answer = report(server, n)
            assert answer.status_code == 201, answer.text
            acknowledged.append(answer.json()["report_id"])

        filler = fill(small_disk)
        # The proxy's health check says at once why this instance should get no traffic.
        ready = server.get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"], ready.text
        disk = next(c for c in ready.json()["checks"] if c["name"] == "disk")
        assert not disk["ok"] and "--min-free-mb" in disk["detail"] and "0 MB free" in disk["detail"]
        assert "MB free" in ready.json()["reason"]
        # The WAL may still hold a little room: write until the disk says no, never a 500.
        refused = None
        for n in range(5, 3000):
            answer = report(server, n)
            assert answer.status_code in (201, 503), answer.text
            if answer.status_code == 503:
                refused = answer
                break
            acknowledged.append(answer.json()["report_id"])
        assert refused is not None, "the disk never filled"
        assert refused.json()["error"]["code"] == "UNAVAILABLE" and int(refused.headers["Retry-After"]) > 0

        # A photo cannot be stored either: 503, not a 500 and not a report without its photo.
        before = requests.get(server.base + "/api/v1/reports?slot_id=CG-001-01", timeout=10).json()["total"]
        with_photo = requests.post(server.base + "/api/v1/reports", data={
            "category": "hygiene", "description": "带照片", "slot_id": "CG-001-01"}, files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, timeout=30)
        assert with_photo.status_code == 503, with_photo.text
        # Reads go on.
        assert requests.get(server.base + "/api/v1/stalls/CG-001-01", timeout=10).status_code == 200
        assert requests.get(server.base + "/api/v1/map.geojson", timeout=10).status_code == 200
        assert requests.get(server.base + "/api/v1/reports?slot_id=CG-001-01", timeout=10).json()["total"] == before

        # Room again: writes work at once, photos too, and the instance is ready.
        filler.unlink()
        assert server.get("/readyz").status_code == 200
        answer = report(server, "after")
        assert answer.status_code == 201, answer.text
        acknowledged.append(answer.json()["report_id"])
        with_photo = requests.post(server.base + "/api/v1/reports", data={
            "category": "hygiene", "description": "带照片", "slot_id": "CG-001-01"}, files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, timeout=30)
        assert with_photo.status_code == 201, with_photo.text
    finally:
        server.stop()

    # Every acknowledged report is there after a restart; the database is whole.
    server = Server(data, "--now", "2026-07-15T10:00:00+08:00")
    server.log = small_disk.parent / "serve-full-disk-2.log"
    server.start(timeout=60)
    try:
        for report_id in acknowledged:
            assert requests.get(f"{server.base}/api/v1/reports/{report_id}", timeout=10).status_code == 200, report_id
    finally:
        server.stop()
    check = subprocess.run(["sqlite3", str(data / "guatan.sqlite"), "PRAGMA integrity_check"], capture_output=True, text=True)
    if check.returncode == 0:
        assert check.stdout.strip() == "ok"
