"""The allocation's pages in a real browser on a 360-px phone: a farmer applies in the window
and follows his application to his permit; the bureau runs the draw from its dashboard; anyone
reads the results, the commitment and the seed on /allocation.html."""

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import Server, run_cli
from test_allocation import id_card
from test_pages import PASSWORD, browser, keep, no_sideways_scroll, photo_file, sign_in, tap, text_in, token, visible, wait  # noqa: F401


def ready(driver):
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def fresh_sign_in(driver, base, page, username):
    """Opens a role's page signed out (a restart with a clock months on ends every sign-in)."""
    driver.get(base + page)
    driver.execute_script("localStorage.clear()")
    driver.get(base + page)
    sign_in(driver, username)


def test_a_farmer_applies_on_his_phone_and_follows_the_draw_to_his_permit(browser, workdir):
    data = workdir / "data"
    server = Server(data, "--demo", "--now", "2026-10-25T10:00:00+08:00", "--report-rate", "0").start(timeout=60)

    def restart(now):
        nonlocal server
        assert server.stop() == 0
        server = Server(data, "--now", now, "--report-rate", "0").start(timeout=60)

    try:
        assert run_cli("season", "open", "2027", "--from", "2026", data=data).returncode == 0
        admin = token(server, "demo.admin")
        farmer = {"name": "马有福", "phone": "13700009999", "id_card_no": id_card(99), "origin": "榆中县青城镇",
                  "vehicle_plate": "甘A79999", "produce": ["白兰瓜", "黄河蜜"], "username": "ma.youfu", "password": PASSWORD}
        assert requests.post(server.base + "/api/v1/admin/vendors", headers=admin, json=farmer, timeout=10).status_code == 201
        opened = requests.post(server.base + "/api/v1/admin/seasons/2027/transitions", headers=admin, timeout=10, json={
            "action": "open_applications", "applications_open_on": "2026-10-20", "applications_close_on": "2026-10-31"})
        assert opened.status_code == 200, opened.text

        # The dashboard's idle stalls: none idle after the season (the API test warns and takes one back).
        fresh_sign_in(browser, server.base, "/admin.html", "demo.admin")
        tap(browser, visible(browser, "#tab-idle"))
        text_in(browser, "#panel", "没有闲置的摊位")

        # In the window: he picks two sites in order, photographs the certificate, sends it.
        fresh_sign_in(browser, server.base, "/vendor.html", "ma.youfu")
        ready(browser)
        visible(browser, "#allocation[data-stage='apply']")
        text_in(browser, "#allocation-stage", "现在可以申请 2027 年的摊位")
        Select(browser.find_element(By.ID, "preference-1")).select_by_value("CG-001")
        Select(browser.find_element(By.ID, "preference-2")).select_by_value("CG-002")
        browser.find_element(By.ID, "certificate").send_keys(photo_file(workdir))
        no_sideways_scroll(browser)
        keep(browser, "vendor-apply", whole=True)
        tap(browser, browser.find_element(By.ID, "apply"))
        text_in(browser, "#allocation-result", "申请已提交")
        text_in(browser, "#allocation-stage", "正在审核")
        application = requests.get(server.base + "/api/v1/me/allocation", headers=token(server, "ma.youfu"), timeout=10).json()["application"]
        assert application["preferences"] == ["CG-001", "CG-002"] and application["produce"] == ["白兰瓜", "黄河蜜"]

        # After the window: the squad reviews and the bureau approves; the bureau runs the steps on its dashboard.
        restart("2026-11-01T09:00:00+08:00")
        admin = token(server, "demo.admin")
        number = application["application_no"]
        for who, action in ((token(server, "demo.officer.cg"), "review"), (admin, "approve")):
            assert requests.post(server.base + f"/api/v1/season-applications/{number}/transitions", headers=who, timeout=10,
                                 json={"action": action}).status_code == 200
        fresh_sign_in(browser, server.base, "/admin.html", "demo.admin")
        tap(browser, visible(browser, "#tab-allocation"))
        for action, phase in (("close_applications", "审核"), ("publish_list", "审核"), ("draw", "已摇号"), ("start_notice", "公示期")):
            tap(browser, visible(browser, f"#season-next[data-action='{action}']"))
            text_in(browser, "#season-phase", phase)
        no_sideways_scroll(browser)
        keep(browser, "admin-allocation", whole=True)

        # The notice: his page says which stall the draw gave him and until when anyone may object.
        fresh_sign_in(browser, server.base, "/vendor.html", "ma.youfu")
        ready(browser)
        text_in(browser, "#allocation-stage", "摇号结果：您分到摊位 CG-001-")
        text_in(browser, "#allocation-stage", "2026-11-05")

        # Anyone sees the result, the commitment and the seed, and how to check them.
        browser.get(server.base + "/allocation.html?season=2027")
        ready(browser)
        text_in(browser, "#phases", "公示期")
        seed = requests.get(server.base + "/api/v1/seasons/2027/draw", timeout=10).json()["seed"]
        text_in(browser, "#seed", seed)
        text_in(browser, "[data-site='CG-001']", number)
        assert "马有福" not in browser.find_element(By.TAG_NAME, "body").text
        assert "马**" in browser.find_element(By.CSS_SELECTOR, "[data-site='CG-001']").text
        # During the notice each result shows the permit number it will be issued.
        text_in(browser, "[data-site='CG-001']", "LZ2027-CG-")
        text_in(browser, "[data-site='CG-001']", "（拟）")
        visible(browser, "#objection-form")
        no_sideways_scroll(browser)
        keep(browser, "allocation", whole=True)

        # After the notice the bureau issues every permit; his page shows it.
        restart("2026-11-10T09:00:00+08:00")
        fresh_sign_in(browser, server.base, "/admin.html", "demo.admin")
        tap(browser, visible(browser, "#tab-allocation"))
        tap(browser, visible(browser, "#season-next[data-action='allocate']"))
        text_in(browser, "#season-phase", "已发证")
        fresh_sign_in(browser, server.base, "/vendor.html", "ma.youfu")
        ready(browser)
        text_in(browser, "#allocation-stage", "已发证：LZ2027-CG-")
        text_in(browser, "#permit", "LZ2027-CG-")
        no_sideways_scroll(browser)
        keep(browser, "vendor-permit-2027")
    finally:
        server.stop()
