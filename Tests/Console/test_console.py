"""Console, part 1, in a real browser (issue 15). Every test checks the database, not only the page."""
import re
import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, screenshot, sign_in, sql, submit_and_wait, users


def session_cookie(driver):
    return {"cl_session": driver.get_cookie("cl_session")["value"]}


def user_id(login):
    return sql(f"SELECT id FROM app_user WHERE lower(login) = lower('{login}')")


def test_wrong_sign_ins_are_throttled_and_never_lock_the_signature(browser):
    uid = user_id("lee")
    messages = []
    for attempt in range(1, 6):
        sign_in(browser, "lee", f"not-the-password-{attempt}")
        assert browser.current_url.endswith("/console/sign-in")
        messages.append(browser.find_element(By.ID, "sign-in-error").text)
    # Three free mistakes, then each failure makes the login name wait longer, and the page says how long.
    assert all("wrong" in m or "try again in" in m for m in messages), messages
    assert sql(f"SELECT failed_signatures, locked_at IS NOT NULL FROM app_user WHERE id = {uid}") == "0|f"
    failed = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'user' AND subject_id = '{uid}' "
                     "AND action = 'user.sign-in-failed'"))
    assert 4 <= failed <= 5, failed
    assert sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid}") == "0"
    # Once the wait is over, the right password opens a session: the account was never locked.
    sign_in(browser, "lee", "lockout-test-password")
    if browser.current_url.endswith("/console/sign-in"):
        message = browser.find_element(By.ID, "sign-in-error").text
        assert "try again in" in message, message
        time.sleep(int(re.search(r"try again in (\d+) second", message).group(1)) + 0.5)
        sign_in(browser, "lee", "lockout-test-password")
    assert browser.current_url.rstrip("/").endswith("/console")
    assert sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid} AND ended_at IS NULL") == "1"


def test_sign_in_form_needs_its_csrf_token(browser):
    login, password = users()["qa"]
    refused = requests.post(BASE + "/console/sign-in", data={"login": login, "password": password}, allow_redirects=False)
    assert refused.status_code == 403 and "cl_session" not in refused.cookies
    assert "security token" in refused.text


def test_sign_in_lands_on_the_work_list_and_records_the_event(browser):
    login, _ = users()["qa"]
    uid = user_id(login)
    before = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{uid}' AND action = 'user.signed-in'"))
    sign_in(browser, "qa")
    assert browser.current_url.rstrip("/").endswith("/console")
    assert "Avery Releaser (qa)" in browser.find_element(By.ID, "signed-in-as").text
    cookie = browser.get_cookie("cl_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert int(sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{uid}' AND action = 'user.signed-in'")) == before + 1
    assert int(sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid} AND ended_at IS NULL")) >= 1


def test_browse_to_a_box_and_open_a_vial_card(browser):
    sign_in(browser, "manufacturing")
    submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "Freezers"))
    submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "SSF-LN2-01"))
    assert browser.find_element(By.CSS_SELECTOR, ".legend").text
    screenshot(browser, "freezer-map")
    cell = browser.find_element(By.CSS_SELECTOR, ".grid a.cell")
    href = cell.get_attribute("href")
    vial = href.rsplit("/", 1)[-1]
    submit_and_wait(browser, cell)
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Vial {vial}"
    location = browser.find_element(By.ID, "vial-location").text
    box, row, col = sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'").split("|")
    assert box in location and "SSF-LN2-01" in location
    assert "chain verifies" in browser.find_element(By.ID, "chain-status").text
    screenshot(browser, "vial-card")


def first_stored_vial():
    return sql("SELECT v.id FROM vial v JOIN vial_position p ON p.vial_id = v.id WHERE v.status = 'stored' ORDER BY v.id LIMIT 1")


def test_scan_search_goes_to_the_vial_and_a_wrong_check_character_is_refused(browser):
    sign_in(browser, "manufacturing")
    vial = first_stored_vial()
    field = browser.find_element(By.ID, "scan-id")
    wrong = vial[:-1] + ("A" if vial[-1] != "A" else "B")
    field.send_keys(wrong + Keys.ENTER)
    assert "check character does not match" in browser.find_element(By.ID, "scan-msg").text
    assert "/console/vials/" not in browser.current_url
    # The server refuses it too, without the page's script.
    refused = requests.get(BASE + "/console/find", params={"id": wrong}, cookies=session_cookie(browser), allow_redirects=False)
    assert refused.status_code == 400 and "check character" in refused.text
    field = browser.find_element(By.ID, "scan-id")
    field.clear()
    field.send_keys(vial + Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), f"Vial {vial}"))


def free_position(box):
    taken = set(sql(f"SELECT row_no || '-' || column_no FROM vial_position WHERE box_id = '{box}'").split())
    return next((r, c) for r in range(1, 10) for c in range(1, 10) if f"{r}-{c}" not in taken)


def test_move_a_vial_and_see_its_new_custody_event(browser):
    sign_in(browser, "manufacturing")
    vial = first_stored_vial()
    box = "SSF-LN2-01-R2-B2"
    row, col = free_position(box)
    events = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'vial' AND subject_id = '{vial}'"))
    browser.get(f"{BASE}/console/vials/{vial}")
    browser.find_element(By.ID, "box").send_keys(box)
    # The row is typed as the letter printed on the box (lowercase forgiven).
    browser.find_element(By.ID, "row").send_keys(chr(96 + row))
    browser.find_element(By.ID, "column").send_keys(str(col))
    browser.find_element(By.ID, "reason").send_keys("box consolidation (console test)")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#move-form button"))
    assert box in browser.find_element(By.ID, "vial-location").text
    assert "box consolidation (console test)" in browser.find_element(By.CSS_SELECTOR, ".timeline").text
    assert sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'") == f"{box}|{row}|{col}"
    assert int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'vial' AND subject_id = '{vial}'")) == events + 1
    # A refusal names the field and the rule next to the form, and changes nothing.
    browser.find_element(By.ID, "box").send_keys(box)
    browser.find_element(By.ID, "row").send_keys("42")
    browser.find_element(By.ID, "column").send_keys("1")
    browser.find_element(By.ID, "reason").send_keys("out of the box")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#move-form button"))
    assert "row" in browser.find_element(By.ID, "refusal-summary").text
    assert browser.find_element(By.ID, "row-error").text
    assert browser.find_element(By.ID, "reason").get_attribute("value") == "out of the box"
    assert sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'") == f"{box}|{row}|{col}"


def test_a_post_without_the_csrf_token_is_refused(browser):
    sign_in(browser, "manufacturing")
    vial = first_stored_vial()
    where = sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'")
    box = "SSF-LN2-01-R2-B2"
    row, col = free_position(box)
    refused = requests.post(f"{BASE}/console/vials/{vial}/move", cookies=session_cookie(browser), allow_redirects=False,
                            data={"box": box, "row": row, "column": col, "reason": "forged"})
    assert refused.status_code == 403
    assert sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'") == where


def test_an_auditor_sees_no_write_controls_and_a_forced_post_is_refused(browser):
    sign_in(browser, "auditor")
    vial = first_stored_vial()
    where = sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'")
    browser.get(f"{BASE}/console/vials/{vial}")
    assert not browser.find_elements(By.ID, "move-form")
    csrf = browser.find_element(By.CSS_SELECTOR, "input[name=_csrf]").get_attribute("value")
    row, col = free_position("SSF-LN2-01-R2-B2")
    forced = requests.post(f"{BASE}/console/vials/{vial}/move", cookies=session_cookie(browser), allow_redirects=False,
                           data={"_csrf": csrf, "box": "SSF-LN2-01-R2-B2", "row": row, "column": col, "reason": "forced"})
    assert forced.status_code == 403
    assert sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'") == where


def test_an_idle_session_ends(browser):
    sign_in(browser, "qc")
    uid = user_id(users()["qc"][0])
    sql(f"UPDATE console_session SET last_seen_at = now() - interval '16 minutes' WHERE user_id = {uid} AND ended_at IS NULL")
    browser.get(BASE + "/console/lots")
    assert browser.current_url.endswith("/console/sign-in")
    assert int(sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid} AND end_reason = 'idle'")) >= 1


def test_sign_out_ends_the_session_and_records_it(browser):
    sign_in(browser, "pharmacy")
    uid = user_id(users()["pharmacy"][0])
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".who button"))
    assert browser.current_url.endswith("/console/sign-in")
    assert sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{uid}' AND action = 'user.signed-out'") == "1"
    browser.get(BASE + "/console/freezers")
    assert browser.current_url.endswith("/console/sign-in")


def test_lots_filters_and_counts(browser):
    sign_in(browser, "auditor")
    browser.get(BASE + "/console/lots?status=released")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    assert len(rows) == int(sql("SELECT count(*) FROM lot WHERE status = 'released'"))
    assert all(re.search(r"\breleased\b", r.text) for r in rows)


def test_audit_scope_events_downloads_and_verification(browser):
    sign_in(browser, "auditor")
    lot = sql("SELECT lot_number FROM lot ORDER BY lot_number LIMIT 1")
    browser.get(BASE + "/console/audit")
    browser.find_element(By.CSS_SELECTOR, "#kind option[value=lot]").click()
    browser.find_element(By.ID, "scope-id").send_keys(lot)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#audit-scope button"))
    shown = int(browser.find_element(By.ID, "event-count").text.split()[0])
    assert shown >= int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'lot' AND subject_id = '{lot}'")) > 0
    screenshot(browser, "audit")
    cookies = session_cookie(browser)
    for fmt, check in [("csv", lambda r: r.text.splitlines()[0].startswith("#") or "," in r.text.splitlines()[0]),
                       ("json", lambda r: len(r.json()["events"]) >= shown),
                       ("pdf", lambda r: r.content.startswith(b"%PDF"))]:
        href = browser.find_element(By.ID, f"download-{fmt}").get_attribute("href")
        r = requests.get(href, cookies=cookies)
        assert r.status_code == 200, (fmt, r.status_code, r.text[:200])
        assert check(r), fmt
    submit_and_wait(browser, browser.find_element(By.ID, "run-verification"))
    assert browser.find_element(By.ID, "verify-result").text.startswith("✓ Intact")


def test_an_auditors_read_of_a_patient_is_logged(browser):
    patient = sql("SELECT subject_id FROM patient ORDER BY subject_id LIMIT 1")
    before = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'patient' AND subject_id = '{patient}'"))
    sign_in(browser, "auditor")
    browser.get(f"{BASE}/console/audit?kind=patient&id={patient}")
    assert browser.find_element(By.ID, "event-count")
    after = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'patient' AND subject_id = '{patient}'"))
    assert after == before + 1


def test_import_dry_run_first_then_commit_and_rejects_download(browser, tmp_path):
    csv = tmp_path / "donors.csv"
    csv.write_text("code,eligibility\nDN-000901,pending\nDN-000902,pending\nNOT-A-DONOR,pending\n")
    sign_in(browser, "manufacturing")
    browser.get(BASE + "/console/import")
    for option in browser.find_elements(By.CSS_SELECTOR, "#import-kind option"):
        if option.text == "donors":
            option.click()
    browser.find_element(By.ID, "import-file").send_keys(str(csv))
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#import-form button"))
    summary = browser.find_element(By.ID, "import-summary").text
    assert "dry run" in summary and "2 would be written" in summary and "1 rejected" in summary, summary
    assert sql("SELECT count(*) FROM donor WHERE code IN ('DN-000901', 'DN-000902')") == "0"
    rejects = requests.get(browser.find_element(By.ID, "download-rejects").get_attribute("href"), cookies=session_cookie(browser))
    assert rejects.status_code == 200 and "NOT-A-DONOR" in rejects.text and "code" in rejects.text.splitlines()[0]
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#commit-form button"))
    assert "dry run" not in browser.find_element(By.ID, "import-summary").text
    assert sql("SELECT count(*) FROM donor WHERE code IN ('DN-000901', 'DN-000902')") == "2"
    assert sql("SELECT count(*) FROM custody_event WHERE subject_type = 'donor' AND subject_id IN ('DN-000901', 'DN-000902')") == "2"


def test_an_admin_creates_a_user_who_signs_in_then_deactivates_them(browser):
    sign_in(browser, "admin")
    browser.get(BASE + "/console/users")
    browser.find_element(By.ID, "name").send_keys("Robin Receiver")
    browser.find_element(By.ID, "new-login").send_keys("Robin")
    for option in browser.find_elements(By.CSS_SELECTOR, "#role option"):
        if option.text == "pharmacy":
            option.click()
    browser.find_element(By.ID, "new-password").send_keys("robin-console-password")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#create-user button"))
    assert "Robin Receiver" in browser.find_element(By.ID, "created").text
    uid = user_id("robin")
    assert sql(f"SELECT role, login FROM app_user WHERE id = {uid}") == "pharmacy|Robin"
    # "User created" is attributed to the administrator who created the user, in one event.
    admin_name = sql(f"SELECT name FROM app_user WHERE lower(login) = lower('{users()['admin'][0]}')")
    assert sql(f"SELECT actor_name FROM custody_event WHERE subject_type = 'user' AND subject_id = '{uid}' AND action = 'user.created'") == admin_name
    # A login name is unique whatever its case.
    browser.find_element(By.ID, "name").send_keys("Robin Again")
    browser.find_element(By.ID, "new-login").send_keys("ROBIN")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#create-user button"))
    assert "login" in browser.find_element(By.ID, "form-error").text
    # The new user signs in (login name in another case), in a browser of its own.
    browser.delete_all_cookies()
    sign_in(browser, "ROBIN", "robin-console-password")
    assert "Robin Receiver (pharmacy)" in browser.find_element(By.ID, "signed-in-as").text
    browser.delete_all_cookies()
    sign_in(browser, "admin")
    browser.get(BASE + "/console/users")
    browser.find_element(By.ID, f"why-{uid}").send_keys("left the site")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/console/users/{uid}/deactivate'] button"))
    assert sql(f"SELECT deactivated_at IS NOT NULL FROM app_user WHERE id = {uid}") == "t"
    assert sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid} AND ended_at IS NULL") == "0"
    browser.delete_all_cookies()
    sign_in(browser, "robin", "robin-console-password")
    assert browser.current_url.endswith("/console/sign-in")
