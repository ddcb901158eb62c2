"""Console, issue 19: evacuating a freezer from its page, a dry run first, then the confirmation. Checks the database."""
import os
import pathlib
from datetime import date

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, sign_in, sql, submit_and_wait


def api(method, path, role="MANUFACTURING", **kw):
    tokens = dict(line.split("=", 1) for line in
                  (pathlib.Path(os.environ["CONSOLE_USERS_FILE"]).parent / "demo-tokens.env").read_text().split())
    r = requests.request(method, BASE + path, headers={"Authorization": "Bearer " + tokens["CRYOLEDGER_TOKEN_" + role]}, timeout=30, **kw)
    assert r.status_code in (200, 201), r.text
    return r.json()


def setup_freezers():
    for f in ["EVAC-A", "EVAC-B"]:
        api("POST", "/freezers", json={"id": f, "siteCode": "SSF", "kind": "ln2-dewar", "name": f"Console test {f}", "maxCelsius": -150})
        api("POST", "/racks", json={"id": f"{f}-R1", "freezerId": f, "label": "R1"})
        api("POST", "/boxes", json={"id": f"{f}-B1", "rackId": f"{f}-R1", "label": "B1", "rows": 9, "columns": 9})
    for lot, count, box in [("EVAC-LOT-1", 5, "EVAC-A-B1"), ("EVAC-LOT-2", 1, "EVAC-B-B1")]:
        api("POST", "/lots", json={"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                                   "manufacturedOn": date.today().isoformat(), "cellsPerVial": 40000000, "vialCount": count})
        api("POST", f"/lots/{lot}/vials", json={"count": count, "boxId": box})


def evacuate_form(browser, target, mode, reason):
    browser.get(f"{BASE}/console/freezers/EVAC-A")
    browser.find_element(By.ID, "evacuate-target").clear()
    browser.find_element(By.ID, "evacuate-target").send_keys(target)
    Select(browser.find_element(By.ID, "evacuate-mode")).select_by_value(mode)
    browser.find_element(By.ID, "evacuate-reason").clear()
    browser.find_element(By.ID, "evacuate-reason").send_keys(reason)
    submit_and_wait(browser, browser.find_element(By.ID, "evacuate-preview"))


def text_of(browser, element_id):
    """The element's text once the new page has it (the page may still be loading after the old one went stale)."""
    return WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, element_id))).text


def moved_events():
    return int(sql("SELECT count(*) FROM custody_event WHERE action = 'vial.moved' AND details->>'evacuation' = 'freezer:EVAC-A -> freezer:EVAC-B'"))


def test_evacuate_a_freezer_dry_run_then_confirm(browser):
    setup_freezers()
    sign_in(browser, "manufacturing")
    # Same positions into a target whose A1 is taken: refused next to the form, nothing moved.
    evacuate_form(browser, "EVAC-B", "same-positions", "LN2 alarm (console test)")
    error = text_of(browser, "evacuate-target-error")
    assert "already holds vial" in text_of(browser, "refusal-summary")
    assert "EVAC-B-B1:A1 already holds vial" in error
    assert sql("SELECT count(*) FROM vial_position WHERE box_id = 'EVAC-A-B1'") == "5" and moved_events() == 0
    # Free positions: the dry run lists the moves and writes nothing.
    evacuate_form(browser, "EVAC-B", "free-positions", "LN2 alarm (console test)")
    assert "Dry run, nothing was moved: 5 vials would move" in text_of(browser, "evacuation-summary")
    rows = browser.find_elements(By.CSS_SELECTOR, "#evacuation-moves tbody tr")
    assert len(rows) == 5 and "EVAC-B-B1:A2" in rows[0].text
    assert sql("SELECT count(*) FROM vial_position WHERE box_id = 'EVAC-A-B1'") == "5" and moved_events() == 0
    # Confirmed: every vial moves, one custody event each with the reason.
    submit_and_wait(browser, browser.find_element(By.ID, "evacuate-confirm"))
    assert "Moved 5 vials" in text_of(browser, "evacuation-summary")
    assert sql("SELECT count(*) FROM vial_position WHERE box_id = 'EVAC-A-B1'") == "0"
    assert sql("SELECT count(*) FROM vial_position WHERE box_id = 'EVAC-B-B1'") == "6"
    assert moved_events() == 5
    assert sql("SELECT count(DISTINCT reason) FROM custody_event WHERE action = 'vial.moved' AND details->>'evacuation' = 'freezer:EVAC-A -> freezer:EVAC-B'") == "1"
    # An auditor sees the freezer page without the form.
    browser.delete_all_cookies()
    sign_in(browser, "auditor")
    browser.get(f"{BASE}/console/freezers/EVAC-B")
    assert not browser.find_elements(By.ID, "evacuate-form")


def test_held_and_blocked_vials_look_it_everywhere(browser):
    """Issue 24 item 2 (rule 10): a vial of a held lot is drawn held on the map (colour and glyph, in the legend, found by
    the held filter), its card names the lot's hold, and the lot page lists its vials with their availability."""
    api("POST", "/freezers", json={"id": "AVL-F", "siteCode": "SSF", "kind": "ln2-dewar", "name": "Availability test", "maxCelsius": -150})
    api("POST", "/racks", json={"id": "AVL-F-R1", "freezerId": "AVL-F", "label": "R1"})
    api("POST", "/boxes", json={"id": "AVL-F-B1", "rackId": "AVL-F-R1", "label": "B1", "rows": 9, "columns": 9})
    for lot, count in [("AVL-HELD-1", 2), ("AVL-IP-1", 1)]:
        api("POST", "/lots", json={"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                                   "manufacturedOn": date.today().isoformat(), "cellsPerVial": 40000000, "vialCount": count})
        api("POST", f"/lots/{lot}/vials", json={"count": count, "boxId": "AVL-F-B1"})
    api("POST", "/holds", role="QA", json={"subjectType": "lot", "subjectId": "AVL-HELD-1", "reason": "sterility retest pending"})
    held = sql("SELECT id FROM vial WHERE lot_number = 'AVL-HELD-1' ORDER BY ordinal").split("\n")
    in_process = sql("SELECT id FROM vial WHERE lot_number = 'AVL-IP-1'")
    assert sql("SELECT count(*) FROM hold WHERE subject_type = 'vial' AND subject_id IN (SELECT id FROM vial WHERE lot_number = 'AVL-HELD-1')") == "0"

    sign_in(browser, "manufacturing")
    browser.get(f"{BASE}/console/freezers/AVL-F")
    def cell(vial):
        return browser.find_element(By.CSS_SELECTOR, f'#box-AVL-F-B1 a.cell[href="/console/vials/{vial}"]')
    for vial in held:
        c = cell(vial)
        assert "held" in c.get_attribute("class").split() and c.get_attribute("data-held") is not None
        assert c.find_element(By.TAG_NAME, "i").text == "⚠"
        assert "lot AVL-HELD-1 is on hold: sterility retest pending" in c.get_attribute("title")
    blocked = cell(in_process)
    assert "blocked" in blocked.get_attribute("class").split() and blocked.find_element(By.TAG_NAME, "i").text == "⊘"
    assert "lot AVL-IP-1 is in process, not released" in blocked.get_attribute("title")
    legend = browser.find_element(By.CSS_SELECTOR, "ul.legend").text
    assert "on hold: the vial, its lot, donor or freezer" in legend and "not usable" in legend
    # The held filter keeps the held and blocked vials and dims nothing else of theirs.
    browser.find_element(By.CSS_SELECTOR, "[data-map-filter] input[name=held]").click()
    WebDriverWait(browser, 5).until(lambda _: "dim" in browser.find_element(By.CSS_SELECTOR, "#box-AVL-F-B1 .cell.empty").get_attribute("class"))
    for vial in held + [in_process]:
        assert "dim" not in cell(vial).get_attribute("class").split()

    # The vial card: held, with the lot's hold named (not "Holds: none").
    browser.get(f"{BASE}/console/vials/{held[0]}")
    assert "on hold" in text_of(browser, "vial-availability")
    assert "lot AVL-HELD-1 is on hold: sterility retest pending" in text_of(browser, "vial-holds")
    browser.get(f"{BASE}/console/vials/{in_process}")
    assert "blocked" in text_of(browser, "vial-availability")
    assert "lot AVL-IP-1 is in process, not released" in text_of(browser, "vial-blockers")
    assert text_of(browser, "vial-holds") == "none"

    # The lot page lists its vials with their availability.
    browser.get(f"{BASE}/console/lots/AVL-HELD-1")
    rows = browser.find_elements(By.CSS_SELECTOR, "#lot-vials tbody tr")
    assert [r.get_attribute("data-vial") for r in rows] == held
    for r in rows:
        assert "on hold" in r.find_element(By.CSS_SELECTOR, "td.availability").text
        assert "sterility retest pending" in r.text


def test_the_map_shows_whole_lot_numbers_at_800_px(browser):
    """Issue 25 item 6: at 800 px each cell shows its vial's whole lot number, wrapped if need be, never cut short."""
    api("POST", "/freezers", json={"id": "W800-F", "siteCode": "SSF", "kind": "ln2-dewar", "name": "800 px test", "maxCelsius": -150})
    api("POST", "/racks", json={"id": "W800-F-R1", "freezerId": "W800-F", "label": "R1"})
    api("POST", "/boxes", json={"id": "W800-F-B1", "rackId": "W800-F-R1", "label": "B1", "rows": 9, "columns": 9})
    lot = "W800-LONGLOT-26001"
    api("POST", "/lots", json={"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                               "manufacturedOn": date.today().isoformat(), "cellsPerVial": 40000000, "vialCount": 2})
    api("POST", f"/lots/{lot}/vials", json={"count": 2, "boxId": "W800-F-B1"})
    sign_in(browser, "manufacturing")
    browser.set_window_size(800, 900)
    try:
        browser.get(f"{BASE}/console/freezers/W800-F")
        smalls = browser.find_elements(By.CSS_SELECTOR, "#box-W800-F-B1 a.cell small")
        assert len(smalls) == 2
        for small in smalls:
            assert small.text.replace("\n", "") == lot
            inside = browser.execute_script(
                "const s = arguments[0].getBoundingClientRect(), c = arguments[0].parentElement.getBoundingClientRect();"
                "return arguments[0].scrollWidth <= arguments[0].clientWidth && s.left >= c.left - 0.5 && s.right <= c.right + 0.5"
                " && s.bottom <= c.bottom + 0.5;", small)
            assert inside, "the lot number is cut short"
    finally:
        browser.set_window_size(1280, 800)
