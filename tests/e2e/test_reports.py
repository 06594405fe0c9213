"""Citizen reports through the real server, with real image files."""

import io

import piexif
import requests
from PIL import Image

from conftest import Server


def jpeg_with_gps() -> bytes:
    """A real photo as a phone takes it: a JPEG whose EXIF names the camera and where it was."""
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"Huawei", piexif.ImageIFD.Model: b"Mate 60"},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((36, 1), (3, 1), (40, 1)),
                piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((103, 1), (50, 1), (3, 1))},
    })
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三 13912345678")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 120, 0)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_a_photo_with_gps_exif_is_served_without_any_metadata(workdir):
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        photo = jpeg_with_gps()
        assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825), "the test photo carries GPS"
        created = requests.post(server.base + "/api/v1/reports", timeout=10,
                                data={"category": "occupying_road", "description": "三轮车占了盲道", "slot_id": "CG-001-01"},
                                files=[("photo", ("IMG_0001.jpg", photo, "image/jpeg")),
                                       ("photo", ("note.png", png_with_text(), "image/png"))])
        assert created.status_code == 201, created.text
        report = server.get(f"/api/v1/reports/{created.json()['report_id']}").json()
        assert len(report["photos"]) == 2
        served = server.get(report["photos"][0])
        assert served.headers["Content-Type"] == "image/jpeg"
        assert "immutable" in served.headers["Cache-Control"]
        image = Image.open(io.BytesIO(served.content))
        assert image.size == (64, 48)
        assert not image.getexif(), "no EXIF at all"
        for secret in (b"Exif", b"Huawei", b"Mate 60"):
            assert secret not in served.content
        png = server.get(report["photos"][1])
        assert png.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).size == (32, 32)
        assert "13912345678".encode() not in png.content and "张三".encode() not in png.content
        # What is on disk is the cleaned photo too.
        for stored in (workdir / "data" / "photos").iterdir():
            assert b"Huawei" not in stored.read_bytes()
    finally:
        server.stop()


def test_a_file_that_only_claims_to_be_a_jpeg_and_one_too_large_are_refused(workdir):
    server = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        fields = {"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}
        fake = requests.post(server.base + "/api/v1/reports", data=fields, timeout=10,
                             files={"photo": ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")})
        assert fake.status_code == 415 and fake.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
        big = io.BytesIO()
        Image.effect_noise((2600, 2600), 100).convert("RGB").save(big, "PNG")
        assert big.tell() > 5 * 1024 * 1024
        large = requests.post(server.base + "/api/v1/reports", data=fields, timeout=30,
                              files={"photo": ("big.png", big.getvalue(), "image/png")})
        assert large.status_code == 413 and large.json()["error"]["code"] == "TOO_LARGE"
        # Nothing was stored for the refused ones.
        assert requests.get(server.base + "/api/v1/reports", timeout=10).json()["total"] == 0
    finally:
        server.stop()


def test_no_public_answer_carries_a_reporters_contact(workdir):
    server = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        phone = "13855556666"
        created = requests.post(server.base + "/api/v1/reports", timeout=10, json={
            "category": "short_weight", "description": f"秤不准，请回电 {phone}", "slot_id": "CG-001-01", "contact_phone": phone})
        assert created.status_code == 201
        report_id, code = created.json()["report_id"], created.json()["tracking_code"]
        for uri in [f"/api/v1/reports/{report_id}", "/api/v1/reports", "/api/v1/reports?slot_id=CG-001-01",
                    f"/api/v1/reports/track/{code}", "/api/v1/stalls/CG-001-01", "/api/v1/map.geojson"]:
            assert phone not in server.get(uri).text, uri
        officer = {"Authorization": "Bearer " + requests.post(server.base + "/api/v1/auth/login", timeout=30,
                   json={"username": "demo.officer.cg", "password": "guatan-demo-2026"}).json()["token"]}
        staff = requests.get(server.base + f"/api/v1/reports/{report_id}", headers=officer, timeout=10).json()
        assert staff["contact_phone"] == phone
    finally:
        server.stop()


def test_an_inspection_with_a_photo_settles_a_case(workdir):
    server = Server(workdir / "data", "--demo", "--now", "2026-07-15T09:00:00+08:00").start()
    try:
        officer = {"Authorization": "Bearer " + requests.post(server.base + "/api/v1/auth/login", timeout=30,
                   json={"username": "demo.officer.cg", "password": "guatan-demo-2026"}).json()["token"]}
        report = requests.post(server.base + "/api/v1/reports", timeout=10, json={
            "category": "occupying_road", "description": "占了盲道", "slot_id": "CG-001-01"}).json()
        for action in ("accept", "dispatch"):
            r = requests.post(server.base + f"/api/v1/reports/{report['report_id']}/transitions", headers=officer, timeout=10,
                              json={"action": action})
            assert r.status_code == 200, r.text
        inspected = requests.post(server.base + "/api/v1/inspections", headers=officer, timeout=10,
                                  data={"slot_id": "CG-001-01", "result": "violation", "violations": "outside_boundary",
                                        "note": "摊位超出划线", "lat": "36.0605", "lng": "103.83", "crs": "gcj02",
                                        "resolves_reports": report["report_id"]},
                                  files={"photo": ("IMG_0002.jpg", jpeg_with_gps(), "image/jpeg")})
        assert inspected.status_code == 201, inspected.text
        body = inspected.json()
        assert body["points_deducted"] == 3 and body["violations"] == ["outside_boundary"]
        # Inspection photos are the officers' record: the public is told there is none.
        assert server.get(body["photos"][0]).status_code == 404
        photo = server.get(body["photos"][0], headers=officer)
        assert photo.status_code == 200 and photo.headers["Cache-Control"] == "private, no-store" and b"Huawei" not in photo.content and not Image.open(io.BytesIO(photo.content)).getexif()
        case = server.get(f"/api/v1/reports/{report['report_id']}").json()
        assert case["status"] == "handled" and body["inspection_id"] in case["timeline"][-1]["public_note"]
        stall = server.get("/api/v1/stalls/CG-001-01").json()
        assert stall["last_inspection"] == {"date": "2026-07-15", "result": "violation"}
    finally:
        server.stop()
