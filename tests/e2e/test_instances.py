"""Two instances on one PostgreSQL database behind nginx (deploy/nginx/guatan.conf with its second
upstream line), as a city runs the service to stay up while a machine is patched or fails.

The data comes the way an operator's would: a SQLite folder (the demo population) moved with
`guatan copy-to-postgres`; both instances then name that folder (its key and photos) and the
database. PostgreSQL is the tests' throwaway server (tests/postgres.sh)."""

import io
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image

from conftest import CertificateAuthority, Nginx, Server, postgres, psql, run_cli

HOST = "guatan.test"
NOW = "2026-07-15T09:00:00+08:00"
TODAY = "2026-07-15"
PASSWORD = "guatan-demo-2026"


def login(base: str, username: str, verify=True) -> dict:
    answer = requests.post(base + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30, verify=verify)
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["token"]}


def eventually(check, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster():
    server_url = postgres("start")
    name = "guatan_e2e_" + uuid.uuid4().hex[:12]
    psql(server_url, f"CREATE DATABASE {name}")
    database = server_url.rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix="guatan-instances-"))
    data = folder / "data"
    # The demo population in a SQLite folder, the evening before, then moved into PostgreSQL.
    Server(data, "--demo", "--now", "2026-07-14T20:00:00+08:00").start(timeout=90).stop()
    copied = run_cli("copy-to-postgres", "--database", database, data=data)
    assert copied.returncode == 0, copied.stderr + copied.stdout
    assert "every count equal" in copied.stdout
    options = ("--database", database, "--now", NOW, "--report-rate", "0", "--trusted-proxy", "127.0.0.1")
    a, b = Server(data, *options), Server(data, *options)
    authority = CertificateAuthority(folder / "ca")
    cert, key = authority.issue("nginx", HOST, "127.0.0.1")
    proxy = Nginx(folder, [a.port, b.port], cert, key, HOST)
    a.start(timeout=60)
    b.start(timeout=60)
    proxy.start()
    yield {"a": a, "b": b, "proxy": f"https://127.0.0.1:{proxy.https_port}", "ca": str(authority.cert), "database": database,
           "server": server_url, "data": data}
    proxy.stop()
    for instance in (a, b):
        instance.stop()
    postgres("start")
    psql(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    shutil.rmtree(folder, ignore_errors=True)


def issued_permits(base: str, officer: dict, district: str = "CG", count: int = 100) -> list[dict]:
    answer = requests.get(f"{base}/api/v1/permits?state=issued&district={district}&per_page={count}", headers=officer, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_a_check_in_on_one_instance_shows_on_the_other_at_once(cluster):
    a, b = cluster["a"], cluster["b"]
    officer = login(a.base, "demo.officer.cg")
    permit = next(p for p in issued_permits(a.base, officer)
                  if b.get(f"/api/v1/stalls/{p['slot_id']}").json()["status_today"] == "assigned")
    slot = permit["slot_id"]
    # B has the stall page and the map cached now.
    assert b.get(f"/api/v1/stalls/{slot}").json()["status_today"] == "assigned"
    b.get("/api/v1/map.geojson")
    # The officer signed in on A is known on B too: sessions live in the database.
    assert b.get("/api/v1/me", headers=officer).status_code == 200
    done = requests.post(a.base + "/api/v1/officer/checkins", headers=officer, timeout=10,
                         json={"permit_no": permit["permit_no"], "reason": "手机没电"})
    assert done.status_code == 201, done.text
    acknowledged = time.monotonic()
    assert eventually(lambda: b.get(f"/api/v1/stalls/{slot}").json()["status_today"] == "open")
    # Well inside the second a stall page is otherwise kept: B was told, it did not wait it out.
    assert time.monotonic() - acknowledged < 0.9
    site = next(f for f in b.get("/api/v1/map.geojson").json()["features"] if f["id"] == slot.rsplit("-", 1)[0])
    assert any(s["slot_id"] == slot and s["status"] == "open" for s in site["properties"]["slots"])


def test_a_permit_suspended_on_one_instance_is_in_force_nowhere(cluster):
    a, b = cluster["a"], cluster["b"]
    admin = login(a.base, "demo.admin")
    officer = login(b.base, "demo.officer.qlh")
    permit = next(p for p in issued_permits(a.base, admin, "QLH")
                  if b.get(f"/api/v1/stalls/{p['slot_id']}").json()["status_today"] == "assigned")
    suspended = requests.post(f"{a.base}/api/v1/permits/{permit['permit_no']}/transitions", headers=admin, timeout=10,
                              json={"action": "suspend", "reason": "占道经营屡教不改"})
    assert suspended.status_code == 200, suspended.text
    # B knows at once: the stall is no longer held, the permit reads suspended, a check-in is refused.
    assert eventually(lambda: b.get(f"/api/v1/stalls/{permit['slot_id']}").json()["status_today"] == "vacant")
    assert b.get(f"/api/v1/permits/verify/{permit['permit_no']}").json()["status"] == "suspended"
    refused = requests.post(b.base + "/api/v1/officer/checkins", headers=officer, timeout=10,
                            json={"permit_no": permit["permit_no"], "reason": "代打卡"})
    assert refused.status_code == 422, refused.text
    # Reinstated on B, the stall is held again on A.
    reinstated = requests.post(f"{b.base}/api/v1/permits/{permit['permit_no']}/transitions", headers=admin, timeout=10,
                               json={"action": "reinstate"})
    assert reinstated.status_code == 200, reinstated.text
    assert eventually(lambda: a.get(f"/api/v1/stalls/{permit['slot_id']}").json()["status_today"] == "assigned")
    audit = a.get(f"/api/v1/admin/audit?entity=permit&entity_id={permit['permit_no']}", headers=admin).json()["items"]
    assert [entry["action"] for entry in audit][:2] == ["permit.reinstate", "permit.suspend"]


def test_reports_the_case_loop_inspections_and_open311_through_nginx(cluster):
    base, ca = cluster["proxy"], cluster["ca"]
    headers = {"Host": HOST}
    created = requests.post(base + "/api/v1/reports", headers=headers, timeout=10, verify=ca,
                            json={"category": "occupying_road", "description": "占了盲道", "slot_id": "CG-003-01"})
    assert created.status_code == 201, created.text
    report = created.json()
    officer = {**headers, **login(base, "demo.officer.cg", verify=ca)}
    # Each step may land on either instance; every one sees the case as the last left it.
    for action in ("accept", "dispatch"):
        step = requests.post(f"{base}/api/v1/reports/{report['report_id']}/transitions", headers=officer, timeout=10, verify=ca,
                             json={"action": action})
        assert step.status_code == 200, step.text
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    inspected = requests.post(base + "/api/v1/inspections", headers=officer, timeout=10, verify=ca,
                              data={"slot_id": "CG-003-01", "result": "violation", "violations": "outside_boundary",
                                    "resolves_reports": report["report_id"]},
                              files={"photo": ("p.jpg", out.getvalue(), "image/jpeg")})
    assert inspected.status_code == 201, inspected.text
    photo = inspected.json()["photos"][0]
    # The photo is in the shared folder: both instances serve it to an officer.
    for instance in (cluster["a"], cluster["b"]):
        assert instance.get(photo, headers=login(instance.base, "demo.officer.cg")).status_code == 200
        case = instance.get(f"/api/v1/reports/{report['report_id']}").json()
        assert case["status"] == "handled", case
        tracked = instance.get(f"/api/v1/reports/track/{report['tracking_code']}")
        assert tracked.status_code == 200 and tracked.json()["report_id"] == report["report_id"]
    # Open311 lists the case from either instance.
    for instance in (cluster["a"], cluster["b"]):
        listed = instance.get(f"/open311/v2/requests/{report['report_id']}.json")
        assert listed.status_code == 200 and listed.json()[0]["service_request_id"] == report["report_id"], listed.text


def test_kill_9_of_one_instance_during_a_burst_loses_no_acknowledged_write(cluster):
    a, b, base, ca = cluster["a"], cluster["b"], cluster["proxy"], cluster["ca"]
    officer = {"Host": HOST, **login(a.base, "demo.officer.xg")}
    permits = [p for p in issued_permits(a.base, officer, "XG", 100)]
    assert len(permits) >= 40
    acknowledged, failed = [], []
    lock = threading.Lock()

    def check_in(permit):
        try:
            answer = requests.post(base + "/api/v1/officer/checkins", headers=officer, timeout=15, verify=ca,
                                   json={"permit_no": permit["permit_no"], "reason": "巡查代打卡"})
        except requests.RequestException as error:
            with lock:
                failed.append(repr(error))
            return
        with lock:
            (acknowledged if answer.status_code == 201 else failed).append(permit["permit_no"] if answer.status_code == 201 else answer.status_code)

    threads = [threading.Thread(target=check_in, args=(permit,)) for permit in permits]
    for index, thread in enumerate(threads):
        thread.start()
        if index == len(threads) // 3:
            a.process.send_signal(signal.SIGKILL)
        time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=30)
    a.process.wait(timeout=10)
    assert len(acknowledged) > len(permits) // 2, f"{len(acknowledged)} acknowledged, failures {failed[:5]}"
    stored = set(psql(cluster["database"], f"SELECT permit_no FROM checkin WHERE business_date = '{TODAY}' AND district = 'XG'").split())
    assert set(acknowledged) <= stored, f"acknowledged but lost: {set(acknowledged) - stored}"
    # B goes on serving through the same address.
    assert requests.get(base + "/healthz", headers={"Host": HOST}, timeout=10, verify=ca).status_code == 200
    assert requests.get(base + "/api/v1/stalls/XG-001-01", headers={"Host": HOST}, timeout=10, verify=ca).status_code == 200
    # A comes back on the same database and folder.
    a.start(timeout=60)
    assert a.get("/api/v1/stalls/XG-001-01").status_code == 200


def test_postgresql_restarted_under_load_writes_are_503_then_recover(cluster):
    a, b = cluster["a"], cluster["b"]
    officer = login(b.base, "demo.officer.an")
    permits = issued_permits(b.base, officer, "AN", 10)
    postgres("halt")
    try:
        down = requests.post(b.base + "/api/v1/officer/checkins", headers=officer, timeout=30,
                             json={"permit_no": permits[0]["permit_no"], "reason": "数据库重启"})
        assert down.status_code == 503 and "Retry-After" in down.headers, down.text
        assert down.json()["error"]["code"] == "UNAVAILABLE"
        # Health says the database is gone, and the server itself is still there.
        assert a.get("/healthz").status_code in (200, 503)
    finally:
        postgres("start")
    # Both instances recover by themselves: no restart, the same sessions.
    for instance, permit in ((a, permits[1]), (b, permits[2])):
        def write():
            answer = requests.post(instance.base + "/api/v1/officer/checkins", headers=officer, timeout=30,
                                   json={"permit_no": permit["permit_no"], "reason": "数据库已恢复"})
            return answer.status_code == 201
        assert eventually(write, 30), instance.output()[-2000:]


def test_a_wrong_database_url_is_told_as_the_server_says_it(tmp_path):
    """No such database, or a user the server does not know: said at start, in words the
    operator can act on, not as an unreachable server."""
    server_url = postgres("start")
    host = server_url.rsplit("/", 1)[0]
    missing = run_cli("migrate", "--database", host + "/guatan_no_such_database", data=tmp_path / "data")
    assert missing.returncode != 0
    assert "does not exist" in missing.stderr and "create it first" in missing.stderr, missing.stderr
    stranger = run_cli("serve", "--database", host.replace("guatan@", "nobody@") + "/guatan", data=tmp_path / "data")
    assert stranger.returncode != 0
    assert "refused the login" in stranger.stderr, stranger.stderr
