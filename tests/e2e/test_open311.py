"""Open311 GeoReport v2 from a running server: every JSON answer checked against the
Open311 community's JSON Schemas, and the `georeport` client from PyPI reading both formats."""

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import requests
from georeport import GeoReport
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from conftest import ROOT, Server

SCHEMAS = ROOT.parent / "shared" / "conformance" / "open311-georeport-v2"
KEY = "test-open311-key"


def validator(name):
    """A validator for one schema; `requests.json` refers to `request.json` relatively, so the
    schemas get URIs in one folder (the host is a name only: nothing is fetched)."""
    if not SCHEMAS.is_dir():
        pytest.skip(f"the Open311 conformance schemas are not at {SCHEMAS}")
    resources = [(f"https://open311.example/georeport-v2/{p.name}", Resource(contents=json.loads(p.read_text()), specification=DRAFT4))
                 for p in SCHEMAS.glob("*.json")]
    registry = Registry().with_resources(resources)
    return jsonschema.Draft4Validator({"$ref": f"https://open311.example/georeport-v2/{name}"}, registry=registry,
                                      format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def conforms(name, body):
    errors = list(validator(name).iter_errors(body))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def open311(workdir):
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00", "--open311-api-key", KEY).start()
    yield server
    server.stop()


def post(server, fmt="json", **fields):
    return requests.post(f"{server.base}/open311/v2/requests.{fmt}", data=fields, timeout=10)


def test_services_and_requests_conform_in_json(open311):
    base = open311.base + "/open311/v2"
    services = requests.get(base + "/services.json", timeout=10).json()
    conforms("services.json", services)
    assert {s["service_code"] for s in services} >= {"occupying_road", "hygiene", "short_weight", "suggestion"}
    conforms("service-definition.json", requests.get(base + "/services/hygiene.json", timeout=10).json())

    created = post(open311, api_key=KEY, service_code="hygiene", lat="36.0605", long="103.83", description="摊位旁有垃圾",
                   email="someone@example.com", first_name="三", last_name="张", phone="13900001111")
    assert created.status_code == 201, created.text
    answer = created.json()[0]
    request_id, token = answer["service_request_id"], answer["token"]
    on_stall = post(open311, api_key=KEY, service_code="short_weight", description="秤不准", **{"attribute[slot_id]": "AN-001-01"})
    assert on_stall.status_code == 201, on_stall.text

    listed = requests.get(base + "/requests.json", timeout=10).json()
    conforms("requests.json", listed)
    assert {r["service_request_id"] for r in listed} == {request_id, on_stall.json()[0]["service_request_id"]}
    single = requests.get(f"{base}/requests/{request_id}.json", timeout=10).json()
    conforms("requests.json", single)
    conforms("request.json", single[0])
    assert single[0]["status"] == "open" and single[0]["agency_responsible"].startswith("城关区")
    stall_case = next(r for r in listed if r["service_code"] == "short_weight")
    assert stall_case["address_id"] == "AN-001-01" and stall_case["agency_responsible"].startswith("安宁区")
    # Nothing personal is kept or shown: not the phone, not the name or e-mail.
    text = requests.get(base + "/requests.json", timeout=10).text
    for secret in ("13900001111", "someone@example.com"):
        assert secret not in text
    tokens = requests.get(f"{base}/tokens/{token}.json", timeout=10).json()
    assert tokens == [{"service_request_id": request_id, "token": token}]

    # Filters: service_code, status, the 90-day window, paging.
    assert [r["service_code"] for r in requests.get(base + "/requests.json?service_code=short_weight", timeout=10).json()] == ["short_weight"]
    assert requests.get(base + "/requests.json?status=closed", timeout=10).json() == []
    assert len(requests.get(base + "/requests.json?page_size=1&page=2", timeout=10).json()) == 1
    old = requests.get(base + "/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", timeout=10)
    assert old.status_code == 400 and old.json()[0]["code"] == 400 and "90 days" in old.json()[0]["description"]
    assert requests.get(base + "/requests.json?start_date=2026-07-01T00:00:00Z&end_date=2026-07-16T00:00:00Z", timeout=10).json()
    later = requests.get(base + "/requests.json?updated_after=2026-07-16T00:00:00%2B08:00", timeout=10).json()
    assert later == []


def test_errors_are_lists_of_code_and_description(open311):
    base = open311.base + "/open311/v2"
    no_key = post(open311, service_code="hygiene", lat="36.06", long="103.83", description="x")
    assert no_key.status_code == 403 and no_key.json()[0]["code"] == 403
    wrong_key = post(open311, "xml", api_key="guess", service_code="hygiene", lat="36.06", long="103.83", description="x")
    assert wrong_key.status_code == 403
    root = ET.fromstring(wrong_key.content)
    assert root.tag == "errors" and root.find("error/code").text == "403"
    bad = post(open311, api_key=KEY, service_code="fraud", lat="36.06", long="103.83", description="x")
    assert bad.status_code == 400 and "service_code" not in bad.json()[0] and bad.json()[0]["description"]
    assert requests.get(base + "/requests/R999999.json", timeout=10).status_code == 404
    assert requests.get(base + "/services/nope.xml", timeout=10).status_code == 404
    assert requests.get(base + "/services/hygiene.yaml", timeout=10).status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_requests(open311, fmt):
    assert post(open311, api_key=KEY, service_code="occupying_road", lat="36.0605", long="103.83", description="占道经营").status_code == 201
    client = GeoReport(open311.base + "/open311/v2", output_format=fmt)
    services = client.get_service_list()
    assert len(services) == 9
    assert {s["service_code"] for s in services} >= {"occupying_road", "hygiene"}
    definition = client.get_service_definition("hygiene")
    assert definition["service_code"] == "hygiene"
    found = client.get_service_requests(service_code="occupying_road", status="open")
    found = found if isinstance(found, list) else [found]  # xmltodict gives one item as a dict
    assert [r["service_code"] for r in found] == ["occupying_road"]
    one = client.get_service_request(found[0]["service_request_id"])
    assert one["status"] == "open" and one["service_name"] == "占道/超出摊位"


def test_the_schemas_catch_a_wrong_answer():
    with pytest.raises(AssertionError):
        conforms("request.json", {"service_request_id": "R000001", "status": "pending", "service_code": "hygiene",
                                  "requested_datetime": "2026-07-15T09:00:00+08:00"})
    with pytest.raises(AssertionError):
        conforms("requests.json", [{"status": "open"}])
    with pytest.raises(AssertionError):
        conforms("services.json", [{"service_code": "hygiene", "service_name": "卫生", "metadata": "yes", "type": "realtime"}])


def test_xml_answers_are_well_formed_whatever_the_citizen_typed(open311):
    typed = '<script>alert("x")</script> & 瓜 > 5元'
    created = post(open311, "xml", api_key=KEY, service_code="other", lat="36.0605", long="103.83", description=typed)
    assert created.status_code == 201, created.text
    request_id = ET.fromstring(created.content).find("request/service_request_id").text
    root = ET.fromstring(requests.get(f"{open311.base}/open311/v2/requests/{request_id}.xml", timeout=10).content)
    assert root.tag == "service_requests"
    assert root.find("request/description").text == typed
    assert root.find("request/status").text == "open"
