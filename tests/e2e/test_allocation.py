"""A season's allocation through the real binary, the way the bureau, farmers and citizens go
through it: 2027 opened from 2026 on the command line, applications in the window (and refused
outside it), review, the list and the commitment, the draw checked by tools/verify_draw.py from
the public file alone, the notice with an objection upheld and one dismissed, every permit at
once, and in the season a surrender whose slot goes down the waitlist: one vendor accepts within
the deadline, the next lets it run out while the service is restarted."""

import csv
import datetime
import io
import json
import subprocess
import sys

import requests
from PIL import Image

from conftest import ROOT, Server, run_cli
from test_contract import validator_for

PASSWORD = "guatan-demo-2026"
FARMER_PASSWORD = "melons from qingcheng 2027"


def login(server, username, password=PASSWORD):
    r = requests.post(server.base + "/api/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def id_card(n: int) -> str:
    """A resident ID number with a valid check character (GB 11643)."""
    body = f"6201021985020{n:04d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def apply(server, who, sites, renew=False, household=()):
    fields = [("season", "2027"), ("produce", "白兰瓜"), ("expected_kg", "600")]
    fields += [("preferences", s) for s in sites]
    if renew:
        fields.append(("renew", "true"))
    if household:
        fields.append(("household_id_cards", ",".join(household)))
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (230, 220, 180)).save(out, "JPEG")
    jpeg = out.getvalue()
    return requests.post(server.base + "/api/v1/season-applications", headers=who, timeout=30, data=fields,
                         files={"certificate": ("证明.jpg", jpeg, "image/jpeg")})


def act(server, admin, action, **extra):
    return requests.post(server.base + "/api/v1/admin/seasons/2027/transitions", headers=admin, timeout=60,
                         json={"action": action, **extra})


def verify(path, check=True):
    args = [sys.executable, str(ROOT / "tools" / "verify_draw.py"), str(path)] + (["--check"] if check else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_a_season_allocated_by_draw_from_the_window_to_the_waitlist(workdir):
    data = workdir / "data"
    # Autumn 2026: the season is over; the bureau opens 2027 from 2026's registry.
    server = Server(data, "--demo", "--now", "2026-10-20T10:00:00+08:00").start()

    def restart(now):
        nonlocal server
        assert server.stop() == 0
        server = Server(data, "--now", now).start()

    try:
        opened = run_cli("season", "open", "2027", "--from", "2026", data=data)
        assert opened.returncode == 0, opened.stderr
        assert "season 2027 opened in planning from 2026" in opened.stdout and "2059 slots" in opened.stdout
        again = run_cli("season", "open", "2027", "--from", "2026", data=data)
        assert again.returncode != 0 and "exists already" in again.stderr
        # The bureau edits 2027's registry from a file: the difference first, applied when confirmed.
        edited = workdir / "sites-2027.csv"
        rows = (ROOT / "seed" / "sites.csv").read_text(encoding="utf-8").splitlines()
        edited.write_text("\n".join(rows + ["CG-900,CG,新建瓜果摊点,兰州市城关区新建路1号,东岗街道,36.05,103.85,06:00,22:00,2"]) + "\n", encoding="utf-8")
        preview = run_cli("import-sites", "--season", "2027", str(edited), data=data)
        assert preview.returncode == 0 and "+ site CG-900 (2 slots)" in preview.stdout and "--apply" in preview.stdout, preview.stderr
        applied = run_cli("import-sites", "--season", "2027", str(edited), "--apply", data=data)
        assert applied.returncode == 0 and "applied to the 2027 registry" in applied.stdout
        assert server.get("/api/v1/sites/CG-900").status_code == 404, "the running season's map is not touched"

        admin = login(server, "demo.admin")
        # A demo vendor whose 2026 stall is at a small site (three slots): the six farmers
        # below will apply there, more than it has room for.
        with open(ROOT / "seed" / "sites.csv", encoding="utf-8") as file:
            small = {row["site_id"] for row in csv.DictReader(file) if int(row["slots"]) == 3}
        last, page = None, 1
        while last is None:
            listed = requests.get(server.base + f"/api/v1/permits?season=2026&per_page=100&page={page}", headers=admin, timeout=10).json()
            assert listed["items"], "no demo permit at a small site"
            last = next((p for p in listed["items"] if p["site_id"] in small and p["status"] == "expired"), None)
            page += 1
        holder_name = f"demo.v{int(last['vendor_id'][1:]):04d}"
        site, district = last["site_id"], last["district"]
        farmers = {}
        for n in range(1, 8):
            body = {"name": f"农户{n}号", "phone": f"1370000{n:04d}", "id_card_no": id_card(n), "origin": "榆中县青城镇",
                    "vehicle_plate": f"甘A7{n:04d}", "produce": ["白兰瓜"], "username": f"farmer{n}", "password": FARMER_PASSWORD}
            r = requests.post(server.base + "/api/v1/admin/vendors", headers=admin, json=body, timeout=30)
            assert r.status_code == 201, r.text
            farmers[n] = r.json()["vendor_id"]
        settings = requests.post(server.base + "/api/v1/admin/seasons/2027/settings", headers=admin, timeout=10,
                                 json={"renewal_min_share": 0, "notice_days": 5, "offer_hours": 48})
        assert settings.status_code == 200, settings.text

        # Before the window: refused, and the dates say when.
        assert apply(server, login(server, "farmer1", FARMER_PASSWORD), [site]).json()["error"]["code"] == "APPLICATIONS_CLOSED"
        r = act(server, admin, "open_applications", applications_open_on="2026-10-21", applications_close_on="2026-10-31")
        assert r.status_code == 200 and r.json()["phase"] == "applications_open", r.text
        early = apply(server, login(server, "farmer1", FARMER_PASSWORD), [site])
        assert early.status_code == 409 and early.json()["error"]["details"] == {
            "phase": "applications_open", "opens_on": "2026-10-21", "closes_on": "2026-10-31"}

        restart("2026-10-25T10:00:00+08:00")
        renewal = apply(server, login(server, holder_name), [], renew=True)
        assert renewal.status_code == 201 and renewal.json()["renewal_slot"] == last["slot_id"], renewal.text
        numbers = {}
        for n in range(1, 7):
            r = apply(server, login(server, f"farmer{n}", FARMER_PASSWORD), [site])
            assert r.status_code == 201, r.text
            numbers[n] = r.json()["application_no"]
        household = apply(server, login(server, "farmer7", FARMER_PASSWORD), [site], household=[id_card(3)])
        assert household.status_code == 409 and household.json()["error"]["code"] == "HOUSEHOLD_HAS_APPLIED"

        # After the window: the squad reviews, the bureau approves, the list and commitment are published.
        restart("2026-11-01T09:00:00+08:00")
        admin = login(server, "demo.admin")
        officer = login(server, f"demo.officer.{district.lower()}")
        assert act(server, admin, "close_applications").status_code == 200
        listed = requests.get(server.base + "/api/v1/season-applications?season=2027&per_page=100", headers=officer, timeout=10).json()
        assert listed["total"] == 7
        for item in listed["items"]:
            path = f"/api/v1/season-applications/{item['application_no']}/transitions"
            assert requests.post(server.base + path, headers=officer, json={"action": "review"}, timeout=10).status_code == 200
            assert requests.post(server.base + path, headers=admin, json={"action": "approve"}, timeout=10).status_code == 200
        assert act(server, admin, "publish_list").status_code == 200
        published = server.get("/api/v1/seasons/2027/draw")
        assert published.status_code == 200
        before = workdir / "list.json"
        before.write_bytes(published.content)
        assert "seed" not in published.json() and len(published.json()["commitment"]) == 64
        refused = verify(before)
        assert refused.returncode != 0 and "not revealed" in (refused.stdout + refused.stderr)

        # The draw: anyone re-runs it from the public file and finds the published results.
        assert act(server, admin, "draw").status_code == 200
        drawn_file = workdir / "draw.json"
        drawn_file.write_bytes(server.get("/api/v1/seasons/2027/draw").content)
        drawn = json.loads(drawn_file.read_text())
        assert drawn["commitment"] == published.json()["commitment"] and drawn["applications"] == published.json()["applications"]
        checked = verify(drawn_file)
        assert checked.returncode == 0 and "OK" in checked.stderr, checked.stderr
        # Two holders swapped in the published results: the verifier says so.
        tampered = json.loads(drawn_file.read_text())
        first, second = tampered["results"]["allocation"][:2]
        first["application_no"], second["application_no"] = second["application_no"], first["application_no"]
        (workdir / "tampered.json").write_text(json.dumps(tampered, ensure_ascii=False))
        assert verify(workdir / "tampered.json").returncode == 1
        at_site = [a for a in drawn["results"]["allocation"] if a["site_id"] == site]
        assert {a["slot_id"] for a in at_site if a["tier"] == 1} == {last["slot_id"]}

        # The notice: one objection upheld, one dismissed, both public with their answers.
        assert act(server, admin, "start_notice").status_code == 200
        general = [a for a in at_site if a["tier"] == 3]
        filed = []
        for allocated, reason in ((general[0], "此户家中另有人已获摊位"), (general[-1], "听说此人不是本地农户")):
            r = requests.post(server.base + "/api/v1/seasons/2027/objections", timeout=10,
                              json={"application_no": allocated["application_no"], "reason": reason})
            assert r.status_code == 201, r.text
            filed.append(r.json()["objection_no"])
        upheld = requests.post(server.base + f"/api/v1/admin/objections/{filed[0]}/answer", headers=admin, timeout=10,
                               json={"uphold": True, "answer": "经核实属实，取消其资格，由候补依次递补"})
        assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
        dismissed = requests.post(server.base + f"/api/v1/admin/objections/{filed[1]}/answer", headers=admin, timeout=10,
                                  json={"uphold": False, "answer": "经核实，村委会证明属实"})
        assert dismissed.json()["status"] == "dismissed"
        redone_file = workdir / "redone.json"
        redone_file.write_bytes(server.get("/api/v1/seasons/2027/draw").content)
        redone = json.loads(redone_file.read_text())
        assert redone["excluded"] == [general[0]["application_no"]] and redone["seed"] == drawn["seed"]
        assert verify(redone_file).returncode == 0
        # Every answer of the allocation as the OpenAPI document describes it.
        for template, uri, who in (
            ("/api/v1/seasons", "/api/v1/seasons", {}),
            ("/api/v1/seasons/{year}/allocation", "/api/v1/seasons/2027/allocation", {}),
            ("/api/v1/seasons/{year}/draw", "/api/v1/seasons/2027/draw", {}),
            ("/api/v1/admin/seasons/{year}", "/api/v1/admin/seasons/2027", admin),
            ("/api/v1/me/allocation", "/api/v1/me/allocation", login(server, "farmer1", FARMER_PASSWORD)),
            ("/api/v1/season-applications", "/api/v1/season-applications?season=2027", admin),
        ):
            answer = server.get(uri, headers=who)
            assert answer.status_code == 200, (uri, answer.text)
            errors = list(validator_for(template, 200, "application/json").iter_errors(answer.json()))
            assert not errors, f"{uri}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        public = server.get(f"/api/v1/seasons/2027/allocation?site_id={site}").json()
        assert [o["status"] for o in public["objections"]] == ["upheld", "dismissed"]
        assert public["seed"] == drawn["seed"] and public["sites"][0]["applicants"] == 7
        assert not any(f"农户{n}号" in json.dumps(public, ensure_ascii=False) for n in range(1, 8))

        # After the notice: every permit in one step.
        restart("2026-11-10T09:00:00+08:00")
        admin = login(server, "demo.admin")
        r = act(server, admin, "allocate")
        assert r.status_code == 200 and r.json()["phase"] == "allocated", r.text
        assert act(server, admin, "start_season").status_code == 200
        waitlist = redone["results"]["waitlists"][site]
        assert len(waitlist) >= 2
        by_number = {number: n for n, number in numbers.items()}

        # In the season: the renewed holder gives his stall up; the first waiting takes it.
        restart("2027-06-20T08:00:00+08:00")
        holder = login(server, holder_name)
        renewed = next(p for p in requests.get(server.base + "/api/v1/me/permits", headers=holder, timeout=10).json()["items"]
                       if p["season"] == 2027)
        r = requests.post(server.base + f"/api/v1/me/permits/{renewed['permit_no']}/surrender", headers=holder, timeout=10,
                          json={"reason": "家里有事"})
        assert r.status_code == 200 and r.json()["status"] == "surrendered", r.text
        first = login(server, f"farmer{by_number[waitlist[0]]}", FARMER_PASSWORD)
        mine = requests.get(server.base + "/api/v1/me/allocation?season=2027", headers=first, timeout=10).json()
        assert mine["stage"] == "offer", mine
        # 48 hours from the surrender, on a clock that kept running since the restart.
        deadline = datetime.datetime.fromisoformat(mine["offers"][0]["deadline"])
        started = datetime.datetime.fromisoformat("2027-06-20T08:00:00+08:00")
        assert mine["offers"][0]["deadline"].endswith("+08:00")
        assert datetime.timedelta(hours=48) <= deadline - started < datetime.timedelta(hours=48, minutes=2), deadline
        offers = requests.get(server.base + "/api/v1/officer/offers?season=2027",
                              headers=login(server, f"demo.officer.{district.lower()}"), timeout=10).json()["items"]
        assert [o["offer_no"] for o in offers] == [mine["offers"][0]["offer_no"]]
        taken = requests.post(server.base + f"/api/v1/me/offers/{mine['offers'][0]['offer_no']}/accept", headers=first, timeout=10)
        assert taken.status_code == 200 and taken.json()["permit_no"], taken.text
        assert server.get(f"/api/v1/permits/verify/{taken.json()['permit_no']}").json()["valid"] is True

        # Another holder gives up; the next on the list does not answer; the service restarts
        # after the deadline and the offer runs out and moves on, on the server's clock.
        other = next(a for a in at_site if a["tier"] == 3 and a["application_no"] in by_number
                     and a["application_no"] != general[0]["application_no"])
        other_login = login(server, f"farmer{by_number[other['application_no']]}", FARMER_PASSWORD)
        permit = next(p for p in requests.get(server.base + "/api/v1/me/permits", headers=other_login, timeout=10).json()["items"]
                      if p["season"] == 2027)
        assert requests.post(server.base + f"/api/v1/me/permits/{permit['permit_no']}/surrender", headers=other_login,
                             timeout=10, json={}).status_code == 200
        second = f"farmer{by_number[waitlist[1]]}"
        assert requests.get(server.base + "/api/v1/me/allocation?season=2027", headers=login(server, second, FARMER_PASSWORD),
                            timeout=10).json()["stage"] == "offer"
        restart("2027-06-23T09:00:00+08:00")
        missed = requests.get(server.base + "/api/v1/me/allocation?season=2027", headers=login(server, second, FARMER_PASSWORD),
                              timeout=10).json()
        assert missed["offers"][0]["status"] == "expired" and missed["stage"] == "not_allocated"
        audit = requests.get(server.base + "/api/v1/admin/audit?entity=offer", headers=login(server, "demo.admin"), timeout=10).json()
        actions = [e["action"] for e in audit["items"]]
        assert "offer.expired" in actions and "offer.accept" in actions
    finally:
        server.stop()
