"""Backups taken while the service writes, checked and restored."""

import sqlite3
import threading

import requests

from conftest import Server, run_cli


def counts(path):
    db = sqlite3.connect(path)
    try:
        found = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("report", "site", "slot")}
        found["submitted"] = db.execute("SELECT COUNT(*) FROM report_event WHERE action = 'submit'").fetchone()[0]
        return found
    finally:
        db.close()


def test_a_backup_under_write_load_restores_to_a_working_service(workdir):
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00", "--report-rate", "0").start()
    stop = threading.Event()
    written = []

    def citizen(n):
        session = requests.Session()
        i = 0
        while not stop.is_set():
            r = session.post(server.base + "/api/v1/reports", timeout=10, json={
                "category": "suggestion", "description": f"建议 {n}-{i}", "slot_id": f"CG-00{1 + n % 9}-01"})
            assert r.status_code == 201, r.text
            written.append(r.json()["report_id"])
            i += 1

    threads = [threading.Thread(target=citizen, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        while len(written) < 50:
            threading.Event().wait(0.05)
        backup = workdir / "backup.sqlite"
        result = run_cli("backup", str(backup), data=workdir / "data")
        assert result.returncode == 0, result.stderr
        assert "integrity ok" in result.stdout
        after_backup = len(written)
        while len(written) < after_backup + 30:
            threading.Event().wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    server.stop()
    taken = counts(backup)
    # A consistent copy: some of the reports, each with its first timeline entry, the whole registry.
    assert 50 <= taken["report"] < len(written)
    assert taken["submitted"] == taken["report"]
    assert taken["site"] == 390 and taken["slot"] == 2059
    again = run_cli("backup", str(backup), data=workdir / "data")
    assert again.returncode != 0 and "exists" in again.stderr

    restored = workdir / "restored"
    result = run_cli("restore", str(backup), data=restored)
    assert result.returncode == 0, result.stderr
    assert counts(restored / "guatan.sqlite") == taken
    service = Server(restored, "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        listed = service.get("/api/v1/reports?per_page=1").json()
        assert listed["total"] == taken["report"]
        assert service.get(f"/api/v1/reports/{listed['items'][0]['report_id']}").status_code == 200
    finally:
        service.stop()
    bad = workdir / "not-a-backup.sqlite"
    bad.write_bytes(b"this is not a database")
    refused = run_cli("restore", str(bad), data=workdir / "other")
    assert refused.returncode != 0
