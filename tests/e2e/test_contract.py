"""Every answer of a running server matches the OpenAPI document's schema for it."""

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import ROOT

DOCUMENT = yaml.safe_load((ROOT / "public" / "openapi.yaml").read_text(encoding="utf-8"))
BASE = "urn:guatan:openapi"
REGISTRY = Registry().with_resource(BASE, Resource(contents=DOCUMENT, specification=DRAFT202012))


def pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validator_for(template: str, status: int, media: str) -> jsonschema.Draft202012Validator:
    """The schema the document gives for this answer; its internal $refs resolve against the document."""
    response = DOCUMENT["paths"][template]["get"]["responses"][str(status)]
    if "$ref" in response:
        base = ["components", "responses", response["$ref"].rsplit("/", 1)[-1]]
    else:
        base = ["paths", template, "get", "responses", str(status)]
    return jsonschema.Draft202012Validator({"$ref": f"{BASE}#/" + pointer(*base, "content", media, "schema")}, registry=REGISTRY)


def check(server, template: str, uri: str, status: int = 200, media: str = "application/json"):
    r = server.get(uri)
    assert r.status_code == status, f"{uri}: {r.status_code} {r.text[:200]}"
    assert r.headers["Content-Type"].startswith(media)
    errors = list(validator_for(template, status, media).iter_errors(r.json()))
    assert not errors, f"{uri}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return r.json()


def test_the_validator_catches_a_wrong_answer():
    v = validator_for("/api/v1/districts", 200, "application/json")
    assert list(v.iter_errors({"items": [{"code": "CG"}], "total": 1, "page": 1, "per_page": 1}))
    assert list(v.iter_errors({"items": [], "total": -1, "page": 1, "per_page": 1}))


@pytest.mark.parametrize("template,uri", [
    ("/healthz", "/healthz"),
    ("/api/v1/districts", "/api/v1/districts"),
    ("/api/v1/seasons/current", "/api/v1/seasons/current"),
    ("/api/v1/sites", "/api/v1/sites"),
    ("/api/v1/sites", "/api/v1/sites?district=AN&per_page=500&crs=gcj02"),
    ("/api/v1/sites", "/api/v1/sites?q=%E5%B0%8F%E5%8C%BA"),
    ("/api/v1/sites/{site_id}", "/api/v1/sites/AN-001"),
    ("/api/v1/stalls/{slot_id}", "/api/v1/stalls/CG-001-01"),
    ("/api/v1/stalls/nearby", "/api/v1/stalls/nearby?lat=36.0605&lng=103.83&radius_m=2000&limit=200"),
])
def test_answers_match_the_document(server, template, uri):
    check(server, template, uri)


def test_map_matches_the_document(server):
    check(server, "/api/v1/map.geojson", "/api/v1/map.geojson", media="application/geo+json")
    check(server, "/api/v1/map.geojson", "/api/v1/map.geojson?bbox=103.80,36.03,103.86,36.07", media="application/geo+json")


@pytest.mark.parametrize("template,uri,status", [
    ("/api/v1/sites", "/api/v1/sites?page=0", 400),
    ("/api/v1/sites/{site_id}", "/api/v1/sites/NOPE", 404),
    ("/api/v1/stalls/{slot_id}", "/api/v1/stalls/NOPE", 404),
    ("/api/v1/stalls/nearby", "/api/v1/stalls/nearby?lat=95&lng=103", 400),
    ("/api/v1/map.geojson", "/api/v1/map.geojson?bbox=x", 400),
])
def test_errors_match_the_document(server, template, uri, status):
    body = check(server, template, uri, status=status)
    assert body["error"]["code"] in ("VALIDATION_FAILED", "NOT_FOUND")


def validate_post(template: str, status: int, body) -> None:
    response = DOCUMENT["paths"][template]["post"]["responses"][str(status)]
    if "$ref" in response:
        base = ["components", "responses", response["$ref"].rsplit("/", 1)[-1]]
    else:
        base = ["paths", template, "post", "responses", str(status)]
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"{BASE}#/" + pointer(*base, "content", "application/json", "schema")}, registry=REGISTRY)
    errors = list(validator.iter_errors(body))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_sign_in_answers_match_the_document(server):
    import requests
    from conftest import run_cli
    assert run_cli("user", "add", "--username", "chief", "--role", "admin", "--password-stdin",
                   data=server.data, stdin="melon season 2026\n").returncode == 0
    login = requests.post(server.base + "/api/v1/auth/login", json={"username": "chief", "password": "melon season 2026"}, timeout=10)
    validate_post("/api/v1/auth/login", 200, login.json())
    bad = requests.post(server.base + "/api/v1/auth/login", json={"username": "chief", "password": "wrong password"}, timeout=10)
    assert bad.status_code == 401
    validate_post("/api/v1/auth/login", 401, bad.json())
    headers = {"Authorization": "Bearer " + login.json()["token"]}
    me = requests.get(server.base + "/api/v1/me", headers=headers, timeout=10)
    errors = list(validator_for("/api/v1/me", 200, "application/json").iter_errors(me.json()))
    assert not errors
    created = requests.post(server.base + "/api/v1/admin/users", headers=headers, timeout=10,
                            json={"username": "xg.sun", "password": "apricots of xigu", "role": "officer", "district": "XG"})
    assert created.status_code == 201
    validate_post("/api/v1/admin/users", 201, created.json())


def test_public_answers_carry_no_personal_data(server):
    for uri in ["/api/v1/map.geojson", "/api/v1/sites?per_page=500", "/api/v1/stalls/CG-001-01",
                "/api/v1/stalls/nearby?lat=36.0605&lng=103.83&limit=200"]:
        text = server.get(uri).text.lower()
        for word in ("phone", "id_card", "password", "token", "hash", "contact"):
            assert word not in text, f"{word} in {uri}"


def test_a_stall_with_a_permit_shows_it_publicly_without_personal_data(server):
    import time

    import requests
    from conftest import run_cli
    assert run_cli("user", "add", "--username", "chief", "--role", "admin", "--password-stdin",
                   data=server.data, stdin="melon season 2026\n").returncode == 0
    token = requests.post(server.base + "/api/v1/auth/login", timeout=10,
                          json={"username": "chief", "password": "melon season 2026"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    farmer = {"name": "王小二", "phone": "13700002222", "id_card_no": "620102198006151230", "origin": "皋兰县什川镇",
              "vehicle_plate": "甘A54321", "produce": ["软儿梨"], "username": "wang2", "password": "pears of shichuan"}
    vendor = requests.post(server.base + "/api/v1/admin/vendors", json=farmer, headers=auth, timeout=10)
    assert vendor.status_code == 201, vendor.text
    permit = requests.post(server.base + "/api/v1/admin/permits", headers=auth, timeout=10,
                           json={"vendor_id": vendor.json()["vendor_id"], "slot_id": "QLH-001-01", "issue": True})
    assert permit.status_code == 201, permit.text
    validate_post("/api/v1/admin/permits", 201, permit.json())
    number = permit.json()["permit_no"]
    verify = check(server, "/api/v1/permits/verify/{permit_no}", f"/api/v1/permits/verify/{number}")
    assert verify["valid"] is True and verify["holder_masked"] == "王**"
    time.sleep(1.2)  # the map snapshot checks for changes once a second
    stall = check(server, "/api/v1/stalls/{slot_id}", "/api/v1/stalls/QLH-001-01")
    assert stall["status_today"] == "assigned"
    for uri in ["/api/v1/map.geojson", "/api/v1/stalls/QLH-001-01", f"/api/v1/permits/verify/{number}",
                "/api/v1/sites/QLH-001", "/api/v1/stalls/nearby?lat=36.06&lng=103.79&radius_m=5000&limit=200"]:
        text = server.get(uri).text
        for secret in ("王小二", "13700002222", "620102198006151230", "id_card_last4", "甘A54321", "token", "hash"):
            assert secret not in text, f"{secret} in {uri}"


def test_checkin_and_application_answers_match_the_document(workdir):
    import re

    import requests
    from conftest import Server
    server = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        out = server.output()
        waiting = re.search(r"vendor\s+(demo\.\S+)\s+\(slot \S+: permit issued, not checked in yet", out).group(1)
        login = requests.post(server.base + "/api/v1/auth/login", timeout=30,
                              json={"username": waiting, "password": "guatan-demo-2026"}).json()
        auth = {"Authorization": "Bearer " + login["token"]}
        permit = requests.get(server.base + "/api/v1/me/permits", headers=auth, timeout=10).json()["items"][0]
        position = server.get(f"/api/v1/stalls/{permit['slot_id']}").json()["position"]
        far = requests.post(server.base + "/api/v1/checkins", headers=auth, timeout=10,
                            json={"lat": position["lat"] + 0.01, "lng": position["lng"], "accuracy_m": 10})
        assert far.status_code == 422
        validate_post("/api/v1/checkins", 422, far.json())
        first = requests.post(server.base + "/api/v1/checkins", headers=auth, timeout=10, json={**position, "accuracy_m": 10, "crs": "wgs84"})
        assert first.status_code == 201
        validate_post("/api/v1/checkins", 201, first.json())
        again = requests.post(server.base + "/api/v1/checkins", headers=auth, timeout=10, json={**position, "accuracy_m": 10})
        validate_post("/api/v1/checkins", 200, again.json())
        out_ = requests.post(server.base + "/api/v1/checkins/today/checkout", headers=auth, timeout=10)
        validate_post("/api/v1/checkins/today/checkout", 200, out_.json())
        history = requests.get(server.base + "/api/v1/me/checkins", headers=auth, timeout=10)
        assert not list(validator_for("/api/v1/me/checkins", 200, "application/json").iter_errors(history.json()))

        # An application from a vendor without a live permit: a fresh one registered by the admin.
        admin = {"Authorization": "Bearer " + requests.post(server.base + "/api/v1/auth/login", timeout=30,
                 json={"username": "demo.admin", "password": "guatan-demo-2026"}).json()["token"]}
        farmer = {"name": "赵六", "phone": "13600006666", "id_card_no": "620102198006151230", "origin": "榆中县青城镇",
                  "vehicle_plate": "甘A66666", "produce": ["白兰瓜"], "username": "zhaoliu", "password": "melons of qingcheng"}
        assert requests.post(server.base + "/api/v1/admin/vendors", json=farmer, headers=admin, timeout=10).status_code == 201
        zhao = {"Authorization": "Bearer " + requests.post(server.base + "/api/v1/auth/login", timeout=30,
                json={"username": "zhaoliu", "password": "melons of qingcheng"}).json()["token"]}
        jpeg = bytes([0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0,
                      0xFF, 0xDA, 0, 3, 1, 0x11, 0xFF, 0xD9])
        free_site = next(f["properties"]["site_id"] for f in server.get("/api/v1/map.geojson").json()["features"]
                         if f["properties"]["assigned_count"] < f["properties"]["slot_count"])
        applied = requests.post(server.base + "/api/v1/permit-applications", headers=zhao, timeout=10,
                                data={"site_id": free_site, "produce": "白兰瓜、西瓜", "expected_kg": "1200"},
                                files={"certificate": ("证明.jpg", jpeg, "image/jpeg")})
        assert applied.status_code == 201, applied.text
        validate_post("/api/v1/permit-applications", 201, applied.json())
        assert applied.json()["produce"] == ["白兰瓜", "西瓜"]
        listed = requests.get(server.base + "/api/v1/permits?state=requested&per_page=200", headers=admin, timeout=10)
        assert not list(validator_for("/api/v1/permits", 200, "application/json").iter_errors(listed.json()))
        assert applied.json()["permit_no"] in [p["permit_no"] for p in listed.json()["items"]]
        today = requests.get(server.base + "/api/v1/officer/checkins?per_page=500", headers=admin, timeout=10)
        assert not list(validator_for("/api/v1/officer/checkins", 200, "application/json").iter_errors(today.json()))
        assert today.json()["total"] > 100
    finally:
        server.stop()


def test_report_answers_match_the_document(server):
    import requests
    created = requests.post(server.base + "/api/v1/reports", timeout=10, json={
        "category": "occupying_road", "description": "占了盲道", "slot_id": "CG-001-01", "contact_phone": "13912345678"})
    assert created.status_code == 201
    validate_post("/api/v1/reports", 201, created.json())
    report_id, code = created.json()["report_id"], created.json()["tracking_code"]
    check(server, "/api/v1/reports", "/api/v1/reports?slot_id=CG-001-01")
    check(server, "/api/v1/reports/{report_id}", f"/api/v1/reports/{report_id}")
    check(server, "/api/v1/reports/track/{tracking_code}", f"/api/v1/reports/track/{code}")
    check(server, "/api/v1/report-categories", "/api/v1/report-categories")
    check(server, "/api/v1/reports", "/api/v1/reports?status=lost", status=400)
    early = requests.post(server.base + f"/api/v1/reports/track/{code}/rating", json={"score": 5}, timeout=10)
    assert early.status_code == 409
    validate_post("/api/v1/reports/track/{tracking_code}/rating", 409, early.json())
    limited = None
    for _ in range(12):
        limited = requests.post(server.base + "/api/v1/reports", timeout=10, json={
            "category": "suggestion", "description": "建议多设摊位", "lat": 36.0605, "lng": 103.83})
        if limited.status_code == 429:
            break
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    validate_post("/api/v1/reports", 429, limited.json())
