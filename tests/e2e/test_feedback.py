"""The feedback loop end to end (issue 17), on the real binary: a hotline report entered by the
bureau's call taker goes through dispatch; its time limit passes on the server's clock and it
escalates by itself; an extension is approved and a send-back re-dispatched; receivers the test
starts get every step by webhook (signatures checked), one after failing twice, while one that
never answers ends in the dead letters; a restart mid-delivery loses nothing and, for a receiver
that honours the idempotency key, does nothing twice; the events cursor and the Atom feed show
every step."""

import hashlib
import hmac
import json
import signal
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from conftest import Server, free_port, run_cli
from test_pages import PASSWORD, token

ATOM = "{http://www.w3.org/2005/Atom}"


class Receiver:
    """A webhook endpoint on a loopback port: checks each delivery's signature, answers the
    statuses it is scripted with (then 200), can hold an answer back, and applies each event
    once by its Idempotency-Key."""

    def __init__(self, statuses=(), hang=False, signed=True):
        self.statuses = list(statuses)
        self.hang = hang
        self.signed = signed
        self.secret = None
        self.requests = []      # (key, event) of every delivery, in arrival order
        self.applied = {}       # key -> event, the first time it came
        self.bad_signatures = 0
        self.hold = threading.Event()
        self.hold.set()
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.hang:
                    time.sleep(30)
                    return
                key = self.headers["Idempotency-Key"]
                event = json.loads(body)
                with receiver.lock:
                    if receiver.signed:
                        stamp, mac = self.headers["X-Guatan-Signature"].split(",")
                        expected = hmac.new(receiver.secret.encode(), stamp[2:].encode() + b"." + body, hashlib.sha256).hexdigest()
                        if not hmac.compare_digest(expected, mac[3:]):
                            receiver.bad_signatures += 1
                    elif self.headers.get("Authorization") != "Bearer sms-key":
                        receiver.bad_signatures += 1
                    receiver.requests.append((key, event))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.arrived.set()
                receiver.hold.wait(60)
                if status == 200:
                    with receiver.lock:
                        receiver.applied.setdefault(key, event)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.hold.set()
        self.server.shutdown()


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_hotline_case_escalates_and_every_step_reaches_the_city_platform(workdir):
    data = workdir / "data"
    platform = Receiver(statuses=[500, 502])
    silent = Receiver(hang=True)
    # A stand-in SMS gateway that records what it was asked to send.
    gateway = Receiver(signed=False)
    flags = ("--report-rate", "0", "--webhook-retry-base", "1", "--webhook-attempts", "3", "--webhook-timeout", "2",
             "--sms-gateway", gateway.url, "--sms-key", "sms-key", "--sms-daily-cap", "10")
    server = Server(data, "--demo", "--now", "2026-07-15T09:00:00+08:00", *flags).start(timeout=60)

    def restart(now, sig=signal.SIGTERM):
        nonlocal server
        server.stop(sig)
        server = Server(data, "--now", now, *flags).start(timeout=60)

    try:
        admin = token(server, "demo.admin")
        made = requests.post(server.base + "/api/v1/admin/users", headers=admin, timeout=10, json={
            "username": "hotline.wang", "password": PASSWORD, "role": "call_taker"})
        assert made.status_code == 201, made.text
        hook = requests.post(server.base + "/api/v1/admin/webhooks", headers=admin, timeout=10, json={
            "name": "城市运行管理服务平台", "url": platform.url,
            "events": ["report.submitted", "report.accepted", "report.dispatched", "report.escalated", "report.extension_requested",
                       "report.extension_answered", "report.sent_back", "report.handled"]})
        assert hook.status_code == 201, hook.text
        platform.secret = hook.json()["secret"]
        dead = requests.post(server.base + "/api/v1/admin/webhooks", headers=admin, timeout=10,
                             json={"name": "broken", "url": silent.url, "events": ["report.submitted"]})
        assert dead.status_code == 201
        silent.secret = dead.json()["secret"]

        # The 12345 hotline: the call taker enters what the caller says; the caller gets a code.
        # The caller's own words go with it: the hotline system's recording, AMR (5 s).
        call_taker = token(server, "hotline.wang")
        recording = b"#!AMR\n" + b"".join(bytes([0x3C]) + bytes((n * 7 + k) % 256 for k in range(31)) for n in range(250))
        entered = requests.post(server.base + "/api/v1/staff/reports", headers=call_taker, timeout=10, data={
            "category": "occupying_road", "description": "市民来电：西瓜摊占了半条人行道", "slot_id": "CG-001-01",
            "contact_phone": "13800002222", "notify_sms": "true", "channel": "hotline"},
            files={"voice": ("call-0715.amr", recording, "audio/amr")})
        assert entered.status_code == 201, entered.text
        case, code = entered.json()["report_id"], entered.json()["tracking_code"]
        officer = token(server, "demo.officer.cg")
        assert "voice" not in server.get(f"/api/v1/reports/{case}").text
        assert server.get(f"/api/v1/reports/track/{code}").json()["voice_note"] == {"seconds": 5}
        note = server.get(f"/api/v1/reports/{case}", headers=officer).json()["voice_note"]
        assert note["media_type"] == "audio/amr" and note["seconds"] == 5
        played = requests.get(server.base + note["url"], headers=officer, timeout=10)
        assert played.status_code == 200 and played.content == recording and played.headers["Content-Type"] == "audio/amr"
        assert requests.get(server.base + note["url"], timeout=10).status_code == 401
        for action in ("accept", "dispatch"):
            step = requests.post(f"{server.base}/api/v1/reports/{case}/transitions", headers=officer, timeout=10,
                                 json={"action": action, "public_note": "已受理"})
            assert step.status_code == 200, step.text
        due = step.json()["due_at"]
        assert due.startswith("2026-07-15T11:00:"), due
        tracking = server.get(f"/api/v1/reports/track/{code}").json()
        assert "区执法中队将在" in tracking["next_step"] and tracking["channel"] == "hotline"

        # Nobody touches it; the server's clock passes the limit (a restart three hours on).
        restart("2026-07-15T12:00:00+08:00")
        admin, officer = token(server, "demo.admin"), token(server, "demo.officer.cg")
        wait_for(lambda: server.get(f"/api/v1/reports/{case}", headers=officer).json().get("escalated_at"), what="escalation")
        queue = requests.get(server.base + "/api/v1/admin/escalations", headers=admin, timeout=10).json()
        assert [item["report_id"] for item in queue["items"]] == [case]
        assert "已上报市城管委督办" in server.get(f"/api/v1/reports/track/{code}").json()["next_step"]

        # More time asked and given; then the squad sends it back as XG's, and the bureau re-dispatches it there.
        asked = requests.post(f"{server.base}/api/v1/reports/{case}/extensions", headers=officer, timeout=10,
                              json={"new_due_at": "2026-07-15T16:00:00+08:00", "reason": "摊主不在，等其返回"})
        assert asked.status_code == 201, asked.text
        answered = requests.post(f"{server.base}/api/v1/report-extensions/{asked.json()['extension_id']}/decision", headers=admin,
                                 timeout=10, json={"approve": True, "answer": "同意延期"})
        assert answered.status_code == 200 and answered.json()["status"] == "approved", answered.text
        sent = requests.post(f"{server.base}/api/v1/reports/{case}/transitions", headers=officer, timeout=10,
                             json={"action": "send_back", "reason": "wrong_district", "internal_note": "摊位在西固区一侧"})
        assert sent.status_code == 200 and sent.json()["status"] == "sent_back", sent.text
        again = requests.post(f"{server.base}/api/v1/reports/{case}/transitions", headers=admin, timeout=10,
                              json={"action": "dispatch", "district": "XG"})
        assert again.status_code == 200 and again.json()["district"] == "XG", again.text
        # The voice note goes with the case: now XG's squad plays it, CG's no longer.
        assert requests.get(server.base + note["url"], headers=token(server, "demo.officer.xg"), timeout=10).content == recording
        assert requests.get(server.base + note["url"], headers=officer, timeout=10).status_code == 403

        # The platform got every step, in order, signed, after failing twice.
        wanted = ["report.submitted", "report.accepted", "report.dispatched", "report.escalated", "report.extension_requested",
                  "report.extension_answered", "report.sent_back", "report.dispatched"]
        wait_for(lambda: len(platform.applied) == len(wanted), what="the platform's deliveries")
        assert platform.bad_signatures == 0
        firsts = [key for key, _ in platform.requests]
        assert firsts[0] == firsts[1] == firsts[2], "the first event until it was taken"
        in_order = [platform.applied[key]["type"] for key in sorted(platform.applied)]
        assert in_order == wanted, in_order
        assert all(event["entity_id"] == case for event in platform.applied.values())
        assert "13800002222" not in json.dumps(list(platform.applied.values()), ensure_ascii=False)

        # A receiver that never answers: three attempts, then the dead letters.
        def dead_letters():
            return requests.get(server.base + "/api/v1/admin/webhooks/dead-letters", headers=admin, timeout=10).json()["items"]
        wait_for(lambda: dead_letters(), timeout=60, what="the dead letter")
        letter = dead_letters()[0]
        assert letter["attempts"] == 3 and letter["event"]["type"] == "report.submitted"
        endpoints = {e["name"]: e for e in requests.get(server.base + "/api/v1/admin/webhooks", headers=admin, timeout=10).json()["items"]}
        assert endpoints["城市运行管理服务平台"]["delivered_count"] == len(wanted)
        assert "secret" not in endpoints["broken"]

        # A restart while a delivery is in flight: the event comes again, with the same key, and is applied once.
        platform.hold.clear()
        platform.arrived.clear()
        xg = token(server, "demo.officer.xg")
        handled = requests.post(f"{server.base}/api/v1/reports/{case}/transitions", headers=xg, timeout=10,
                                json={"action": "handle", "public_note": "已劝其收回摊位"})
        assert handled.status_code == 200, handled.text
        assert platform.arrived.wait(20), "the handled event was sent"
        in_flight = platform.requests[-1][0]
        restart("2026-07-15T13:00:00+08:00", sig=signal.SIGKILL)
        platform.hold.set()
        wait_for(lambda: [key for key, _ in platform.requests].count(in_flight) >= 2, timeout=40, what="the redelivery")
        time.sleep(1)
        assert len(platform.applied) == len(wanted) + 1
        assert platform.applied[in_flight]["type"] == "report.handled"

        # The caller asked to be told: the gateway was asked to text him each step that concerns him, in Chinese.
        def texts():
            return [message["message"] for _, message in gateway.requests if message["to"] == "13800002222"]
        for words in ("已立案", "已派遣至区执法中队", "已超过处置时限", "处置时限延长", "已处置"):
            wait_for(lambda: any(words in text for text in texts()), what=f"the text saying {words}")
        assert gateway.bad_signatures == 0
        sms = requests.get(server.base + "/api/v1/admin/sms", headers=admin, timeout=10)
        assert sms.status_code == 200 and "13800002222" not in sms.text and "138****2222" in sms.text

        # The events cursor lists the same steps, in the same order, for a platform that pulls.
        admin = token(server, "demo.admin")
        # Read as a platform would: page after page from the cursor (the morning's check-in reminders come first).
        items, cursor = [], ""
        while True:
            page = requests.get(server.base + f"/api/v1/admin/events?limit=500&after={cursor}", headers=admin, timeout=10).json()
            items += page["items"]
            if not page["items"]:
                break
            cursor = page["next_cursor"]
        assert [e["sequence"] for e in items] == list(range(1, len(items) + 1))
        assert any(e["type"] == "permit.checkin_reminder" for e in items)
        of_case = [e for e in items if e["entity_id"] == case]
        assert [e["type"] for e in of_case] == wanted + ["report.handled"]
        assert [e["id"] for e in of_case if e["type"] in wanted or e["type"] == "report.handled"] == sorted(platform.applied)
        rest = requests.get(server.base + f"/api/v1/admin/events?after={of_case[3]['id']}", headers=admin, timeout=10).json()
        assert rest["items"][0]["sequence"] == of_case[3]["sequence"] + 1

        # Anyone's feed reader: the stall's feed is Atom, with every public step of the case.
        feed = server.get("/feeds/stalls/CG-001-01.atom")
        assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(feed.content)
        assert root.tag == ATOM + "feed" and root.find(ATOM + "id") is not None and root.find(ATOM + "updated") is not None
        steps = [e.find(ATOM + "category").get("term") for e in root.findall(ATOM + "entry")
                 if f"report/{case}/" in e.find(ATOM + "id").text]
        for step in ("submit", "accept", "dispatch", "escalate", "approve_extension", "send_back", "handle"):
            assert step in steps, (step, steps)
        assert "13800002222" not in feed.text and "摊位在西固区一侧" not in feed.text
        # Each entry links to the case's public page, which is there.
        links = {e.find(ATOM + "link").get("href") for e in root.findall(ATOM + "entry") if f"report/{case}/" in e.find(ATOM + "id").text}
        assert len(links) == 1 and links.pop().endswith(f"/track.html?report={case}")
        assert requests.get(f"{server.base}/track.html?report={case}", timeout=10).status_code == 200
    finally:
        server.stop()
        platform.stop()
        silent.stop()
        gateway.stop()


def test_feedback_settings_out_of_range_stop_start_up_with_one_line(workdir):
    cases = {
        "--outbox-retention-days must be a whole number of days from 7 to 3650": ["--outbox-retention-days", "3"],
        "--webhook-attempts must be a whole number from 1 to 50": ["--webhook-attempts", "many"],
        "--sms-daily-cap must be a whole number from 1 to 100": ["--sms-gateway", "http://127.0.0.1:9/sms", "--sms-daily-cap", "0"],
        "--sms-gateway must be an http(s) address": ["--sms-gateway", "sms.example"],
    }
    for expected, flags in cases.items():
        done = run_cli("serve", "--port", str(free_port()), *flags, data=workdir / "data")
        assert done.returncode != 0, expected
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert any(expected in line for line in lines), (expected, done.stderr)
