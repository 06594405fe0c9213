"""一摊一码: a stall's printed code, read by a real decoder (zbarimg), leads to its page."""

import re
import subprocess

import requests
from PIL import Image

from conftest import Server


def scan(svg: str, path) -> str:
    """Prints the SVG as a phone camera would see it (8 px a module) and reads it with zbarimg."""
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (side * 8, side * 8), 255)
    for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", svg):
        image.paste(0, (int(x) * 8, int(y) * 8, int(x) * 8 + 8, int(y) * 8 + 8))
    image.save(path)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_scanned_stall_code_leads_to_the_stall_page(workdir):
    server = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        r = server.get("/api/v1/stalls/CG-001-02/code.svg")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
        url = scan(r.text, workdir / "code.png")
        assert url == server.base + "/s/CG-001-02"
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        stall = server.get("/api/v1/stalls/CG-001-02").json()
        assert "CG-001-02" in page.text and stall["site"]["name"] in page.text
        if stall.get("permit"):
            assert stall["permit"]["permit_no"] in page.text and stall["permit"]["holder_masked"] in page.text
        # The page is escaped text: the report form posts to the API.
        assert 'action="/api/v1/reports"' in page.text
        assert server.get("/api/v1/stalls/CG-999-01/code.svg").status_code == 404
        assert server.get("/s/CG-999-01").status_code == 404

        # The printable sheet of a site: one code per stall, each scanning to its own stall.
        sheet = server.get("/sites/CG-001/codes")
        assert sheet.status_code == 200
        svgs = re.findall(r"<svg.*?</svg>", sheet.text, re.S)
        slots = server.get("/api/v1/sites/CG-001").json()["slots"]
        assert len(svgs) == len(slots)
        assert scan(svgs[-1], workdir / "last.png") == server.base + "/s/" + slots[-1]["slot_id"]
    finally:
        server.stop()


def test_the_public_url_is_what_printed_codes_point_at(workdir):
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00", "--public-url", "https://guatan.lanzhou.example").start()
    try:
        answer = server.get("/api/v1/stalls/AN-001-01/code.svg")
        assert scan(answer.text, workdir / "an.png") == "https://guatan.lanzhou.example/s/AN-001-01"
        # One code for every host: a shared cache may keep it as it is.
        assert "Vary" not in answer.headers
        # Links in answers use it too (Open311's discovery names its endpoint by it).
        discovery = server.get("/open311/v2/discovery.json").json()
        assert [e["url"] for e in discovery["endpoints"]] == ["https://guatan.lanzhou.example/open311/v2"]
        # The sheet prints without a warning: the codes point at the public HTTPS address.
        assert "请勿打印" not in server.get("/sites/AN-001/codes").text
    finally:
        server.stop()


def test_without_a_public_url_codes_follow_the_host_and_the_sheet_says_what_to_set(workdir):
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        answer = server.get("/api/v1/stalls/AN-001-01/code.svg", headers={"Host": "stalls.example:8080"})
        assert scan(answer.text, workdir / "host.png") == "http://stalls.example:8080/s/AN-001-01"
        # Made from the Host header: a shared cache must keep one per host (and scheme).
        assert "Host" in answer.headers["Vary"] and "public" in answer.headers["Cache-Control"]
        sheet = server.get("/sites/AN-001/codes").text
        assert "请勿打印" in sheet and "--public-url https://" in sheet
    finally:
        server.stop()
    plain = Server(workdir / "plain", "--now", "2026-07-15T09:00:00+08:00", "--public-url", "http://guatan.lanzhou.example").start()
    try:
        sheet = plain.get("/sites/AN-001/codes").text
        assert "请勿打印" in sheet and "not HTTPS" in sheet
    finally:
        plain.stop()
