"""HTTPS as a city runs it, in a real browser.

nginx runs deploy/nginx/guatan.conf (changed only in its names, ports and certificate paths) in
front of the real binary; a second setup has the binary serve HTTPS itself with --tls-cert.
Headless Chromium reaches both as https://guatan.test (mapped to 127.0.0.1, the certificate
signed by the test's own authority), which is a secure context only because it is HTTPS: the
vendor's check-in and the citizen's "near me" run the browser's real navigator.geolocation.
"""

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ROOT, CertificateAuthority, Nginx, Server, binary, free_port
from test_pages import NOW, make_browser, place, sign_in, text_in, visible, wait

HOST = "guatan.test"
# Another name for the plain-HTTP contrast: guatan.test is HTTPS-only once its HSTS is seen.
PLAIN_HOST = "plain-guatan.test"


@pytest.fixture(scope="module")
def authority():
    folder = Path(tempfile.mkdtemp(prefix="guatan-tls-"))
    yield CertificateAuthority(folder)
    shutil.rmtree(folder, ignore_errors=True)


def browser_for(authority, key: Path):
    """Chromium that finds guatan.test on this machine and trusts exactly the test's server key."""
    return make_browser(
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP {PLAIN_HOST} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={CertificateAuthority.spki_hash(key)}")


def negotiated(port: int, authority, alpn=("h2", "http/1.1"), maximum=None) -> str:
    """The application protocol the server chooses in a real handshake."""
    context = ssl.create_default_context(cafile=str(authority.cert))
    context.set_alpn_protocols(list(alpn))
    if maximum:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = maximum
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=HOST) as tls:
            return tls.selected_alpn_protocol()


def served_serial(port: int, authority) -> int:
    context = ssl.create_default_context(cafile=str(authority.cert))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=HOST) as tls:
            der = tls.getpeercert(binary_form=True)
    done = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der, capture_output=True, check=True)
    return int(done.stdout.decode().strip().split("=")[1], 16)


def file_serial(cert: Path) -> int:
    done = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-serial"], capture_output=True, check=True, text=True)
    return int(done.stdout.strip().split("=")[1], 16)


@pytest.fixture(scope="module")
def behind_nginx(authority):
    folder = Path(tempfile.mkdtemp(prefix="guatan-nginx-"))
    cert, key = authority.issue("nginx", HOST, "127.0.0.1")
    upstream = Server(folder / "data", "--demo", "--now", NOW, "--report-rate", "0", "--trusted-proxy", "127.0.0.1")
    proxy = Nginx(folder, [upstream.port], cert, key, HOST)
    upstream.args += ["--public-url", f"https://{HOST}:{proxy.https_port}"]
    upstream.start(timeout=60)
    proxy.start()
    yield upstream, proxy, key
    proxy.stop()
    upstream.stop()
    shutil.rmtree(folder, ignore_errors=True)


def check_in_and_find_nearby(browser, base: str, api: str, ca: str):
    """The vendor checks in at his stall and a citizen asks for stalls near her, both by the
    browser's own geolocation, over `base` (an https://guatan.test address)."""
    at = requests.get(f"{api}/api/v1/stalls/AN-001-03", timeout=10, verify=ca).json()["position"]
    browser.get(base + "/vendor.html")
    assert browser.execute_script("return window.isSecureContext && location.protocol") == "https:"
    sign_in(browser, "demo.v0003")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    place(browser, base, at["lat"], at["lng"])
    # The page asks the browser, exactly as on a phone.
    found = browser.execute_async_script(
        "const done = arguments[0]; navigator.geolocation.getCurrentPosition("
        "p => done([p.coords.latitude, p.coords.longitude]), e => done('error ' + e.code))")
    assert found == pytest.approx([at["lat"], at["lng"]]), found
    browser.find_element(By.ID, "check-in").click()
    text_in(browser, "#result", "已打卡")

    browser.get(base + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    browser.find_element(By.ID, "near-me").click()
    visible(browser, "#nearby li[data-slot] a")
    assert "AN-001-03" in browser.find_element(By.ID, "nearby").get_attribute("innerHTML")
    assert "米" in browser.find_element(By.ID, "nearby").text


def vendor_of(server_base: str, slot_id: str, verify) -> str:
    return requests.get(f"{server_base}/api/v1/stalls/{slot_id}", timeout=10, verify=verify).json()["status_today"]


def test_behind_nginx_the_vendor_checks_in_and_a_citizen_finds_stalls_over_https(behind_nginx, authority):
    upstream, proxy, key = behind_nginx
    base = f"https://{HOST}:{proxy.https_port}"
    direct = f"https://127.0.0.1:{proxy.https_port}"
    ca = str(authority.cert)

    # HTTP/2 by ALPN, Strict-Transport-Security once (Guatan's, as X-Forwarded-Proto says https).
    assert negotiated(proxy.https_port, authority) == "h2"
    answer = requests.get(direct + "/api/v1/seasons/current", timeout=10, verify=ca)
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert answer.raw.headers.getlist("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]
    # Plain HTTP is sent to HTTPS, path and query kept.
    plain = requests.get(f"http://127.0.0.1:{proxy.http_port}/s/QLH-001-02?from=poster", headers={"Host": HOST},
                         allow_redirects=False, timeout=10)
    assert plain.status_code == 308 and plain.headers["Location"] == f"https://{HOST}/s/QLH-001-02?from=poster"
    # nginx does not compress again: Guatan's own gzip and its ETag pass through.
    map_answer = requests.get(direct + "/api/v1/map.geojson", headers={"Accept-Encoding": "gzip"}, timeout=10, verify=ca)
    assert map_answer.headers["Content-Encoding"] == "gzip" and map_answer.headers["ETag"].endswith('-gzip"')
    # The operations figures stay on the machine.
    assert requests.get(direct + "/metrics", timeout=10, verify=ca).status_code == 404
    # Bodies up to the largest report reach Guatan (its own 413 in JSON); beyond, nginx refuses.
    too_big = requests.post(direct + "/api/v1/reports", data=b"x" * (17 << 20),
                            headers={"Content-Type": "application/octet-stream"}, timeout=30, verify=ca)
    assert too_big.status_code == 413
    assert requests.post(direct + "/api/v1/reports", data=b"x" * (15_800_000), headers={"Content-Type": "application/json"},
                         timeout=30, verify=ca).json()["error"]["code"] == "TOO_LARGE"
    # Codes printed from here point at the public HTTPS address.
    assert f"{base}/s/QLH-001-02" in requests.get(direct + "/sites/QLH-001/codes", timeout=10, verify=ca).text

    browser = browser_for(authority, key)
    try:
        check_in_and_find_nearby(browser, base, direct, ca)
        assert vendor_of(direct, "AN-001-03", ca) == "open"
        # The same page over plain HTTP from a name that is not localhost is no secure context:
        # the browser gives it no position, and the page says so in words.
        browser.get(f"http://{PLAIN_HOST}:{upstream.port}/vendor.html")
        assert browser.execute_script("return window.isSecureContext") is False
        sign_in(browser, "demo.v0004")
        wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        browser.find_element(By.ID, "check-in").click()
        text_in(browser, "#result", "拿不到您的位置")
    finally:
        browser.quit()


def test_with_its_own_certificate_the_service_serves_https_redirects_and_reloads(authority, workdir):
    cert, key = authority.issue("direct", HOST, "127.0.0.1")
    live_cert, live_key = workdir / "fullchain.pem", workdir / "privkey.pem"
    shutil.copy(cert, live_cert)
    shutil.copy(key, live_key)
    redirect = free_port()
    server = Server(workdir / "data", "--demo", "--now", NOW, "--report-rate", "0", "--tls-cert", str(live_cert),
                    "--tls-key", str(live_key), "--redirect-http-port", str(redirect), scheme="https", ca=authority.cert)
    server.start(timeout=60)
    try:
        base = f"https://{HOST}:{server.port}"
        assert negotiated(server.port, authority) == "h2"
        assert negotiated(server.port, authority, alpn=("http/1.1",)) == "http/1.1"
        assert negotiated(server.port, authority, maximum=ssl.TLSVersion.TLSv1_2) == "h2"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # an old client is the point
            with pytest.raises(ssl.SSLError):
                negotiated(server.port, authority, maximum=ssl.TLSVersion.TLSv1_1)
        answer = server.get("/api/v1/districts")
        assert answer.status_code == 200 and "max-age=31536000" in answer.headers["Strict-Transport-Security"]
        assert "max-age" in server.get("/no/such/page").headers["Strict-Transport-Security"]
        moved = requests.post(f"http://127.0.0.1:{redirect}/api/v1/reports?x=1", json={}, allow_redirects=False, timeout=10)
        assert moved.status_code == 308 and moved.headers["Location"] == f"https://127.0.0.1:{server.port}/api/v1/reports?x=1"

        browser = browser_for(authority, key)
        try:
            check_in_and_find_nearby(browser, base, server.base, str(authority.cert))
            assert vendor_of(server.base, "AN-001-03", str(authority.cert)) == "open"
        finally:
            browser.quit()

        # Renewal: the new pair is read on SIGHUP; a connection opened before goes on.
        context = ssl.create_default_context(cafile=str(authority.cert))
        kept = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
        kept.request("GET", "/healthz")
        assert kept.getresponse().read() == b'{"status":"ok"}'
        old_serial = served_serial(server.port, authority)
        renewed, renewed_key = authority.issue("renewed", HOST, "127.0.0.1")
        assert file_serial(renewed) != old_serial
        shutil.copy(renewed, live_cert)
        shutil.copy(renewed_key, live_key)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while served_serial(server.port, authority) != file_serial(renewed) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert served_serial(server.port, authority) == file_serial(renewed)
        kept.request("GET", "/healthz")
        assert kept.getresponse().status == 200, "the connection opened before the reload was dropped"
        kept.close()

        # A broken renewal is refused and the pair in use stays.
        live_cert.write_text("not a certificate\n")
        server.process.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert server.process.poll() is None
        assert served_serial(server.port, authority) == file_serial(renewed)
        assert "TLS certificate not reloaded" in server.output()
    finally:
        server.stop()


def test_a_certificate_that_cannot_serve_stops_start_up_with_one_clear_line(authority, workdir):
    cert, key = authority.issue("good", HOST)
    _, other_key = authority.issue("other", HOST)
    expired, expired_key = authority.issue("expired", HOST, days=0)
    time.sleep(1.1)
    cases = {
        "does not belong to the certificate": ["--tls-cert", cert, "--tls-key", other_key],
        "does not exist": ["--tls-cert", workdir / "missing.pem", "--tls-key", key],
        "holds no valid PEM certificate": ["--tls-cert", key, "--tls-key", key],
        "holds no valid PEM private key": ["--tls-cert", cert, "--tls-key", cert],
        "expired": ["--tls-cert", expired, "--tls-key", expired_key],
        "needs --tls-key": ["--tls-cert", cert],
        "needs --tls-cert": ["--redirect-http-port", "8081"],
    }
    for expected, flags in cases.items():
        done = subprocess.run([str(binary()), "serve", "--data", str(workdir / "data"), "--port", str(free_port()), *map(str, flags)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0, expected
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert any(expected in line for line in lines), (expected, done.stderr)
        if "--tls-key" not in expected and "--tls-cert" not in expected:
            assert len(lines) == 1, done.stderr
    # Nothing was started, so nothing was written: no data folder for a refused start.
    assert not (workdir / "data").exists()
