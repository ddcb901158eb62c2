"""The clinic's screens in a real browser (issue 16, part 5): the eligibility checklist, the cohort board, DLTs and
the signed cohort decision. Every step checks the database, not only the page. The patients of the decision test
are dosed through the API as the pharmacy would (plan, commit, pick, ship, receive, thaw, administer)."""
import datetime
import os
import pathlib

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, screenshot, sign_in, sql, submit_and_wait, users
from test_pharmacy import make_ready

# The demo story (test_story.py, run first) fills SLE DL1 without lymphodepletion; enrolment is tested on SSc.
SSC_NO_LD = "RESOLUTION/SSc/DL1/no-LD"
# The decision test closes its cohort (2 DLTs at the lowest dose stop it): one arm no other test enrols into
# (the story takes SLE DL1 and the pharmacy IIM DL1, both without lymphodepletion).
IIM_CY = "RESOLUTION/IIM/DL1/Cy"


def today(days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)).isoformat()


def slug(cohort):
    return cohort.replace("/", "-")


def tokens():
    path = pathlib.Path(os.environ["CONSOLE_USERS_FILE"]).with_name("demo-tokens.env")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def api(role, method, path, body=None):
    token = tokens()[f"CRYOLEDGER_TOKEN_{role.upper()}"]
    response = requests.request(method, BASE + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def dose(subjects, site="UCLA"):
    """The pharmacy's part through the API: each patient gets a vial, shipped, received, thawed and administered."""
    plan = api("pharmacy", "POST", "/allocation-plans", {"patients": subjects})
    allocations = api("pharmacy", "POST", f"/allocation-plans/{plan['id']}/commit", {"patients": subjects})
    assert sorted(a["subjectId"] for a in allocations) == sorted(subjects), plan
    for a in allocations:
        api("pharmacy", "POST", f"/allocations/{a['allocationId']}/pick", {"scannedVialIds": a["vialIds"]})
    vials = [(a["subjectId"], v) for a in allocations for v in a["vialIds"]]
    ids = [v for _, v in vials]
    shipment = api("pharmacy", "POST", "/shipments", {"vialIds": ids, "toSite": site, "dryShipperId": "DS-CLINIC",
                                                      "dataLoggerId": "TL-CLINIC", "validatedHoldHours": 240,
                                                      "scannedVialIds": ids, "scannedDryShipperId": "DS-CLINIC"})
    api("pharmacy", "POST", f"/shipments/{shipment['id']}/receive", {"loggerMaxCelsius": -175.0, "scannedVialIds": ids})
    password = users()["pharmacy"][1]
    for subject in subjects:
        make_ready(api, subject)
    for subject, vial in vials:
        api("pharmacy", "POST", f"/vials/{vial}/thaw", {"scannedVialId": vial, "scannedSubjectId": subject})
        api("pharmacy", "POST", f"/vials/{vial}/administer",
            {"subjectId": subject, "signature": {"password": password, "meaning": "administered to the patient"}})
    assert sql("SELECT count(*) FROM patient WHERE status = 'dosed' AND subject_id IN ("
               + ", ".join(f"'{s}'" for s in subjects) + ")") == str(len(subjects))


def set_value(driver, element_id, value):
    """Date inputs take typed text in the browser's locale; the value is set as the form would submit it."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def open_board(driver, study="RESOLUTION"):
    submit_and_wait(driver, driver.find_element(By.LINK_TEXT, "Cohorts"))
    submit_and_wait(driver, driver.find_element(By.LINK_TEXT, study))
    assert driver.find_element(By.TAG_NAME, "h1").text == f"Cohort board: {study}"


def board_row(driver, cohort):
    row = driver.find_element(By.ID, f"cohort-{slug(cohort)}")
    return {name: row.find_element(By.CSS_SELECTOR, f"td.{name}").text
            for name in ["places", "enrolled", "treated", "evaluable", "dlts", "decision", "rationale"]}


def checklist(driver):
    """The criteria on the form: (code, exclusion?) in the page's order."""
    items = []
    for fieldset in driver.find_elements(By.CSS_SELECTOR, "fieldset.criterion"):
        code = fieldset.get_attribute("id").removeprefix("criterion-")
        items.append((code, fieldset.find_element(By.CSS_SELECTOR, ".kind").text == "Exclusion"))
    return items


def fill_enrolment(driver, subject, weight="62.5", excluded_by=()):
    """Fills the form; every item answered so the patient is eligible, except the codes in `excluded_by`."""
    driver.find_element(By.ID, "subjectId").send_keys(subject)
    Select(driver.find_element(By.ID, "siteCode")).select_by_visible_text("UCLA")
    driver.find_element(By.ID, "weightKg").send_keys(weight)
    set_value(driver, "infusionOn", today(10))
    for code, exclusion in checklist(driver):
        eligible_answer = "no" if exclusion else "yes"
        answer = ({"yes": "no", "no": "yes"}[eligible_answer]) if code in excluded_by else eligible_answer
        driver.find_element(By.ID, f"{code}-{answer}").click()


def enrol(driver, cohort, subject):
    driver.get(f"{BASE}/console/cohorts/{cohort}/enrol")
    fill_enrolment(driver, subject)
    if driver.find_elements(By.ID, "ldStartOn"):
        set_value(driver, "ldStartOn", today(5))
    submit_and_wait(driver, driver.find_element(By.ID, "enrol-submit"))
    assert f"{subject} enrolled" in driver.find_element(By.ID, "notice").text


def test_clinical_enrols_into_resolution_ssc_dl1_without_lymphodepletion_through_the_checklist(browser):
    sign_in(browser, "clinical")
    open_board(browser)
    row = browser.find_element(By.ID, f"cohort-{slug(SSC_NO_LD)}")
    submit_and_wait(browser, row.find_element(By.LINK_TEXT, "Enrol a patient"))
    assert browser.find_element(By.ID, "arm-lymphodepletion").text == "none"
    assert browser.find_element(By.ID, "no-lymphodepletion").is_displayed()
    assert not browser.find_elements(By.ID, "ldStartOn")
    items = checklist(browser)
    expected = sql("SELECT count(*) FROM eligibility_criterion WHERE study_code = 'RESOLUTION' AND (indication IS NULL OR indication = 'SSc')")
    assert len(items) == int(expected)
    infection = browser.find_element(By.ID, "criterion-no-active-infection").text
    assert "Does the patient have this?" in infection and "Yes excludes the patient" in infection
    fill_enrolment(browser, "CLN-SSC-001")
    screenshot(browser, "enrolment-checklist")
    submit_and_wait(browser, browser.find_element(By.ID, "enrol-submit"))
    assert "CLN-SSC-001 enrolled" in browser.find_element(By.ID, "notice").text
    assert browser.find_element(By.ID, "patient-CLN-SSC-001")
    assert sql("SELECT cohort_id, site_code, status, ld_start_on IS NULL, infusion_on, weight_kg FROM patient WHERE subject_id = 'CLN-SSC-001'") \
        == f"{SSC_NO_LD}|UCLA|enrolled|t|{today(10)}|62.5"
    assert sql("SELECT count(*), bool_and(satisfied) FROM patient_eligibility WHERE subject_id = 'CLN-SSC-001'") == f"{expected}|t"
    assert sql("SELECT count(*) FROM custody_event WHERE subject_type = 'patient' AND subject_id = 'CLN-SSC-001' AND action = 'patient.enrolled'") == "1"


def test_an_enrolment_failing_an_item_names_it_and_writes_nothing(browser):
    sign_in(browser, "clinical")
    browser.get(f"{BASE}/console/cohorts/{SSC_NO_LD}/enrol")
    events = sql("SELECT count(*) FROM custody_event")
    fill_enrolment(browser, "CLN-SSC-009", excluded_by=("no-active-infection", "contraception"))
    submit_and_wait(browser, browser.find_element(By.ID, "enrol-submit"))
    message = browser.find_element(By.ID, "eligibility-error").text
    assert "not eligible" in message and "no-active-infection" in message and "contraception" in message
    failing = browser.find_element(By.ID, "no-active-infection-failing")
    assert failing.is_displayed()
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", failing)
    screenshot(browser, "enrolment-refused")
    assert browser.find_element(By.ID, "contraception-failing").is_displayed()
    assert "failing" in browser.find_element(By.ID, "criterion-no-active-infection").get_attribute("class")
    assert not browser.find_elements(By.ID, "age-18-to-under-70-failing")
    # The answers are kept: the failing exclusion still reads "yes, the patient has it".
    assert browser.find_element(By.ID, "no-active-infection-yes").is_selected()
    assert browser.find_element(By.ID, "subjectId").get_attribute("value") == "CLN-SSC-009"
    assert sql("SELECT count(*) FROM patient WHERE subject_id = 'CLN-SSC-009'") == "0"
    assert sql("SELECT count(*) FROM patient_eligibility WHERE subject_id = 'CLN-SSC-009'") == "0"
    assert sql("SELECT count(*) FROM custody_event") == events


def test_an_enrolment_refusal_shows_the_rule_next_to_the_field(browser):
    sign_in(browser, "clinical")
    browser.get(f"{BASE}/console/cohorts/{SSC_NO_LD}/enrol")
    fill_enrolment(browser, "CLN-SSC-008", weight="12")
    submit_and_wait(browser, browser.find_element(By.ID, "enrol-submit"))
    assert "weightKg: between 20 and 300 kg" in browser.find_element(By.ID, "weightKg-error").text
    assert sql("SELECT count(*) FROM patient WHERE subject_id = 'CLN-SSC-008'") == "0"


def test_the_board_shows_each_cohorts_counts(browser):
    sign_in(browser, "clinical")
    open_board(browser)
    row = board_row(browser, SSC_NO_LD)
    places, enrolled, dosed = sql(f"SELECT c.capacity, (SELECT count(*) FROM patient p WHERE p.cohort_id = c.id AND p.status <> 'withdrawn'), "
                                  f"(SELECT count(*) FROM patient p WHERE p.cohort_id = c.id AND p.dosed_at IS NOT NULL) "
                                  f"FROM cohort c WHERE c.id = '{SSC_NO_LD}'").split("|")
    assert (row["places"], row["enrolled"], row["treated"]) == (places, enrolled, dosed)
    assert int(enrolled) >= 1
    cohorts = sql("SELECT count(*) FROM cohort WHERE study_code = 'RESOLUTION'")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#cohort-board tbody tr")) == int(cohorts)
    # A planned cohort waits; the board says so rather than recommending anything.
    assert "planned" in board_row(browser, "RESOLUTION/SLE/DL2/no-LD")["rationale"]


def record_dlt(driver, subject, description):
    Select(driver.find_element(By.ID, "dlt-subject")).select_by_visible_text(subject)
    driver.find_element(By.ID, "dlt-description").send_keys(description)
    Select(driver.find_element(By.ID, "dlt-grade")).select_by_visible_text("3")
    submit_and_wait(driver, driver.find_element(By.ID, "dlt-submit"))
    assert f"DLT recorded for {subject}" in driver.find_element(By.ID, "notice").text


def sign_decision(driver, password):
    driver.find_element(By.ID, "confirm-decision-open").click()
    field = WebDriverWait(driver, 5).until(EC.visibility_of_element_located((By.ID, "confirm-decision-password")))
    assert "I confirm the 3+3 decision 'stop' for cohort " + IIM_CY in driver.find_element(By.ID, "confirm-decision-manifest").text
    field.send_keys(password)
    submit_and_wait(driver, driver.find_element(By.ID, "confirm-decision-sign"))


def test_record_dlts_see_the_engines_decision_and_confirm_it_signed(browser):
    subjects = ["CLN-IIM-001", "CLN-IIM-002", "CLN-IIM-003"]
    sign_in(browser, "clinical")
    for subject in subjects:
        enrol(browser, IIM_CY, subject)
    assert sql(f"SELECT count(*) FROM patient WHERE cohort_id = '{IIM_CY}'") == "3"
    dose(subjects)

    browser.get(f"{BASE}/console/cohorts/{IIM_CY}")
    record_dlt(browser, "CLN-IIM-002", "grade 3 cytokine release syndrome")
    assert sql("SELECT grade, description, onset_on FROM dlt WHERE subject_id = 'CLN-IIM-002'") \
        == f"3|grade 3 cytokine release syndrome|{today()}"
    # One DLT of three, two windows still running: the engine observes and names whose window closes when.
    assert browser.find_element(By.ID, "decision").text == "observe"
    rationale = browser.find_element(By.ID, "rationale").text
    assert "1 DLT so far" in rationale and "a second DLT stops this dose" in rationale
    awaiting = browser.find_element(By.ID, "awaiting").text
    ends = sql(f"SELECT (current_date + dlt_window_days)::text FROM study WHERE code = 'RESOLUTION'")
    assert f"CLN-IIM-001: the window runs through {ends}" in awaiting and f"CLN-IIM-003: the window runs through {ends}" in awaiting
    assert "CLN-IIM-002" not in awaiting
    assert not browser.find_elements(By.ID, "decision-form")

    record_dlt(browser, "CLN-IIM-003", "grade 3 neurotoxicity")
    assert sql(f"SELECT count(DISTINCT subject_id) FROM dlt WHERE subject_id LIKE 'CLN-IIM-%'") == "2"
    assert browser.find_element(By.ID, "decision").text == "stop"
    assert "2 of 3 treated had a DLT at the lowest dose" in browser.find_element(By.ID, "rationale").text

    open_board(browser)
    row = board_row(browser, IIM_CY)
    assert (row["places"], row["enrolled"], row["treated"], row["evaluable"], row["dlts"]) == ("3", "3", "3", "2", "2")
    assert row["decision"].startswith("stop") and "2 of 3 treated had a DLT" in row["rationale"]
    screenshot(browser, "cohort-board")

    browser.get(f"{BASE}/console/cohorts/{IIM_CY}")
    uid = sql(f"SELECT id FROM app_user WHERE lower(login) = lower('{users()['clinical'][0]}')")
    failed = int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'user' AND subject_id = '{uid}' AND action = 'signature.failed'"))
    sign_decision(browser, "not-my-password")
    assert "wrong password" in browser.find_element(By.ID, "decision-error").text
    assert sql(f"SELECT count(*) FROM cohort_decision WHERE cohort_id = '{IIM_CY}'") == "0"
    assert sql(f"SELECT state FROM cohort WHERE id = '{IIM_CY}'") == "open"
    assert int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'user' AND subject_id = '{uid}' "
                   "AND action = 'signature.failed'")) == failed + 1

    sign_decision(browser, users()["clinical"][1])
    assert "decision 'stop' confirmed and signed" in browser.find_element(By.ID, "notice").text
    assert sql(f"SELECT decision, treated, dlts, decided_by FROM cohort_decision WHERE cohort_id = '{IIM_CY}'") == f"stop|3|2|{uid}"
    assert sql(f"SELECT state, outcome FROM cohort WHERE id = '{IIM_CY}'") == "closed|stopped"
    assert sql(f"SELECT signature->>'printedName', signature->>'meaning' FROM custody_event WHERE subject_type = 'study' "
               f"AND subject_id = '{IIM_CY}' AND action = 'cohort.decided'") \
        == f"Casey Clinician|I confirm the 3+3 decision 'stop' for cohort {IIM_CY}"
    assert "stop by Casey Clinician" in browser.find_element(By.CSS_SELECTOR, ".history").text


def test_controls_only_for_roles_that_may(browser):
    sign_in(browser, "pharmacy")
    browser.get(f"{BASE}/console/studies/RESOLUTION")
    assert browser.find_element(By.ID, f"cohort-{slug(SSC_NO_LD)}")
    assert not browser.find_elements(By.LINK_TEXT, "Enrol a patient")
    browser.get(f"{BASE}/console/cohorts/{SSC_NO_LD}")
    assert not browser.find_elements(By.ID, "dlt-form") and not browser.find_elements(By.ID, "decision-form")
    browser.get(f"{BASE}/console/cohorts/{SSC_NO_LD}/enrol")
    assert "enrolling patients is done by clinical" in browser.find_element(By.ID, "error-message").text.lower()
    assert not browser.find_elements(By.ID, "enrol-form")


def test_a_freezer_excursion_shows_the_vials_it_held(browser):
    # A freezer of its own holding one vial of the demo's lot already on hold, so no other test loses a vial.
    vial, site = sql("SELECT v.id, r_f.site_code FROM vial v JOIN lot l ON l.lot_number = v.lot_number "
                     "JOIN vial_position p ON p.vial_id = v.id JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id "
                     "JOIN freezer r_f ON r_f.id = r.freezer_id WHERE l.status = 'on-hold' AND v.status = 'stored' "
                     "ORDER BY v.id LIMIT 1").split("|")
    freezer = "FRZ-CLINIC-EXC"
    api("manufacturing", "POST", "/freezers", {"id": freezer, "siteCode": site, "kind": "ln2-dewar", "name": "Excursion test", "maxCelsius": -180})
    api("manufacturing", "POST", "/racks", {"id": "RK-CLINIC-EXC", "freezerId": freezer, "label": "1"})
    api("manufacturing", "POST", "/boxes", {"id": "BX-CLINIC-EXC", "rackId": "RK-CLINIC-EXC", "label": "1", "rows": 9, "columns": 9})
    api("manufacturing", "POST", f"/vials/{vial}/move", {"boxId": "BX-CLINIC-EXC", "row": 1, "column": 1, "reason": "excursion test"})
    sign_in(browser, "qa")
    browser.get(f"{BASE}/console/freezers/{freezer}")
    submit_and_wait(browser, browser.find_element(By.ID, "temperature-link"))
    browser.find_element(By.ID, "celsius").send_keys("-30")
    browser.find_element(By.ID, "probe").send_keys("P-CLINIC")
    submit_and_wait(browser, browser.find_element(By.ID, "temperature-submit"))
    assert "excursion" in browser.find_element(By.ID, "notice").text
    reading, excursion = sql(f"SELECT id, excursion FROM temperature_reading WHERE freezer_id = '{freezer}' AND probe = 'P-CLINIC'").split("|")
    assert excursion == "t"
    assert sql(f"SELECT subject_type, subject_id, lifted_at IS NULL FROM hold WHERE source = 'excursion' AND source_ref = '{reading}'") \
        == f"vial|{vial}|t"
    row = browser.find_element(By.ID, f"excursion-{reading}").text
    assert f"1: {vial} (on hold)" in row
    screenshot(browser, "freezer-excursions")
    # Refused input is named next to its field and writes nothing.
    readings = sql(f"SELECT count(*) FROM temperature_reading WHERE freezer_id = '{freezer}'")
    browser.find_element(By.ID, "celsius").send_keys("-400")
    submit_and_wait(browser, browser.find_element(By.ID, "temperature-submit"))
    assert "celsius: must be a temperature between -273.1 and 100" in browser.find_element(By.ID, "celsius-error").text
    assert sql(f"SELECT count(*) FROM temperature_reading WHERE freezer_id = '{freezer}'") == readings
