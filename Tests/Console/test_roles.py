"""The console as each role meets it (issue 25, "What users meet"): the menu and work list from the role's permissions,
sentences instead of codes, row letters, phones and scanners, the small things, and axe-core on every page of every role."""
import gzip
import re

import pytest
import requests
from axe_selenium_python import Axe
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, screenshot, sign_in, sql, submit_and_wait, users

MENUS = {
    "manufacturing": ["Work list", "Freezers", "Lots", "Supply", "Import"],
    "qc": ["Work list", "Lots", "Release"],
    "qa": ["Work list", "Freezers", "Lots", "Release", "Audit"],
    "clinical": ["Work list", "Patients", "Cohorts"],
    "pharmacy": ["Work list", "Pharmacy", "Bedside", "Patients", "Supply"],
    "auditor": ["Work list", "Freezers", "Lots", "Release", "Pharmacy", "Patients", "Supply", "Cohorts", "Audit"],
    "admin": ["Work list", "Audit", "Users", "Notification defaults", "Webhooks"],
}
QUEUES = {
    "manufacturing": ["lotsInProcess", "vialsUnplaced", "boxesNearlyFull"],
    "qc": ["lotsAwaitingResults"],
    "qa": ["lotsReadyForDisposition", "holdsToReview"],
    "clinical": ["lymphodepletionDue", "clearanceDue", "infusionToday", "dltWindowOpen", "cohortDecisionsDue"],
    "pharmacy": ["dosesSoon", "plansToCommit", "shipmentsInTransit"],
    "auditor": ["recentSignedEvents", "auditVerification"],
    "admin": ["lockedUsers", "usersIdle"],
}
ROLES = list(MENUS)


def menu(browser):
    return [a.get_attribute("textContent") for a in browser.find_elements(By.CSS_SELECTOR, "nav#main-menu a")]


def cookie(browser):
    return {"cl_session": browser.get_cookie("cl_session")["value"]}


@pytest.mark.parametrize("role", ROLES)
def test_menu_and_work_list_come_from_the_role(browser, role):
    sign_in(browser, role)
    assert menu(browser) == MENUS[role]
    queues = [s.get_attribute("id").removeprefix("queue-") for s in browser.find_elements(By.CSS_SELECTOR, "#work-list section.queue")]
    assert queues == QUEUES[role]
    screenshot(browser, f"work-list-{role}-1366")


def test_work_lists_answer_what_to_do_today(browser):
    # Manufacturing: the demo leaves lots in process; the work list names them and links to them.
    in_process = sql("SELECT lot_number FROM lot WHERE status = 'in-process' ORDER BY manufactured_on, lot_number LIMIT 1")
    sign_in(browser, "manufacturing")
    text = browser.find_element(By.ID, "queue-lotsInProcess").text
    if in_process:
        assert in_process in text and "vials created" in text
    else:
        assert "Nothing waiting" in text
    # QA: a hold to review shows with its reason; the auditor sees signed events in sentences, never dotted codes.
    browser.delete_all_cookies()
    sign_in(browser, "auditor")
    signed = browser.find_element(By.ID, "queue-recentSignedEvents").text
    assert not re.search(r"\b[a-z]+\.[a-z-]+\b", signed.split("\n", 1)[-1].replace("e.g.", "")), signed
    # The admin's work list: a locked user is listed to unlock.
    browser.delete_all_cookies()
    sign_in(browser, "admin")
    locked = sql("SELECT name FROM app_user WHERE locked_at IS NOT NULL AND deactivated_at IS NULL ORDER BY locked_at LIMIT 1")
    text = browser.find_element(By.ID, "queue-lockedUsers").text
    assert (locked in text) if locked else ("Nothing waiting" in text)


def test_the_patient_list_is_a_page_with_each_patients_next_step(browser):
    sign_in(browser, "clinical")
    browser.get(BASE + "/console/patients")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Patients"
    rows = browser.find_elements(By.CSS_SELECTOR, "#patients tbody tr")
    assert len(rows) == int(sql("SELECT count(*) FROM patient"))
    first = sql("SELECT subject_id FROM patient ORDER BY infusion_on, subject_id LIMIT 1")
    assert first in rows[0].text
    response = requests.get(BASE + "/console/patients", cookies=cookie(browser))
    assert response.headers["Content-Type"].startswith("text/html")
    # An auditor's read of the list is logged on each patient.
    browser.delete_all_cookies()
    sign_in(browser, "auditor")
    before = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{first}' AND action = 'record.read-by-auditor'"))
    browser.get(BASE + "/console/patients")
    assert int(sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{first}' AND action = 'record.read-by-auditor'")) == before + 1


def test_the_timeline_reads_in_sentences(browser):
    sign_in(browser, "manufacturing")
    vial = sql("SELECT id FROM vial WHERE status = 'stored' ORDER BY id LIMIT 1")
    browser.get(f"{BASE}/console/vials/{vial}")
    timeline = browser.find_element(By.CSS_SELECTOR, ".timeline table").text
    assert "Vial created" in timeline
    assert "vial.created" not in timeline


@pytest.mark.parametrize("ending", [Keys.TAB, " " + Keys.ENTER, Keys.RETURN])
def test_a_scanner_s_trailing_characters_and_lowercase_are_forgiven(browser, ending):
    sign_in(browser, "manufacturing")
    vial = sql("SELECT id FROM vial WHERE status = 'stored' ORDER BY id LIMIT 1")
    field = browser.find_element(By.ID, "scan-id")
    field.send_keys(vial.lower())
    try:
        field.send_keys(ending)
    except WebDriverException:
        # Enter submits at once: the page can be gone before ChromeDriver reports the key sent ("Node with given id
        # does not belong to the document"). What matters is where the browser lands, checked next.
        pass
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), f"Vial {vial}"))
    # Without the page's script, the server forgives them too.
    for sent in [vial + "\r", vial + "\t", f" {vial.lower()} "]:
        r = requests.get(BASE + "/console/find", params={"id": sent}, cookies=cookie(browser), allow_redirects=False)
        assert r.status_code == 302 and r.headers["Location"].endswith(vial), sent


@pytest.mark.parametrize("role,path", [
    ("pharmacy", "/console/bedside"), ("pharmacy", "/console/pharmacy"), ("pharmacy", "/console"), ("manufacturing", "/console"),
    ("clinical", "/console/patients"), ("qa", "/console"), ("qc", "/console"), ("auditor", "/console"), ("admin", "/console"),
    ("clinical", "/console"), ("admin", "/console/users"),
    ("qa", "/console/notifications"), ("qa", "/console/notifications/settings"), ("admin", "/console/admin/notifications"),
    ("admin", "/console/admin/webhooks"), ("auditor", "/console/audit"),
])
def test_pages_fit_a_phone_and_the_menu_collapses(browser, role, path):
    browser.set_window_size(360, 800)
    sign_in(browser, role)
    browser.get(BASE + path)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    inner = browser.execute_script("return window.innerWidth")
    assert width <= inner, f"{path} is {width} px wide at {inner} px"
    # The menu is behind its button; opened, every entry of the role is on screen.
    assert not browser.find_element(By.CSS_SELECTOR, "nav#main-menu").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "label.menu-button").click()
    links = browser.find_elements(By.CSS_SELECTOR, "nav#main-menu a")
    assert [a.text for a in links] == MENUS[role]
    assert all(a.is_displayed() and a.rect["x"] + a.rect["width"] <= inner for a in links)


@pytest.mark.parametrize("role", ROLES)
def test_screenshots_at_1366_and_390(browser, role):
    sign_in(browser, role)
    pages = [("work-list", "/console")] + ([("bedside", "/console/bedside"), ("pharmacy", "/console/pharmacy")] if role == "pharmacy" else [])
    for name, path in pages:
        for width in (1366, 390):
            browser.set_window_size(width, 900)
            browser.get(BASE + path)
            height = browser.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
            browser.set_window_size(width, height + 120)
            screenshot(browser, f"{name}-{role}-{width}" if name == "work-list" else f"{name}-{width}")
            assert browser.execute_script("return document.documentElement.scrollWidth") <= browser.execute_script("return window.innerWidth")


def test_admin_cannot_deactivate_themself_reactivates_a_user_and_sees_a_new_token_once(browser):
    sign_in(browser, "admin")
    browser.get(BASE + "/console/users")
    me = sql(f"SELECT id FROM app_user WHERE lower(login) = lower('{users()['admin'][0]}')")
    assert not browser.find_elements(By.CSS_SELECTOR, f"form[action='/console/users/{me}/deactivate']")
    assert "This is you" in browser.find_element(By.ID, f"user-{me}").text
    # A new user: the token is shown once, with a copy button and the warning.
    browser.find_element(By.ID, "name").send_keys("Tara Token")
    browser.find_element(By.ID, "new-login").send_keys("tara")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#create-user button"))
    token = browser.find_element(By.ID, "token-value").get_attribute("value")
    assert token and "shown once" in browser.find_element(By.ID, "token-warning").text
    assert browser.find_element(By.ID, "copy-token").is_displayed()
    assert requests.get(BASE + "/lots", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    browser.get(BASE + "/console/users")
    assert not browser.find_elements(By.ID, "token-value")
    assert token not in browser.page_source
    uid = sql("SELECT id FROM app_user WHERE login = 'tara'")
    # Deactivated, then reactivated: said on the page, announced, and both in the custody log by the admin.
    browser.find_element(By.ID, f"why-{uid}").send_keys("left the study")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/console/users/{uid}/deactivate'] button"))
    confirmation = browser.find_element(By.ID, "created")
    assert "deactivated" in confirmation.text and confirmation.get_attribute("role") == "status"
    browser.find_element(By.ID, f"back-{uid}").send_keys("back on the study")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/console/users/{uid}/reactivate'] button"))
    assert "active again" in browser.find_element(By.ID, "created").text
    assert sql(f"SELECT deactivated_at IS NULL FROM app_user WHERE id = {uid}") == "t"
    assert sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'user' AND subject_id = '{uid}' AND action = 'user.reactivated'") == "1"
    # The server refuses self-deactivation whatever the page shows.
    csrf = browser.find_element(By.CSS_SELECTOR, "input[name=_csrf]").get_attribute("value")
    r = requests.post(f"{BASE}/console/users/{me}/deactivate", data={"_csrf": csrf, "reason": "oops"}, cookies=cookie(browser))
    assert r.status_code == 400 and "cannot deactivate their own account" in r.text
    assert sql(f"SELECT deactivated_at IS NULL FROM app_user WHERE id = {me}") == "t"


def test_assets_are_content_hashed_immutable_and_pages_compressed(browser):
    sign_in(browser, "qa")
    css = browser.find_element(By.CSS_SELECTOR, "link[rel=stylesheet]").get_attribute("href")
    assert re.search(r"/console/assets/console\.[0-9a-f]{16}\.css$", css), css
    r = requests.get(css, headers={"Accept-Encoding": "gzip"})
    assert "immutable" in r.headers["Cache-Control"] and r.headers["Content-Encoding"] == "gzip"
    raw = requests.get(css, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in raw.headers and raw.content == r.content
    page = requests.get(BASE + "/console", cookies=cookie(browser), headers={"Accept-Encoding": "gzip"}, stream=True)
    assert page.headers["Content-Encoding"] == "gzip" and page.headers["Cache-Control"] == "no-store"
    compressed = page.raw.read()
    html = gzip.decompress(compressed)
    print(f"\nwork list: {len(html)} bytes of HTML sent as {len(compressed)} gzip bytes ({100 * len(compressed) // len(html)}%)")
    assert b"Work list" in html


def test_custody_export_is_named_by_scope_and_date(browser):
    sign_in(browser, "auditor")
    lot = sql("SELECT lot_number FROM lot ORDER BY lot_number LIMIT 1")
    r = requests.get(f"{BASE}/console/audit/export.pdf", params={"kind": "lot", "id": lot}, cookies=cookie(browser))
    today = sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    assert r.status_code == 200, r.text[:300]
    assert f'filename="custody-lot-{lot}-{today}.pdf"' in r.headers["Content-Disposition"]


def test_the_skip_link_is_first_and_leads_to_the_content(browser):
    sign_in(browser, "qc")
    # The skip link is the first thing a keyboard reaches (the scan field has the focus on arrival, so check the order).
    first = browser.execute_script("return document.querySelector('a[href], button, input:not([type=hidden]), select, textarea')")
    assert first.get_attribute("class") == "skip-link"
    browser.execute_script("arguments[0].focus()", first)
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "skip-link" and active.is_displayed()
    active.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"


AXE_RUN = """
var done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})
   .then(done, function (e) { done({error: String(e)}); });
"""


def page_set(browser, role):
    """The pages of the role's menu, and the first link of each list page (a lot, a freezer, a study, a plan …)."""
    paths = ["/console", "/console/notifications", "/console/notifications/settings"] + [a.get_attribute("href").removeprefix(BASE) for a in browser.find_elements(By.CSS_SELECTOR, "nav#main-menu a")]
    deeper = {"/console/freezers": "main a[href^='/console/freezers/']", "/console/lots": "main a[href^='/console/lots/']",
              "/console/studies": "main a[href^='/console/studies/']", "/console/release": "main a[href^='/console/release/']",
              "/console/pharmacy": "main a[href^='/console/pharmacy/']", "/console/patients": "main a[href^='/console/cohorts/']"}
    found = []
    for path in dict.fromkeys(paths):
        found.append(path)
        if path in deeper:
            browser.get(BASE + path)
            links = browser.find_elements(By.CSS_SELECTOR, deeper[path])
            if links:
                found.append(links[0].get_attribute("href").removeprefix(BASE))
    vial = sql("SELECT id FROM vial ORDER BY id LIMIT 1")
    found.append(f"/console/vials/{vial}")
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_no_serious_or_critical_violation_on_any_page(browser, role):
    sign_in(browser, role)
    axe = Axe(browser)
    browser.set_script_timeout(120)
    failures = []
    for path in page_set(browser, role):
        for width in (1280, 390):
            browser.set_window_size(width, 900)
            browser.get(BASE + path)
            axe.inject()
            results = browser.execute_async_script(AXE_RUN)
            assert "error" not in results, results
            bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
            print(f"\naxe {role} {path} @{width}px: {len(results['passes'])} rules pass, "
                  f"{len(results['violations'])} violations ({len(bad)} serious or critical)")
            for v in results["violations"]:
                print(f"  {v['impact']}: {v['id']} - {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})")
            failures += [f"{path} @{width}: {v['id']} ({v['nodes'][0]['target']})" for v in bad]
    assert not failures, failures
