"""The feedback loop's pages in a real browser on a 360-px phone (issue 17): the officer takes a
hotline case with a reply template and asks for more time; the bureau approves it on its
dashboard, sees its squads' scorecards and registers the city platform's webhook; the caller's
tracking page says what happens next. A citizen records a voice note on the stall page with the
browser's recorder, and the officer plays it on his desk."""

import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_pages import (PASSWORD, browser, keep, make_browser, no_sideways_scroll, sign_in, start, tap, text_in, token,  # noqa: F401
                        visible, wait)


def test_the_officer_and_the_bureau_work_a_hotline_case_on_their_phones(browser, workdir):
    server = start(workdir, "feedback-pages")
    try:
        admin = token(server, "demo.admin")
        made = requests.post(server.base + "/api/v1/admin/users", headers=admin, timeout=10,
                             json={"username": "hotline.li", "password": PASSWORD, "role": "call_taker"})
        assert made.status_code == 201, made.text
        recording = b"#!AMR\n" + bytes([0x3C] + [9] * 31) * 400
        entered = requests.post(server.base + "/api/v1/staff/reports", headers=token(server, "hotline.li"), timeout=10, data={
            "category": "occupying_road", "description": "市民来电：瓜摊占了人行道", "slot_id": "CG-001-01",
            "contact_phone": "13800005555", "notify_sms": "true", "channel": "hotline"},
            files={"voice": ("call.amr", recording, "audio/amr")})
        assert entered.status_code == 201, entered.text
        case, code = entered.json()["report_id"], entered.json()["tracking_code"]

        # The officer: the case says it came by the hotline; a template fills the note to the citizen.
        browser.get(f"{server.base}/officer.html?case={case}")
        sign_in(browser, "demo.officer.cg")
        text_in(browser, "#case-channel", "热线")
        # The caller's recording: AMR, which browsers do not play, is offered to download.
        text_in(browser, "#voice-note", "8 秒")
        download = visible(browser, "#voice-download")
        assert download.get_attribute("href").startswith("blob:") and download.get_attribute("download") == f"{case}.amr"
        Select(visible(browser, "#reply-template")).select_by_index(1)
        note = browser.find_element(By.ID, "public-note").get_attribute("value")
        assert case in note and "城关区" in note, note
        tap(browser, browser.find_element(By.CSS_SELECTOR, "#actions button[data-action=accept]"))
        text_in(browser, "#case-status", "已立案")
        tap(browser, visible(browser, "#actions button[data-action=dispatch]"))
        text_in(browser, "#case-status", "已派遣处理")
        assert [b.get_attribute("data-action") for b in browser.find_elements(By.CSS_SELECTOR, "#actions button")] == ["handle", "send_back"]
        # More time: a new limit and why.
        tap(browser, visible(browser, "#extension summary"))
        browser.execute_script("document.getElementById('extension-due').value = '2026-08-11T10:00'")
        browser.find_element(By.ID, "extension-reason").send_keys("摊主外出，等其返回后处理")
        tap(browser, browser.find_element(By.CSS_SELECTOR, "#extension-form button[type=submit]"))
        text_in(browser, "#extension-result", "等待市城管委批复")
        no_sideways_scroll(browser)
        keep(browser, "officer-hotline-case", whole=True)

        # The bureau: approves it, sees the scorecards, registers the platform's webhook.
        browser.get(server.base + "/admin.html")
        browser.execute_script("localStorage.clear()")
        browser.get(server.base + "/admin.html")
        sign_in(browser, "demo.admin")
        tap(browser, visible(browser, "#tab-feedback"))
        row = visible(browser, f"#extensions li")
        row.find_element(By.TAG_NAME, "input").send_keys("同意延期")
        tap(browser, row.find_element(By.CSS_SELECTOR, "button[data-action=approve]"))
        text_in(browser, "#feedback-result", "已同意延期")
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#scorecards tr[data-district=CG]"))
        visible(browser, "#hook-name").send_keys("城市运行管理服务平台")
        browser.find_element(By.ID, "hook-url").send_keys("https://platform.example.gov.cn/guatan")
        tap(browser, browser.find_element(By.CSS_SELECTOR, "#hook-form button[type=submit]"))
        text_in(browser, "#feedback-result", "whsec_")
        visible(browser, "#webhooks li[data-endpoint]")
        no_sideways_scroll(browser)
        keep(browser, "admin-feedback", whole=True)
        extended = requests.get(f"{server.base}/api/v1/reports/{case}", headers=token(server, "demo.officer.cg"), timeout=10).json()
        assert extended["due_at"] == "2026-08-11T10:00:00+08:00"

        # The caller: his page says what comes next, and by when.
        browser.get(f"{server.base}/track.html?code={code}")
        text_in(browser, "#next-step", "区执法中队将在")
        assert "13800005555" not in browser.find_element(By.TAG_NAME, "body").text
        no_sideways_scroll(browser)
        keep(browser, "track-next-step")
    finally:
        server.stop()


def test_a_citizen_records_a_voice_note_and_the_officer_plays_it(workdir):
    # Chromium's stand-in microphone (a beep) and no permission prompt: the recorder as on a phone.
    browser = make_browser("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                           "--autoplay-policy=no-user-gesture-required")
    server = start(workdir, "voice-pages")
    try:
        browser.get(server.base + "/s/CG-001-02")
        tap(browser, visible(browser, "#record-voice"))
        text_in(browser, "#voice-status", "正在录音")
        assert not browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").is_enabled(), "no sending mid-recording"
        time.sleep(3)
        tap(browser, visible(browser, "#stop-voice"))
        text_in(browser, "#voice-status", "已录好")
        visible(browser, "#voice-preview")
        browser.find_element(By.CSS_SELECTOR, "#report-form textarea[name=description]").send_keys("西瓜摊晚上一直用喇叭叫卖，太吵了，我录了一段")
        no_sideways_scroll(browser)
        keep(browser, "stall-voice-note")
        tap(browser, browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]"))
        code = visible(browser, "#tracking-code").text
        # The recorder is ready for the next report.
        assert visible(browser, "#record-voice") and not browser.find_elements(By.CSS_SELECTOR, "#voice-preview:not(.hidden)")

        tracked = server.get(f"/api/v1/reports/track/{code}").json()
        case = tracked["report_id"]
        assert 2 <= tracked["voice_note"]["seconds"] <= 5, tracked["voice_note"]
        officer = token(server, "demo.officer.cg")
        note = server.get(f"/api/v1/reports/{case}", headers=officer).json()["voice_note"]
        assert note["media_type"] == "audio/webm", note
        kept = requests.get(server.base + note["url"], headers=officer, timeout=10).content
        assert kept.startswith(bytes([0x1A, 0x45, 0xDF, 0xA3])) and b"webm" in kept[:64]

        # The officer's desk plays what was kept: the browser decodes it and the time runs.
        browser.get(f"{server.base}/officer.html?case={case}")
        sign_in(browser, "demo.officer.cg")
        audio = visible(browser, "#voice-audio")
        assert audio.get_attribute("src").startswith("blob:")
        played = browser.execute_async_script("""
            const [audio, done] = arguments;
            audio.muted = true;
            audio.play().then(() => setTimeout(() => done({time: audio.currentTime, error: audio.error && audio.error.code}), 1500),
                              (e) => done({failed: String(e)}));""", audio)
        assert played.get("time", 0) > 0.5 and not played.get("error"), played
        no_sideways_scroll(browser)
        keep(browser, "officer-voice-note")
        # The public never hears it, nor learns there is one.
        assert "voice" not in server.get(f"/api/v1/reports/{case}").text
    finally:
        server.stop()
        browser.quit()
