"""The web pages in a real browser (headless Chromium, phone-sized), each role's main path.

The server runs the demo population at a summer evening. Screenshots go to the test's folder
on failure (see conftest.py); `GUATAN_SCREENSHOTS=docs/screenshots` also keeps one of each
page for the README.
"""

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import requests
from PIL import Image

from conftest import ROOT, Server, run_cli

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NOW = "2026-08-10T18:30:00+08:00"
PASSWORD = "guatan-demo-2026"
PHONE = {"width": 360, "height": 740}


def start(workdir: Path, name: str, *extra: str) -> Server:
    return Server(workdir / name, "--demo", "--now", NOW, "--report-rate", "0", *extra).start(timeout=60)


@pytest.fixture(scope="module")
def site():
    """One demo server for the module: Leaflet from Debian when installed, no tiles."""
    folder = Path(tempfile.mkdtemp(prefix="guatan-pages-"))
    server = start(folder, "data")
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def season():
    """A generated season up to the evening of 10 August: the dashboard has a summer to show."""
    folder = Path(tempfile.mkdtemp(prefix="guatan-season-"))
    made = run_cli("generate-season", "--season", "2026", "--through", "2026-08-09", data=folder / "data")
    assert made.returncode == 0, made.stderr
    server = Server(folder / "data", "--now", NOW, "--report-rate", "0").start(timeout=60)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def make_browser(*extra_arguments: str):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromium-driver are needed (Debian packages; .ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN", "--disable-gpu",
                     f"--window-size={PHONE['width']},{PHONE['height']}", *extra_arguments]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # A phone's screen (chromedriver's mobileEmulation option shifts taps off their targets).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "deviceScaleFactor": 1, "mobile": True})
    driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {
        "userAgent": "Mozilla/5.0 (Linux; Android 13; Phone) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36"})
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    # The pages run under the service's Content-Security-Policy: anything it blocked (an inline
    # script, a style attribute, a foreign host) is a page that silently lost part of itself.
    try:
        blocked = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry.get("message", "")]
    finally:
        driver.quit()
    assert not blocked, "the Content-Security-Policy blocked: " + "\n".join(blocked)


def wait(driver, condition, timeout=15):
    return WebDriverWait(driver, timeout).until(condition)


def visible(driver, css, timeout=15):
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout)


def text_in(driver, css, text, timeout=15):
    try:
        return wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), timeout)
    except TimeoutException:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        raise AssertionError(f"{css} never said {text!r}; it says {found[0].text if found else '(absent)'!r}")


def place(driver, base, lat, lng, accuracy=10):
    """The phone's position, as its GPS would report it."""
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lng, "accuracy": accuracy})


def keep(driver, name, whole=False):
    """Keeps the page as the README shows it, when asked (GUATAN_SCREENSHOTS=folder);
    `whole` takes the page down to 2,000 px instead of one screen. Every page kept is also
    checked for a script's leftovers shown as words."""
    text = driver.find_element(By.TAG_NAME, "body").text
    for stray in ("null", "undefined", "[object", "NaN"):
        assert stray not in text, f"the {name} page shows {stray!r}"
    folder = os.environ.get("GUATAN_SCREENSHOTS")
    if not folder:
        return
    target = Path(folder) if Path(folder).is_absolute() else ROOT / folder
    target.mkdir(parents=True, exist_ok=True)
    if whole:
        height = min(2000, driver.execute_script("return document.documentElement.scrollHeight"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "height": height, "deviceScaleFactor": 1, "mobile": True})
        driver.execute_script("window.scrollTo(0, 0)")
    png = driver.get_screenshot_as_png()
    if whole:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "deviceScaleFactor": 1, "mobile": True})
    image = Image.open(io.BytesIO(png)).convert("RGB")
    # A palette of 128 colours keeps a phone screenshot small enough to commit.
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target / f"{name}.png", optimize=True)


def no_sideways_scroll(driver):
    """Readable on a 360-px phone: nothing wider than the screen."""
    # A mobile browser zooms out a page that overflows, so the layout width says it too.
    width, overflow = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth - window.innerWidth]")
    assert width <= PHONE["width"] and overflow <= 1, f"the page is {width + overflow}px wide on a {PHONE['width']}px phone"


def tap(driver, element):
    """Taps an element after bringing it to the middle of the screen, as a thumb would."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def sign_in(driver, username):
    visible(driver, "#username").send_keys(username)
    driver.find_element(By.CSS_SELECTOR, "#password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#sign-in").click()


def photo_file(folder: Path, colour=(200, 120, 40)) -> str:
    path = folder / "photo.jpg"
    Image.new("RGB", (320, 240), colour).save(path, "JPEG", quality=80)
    return str(path)


def token(server, username):
    answer = requests.post(server.base + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    answer.raise_for_status()
    return {"Authorization": "Bearer " + answer.json()["token"]}


def file_report(server, slot_id, category="hygiene", description="摊位旁西瓜皮没有清理"):
    answer = requests.post(server.base + "/api/v1/reports", json={
        "category": category, "description": description, "slot_id": slot_id, "contact_phone": "13900001111"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


# ---------------------------------------------------------------------------------------------
# Citizens


def test_a_citizen_finds_a_stall_on_the_map_and_reports_a_problem_with_a_photo(site, browser, workdir):
    browser.get(site.base + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    # The map shows the sites (grouped when zoomed out), coloured by today's status.
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map .site-marker, #map .marker-cluster, #map circle"))
    # Leaflet when the machine has Debian's libjs-leaflet (CI installs it).
    expected_renderer = "leaflet" if Path("/usr/share/javascript/leaflet/leaflet.js").exists() else "plain"
    assert browser.find_element(By.ID, "map").get_attribute("data-renderer") == expected_renderer
    no_sideways_scroll(browser)
    keep(browser, "citizen-map")

    # Search by fruit: every site listed sells it.
    search = browser.find_element(By.ID, "q")
    search.send_keys("白兰瓜")
    browser.find_element(By.ID, "tab-list").click()
    sites = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#sites li[data-site]"))
    everything = requests.get(site.base + "/api/v1/map.geojson", timeout=10).json()["features"]
    expected = [f for f in everything if any("白兰瓜" in s["produce"] for s in f["properties"]["slots"])]
    assert 0 < len(expected) < len(everything)
    text_in(browser, "#count", str(len(expected)))
    keep(browser, "citizen-list")

    # Search by district too.
    Select(browser.find_element(By.ID, "district")).select_by_value("AN")
    wait(browser, lambda d: all(li.get_attribute("data-site").startswith("AN-") for li in d.find_elements(By.CSS_SELECTOR, "#sites li[data-site]")))

    # A site's stalls, then one stall's page.
    browser.find_element(By.CSS_SELECTOR, "#sites li[data-site] button").click()
    stall_link = visible(browser, "#site li[data-slot] a")
    slot_id = stall_link.find_element(By.XPATH, "..").get_attribute("data-slot")
    stall_link.click()
    text_in(browser, "h1", "号摊位")
    assert slot_id in browser.current_url
    public = requests.get(f"{site.base}/api/v1/stalls/{slot_id}", timeout=10).json()
    if public.get("permit"):
        assert public["permit"]["permit_no"] in browser.page_source

    # The report with a photo; the tracking code comes back on the page.
    Select(browser.find_element(By.NAME, "category")).select_by_value("hygiene")
    browser.find_element(By.NAME, "description").send_keys("摊位旁边的瓜皮堆了一下午没人清理")
    browser.find_element(By.NAME, "photo").send_keys(photo_file(workdir))
    browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
    code = visible(browser, "#tracking-code").text.strip()
    assert len(code) >= 16
    visible(browser, "#cases li[data-report]")
    no_sideways_scroll(browser)
    keep(browser, "stall")

    # The tracking page: status, timeline, the photo.
    browser.find_element(By.ID, "tracking-link").click()
    text_in(browser, "#report-status", "已提交")
    assert browser.find_elements(By.CSS_SELECTOR, "#report .photos img")
    tracked = requests.get(f"{site.base}/api/v1/reports/track/{code}", timeout=10).json()
    assert tracked["slot_id"] == slot_id and len(tracked["photos"]) == 1
    keep(browser, "track")


def test_the_citizen_page_works_with_no_tiles_no_leaflet_and_no_internet(browser, workdir):
    server = start(workdir, "plain", "--leaflet", "/nonexistent")
    try:
        assert "leaflet" not in requests.get(server.base + "/api/v1/web-config", timeout=10).json()
        browser.get(server.base + "/")
        wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        assert browser.find_element(By.ID, "map").get_attribute("data-renderer") == "plain"
        # The stalls are drawn on a plain background, grouped; a group opens when tapped.
        clusters = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map g[data-cluster]"))
        drawn = browser.execute_script(
            "return [...document.querySelectorAll('#map g[data-cluster]')].reduce((s, g) => s + Number(g.dataset.cluster), 0)"
            " + document.querySelectorAll('#map circle[data-site]').length")
        assert drawn == 390
        clusters[0].click()
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map circle[data-site]"))
        keep(browser, "citizen-map-plain")

        # Nothing is fetched from anywhere but this server.
        origins = browser.execute_script("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
        assert set(origins) <= {server.base}, origins

        # Search by name, near me with the phone's position, then a report.
        browser.find_element(By.ID, "q").send_keys("孔家崖")
        browser.find_element(By.ID, "tab-list").click()
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#sites li[data-site='AN-001']"))
        stall = requests.get(server.base + "/api/v1/stalls/AN-001-03", timeout=10).json()
        place(browser, server.base, stall["position"]["lat"], stall["position"]["lng"])
        browser.find_element(By.ID, "near-me").click()
        nearest = visible(browser, "#nearby li[data-slot] a")
        assert "米" in browser.find_element(By.ID, "nearby").text
        nearest.click()
        text_in(browser, "h1", "号摊位")
        Select(browser.find_element(By.NAME, "category")).select_by_value("occupying_road")
        browser.find_element(By.NAME, "description").send_keys("瓜摊摆到了人行道中间")
        browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
        assert len(visible(browser, "#tracking-code").text.strip()) >= 16
    finally:
        server.stop()


def test_with_a_tile_source_the_map_draws_its_tiles_and_asks_for_positions_in_their_datum(browser, workdir):
    if not Path("/usr/share/javascript/leaflet/leaflet.js").exists():
        pytest.skip("tiles are drawn by Leaflet: install libjs-leaflet (.ci/run does)")
    import http.server
    import threading

    requested = []
    png = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 236, 220)).save(png, "PNG")

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png.getvalue())

        def log_message(self, *args):
            pass

    tiles = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    server = start(workdir, "tiles", "--tile-url", f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png",
                   "--tile-crs", "gcj02", "--tile-attribution", "测试底图")
    try:
        config = requests.get(server.base + "/api/v1/web-config", timeout=10).json()
        assert config["tiles"]["crs"] == "gcj02" and config["tiles"]["attribution"] == "测试底图"
        browser.get(server.base + "/")
        wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        wait(browser, lambda d: len(requested) > 0)
        assert all(path.endswith(".png") and path.count("/") == 3 for path in requested)
        text_in(browser, ".leaflet-control-attribution", "测试底图")
        # On a GCJ-02 base map the markers stand where the API's converted positions say.
        fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert any("/api/v1/sites?crs=gcj02" in name for name in fetched), fetched
    finally:
        server.stop()
        tiles.shutdown()


def test_pages_switch_to_english_and_stay_readable_with_large_text(site, browser):
    for path in ["/", "/track.html", "/vendor.html", "/officer.html", "/admin.html", "/s/CG-001-01"]:
        browser.get(site.base + path)
        visible(browser, "header.top")
        browser.execute_script("document.documentElement.style.fontSize = '150%'")
        no_sideways_scroll(browser)
    browser.get(site.base + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    browser.find_element(By.CSS_SELECTOR, "header.top button.lang").click()
    text_in(browser, "h1", "Lanzhou's seasonal fruit stalls")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    browser.refresh()  # the choice is remembered
    text_in(browser, "h1", "Lanzhou's seasonal fruit stalls")


# ---------------------------------------------------------------------------------------------
# Vendors


def test_a_vendor_is_told_how_far_he_is_then_checks_in_at_his_stall_and_closes(site, browser):
    stall = requests.get(site.base + "/api/v1/stalls/AN-001-03", timeout=10).json()
    at = stall["position"]
    browser.get(site.base + "/vendor.html")
    sign_in(browser, "demo.v0003")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    text_in(browser, "#permit", "LZ2026-AN-000003")
    text_in(browser, "#points-balance", "12")
    text_in(browser, "#today", "还没有打卡")

    # 0.01° north is about 1.1 km: refused, and told how far in plain words.
    place(browser, site.base, at["lat"] + 0.01, at["lng"])
    browser.find_element(By.ID, "check-in").click()
    text_in(browser, "#result", "米以内才能打卡")
    message = browser.find_element(By.ID, "result").text
    assert "您离自己的摊位还有 11" in message, message
    assert browser.find_element(By.ID, "result").get_attribute("data-code") == "TOO_FAR"
    no_sideways_scroll(browser)
    keep(browser, "vendor-refused")

    # At the stall: checked in, the stall page says open.
    place(browser, site.base, at["lat"], at["lng"])
    browser.find_element(By.ID, "check-in").click()
    text_in(browser, "#result", "已打卡")
    assert requests.get(site.base + "/api/v1/stalls/AN-001-03", timeout=10).json()["status_today"] == "open"
    assert browser.find_element(By.ID, "today").get_attribute("data-checked-in") == "true"
    assert browser.find_elements(By.CSS_SELECTOR, "#history tr")
    keep(browser, "vendor")

    browser.find_element(By.ID, "check-out").click()
    text_in(browser, "#result", "已收摊")
    assert requests.get(site.base + "/api/v1/stalls/AN-001-03", timeout=10).json()["status_today"] == "closed_for_day"


def test_a_vendor_page_refuses_other_roles_in_words(site, browser):
    browser.get(site.base + "/vendor.html")
    sign_in(browser, "demo.officer.cg")
    text_in(browser, "#sign-in-form", "这个账号不能使用本页面")
    browser.find_element(By.ID, "username").clear()
    browser.find_element(By.ID, "username").send_keys("demo.v0001")
    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys("wrong password")
    browser.find_element(By.ID, "sign-in").click()
    text_in(browser, "#sign-in-form", "用户名或密码不对")


# ---------------------------------------------------------------------------------------------
# Officers


def test_an_officer_accepts_dispatches_and_settles_a_case_with_an_inspection(site, browser, workdir):
    filed = file_report(site, "AN-002-01")
    case_id = filed["report_id"]
    browser.get(site.base + "/officer.html")
    sign_in(browser, "demo.officer.an")
    visible(browser, "#tab-cases").click()
    visible(browser, f"#cases li[data-report='{case_id}'] button").click()
    text_in(browser, "#case-status", "已提交")
    no_sideways_scroll(browser)
    # The reporter's phone is for the district's officers.
    assert "13900001111" in browser.find_element(By.ID, "case").text
    buttons = [b.get_attribute("data-action") for b in browser.find_elements(By.CSS_SELECTOR, "#actions button")]
    assert buttons == ["accept", "reject", "mark_duplicate"]
    browser.find_element(By.ID, "public-note").send_keys("已受理，马上派人处理")
    browser.find_element(By.CSS_SELECTOR, "#actions button[data-action=accept]").click()
    text_in(browser, "#case-status", "已立案")
    visible(browser, "#actions button[data-action=dispatch]").click()
    text_in(browser, "#case-status", "已派遣处理")
    keep(browser, "officer-case")

    # In the queue now, by due time.
    browser.find_element(By.ID, "tab-queue").click()
    visible(browser, f"#queue li[data-report='{case_id}']")
    keep(browser, "officer-queue")
    browser.find_element(By.CSS_SELECTOR, f"#queue li[data-report='{case_id}'] button").click()

    # The inspection settles it: violation, a photo, the case resolved.
    visible(browser, "#inspect-case").click()
    assert browser.find_element(By.ID, "slot").get_attribute("value") == "AN-002-01"
    assert browser.find_element(By.ID, "resolves").get_attribute("value") == case_id
    tap(browser, browser.find_element(By.XPATH, "//input[@name='result'][@value='violation']/parent::label"))
    tap(browser, visible(browser, "input[name=violations][value=hygiene]").find_element(By.XPATH, ".."))
    assert browser.find_element(By.CSS_SELECTOR, "input[name=violations][value=hygiene]").is_selected()
    browser.find_element(By.ID, "note").send_keys("瓜皮未清理，已责令清理")
    browser.find_element(By.ID, "photos").send_keys(photo_file(workdir, (60, 140, 60)))
    tap(browser, browser.find_element(By.ID, "with-position").find_element(By.XPATH, ".."))  # no position needed
    assert not browser.find_element(By.ID, "with-position").is_selected()
    no_sideways_scroll(browser)
    keep(browser, "officer-inspection")
    browser.find_element(By.ID, "inspect-submit").click()
    text_in(browser, "#inspect-result", "检查已记录")
    assert "扣 2 分" in browser.find_element(By.ID, "inspect-result").text
    case = requests.get(f"{site.base}/api/v1/reports/{case_id}", timeout=10).json()
    assert case["status"] == "handled"

    browser.find_element(By.ID, "tab-coverage").click()
    visible(browser, "#coverage li[data-site]")
    assert not browser.find_elements(By.CSS_SELECTOR, "#coverage li[data-site='AN-002']")


# ---------------------------------------------------------------------------------------------
# Administrators


def test_an_administrator_sees_the_season_in_charts_and_works_permits(season, browser):
    site = season
    officer = token(site, "demo.officer.cg")
    for n, category in enumerate(["hygiene", "short_weight", "occupying_road", "hygiene"]):
        filed = file_report(site, f"CG-00{n + 1}-01", category)
        for action in ["accept", "dispatch", "handle", "verify", "close"][: n + 1]:
            answer = requests.post(f"{site.base}/api/v1/reports/{filed['report_id']}/transitions", json={"action": action, "public_note": "已处理"}, headers=officer, timeout=10)
            assert answer.status_code == 200, answer.text
    browser.get(site.base + "/admin.html")
    sign_in(browser, "demo.admin")
    # Check-in rate per district: one line each.
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chart-checkin path[data-series]")) == 4)
    # Cases by category: one bar per category with reports.
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-reports rect[data-value]"))
    bars = browser.execute_script("return [...document.querySelectorAll('#chart-reports rect[data-value]')].reduce((s, r) => s + Number(r.dataset.value), 0)")
    stats = requests.get(site.base + "/api/v1/admin/stats", headers=token(site, "demo.admin"), timeout=10).json()
    assert bars == sum(sum(v.values()) for v in stats["reports_by_category"].values())
    # Where they came from: the same reports again, by channel and district.
    by_channel = browser.execute_script("return [...document.querySelectorAll('#chart-channels rect[data-value]')].reduce((s, r) => s + Number(r.dataset.value), 0)")
    assert by_channel == bars and stats["reports_by_channel"]["web"]["CG"] >= 4, stats["reports_by_channel"]
    text_in(browser, "#compliance", "%")
    visible(browser, "#hotspots li[data-site]")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map .site-marker, #map .marker-cluster, #map circle"))
    no_sideways_scroll(browser)
    keep(browser, "admin", whole=True)

    # Permits: an application waiting for review is reviewed from the list.
    browser.find_element(By.ID, "tab-permits").click()
    unfiltered = visible(browser, "#permit-state")
    Select(unfiltered).select_by_value("requested")
    # The filtered list replaces the whole panel: a row found before then would be gone.
    wait(browser, lambda d: EC.staleness_of(unfiltered)(d))
    row = visible(browser, "#permits tr[data-permit] button[data-action=review]")
    number = row.find_element(By.XPATH, "ancestor::tr").get_attribute("data-permit")
    row.click()
    text_in(browser, "#permit-result", number)
    keep(browser, "admin-permits")
    permits = requests.get(site.base + "/api/v1/permits?state=reviewed", headers=token(site, "demo.admin"), timeout=10).json()
    assert number in [p["permit_no"] for p in permits["items"]]

    # The officers' desk serves an administrator too, for the district he chooses.
    browser.get(site.base + "/officer.html")
    Select(visible(browser, "#district")).select_by_value("XG")
    text_in(browser, "#panel", "XG")
    queue = requests.get(site.base + "/api/v1/officer/queue?district=XG", headers=token(site, "demo.admin"), timeout=10).json()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#queue li[data-report]")) == len(queue["items"])


def test_an_administrator_takes_a_lost_phones_access_back_and_an_officer_changes_his_password(site, browser):
    phone = token(site, "demo.officer.qlh")
    assert requests.get(site.base + "/api/v1/me", headers=phone, timeout=10).status_code == 200
    browser.get(site.base + "/admin.html")
    sign_in(browser, "demo.admin")
    visible(browser, "#tab-accounts").click()
    visible(browser, "#accounts li[data-user='demo.officer.qlh'] button[data-action=disable]").click()
    text_in(browser, "#account-result", "demo.officer.qlh")
    visible(browser, "#accounts li[data-user='demo.officer.qlh'] button[data-action=enable]")
    # The lost phone's sign-in has ended at once.
    assert requests.get(site.base + "/api/v1/me", headers=phone, timeout=10).status_code == 401
    keep(browser, "admin-accounts")
    browser.find_element(By.CSS_SELECTOR, "#accounts li[data-user='demo.officer.qlh'] button[data-action=enable]").click()
    visible(browser, "#accounts li[data-user='demo.officer.qlh'] button[data-action=disable]")

    # The officer, back at his desk, changes his password; his other devices are signed out.
    other_device = token(site, "demo.officer.qlh")
    browser.execute_script("localStorage.clear()")
    browser.get(site.base + "/officer.html")
    sign_in(browser, "demo.officer.qlh")
    visible(browser, "#password summary").click()
    visible(browser, "#old-password").send_keys(PASSWORD)
    browser.find_element(By.ID, "new-password").send_keys("a new summer password")
    browser.find_element(By.CSS_SELECTOR, "#password-form button[type=submit]").click()
    text_in(browser, "#password-result", "密码已修改")
    assert requests.get(site.base + "/api/v1/me", headers=other_device, timeout=10).status_code == 401
    answer = requests.post(site.base + "/api/v1/auth/login", json={"username": "demo.officer.qlh", "password": "a new summer password"}, timeout=10)
    assert answer.status_code == 200
