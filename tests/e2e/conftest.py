"""End-to-end tests: the real `guatan` binary, started as an operator would start it."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def binary() -> Path:
    """The debug build `make test` produced (GUATAN_BIN overrides)."""
    path = Path(os.environ.get("GUATAN_BIN", ROOT / ".build" / "debug" / "guatan"))
    if not path.exists():
        pytest.fail(f"{path} not found: run `swift build` first (make test does)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `guatan serve` process on a loopback port and its own data folder."""

    def __init__(self, data: Path, *extra: str, env: dict | None = None, scheme: str = "http", ca: Path | None = None):
        self.data = data
        self.port = free_port()
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        # HTTPS is checked against the test's own certificate authority, never skipped.
        self.verify = str(ca) if ca else True
        self.log = data.parent / f"serve-{self.port}.log"
        self.args = [str(binary()), "serve", "--port", str(self.port), "--data", str(data), *extra]
        self.env = {**os.environ, **(env or {})}
        self.process = None

    def start(self, timeout: float = 30.0) -> "Server":
        self.log_file = open(self.log, "w")
        self.process = subprocess.Popen(self.args, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if requests.get(self.base + "/healthz", timeout=1, verify=self.verify).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start in {timeout} s:\n{self.log.read_text()}")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, timeout=10, verify=self.verify, **kwargs)

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log_file.close()

    def output(self) -> str:
        return self.log.read_text()


class Nginx:
    """Debian's nginx on loopback ports, running the deployment's site file (deploy/nginx/guatan.conf)
    in front of one or two instances."""

    SITE = ROOT / "deploy" / "nginx" / "guatan.conf"

    def __init__(self, folder: Path, upstreams: list[int], cert: Path, key: Path, host: str):
        self.folder = folder
        self.https_port, self.http_port = free_port(), free_port()
        site = self.SITE.read_text()
        second = f"server 127.0.0.1:{upstreams[1]};" if len(upstreams) > 1 else ""
        for production, here in {
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen [::]:80;": "",
            "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstreams[0]};",
            "# server 127.0.0.1:8081;": second,
            "/etc/letsencrypt/live/guatan.example.gov.cn/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/guatan.example.gov.cn/privkey.pem": str(key),
            "/var/www/letsencrypt": str(folder / "acme"),
            "guatan.example.gov.cn": host,
        }.items():
            assert production in site, f"deploy/nginx/guatan.conf no longer has {production!r}"
            site = site.replace(production, here)
        temp = "\n".join(f"    {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # As root, nginx's workers would run as nobody, who cannot read the test's folder.
        user = "user root;" if os.geteuid() == 0 else ""
        self.config = folder / "nginx.conf"
        self.config.write_text(f"""
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/access.log;
{temp}
{site}
}}
""")

    def start(self) -> "Nginx":
        checked = subprocess.run(["nginx", "-t", "-q", "-p", str(self.folder), "-c", str(self.config)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(["nginx", "-p", str(self.folder), "-c", str(self.config), "-g", "daemon off;"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError((self.folder / "error.log").read_text())

    def stop(self):
        self.process.send_signal(signal.SIGQUIT)
        self.process.wait(timeout=10)


class CertificateAuthority:
    """A certificate authority of the test's own, and server certificates it signs (openssl)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.cert = folder / "ca.pem"
        self.key = folder / "ca.key"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=Guatan test CA", "-keyout", self.key, "-out", self.cert)

    def issue(self, name: str, *hosts: str, days: int = 2) -> tuple[Path, Path]:
        """A certificate for `hosts` (names or IP addresses): (chain file, key file)."""
        key, csr, cert = self.folder / f"{name}.key", self.folder / f"{name}.csr", self.folder / f"{name}.pem"
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN={hosts[0]}",
                "-keyout", key, "-out", csr)
        alt = ",".join(("IP:" if h.replace(".", "").isdigit() or ":" in h else "DNS:") + h for h in hosts)
        extensions = self.folder / f"{name}.ext"
        extensions.write_text(f"subjectAltName={alt}\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-CAcreateserial", "-days", str(days),
                "-extfile", extensions, "-out", cert)
        return cert, key

    @staticmethod
    def spki_hash(key: Path) -> str:
        """The key's SPKI SHA-256 in base64, as Chromium's --ignore-certificate-errors-spki-list takes it."""
        public = openssl("pkey", "-in", key, "-pubout", "-outform", "DER").stdout
        import base64, hashlib
        return base64.b64encode(hashlib.sha256(public).digest()).decode()


def openssl(*args) -> subprocess.CompletedProcess:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    return done


def run_cli(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary()), *args, "--data", str(data)], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)


def postgres(command: str = "start") -> str:
    """The tests' throwaway PostgreSQL server (tests/postgres.sh): its URL for `start`."""
    done = subprocess.run([str(ROOT / "tests" / "postgres.sh"), command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", url, "-qAtc", sql], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def workdir():
    path = Path(tempfile.mkdtemp(prefix="guatan-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(workdir):
    s = Server(workdir / "data", "--now", "2026-07-15T09:00:00+08:00").start()
    yield s
    s.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves what the browser showed: a screenshot, the page, its console."""
    outcome = yield
    report = outcome.get_result()
    driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or driver is None:
        return
    folder = ROOT / "tests" / "e2e" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        driver.save_screenshot(str(folder / f"{item.name}.png"))
        (folder / f"{item.name}.html").write_text(driver.page_source)
        (folder / f"{item.name}.console.txt").write_text("\n".join(str(e) for e in driver.get_log("browser")))
    except Exception as error:  # the browser may be gone; the failure itself still reports
        (folder / f"{item.name}.error.txt").write_text(repr(error))
