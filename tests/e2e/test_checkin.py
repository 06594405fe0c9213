"""The daily check-in through the real binary: the demo population, every role at once, and
durability of answered check-ins across a crash of the process."""

import math
import re
import signal
import sqlite3
import threading

import requests

from conftest import Server

PASSWORD = "guatan-demo-2026"


def login(server, username):
    r = requests.post(server.base + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def north(position, metres):
    return {"lat": position["lat"] + metres / 111_194.93, "lng": position["lng"]}


def demo_vendor(output, situation):
    """The demo vendor the start-up output names for a situation."""
    return re.search(r"^\s+vendor\s+(demo\.\S+)\s+\(slot \S+: " + situation, output, re.M).group(1)


def test_demo_lets_a_newcomer_try_every_role(workdir):
    server = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        out = server.output()
        assert "Every demo account's password: " + PASSWORD in out
        logins = re.findall(r"^\s+(admin|officer|vendor)\s+(demo\.\S+)(?:\s+\((.*)\))?", out, re.M)
        roles = {role for role, _, _ in logins}
        assert roles == {"admin", "officer", "vendor"}, out
        # Most slots of the season hold a permit; some stalls are open this morning.
        features = server.get("/api/v1/map.geojson").json()["features"]
        slots = sum(f["properties"]["slot_count"] for f in features)
        assigned = sum(f["properties"]["assigned_count"] for f in features)
        opened = sum(f["properties"]["open_count"] for f in features)
        assert assigned > slots * 0.7 and 0 < opened < assigned

        for role, username, situation in logins:
            me = requests.get(server.base + "/api/v1/me", headers=login(server, username), timeout=10).json()
            assert me["role"] == role
        # The vendor who has not checked in yet does so at his slot, as his phone would.
        waiting = next(u for r, u, s in logins if r == "vendor" and "not checked in yet" in s)
        vendor = login(server, waiting)
        permit = requests.get(server.base + "/api/v1/me/permits", headers=vendor, timeout=10).json()["items"][0]
        stall = server.get(f"/api/v1/stalls/{permit['slot_id']}").json()
        assert stall["status_today"] == "assigned"
        r = requests.post(server.base + "/api/v1/checkins", headers=vendor, timeout=10,
                          json={**north(stall["position"], 20), "accuracy_m": 15})
        assert r.status_code == 201, r.text
        assert server.get(f"/api/v1/stalls/{permit['slot_id']}").json()["status_today"] == "open"
        # An officer sees the applications of his district to review.
        officer = next(u for r, u, s in logins if r == "officer")
        assert officer.startswith("demo.officer.")
    finally:
        server.stop()
    # A second start with --demo adds nothing twice.
    again = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        assert "demo data already loaded" in again.output()
        db = sqlite3.connect(workdir / "data" / "guatan.sqlite")
        assert db.execute("SELECT COUNT(*) FROM account WHERE username = 'demo.admin'").fetchone()[0] == 1
        db.close()
    finally:
        again.stop()


def test_a_full_day_through_the_real_server(workdir):
    # Loaded before the day's trading, so no demo check-ins; then the server runs on 15 July.
    loader = Server(workdir / "data", "--demo", "--now", "2026-07-14T23:00:00+08:00").start()
    loader.stop()
    suspended = demo_vendor(loader.output(), "permit suspended")
    holder = demo_vendor(loader.output(), "permit issued")
    early = Server(workdir / "data", "--now", "2026-07-15T05:30:00+08:00").start()
    try:
        vendor = login(early, holder)
        slot = requests.get(early.base + "/api/v1/me/permits", headers=vendor, timeout=10).json()["items"][0]["slot_id"]
        position = early.get(f"/api/v1/stalls/{slot}").json()["position"]
        r = requests.post(early.base + "/api/v1/checkins", headers=vendor, timeout=10, json={**position, "accuracy_m": 10})
        assert r.status_code == 422 and r.json()["error"]["code"] == "OUTSIDE_HOURS"
    finally:
        early.stop()
    day = Server(workdir / "data", "--now", "2026-07-15T08:00:00+08:00").start()
    try:
        vendor = login(day, holder)
        position = day.get(f"/api/v1/stalls/{slot}").json()["position"]
        far = requests.post(day.base + "/api/v1/checkins", headers=vendor, timeout=10, json={**north(position, 300), "accuracy_m": 10})
        assert far.status_code == 422 and far.json()["error"]["code"] == "TOO_FAR"
        first = requests.post(day.base + "/api/v1/checkins", headers=vendor, timeout=10, json={**north(position, 30), "accuracy_m": 10})
        assert first.status_code == 201, first.text
        assert math.isclose(first.json()["distance_m"], 30, abs_tol=1)
        again = requests.post(day.base + "/api/v1/checkins", headers=vendor, timeout=10, json={**position, "accuracy_m": 10})
        assert again.status_code == 200 and again.json()["checkin_id"] == first.json()["checkin_id"]
        out = requests.post(day.base + "/api/v1/checkins/today/checkout", headers=vendor, timeout=10)
        assert out.status_code == 200 and out.json()["status"] == "closed_for_day"
        assert day.get(f"/api/v1/stalls/{slot}").json()["status_today"] == "closed_for_day"
        history = requests.get(day.base + "/api/v1/me/checkins", headers=vendor, timeout=10).json()
        assert [c["business_date"] for c in history["items"]] == ["2026-07-15"]
        # A suspended vendor is refused.
        refused = requests.post(day.base + "/api/v1/checkins", headers=login(day, suspended), timeout=10, json={**position, "accuracy_m": 10})
        assert refused.json()["error"]["code"] == "PERMIT_NOT_ACTIVE"
    finally:
        day.stop()


def test_kill_9_during_a_burst_loses_no_answered_checkin_report_or_inspection(workdir):
    Server(workdir / "data", "--demo", "--now", "2026-07-14T23:00:00+08:00").start().stop()
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00", "--report-rate", "0").start()
    officer = login(server, "demo.officer.cg")
    inspector = login(server, "demo.officer.xg")
    admin = login(server, "demo.admin")
    # Every issued permit of the district: the officer checks them in as fast as he can, while
    # citizens report and another district's officer records inspections.
    db = sqlite3.connect(workdir / "data" / "guatan.sqlite")
    permits = [row[0] for row in db.execute("SELECT permit_no FROM permit WHERE district = 'CG' AND state = 'issued' ORDER BY permit_no")]
    xg_slots = [row[0] for row in db.execute("SELECT slot.id FROM slot JOIN site ON site.id = slot.site_id WHERE site.district = 'XG' ORDER BY slot.id")]
    db.close()
    assert len(permits) > 300
    answered, reports, inspections = [], [], []
    lock = threading.Lock()
    killed = threading.Event()

    def maybe_kill():
        if len(answered) >= 150 and len(reports) >= 10 and len(inspections) >= 10 and not killed.is_set():
            killed.set()
            server.process.send_signal(signal.SIGKILL)

    def post(session, path, headers, body, into, key):
        try:
            r = session.post(server.base + path, headers=headers, timeout=10, json=body)
        except requests.RequestException:
            return False
        if r.status_code in (200, 201):
            with lock:
                into.append(r.json()[key])
                maybe_kill()
        return True

    def checkins(chunk):
        session = requests.Session()
        for number in chunk:
            if killed.is_set() or not post(session, "/api/v1/officer/checkins", officer, {"permit_no": number, "reason": "演练：手机没电"}, answered, "checkin_id"):
                return

    def citizen(n):
        session = requests.Session()
        for i in range(2000):
            body = {"category": "hygiene", "description": f"演练举报 {n}-{i}", "slot_id": "AN-001-01"}
            if killed.is_set() or not post(session, "/api/v1/reports", {}, body, reports, "report_id"):
                return

    def inspect(chunk):
        session = requests.Session()
        for slot in chunk * 20:
            if killed.is_set() or not post(session, "/api/v1/inspections", inspector, {"slot_id": slot, "result": "compliant"}, inspections, "inspection_id"):
                return

    threads = [threading.Thread(target=checkins, args=(permits[i::12],)) for i in range(12)]
    threads += [threading.Thread(target=citizen, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=inspect, args=(xg_slots[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.process.wait(timeout=10)
    server.log_file.close()
    assert killed.is_set() and len(answered) >= 150
    assert len(answered) < len(permits), "the kill came after the burst: nothing was tested"

    restarted = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        db = sqlite3.connect(workdir / "data" / "guatan.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM checkin WHERE business_date = '2026-07-15'")}
        stored_reports = {row[0] for row in db.execute("SELECT id FROM report")}
        stored_inspections = {row[0] for row in db.execute("SELECT id FROM inspection")}
        db.close()
        assert set(answered) <= stored
        assert set(reports) <= stored_reports
        assert set(inspections) <= stored_inspections
        # And the service shows them: the report's public page, the inspections in the district's list.
        assert restarted.get(f"/api/v1/reports/{reports[-1]}").status_code == 200
        assert admin  # the admin's token was issued before the crash; sessions survive too
        me = requests.get(restarted.base + "/api/v1/me", headers=admin, timeout=10)
        assert me.status_code == 200
        listed = requests.get(restarted.base + "/api/v1/inspections?district=XG&per_page=500", headers=admin, timeout=10).json()
        assert listed["total"] >= len(inspections)
    finally:
        restarted.stop()


def test_no_public_answer_carries_personal_data_after_a_busy_morning(workdir):
    """Scan every public answer for the actual secrets: full names, phones, ID-card hashes,
    password hashes, session tokens and their hashes."""
    server = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        vendor = login(server, demo_vendor(server.output(), "permit issued, not checked in yet"))
        token = vendor["Authorization"].split()[1]
        permit = requests.get(server.base + "/api/v1/me/permits", headers=vendor, timeout=10).json()["items"][0]
        stall = server.get(f"/api/v1/stalls/{permit['slot_id']}").json()
        assert requests.post(server.base + "/api/v1/checkins", headers=vendor, timeout=10,
                             json={**stall["position"], "accuracy_m": 10}).status_code == 201
        db = sqlite3.connect(workdir / "data" / "guatan.sqlite")
        secrets = {token}
        for name, phone, card_hash in db.execute("SELECT name, phone, id_card_hash FROM vendor"):
            secrets |= {phone, card_hash}
            if len(name) >= 3:
                secrets.add(name)
        secrets |= {row[0] for row in db.execute("SELECT password_hash FROM account")}
        secrets |= {row[0] for row in db.execute("SELECT token_hash FROM session")}
        numbers = [row[0] for row in db.execute("SELECT permit_no FROM permit WHERE state = 'issued' LIMIT 40")]
        sites = [row[0] for row in db.execute("SELECT id FROM site LIMIT 40")]
        slots = [row[0] for row in db.execute("SELECT id FROM slot LIMIT 80")]
        db.close()
        uris = ["/api/v1/map.geojson", "/api/v1/districts", "/api/v1/seasons/current", "/api/v1/sites?per_page=500",
                "/api/v1/stalls/nearby?lat=36.0605&lng=103.83&radius_m=5000&limit=200"]
        uris += [f"/api/v1/permits/verify/{n}" for n in numbers + [permit["permit_no"]]]
        uris += [f"/api/v1/sites/{s}" for s in sites] + [f"/api/v1/stalls/{s}" for s in slots + [permit["slot_id"]]]
        for uri in uris:
            r = server.get(uri)
            assert r.status_code == 200, uri
            leaked = [s for s in secrets if s in r.text]
            assert not leaked, f"{uri} leaks {leaked[:3]}"
        # The public pages do show the stall, masked.
        shown = server.get(f"/api/v1/stalls/{permit['slot_id']}").json()
        assert shown["status_today"] == "open" and shown["permit"]["holder_masked"].endswith("*")
    finally:
        server.stop()
