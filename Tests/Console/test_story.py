"""The demo story in the browser, as the people who do it (issue 16): clinical enrols three patients into
RESOLUTION SLE DL1 without lymphodepletion through the checklist; pharmacy plans, commits, picks, ships and
receives, each vial (and the dry shipper) scanned at each hand-off; the thaw waits: clinical moves each infusion
to today and signs each clearance at the bedside; pharmacy thaws (vial and band scanned) and administers each,
with one wrong-vial scan refused and logged; clinical records a DLT and
reads the 3+3 engine's decision and why. The database is checked after each step. (QC entering results and QA
releasing, with the QC recorder's own release refused, is the first test of test_release.py.)

run.sh runs this file first: it needs the demo's SLE DL1 cohort untouched."""
from selenium.webdriver.common.by import By

from conftest import BASE, sign_in, sql, submit_and_wait, users
from test_clinic import fill_enrolment, record_dlt
from test_pharmacy import scan, thaw_form
import datetime

COHORT = "RESOLUTION/SLE/DL1/no-LD"
PATIENTS = ["RES-SLE-001", "RES-SLE-002", "RES-SLE-003"]
IDS = ", ".join(f"'{p}'" for p in PATIENTS)


def test_the_demo_story_clinical_then_pharmacy_then_clinical(browser):
    # Clinical: three enrolments, each through the eligibility checklist.
    sign_in(browser, "clinical")
    for subject in PATIENTS:
        browser.get(f"{BASE}/console/cohorts/{COHORT}/enrol")
        assert not browser.find_elements(By.ID, "ldStartOn"), "this arm has no lymphodepletion"
        fill_enrolment(browser, subject)
        submit_and_wait(browser, browser.find_element(By.ID, "enrol-submit"))
        assert f"{subject} enrolled" in browser.find_element(By.ID, "notice").text
        assert sql(f"SELECT cohort_id, status, ld_start_on IS NULL FROM patient WHERE subject_id = '{subject}'") == f"{COHORT}|enrolled|t"
    browser.delete_all_cookies()

    # Pharmacy: plan for these three, read why each got its lot, commit.
    sign_in(browser, "pharmacy")
    browser.get(BASE + "/console/pharmacy")
    for box in browser.find_elements(By.CSS_SELECTOR, "#plan-form input[type=checkbox]"):
        if box.is_selected() != (box.get_attribute("name").removeprefix("patient:") in PATIENTS):
            box.click()
    submit_and_wait(browser, browser.find_element(By.ID, "plan-selected"))
    plan = browser.find_element(By.ID, "plan-id").text
    assert browser.find_element(By.ID, "proof-status").text.startswith("✓ Proven optimal")
    for subject in PATIENTS:
        assert browser.find_element(By.CSS_SELECTOR, f"#assigned-{subject} .explanation").text
    assert sql(f"SELECT count(*) FROM allocation WHERE subject_id IN ({IDS})") == "0"
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#commit-form button"))
    assert sql(f"SELECT count(*) FROM allocation WHERE plan_id = '{plan}' AND subject_id IN ({IDS}) AND status = 'reserved'") == "3"

    # Pick, ship and receive each allocation from its page; the logger stayed cold.
    vials = {}
    for subject in PATIENTS:
        allocation = sql(f"SELECT id FROM allocation WHERE plan_id = '{plan}' AND subject_id = '{subject}'")
        vials[subject] = sql(f"SELECT vial_id FROM reservation WHERE allocation_id = {allocation} AND cancelled_at IS NULL ORDER BY vial_id").split()
        browser.get(f"{BASE}/console/pharmacy/allocations/{allocation}")
        assert "infusion" in browser.find_element(By.ID, f"readiness-{subject}").text
        browser.find_element(By.ID, "scannedVialIds").send_keys("\n".join(vials[subject]))
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#pick-form button"))
        for field, value in [("dryShipperId", "DS-0042"), ("dataLoggerId", "TL-7781"), ("validatedHoldHours", "240"),
                             ("scannedDryShipperId", "DS-0042"), ("scannedShipVialIds", "\n".join(vials[subject]))]:
            browser.find_element(By.ID, field).clear()
            browser.find_element(By.ID, field).send_keys(value)
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#ship-form button"))
        browser.find_element(By.ID, "scannedVialIds").send_keys("\n".join(vials[subject]))
        browser.find_element(By.ID, "loggerMaxCelsius").send_keys("-171.5")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#receive-form button"))
        assert not browser.find_elements(By.ID, "excursion")
        listed = ", ".join(f"'{v}'" for v in vials[subject])
        assert sql(f"SELECT DISTINCT status FROM vial WHERE id IN ({listed})") == "received"
        assert sql(f"SELECT count(*) FROM hold WHERE subject_type = 'vial' AND subject_id IN ({listed}) AND lifted_at IS NULL") == "0"

    # The infusions are planned ten days out: nothing can be thawed yet, and the bedside says why.
    browser.get(BASE + "/console/bedside")
    for subject in PATIENTS:
        assert not browser.find_elements(By.ID, f"thaw-{vials[subject][0]}")
        assert "not today" in browser.find_element(By.ID, f"waiting-{vials[subject][0]}").text
    browser.delete_all_cookies()

    # Clinical, at the bedside: each infusion moved to today (the vials are here), each clearance signed.
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    sign_in(browser, "clinical")
    for subject in PATIENTS:
        browser.get(BASE + "/console/bedside")
        day = browser.find_element(By.ID, f"reschedule-{subject}-day")
        browser.execute_script("arguments[0].value = arguments[1]", day, today)
        browser.find_element(By.ID, f"reschedule-{subject}-reason").send_keys("vials received at the site; patient admitted today")
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#reschedule-form-{subject} button"))
        assert sql(f"SELECT to_on FROM infusion_reschedule WHERE subject_id = '{subject}' ORDER BY id DESC LIMIT 1") == today
        assert "no signed pre-infusion clearance" in browser.find_element(By.ID, f"not-ready-{subject}").text
        for box in browser.find_elements(By.CSS_SELECTOR, f"#clear-form-{subject} input[type=checkbox]"):
            box.click()
        browser.find_element(By.ID, f"clear-{subject}-open").click()
        browser.find_element(By.ID, f"clear-{subject}-password").send_keys(users()["clinical"][1])
        submit_and_wait(browser, browser.find_element(By.ID, f"clear-{subject}-sign"))
        assert "ready for infusion today" in browser.find_element(By.ID, f"readiness-{subject}").text
        assert sql(f"SELECT count(*) FROM infusion_clearance WHERE subject_id = '{subject}' AND cleared_on = DATE '{today}'") == "1"
    browser.delete_all_cookies()
    sign_in(browser, "pharmacy")

    # Bedside: thaw (vial and band scanned), scan band and vial, see the match, sign. First a wrong vial: refused and logged.
    wrong = vials[PATIENTS[1]][0]
    for subject in PATIENTS:
        vial = vials[subject][0]
        browser.get(BASE + "/console/bedside")
        thaw_form(browser, vial, subject)
        assert sql(f"SELECT status FROM vial WHERE id = '{vial}'") == "thawed"
        if subject == PATIENTS[0]:
            refused = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{wrong}' AND action = 'vial.administration-refused'"))
            scan(browser, subject, wrong)
            assert browser.find_element(By.ID, "check-refused").text
            assert not browser.find_elements(By.ID, "administer-form")
            assert int(sql(f"SELECT count(*) FROM custody_event WHERE subject_id = '{wrong}' AND action = 'vial.administration-refused'")) == refused + 1
            assert sql(f"SELECT status FROM vial WHERE id = '{wrong}'") == "received"
        scan(browser, subject, vial)
        assert subject in browser.find_element(By.ID, "match").text
        browser.find_element(By.ID, "administer-open").click()
        browser.find_element(By.ID, "administer-password").send_keys(users()["pharmacy"][1])
        submit_and_wait(browser, browser.find_element(By.ID, "administer-sign"))
        assert sql(f"SELECT v.status, a.subject_id FROM vial v JOIN administration a ON a.vial_id = v.id WHERE v.id = '{vial}'") == f"administered|{subject}"
        assert sql(f"SELECT status FROM patient WHERE subject_id = '{subject}'") == "dosed"
    browser.delete_all_cookies()

    # Clinical: a DLT in the second patient; the engine waits for the other two windows, and says so.
    sign_in(browser, "clinical")
    browser.get(f"{BASE}/console/cohorts/{COHORT}")
    record_dlt(browser, PATIENTS[1], "grade 3 cytokine release syndrome")
    assert sql(f"SELECT count(*) FROM dlt WHERE subject_id = '{PATIENTS[1]}'") == "1"
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "observe" in page.lower(), page
    for waiting in (PATIENTS[0], PATIENTS[2]):
        assert waiting in browser.find_element(By.ID, "awaiting").text
