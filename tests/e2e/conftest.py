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

    def __init__(self, data: Path, *extra: str, env: dict | None = None):
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
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
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start in {timeout} s:\n{self.log.read_text()}")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, timeout=10, **kwargs)

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


def run_cli(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary()), *args, "--data", str(data)], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)


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
