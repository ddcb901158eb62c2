"""Console, part 2: the pharmacy's allocation board and the bedside, in a real browser (issue 16).

Patients of their own are enrolled through the API (RESOLUTION, IIM and SSc DL1 without lymphodepletion, at UCLA), so
the story does not depend on what other tests do with the demo's patients. The steps run in order and share `story`;
the database is checked after each one.
"""
import datetime
import os
import pathlib

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, gone, screenshot, sign_in, sql, submit_and_wait, users

IIM = ["PHX-IIM-001", "PHX-IIM-002", "PHX-IIM-003"]
# Antibodies against every ALLO-329 donor of the demo: no lot may serve this patient.
UNSERVABLE = "PHX-SSC-001"
story = {}


def tokens():
    path = pathlib.Path(os.environ["CONSOLE_USERS_FILE"]).with_name("demo-tokens.env")
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


def api(role, method, path, body=None):
    token = tokens()[f"CRYOLEDGER_TOKEN_{role.upper()}"]
    r = requests.request(method, BASE + path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code < 300, (path, r.status_code, r.text[:300])
    return r.json()


def enrol(subject, indication, anti_hla):
    criteria = sql("SELECT code FROM eligibility_criterion WHERE study_code = 'RESOLUTION' "
                   f"AND (indication IS NULL OR indication = '{indication}') ORDER BY code").split()
    infusion = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    api("clinical", "POST", "/patients", {
        "subjectId": subject, "studyCode": "RESOLUTION", "siteCode": "UCLA", "cohortId": f"RESOLUTION/{indication}/DL1/no-LD",
        "weightKg": 70, "infusionOn": infusion, "antiHla": anti_hla,
        "eligibility": [{"criterion": c, "satisfied": True} for c in criteria]})


@pytest.fixture(scope="module", autouse=True)
def patients():
    enrol(IIM[0], "IIM", [])
    enrol(IIM[1], "IIM", [])
    enrol(IIM[2], "IIM", ["A*11"])  # donor DN-000103 carries A*11:01: this patient skips the first-expiring lot
    enrol(UNSERVABLE, "SSc", ["A*01", "A*02", "A*23", "A*26"])
    assert sql(f"SELECT count(*) FROM patient WHERE subject_id LIKE 'PHX-%' AND status = 'enrolled'") == "4"


def only_ours(browser):
    """Leaves the board's plan checkboxes ticked for this story's patients only."""
    for box in browser.find_elements(By.CSS_SELECTOR, "#plan-form input[type=checkbox]"):
        ours = box.get_attribute("name").removeprefix("patient:") in IIM + [UNSERVABLE]
        if box.is_selected() != ours:
            box.click()


def plan_in_browser(browser):
    browser.get(BASE + "/console/pharmacy")
    only_ours(browser)
    submit_and_wait(browser, browser.find_element(By.ID, "plan-selected"))
    return browser.find_element(By.ID, "plan-id").text


def test_board_plan_shows_proof_and_explanations_a_conflict_then_commit(browser):
    sign_in(browser, "pharmacy")
    browser.get(BASE + "/console/pharmacy")
    ucla = browser.find_element(By.ID, "awaiting-UCLA").text
    screenshot(browser, "pharmacy-board")
    assert all(s in ucla for s in IIM + [UNSERVABLE]), ucla
    plan_id = plan_in_browser(browser)
    assert sql(f"SELECT count(*) FROM allocation_plan WHERE id = '{plan_id}'") == "1"
    assert sql(f"SELECT count(*) FROM allocation WHERE subject_id LIKE 'PHX-%'") == "0"
    assert browser.find_element(By.ID, "proof-status").text.startswith(("✓ Proven optimal", "✕ Not proven"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#levels tbody tr")) == 5
    # Why unassigned: the antibodies, named.
    why_not = browser.find_element(By.CSS_SELECTOR, f"#unassigned-{UNSERVABLE} .explanation").text
    assert "donor-specific antibody" in why_not, why_not
    # Why this lot rather than one expiring sooner: the first-expiring lot is skipped for its antibody.
    sooner = browser.find_element(By.CSS_SELECTOR, f"#assigned-{IIM[2]} .explanation").text
    assert "expiring sooner" in sooner and "A*11" in sooner, sooner
    first = browser.find_element(By.CSS_SELECTOR, f"#assigned-{IIM[0]} .explanation").text
    assert "first-expiring" in first or "expiring sooner" in first, first
    stored = sql(f"SELECT a->>'explanation' FROM allocation_plan, jsonb_array_elements(plan->'assignments') a "
                 f"WHERE id = '{plan_id}' AND a->>'demand' = '{IIM[2]}'")
    assert stored == sooner
    browser.set_window_size(1280, 1000)
    screenshot(browser, "allocation-board")

    # Something changes between planning and commit: QA holds one of the planned vials. Nothing is reserved,
    # and the plan says what changed.
    held = sql(f"SELECT v FROM allocation_plan, jsonb_array_elements_text(vials->'{IIM[0]}') v WHERE id = '{plan_id}' LIMIT 1")
    hold = api("qa", "POST", "/holds", {"subjectType": "vial", "subjectId": held, "reason": "label smudged (console test)"})
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#commit-form button"))
    conflict = browser.find_element(By.ID, "refusal-summary").text
    assert "changed since planning" in conflict and held in conflict, conflict
    assert sql(f"SELECT count(*) FROM allocation WHERE subject_id LIKE 'PHX-%'") == "0"
    assert sql("SELECT count(*) FROM reservation WHERE subject_id LIKE 'PHX-%'") == "0"
    api("qa", "POST", f"/holds/{hold['id']}/lift",
        {"reason": "relabelled (console test)", "signature": {"password": users()["qa"][1], "meaning": "hold lifted after investigation"}})

    # Plan again and commit: exactly the planned vials are reserved.
    plan_id = plan_in_browser(browser)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#commit-form button"))
    assert not browser.find_elements(By.ID, "refusal-summary")
    for subject in IIM:
        planned = sql(f"SELECT string_agg(v, ',' ORDER BY v) FROM allocation_plan, jsonb_array_elements_text(vials->'{subject}') v WHERE id = '{plan_id}'")
        reserved = sql(f"SELECT string_agg(r.vial_id, ',' ORDER BY r.vial_id) FROM reservation r JOIN allocation a ON a.id = r.allocation_id "
                       f"WHERE r.subject_id = '{subject}' AND a.plan_id = '{plan_id}' AND r.cancelled_at IS NULL")
        assert planned and planned == reserved, (subject, planned, reserved)
        assert sql(f"SELECT count(*) FROM vial v JOIN reservation r ON r.vial_id = v.id WHERE r.subject_id = '{subject}' AND v.status <> 'reserved'") == "0"
    assert sql(f"SELECT count(*) FROM allocation WHERE subject_id = '{UNSERVABLE}'") == "0"
    story["allocation"] = {s: sql(f"SELECT id FROM allocation WHERE subject_id = '{s}' AND status = 'reserved'") for s in IIM}
    links = browser.find_elements(By.CSS_SELECTOR, "#assignments a[href*='/console/pharmacy/allocations/']")
    assert len(links) == 3


def test_pick_list_pick_ship_refused_then_shipped_and_received_with_an_excursion(browser):
    sign_in(browser, "pharmacy")
    allocation = story["allocation"][IIM[0]]
    browser.get(f"{BASE}/console/pharmacy/allocations/{allocation}")
    vials = sql(f"SELECT vial_id FROM reservation WHERE allocation_id = {allocation} AND cancelled_at IS NULL ORDER BY vial_id").split()
    rows = browser.find_element(By.ID, "pick-list").text
    for vial in vials:
        box, row, col = sql(f"SELECT box_id, row_no, column_no FROM vial_position WHERE vial_id = '{vial}'").split("|")
        assert vial in rows and f"{box}:{chr(64 + int(row))}{col}" in rows, rows
    # Printed (A4, print stylesheet): the list without the menu, the forms or the print button.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.find_element(By.ID, "pick-list").is_displayed()
    assert not any(e.is_displayed() for e in browser.find_elements(By.CSS_SELECTOR, "header.top, #pick-form, [data-print]"))
    screenshot(browser, "pick-list-printed")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    # One vial left unscanned: refused, named, logged on the vial and the patient; nothing leaves the freezer.
    browser.find_element(By.ID, "scannedVialIds").send_keys(vials[0])
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#pick-form button"))
    if len(vials) > 1:
        assert f"{vials[1]} not scanned" in browser.find_element(By.ID, "scannedVialIds-error").text
        assert browser.find_element(By.ID, "scannedVialIds").get_attribute("value") == vials[0], "the scan is kept"
    browser.find_element(By.ID, "scannedVialIds").clear()
    browser.find_element(By.ID, "scannedVialIds").send_keys("CV0000000001O")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#pick-form button"))
    assert "is not what is handed over" in browser.find_element(By.ID, "scannedVialIds-error").text
    assert int(sql(f"SELECT count(*) FROM custody_event WHERE action = 'vial.pick-refused' AND subject_id = '{vials[0]}'")) >= 1
    assert int(sql(f"SELECT count(*) FROM custody_event WHERE action = 'patient.pick-refused' AND subject_id = '{IIM[0]}'")) >= 1
    assert sql(f"SELECT count(*) FROM vial_position WHERE vial_id IN ({','.join(repr(v) for v in vials)})") == str(len(vials))
    browser.find_element(By.ID, "scannedVialIds").clear()
    browser.find_element(By.ID, "scannedVialIds").send_keys("\n".join(vials))
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#pick-form button"))
    assert sql(f"SELECT count(*) FROM vial_position WHERE vial_id IN ({','.join(repr(v) for v in vials)})") == "0"
    assert sql(f"SELECT count(*) FROM custody_event WHERE action = 'vial.picked' AND subject_id IN ({','.join(repr(v) for v in vials)})") == str(len(vials))
    assert "picked (not in storage)" in browser.find_element(By.ID, "pick-list").text

    # A dry shipper that holds 12 h cannot make the 24 h journey from SSF to UCLA: refused, nothing shipped.
    def ship(hours, shipper="DS-0042"):
        for field, value in [("dryShipperId", "DS-0042"), ("dataLoggerId", "TL-7781"), ("validatedHoldHours", str(hours)),
                             ("scannedDryShipperId", shipper), ("scannedShipVialIds", "\n".join(vials))]:
            element = browser.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#ship-form button"))
    ship(48, shipper="DS-0099")
    assert "scanned dry shipper DS-0099 is not what is handed over" in browser.find_element(By.ID, "scannedDryShipperId-error").text
    assert browser.find_element(By.ID, "scannedShipVialIds").get_attribute("value").split() == vials, "the other scans are kept"
    ship(12)
    assert "runs out before arrival" in browser.find_element(By.ID, "validatedHoldHours-error").text
    assert sql(f"SELECT count(*) FROM shipment_vial WHERE vial_id IN ({','.join(repr(v) for v in vials)})") == "0"
    assert sql(f"SELECT DISTINCT status FROM vial WHERE id IN ({','.join(repr(v) for v in vials)})") == "reserved"
    ship(48)
    shipment = browser.find_element(By.TAG_NAME, "h1").text.split()[-1]
    assert sql(f"SELECT from_site, to_site, dry_shipper_id, data_logger_id, validated_hold_hours FROM shipment WHERE id = '{shipment}'") == \
        "SSF|UCLA|DS-0042|TL-7781|48"
    assert sql(f"SELECT DISTINCT status FROM vial WHERE id IN ({','.join(repr(v) for v in vials)})") == "shipped"

    # The logger read -100 °C, above ALLO-329's -135 °C limit: received, and held, on screen.
    field = browser.find_element(By.ID, "loggerMaxCelsius")
    field.send_keys("-100")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#receive-form button"))
    assert "receive refused, chain of identity" in browser.find_element(By.ID, "scannedVialIds-error").text
    assert browser.find_element(By.ID, "loggerMaxCelsius").get_attribute("value") == "-100", "the reading is kept"
    assert sql(f"SELECT DISTINCT status FROM vial WHERE id IN ({','.join(repr(v) for v in vials)})") == "shipped"
    browser.find_element(By.ID, "scannedVialIds").send_keys("\n".join(vials))
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#receive-form button"))
    assert "excursion" in browser.find_element(By.ID, "excursion").text
    screenshot(browser, "shipment-excursion")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#shipment-vials tr[data-held]")) == len(vials)
    assert sql(f"SELECT receipt_excursion, logger_max_celsius FROM shipment WHERE id = '{shipment}'") == "t|-100.0"
    assert sql(f"SELECT DISTINCT status FROM vial WHERE id IN ({','.join(repr(v) for v in vials)})") == "received"
    assert sql(f"SELECT count(*) FROM hold WHERE subject_type = 'vial' AND lifted_at IS NULL AND source = 'shipment-excursion' "
               f"AND source_ref = '{shipment}'") == str(len(vials))
    story["held_vial"] = vials[0]


def dispatch(subject):
    """Pick, ship and receive a patient's vials through the API, each vial scanned, and make the patient ready today
    (the console's own steps are tested above)."""
    allocation = story["allocation"][subject]
    vials = sql(f"SELECT vial_id FROM reservation WHERE allocation_id = {allocation} AND cancelled_at IS NULL ORDER BY vial_id").split()
    api("pharmacy", "POST", f"/allocations/{allocation}/pick", {"scannedVialIds": vials})
    shipped = api("pharmacy", "POST", "/shipments", {"vialIds": vials, "toSite": "UCLA", "dryShipperId": "DS-0043",
                                                     "dataLoggerId": "TL-7782", "validatedHoldHours": 240,
                                                     "scannedVialIds": vials, "scannedDryShipperId": "DS-0043"})
    api("pharmacy", "POST", f"/shipments/{shipped['id']}/receive", {"loggerMaxCelsius": -171.5, "scannedVialIds": vials})
    make_ready(api, subject)
    return vials


def make_ready(call, subject):
    """Clinical staff through the API: the lymphodepletion recorded as given (moved into the past first when it was
    planned ahead), the infusion moved to today, the clearance signed."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    r = call("clinical", "GET", f"/patients/{subject}/readiness")
    if r["plannedDoses"] and r["ldStartOn"] >= today.isoformat():
        sql(f"UPDATE patient SET ld_start_on = DATE '{today}' - 5 WHERE subject_id = '{subject}'")
        r = call("clinical", "GET", f"/patients/{subject}/readiness")
    given = {(d["agent"], d["givenOn"]) for d in r["dosesGiven"]}
    for d in r["plannedDoses"]:
        if (d["agent"], d["givenOn"]) not in given:
            call("clinical", "POST", f"/patients/{subject}/lymphodepletion", {"agent": d["agent"], "givenOn": d["givenOn"]})
    if r["infusionOn"] != today.isoformat():
        call("clinical", "POST", f"/patients/{subject}/infusion-reschedules", {"infusionOn": today.isoformat(), "reason": "vials at the site"})
    if not any(c["clearedOn"] == today.isoformat() for c in r["clearances"]):
        call("clinical", "POST", f"/patients/{subject}/clearance",
             {"items": r["clearanceItems"], "signature": {"password": users()["clinical"][1], "meaning": "patient cleared for infusion"}})


def thaw_form(browser, vial, subject):
    """The bedside thaw: the vial and the patient band scanned into the row's form."""
    for field, value in [(f"thaw-{vial}-vial", vial), (f"thaw-{vial}-band", subject)]:
        browser.find_element(By.ID, field).clear()
        browser.find_element(By.ID, field).send_keys(value)
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#thaw-{vial} button"))


def scan(browser, subject, vial):
    """The scanner types each id and Enter; after the band, the focus moves on to the vial field."""
    browser.get(BASE + "/console/bedside")
    band = browser.find_element(By.ID, "subjectId")
    assert browser.switch_to.active_element == band
    band.send_keys(subject + Keys.ENTER)
    assert browser.switch_to.active_element == browser.find_element(By.ID, "vialId")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.switch_to.active_element.send_keys(vial + Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda _: gone(old))


def refusals(vial):
    return int(sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'vial' AND subject_id = '{vial}' AND action = 'vial.administration-refused'"))


def test_bedside_thaw_countdown_wrong_vial_refused_and_logged_then_signed_administration(browser):
    subject = IIM[1]
    vial = dispatch(subject)[0]
    sign_in(browser, "pharmacy")
    browser.get(BASE + "/console/bedside")
    assert "received" in browser.find_element(By.ID, f"row-{vial}").text
    # The patient's readiness is on the page before anything is thawed.
    assert "ready for infusion today" in browser.find_element(By.ID, f"readiness-{subject}").text
    # The wrong band: refused on screen and logged on the vial and the patient.
    browser.find_element(By.ID, f"thaw-{vial}-vial").send_keys(vial)
    browser.find_element(By.ID, f"thaw-{vial}-band").send_keys(IIM[0])
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#thaw-{vial} button"))
    assert "chain of identity" in browser.find_element(By.ID, f"thaw-{vial}-band-error").text
    assert browser.find_element(By.ID, f"thaw-{vial}-vial").get_attribute("value") == vial, "the vial scan is kept"
    assert sql(f"SELECT count(*) FROM custody_event WHERE action = 'patient.thaw-refused' AND subject_id = '{subject}'") == "1"
    thaw_form(browser, vial, subject)
    assert sql(f"SELECT status, thawed_at IS NOT NULL FROM vial WHERE id = '{vial}'") == "thawed|t"
    clock = browser.find_element(By.ID, f"clock-{vial}")
    deadline = clock.find_element(By.TAG_NAME, "time").get_attribute("datetime")
    expected = float(sql(f"SELECT extract(epoch FROM v.thawed_at + pr.thaw_to_infusion_minutes * interval '1 minute') "
                         f"FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product pr ON pr.code = l.product_code WHERE v.id = '{vial}'"))
    shown = datetime.datetime.fromisoformat(deadline.replace("Z", "+00:00")).timestamp()
    assert abs(shown - expected) < 1, (deadline, expected)
    countdown = clock.find_element(By.CSS_SELECTOR, "[data-countdown]").text
    screenshot(browser, "bedside-thawed")
    minutes, seconds = countdown.removesuffix(" left").split(":")
    assert 28 <= int(minutes) <= 29 and 0 <= int(seconds) < 60, countdown

    # The wrong vial (the other patient's, held after the excursion) for this patient: refused on screen, logged.
    wrong = story["held_vial"]
    before = refusals(wrong)
    scan(browser, subject, wrong)
    refused = browser.find_element(By.ID, "subjectId-error").text
    assert browser.find_element(By.ID, "check-refused").is_displayed()
    assert "chain of identity" in refused and IIM[0] in refused, refused
    assert not browser.find_elements(By.ID, "administer-form")
    assert refusals(wrong) == before + 1
    assert sql(f"SELECT details->>'scannedPatient' FROM custody_event WHERE subject_id = '{wrong}' "
               "AND action = 'vial.administration-refused' ORDER BY id DESC LIMIT 1") == subject
    assert sql(f"SELECT status FROM vial WHERE id = '{wrong}'") == "received"

    # The right vial: the match, then the shared signing step in its dialog.
    scan(browser, subject, vial)
    match = browser.find_element(By.ID, "match").text
    assert subject in match and vial in match and "reserved for " + subject in match
    assert "left" in browser.find_element(By.CSS_SELECTOR, "#match [data-countdown]").text
    screenshot(browser, "bedside-check")
    browser.find_element(By.ID, "administer-open").click()
    assert "administered to the patient identified at the bedside" in browser.find_element(By.CSS_SELECTOR, "dialog[open] .sign-meaning").text
    # A wrong password: refused next to the form, nothing administered, the failure recorded.
    browser.find_element(By.ID, "administer-password").send_keys("not-my-password")
    submit_and_wait(browser, browser.find_element(By.ID, "administer-sign"))
    assert "wrong password" in browser.find_element(By.ID, "administer-password-error").text.lower()
    assert sql(f"SELECT status FROM vial WHERE id = '{vial}'") == "thawed"
    assert sql(f"SELECT count(*) FROM administration WHERE vial_id = '{vial}'") == "0"
    browser.find_element(By.ID, "administer-open").click()
    browser.find_element(By.ID, "administer-password").send_keys(users()["pharmacy"][1])
    submit_and_wait(browser, browser.find_element(By.ID, "administer-sign"))
    assert "administered " + vial in browser.find_element(By.ID, "notice").text
    assert sql(f"SELECT status FROM vial WHERE id = '{vial}'") == "administered"
    assert sql(f"SELECT subject_id FROM administration WHERE vial_id = '{vial}'") == subject
    assert sql(f"SELECT status FROM patient WHERE subject_id = '{subject}'") == "dosed"
    assert sql(f"SELECT signature->>'printedName', signature->>'meaning' FROM custody_event WHERE subject_id = '{vial}' "
               "AND action = 'vial.administered'") == "Parker Pharmacist|administered to the patient identified at the bedside"


def test_bedside_an_expired_thaw_window_is_refused_and_logged(browser):
    subject = IIM[2]
    vials = dispatch(subject)
    vial = vials[0]
    api("pharmacy", "POST", f"/vials/{vial}/thaw", {"scannedVialId": vial, "scannedSubjectId": subject})
    # Thawed 31 minutes ago: past ALLO-329's 30 minute limit.
    sql(f"UPDATE vial SET thawed_at = now() - interval '31 minutes' WHERE id = '{vial}'")
    sign_in(browser, "pharmacy")
    browser.get(BASE + "/console/bedside")
    assert "limit passed" in browser.find_element(By.ID, f"clock-{vial}").text
    before = refusals(vial)
    scan(browser, subject, vial)
    assert "thaw-to-infusion limit" in browser.find_element(By.ID, "vialId-error").text
    assert refusals(vial) == before + 1
    assert sql(f"SELECT status FROM vial WHERE id = '{vial}'") == "thawed"
    assert sql(f"SELECT count(*) FROM administration WHERE vial_id = '{vial}'") == "0"


def test_roles_without_dispensing_see_no_controls(browser):
    sign_in(browser, "qa")
    browser.get(BASE + "/console/pharmacy")
    assert not browser.find_elements(By.ID, "plan-selected")
    browser.get(BASE + "/console/bedside")
    assert not browser.find_elements(By.ID, "check-form")
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action='/console/bedside/thaw']")
    csrf = browser.find_element(By.CSS_SELECTOR, "input[name=_csrf]").get_attribute("value")
    forced = requests.post(BASE + "/console/pharmacy/plan", cookies={"cl_session": browser.get_cookie("cl_session")["value"]},
                           data={"_csrf": csrf, "scope": "all"}, allow_redirects=False)
    assert forced.status_code == 403
