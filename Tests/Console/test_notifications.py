"""Console: notifications to people (issue 28) in a real browser. The bell counts what is new, the notifications page
links each one to what it is about and marks them read, each person chooses what they are told, and administrators
see each webhook endpoint's deliveries, send a test and deliver again. The database is checked after each step."""
import datetime
import http.server
import os
import pathlib
import random
import threading
import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BASE, screenshot, sign_in, sql, submit_and_wait, users

HOOK_PORT = int(os.environ.get("CONSOLE_PORT", "18281")) + 3


def token(role):
    env = pathlib.Path(os.environ["CONSOLE_USERS_FILE"]).with_name("demo-tokens.env").read_text()
    values = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    return values[f"CRYOLEDGER_TOKEN_{role.upper()}"]


def api(role, method, path, body=None):
    r = requests.request(method, BASE + path, json=body, headers={"Authorization": f"Bearer {token(role)}"})
    assert r.status_code in (200, 201), (path, r.status_code, r.text[:300])
    return r.json()


def held_lot():
    """A fresh lot, then a hold on it by QA: a notification pharmacy and QA get at once."""
    lot = f"NT-{random.randint(100000, 999999)}"
    api("manufacturing", "POST", "/lots", {"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                                           "manufacturedOn": (datetime.date.today() - datetime.timedelta(days=3)).isoformat(),
                                           "cellsPerVial": 40000000, "vialCount": 1})
    api("qa", "POST", "/holds", {"subjectType": "lot", "subjectId": lot, "reason": "Cracked cap seen at inspection (console test)"})
    return lot


def user_id(role):
    return sql(f"SELECT id FROM app_user WHERE lower(login) = lower('{users()[role][0]}')")


def element_shot(element, name):
    """Like conftest's screenshot, of one element (the header with the bell, an endpoint's card)."""
    target = os.environ.get("SCREENSHOTS")
    if target:
        pathlib.Path(target).mkdir(parents=True, exist_ok=True)
        element.screenshot(str(pathlib.Path(target) / f"{name}.png"))


def bell(browser):
    return browser.find_element(By.ID, "bell")


def test_bell_counts_new_notifications_and_the_page_links_and_marks_them_read(browser):
    sign_in(browser, "pharmacy")
    browser.get(BASE + "/console/notifications")
    if browser.find_elements(By.CSS_SELECTOR, "#mark-read button"):
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#mark-read button"))
    assert bell(browser).find_element(By.CSS_SELECTOR, ".bell-count").text == "0"
    assert bell(browser).find_element(By.CSS_SELECTOR, ".sr-only").get_attribute("textContent") == "Notifications: none unread"

    lot = held_lot()
    browser.get(BASE + "/console")
    assert bell(browser).find_element(By.CSS_SELECTOR, ".bell-count").text == "1"
    assert bell(browser).find_element(By.CSS_SELECTOR, ".sr-only").get_attribute("textContent") == "Notifications: 1 unread"
    assert "bell-unread" in bell(browser).get_attribute("class")
    element_shot(browser.find_element(By.CSS_SELECTOR, "header.top"), "notifications-bell")

    submit_and_wait(browser, bell(browser))
    assert browser.current_url.endswith("/console/notifications")
    first = browser.find_element(By.CSS_SELECTOR, "#notifications li")
    assert f"Hold placed on lot {lot}" in first.text and "New" in first.text and "UTC" in first.text
    assert first.find_element(By.TAG_NAME, "a").get_attribute("href").endswith(f"/console/lots/{lot}")
    screenshot(browser, "notifications-page")

    newest = sql(f"SELECT max(n.id) FROM notification n WHERE n.subject_id = '{lot}'")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#mark-read button"))
    assert "Marked as read" in browser.find_element(By.ID, "notice").text
    assert bell(browser).find_element(By.CSS_SELECTOR, ".sr-only").get_attribute("textContent") == "Notifications: none unread"
    assert int(sql(f"SELECT last_read_id FROM notification_read WHERE user_id = {user_id('pharmacy')}")) >= int(newest)
    assert "New" not in browser.find_element(By.CSS_SELECTOR, "#notifications li").text

    browser.find_element(By.CSS_SELECTOR, "#notifications li a").click()
    assert lot in browser.find_element(By.TAG_NAME, "h1").text


def test_each_person_chooses_what_they_are_told_and_gives_an_e_mail_address(browser):
    sign_in(browser, "clinical")
    me = user_id("clinical")
    browser.get(BASE + "/console/notifications/settings")
    assert browser.find_element(By.ID, "kind-hold-placed").text.startswith("A hold is placed")
    assert not browser.find_elements(By.ID, "kind-security-sign-in-burst"), "security goes to admin, QA and auditors only"

    # A freezer that does not exist: refused beside the form, nothing written.
    Select(browser.find_element(By.ID, "mode-hold-placed")).select_by_visible_text("At once")
    Select(browser.find_element(By.ID, "scope-hold-placed")).select_by_visible_text("In one freezer")
    browser.find_element(By.ID, "scope-id-hold-placed").send_keys("NO-SUCH-FREEZER")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#choose-hold-placed button"))
    assert "no freezer NO-SUCH-FREEZER" in browser.find_element(By.ID, "error-hold-placed").text
    assert browser.find_element(By.ID, "refusal-summary").is_displayed()
    assert sql(f"SELECT count(*) FROM notification_subscription WHERE user_id = {me}") == "0"
    assert browser.find_element(By.ID, "scope-id-hold-placed").get_attribute("value") == "NO-SUCH-FREEZER", "what was typed is kept"
    assert Select(browser.find_element(By.ID, "scope-hold-placed")).first_selected_option.text == "In one freezer"
    browser.find_element(By.ID, "scope-id-hold-placed").clear()

    freezer = sql("SELECT id FROM freezer ORDER BY id LIMIT 1")
    Select(browser.find_element(By.ID, "mode-hold-placed")).select_by_visible_text("Daily digest")
    Select(browser.find_element(By.ID, "scope-hold-placed")).select_by_visible_text("In one freezer")
    browser.find_element(By.ID, "scope-id-hold-placed").send_keys(freezer)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#choose-hold-placed button"))
    assert "Saved" in browser.find_element(By.ID, "notice").text
    assert f"Daily digest, in freezer {freezer}" in browser.find_element(By.ID, "kind-hold-placed").text
    assert sql(f"SELECT kind || ' ' || scope_type || ' ' || scope_id || ' ' || mode FROM notification_subscription WHERE user_id = {me}") \
        == f"hold.placed freezer {freezer} daily"

    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#kind-hold-placed .choices button"))
    assert "Removed" in browser.find_element(By.ID, "notice").text
    assert sql(f"SELECT count(*) FROM notification_subscription WHERE user_id = {me}") == "0"

    email = browser.find_element(By.ID, "email")
    email.clear()
    email.send_keys("not an address")
    browser.execute_script("document.getElementById('email').type = 'text'")  # the server's rule, not the browser's
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#email-form button"))
    assert "e-mail address" in browser.find_element(By.ID, "email-error").text
    assert browser.find_element(By.ID, "email").get_attribute("value") == "not an address"
    email = browser.find_element(By.ID, "email")
    email.clear()
    email.send_keys("clinical.office@site.example")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#email-form button"))
    assert sql(f"SELECT email FROM app_user WHERE id = {me}") == "clinical.office@site.example"
    browser.find_element(By.ID, "email").clear()
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#email-form button"))
    assert sql(f"SELECT email IS NULL FROM app_user WHERE id = {me}") == "t"


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Receiver.received.append((self.headers.get("webhook-id"), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_admin_sees_deliveries_sends_a_test_to_one_endpoint_and_delivers_again(browser):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", HOOK_PORT), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sign_in(browser, "admin")
        assert browser.find_element(By.CSS_SELECTOR, "nav a[href='/console/admin/webhooks']")
        browser.get(BASE + "/console/admin/webhooks")
        name = f"console-{random.randint(1000, 9999)}"
        browser.find_element(By.ID, "endpoint-name").send_keys(name)
        browser.find_element(By.ID, "endpoint-url").send_keys(f"http://127.0.0.1:{HOOK_PORT}/hook")
        Select(browser.find_element(By.ID, "endpoint-kind")).select_by_visible_text("A test sent to a webhook endpoint")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#add-endpoint button"))
        secret = browser.find_element(By.ID, "secret-value").get_attribute("value")
        assert secret.startswith("whsec_") and "shown once" in browser.find_element(By.ID, "secret-warning").text

        submit_and_wait(browser, browser.find_element(By.ID, f"test-{name}"))
        assert "on its way" in browser.find_element(By.ID, "notice").text
        assert secret not in browser.page_source
        rows = sql("SELECT w.name FROM notification_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id "
                   "JOIN notification n ON n.id = d.notification_id WHERE n.kind = 'webhook.test' "
                   f"AND n.event_id = (SELECT max(id) FROM custody_event WHERE action = 'webhook.test-requested' AND subject_id = 'webhook-endpoint:{name}')")
        assert rows == name, "the test goes to its endpoint only"

        deadline = time.time() + 60
        while time.time() < deadline and "Delivered" not in browser.find_element(By.ID, f"deliveries-{name}").text:
            time.sleep(1)
            browser.get(BASE + "/console/admin/webhooks")
        row = browser.find_element(By.CSS_SELECTOR, f"#deliveries-{name} tbody tr")
        assert "A test notification to a webhook endpoint" in row.text and "Delivered" in row.text
        assert "HTTP 200" in row.text and " ms" in row.text
        assert len(Receiver.received) == 1
        browser.set_window_size(1280, 1400)
        element_shot(browser.find_element(By.ID, f"endpoint-{name}"), "webhook-deliveries")

        delivery = row.get_attribute("id").removeprefix("delivery-")
        submit_and_wait(browser, row.find_element(By.TAG_NAME, "button"))
        assert f"Delivery {delivery}" in browser.find_element(By.ID, "notice").text
        assert sql(f"SELECT count(*) FROM custody_event WHERE action = 'webhook.redelivery-requested' AND details->>'delivery' = '{delivery}'") == "1"
        deadline = time.time() + 60
        while time.time() < deadline and len(Receiver.received) < 2:
            time.sleep(0.5)
        assert len(Receiver.received) == 2 and Receiver.received[0][0] == Receiver.received[1][0], "the same webhook-id again"

        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/console/admin/webhooks/{name}/remove'] button"))
        assert sql(f"SELECT active FROM webhook_endpoint WHERE name = '{name}'") == "f"
    finally:
        server.shutdown()


def test_admin_sets_a_role_default(browser):
    sign_in(browser, "admin")
    browser.get(BASE + "/console/admin/notifications")
    row = "default-lot-expired-clinical"
    before = sql("SELECT default_mode FROM notification_audience WHERE kind = 'lot.expired' AND role = 'clinical'")
    target = "Daily digest" if before != "daily" else "Off"
    Select(browser.find_element(By.ID, f"{row}-mode")).select_by_visible_text(target)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#{row} button"))
    assert "Saved" in browser.find_element(By.ID, "notice").text
    after = sql("SELECT default_mode FROM notification_audience WHERE kind = 'lot.expired' AND role = 'clinical'")
    assert after == ("daily" if target == "Daily digest" else "off")
    assert sql("SELECT count(*) > 0 FROM custody_event WHERE action = 'notification.default-set' "
               "AND subject_id = 'notification-default:lot.expired:clinical'") == "t"
