"""The audit page's "verify this export" upload (issue 27), in a real browser: the server runs the independent
verifier's checks and says what it found."""
import json

import requests
from selenium.webdriver.common.by import By

from conftest import BASE, sign_in, sql, submit_and_wait


def upload(browser, path):
    browser.get(BASE + "/console/audit")
    browser.find_element(By.ID, "export-file").send_keys(str(path))
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#check-export-form button"))
    return browser.find_element(By.ID, "export-result").text


def test_a_good_export_is_verified_and_a_tampered_one_gives_the_precise_reason(browser, tmp_path):
    sign_in(browser, "auditor")
    lot = sql("SELECT lot_number FROM lot ORDER BY lot_number LIMIT 1")
    r = requests.get(f"{BASE}/console/audit/export.json?kind=lot&id={lot}",
                     cookies={"cl_session": browser.get_cookie("cl_session")["value"]})
    assert r.status_code == 200, r.text[:200]
    good = tmp_path / "export.json"
    good.write_bytes(r.content)
    assert upload(browser, good).startswith("✓ Verified"), browser.find_element(By.TAG_NAME, "main").text
    assert "signed by this log's key" in browser.find_element(By.ID, "export-findings").text

    doc = json.loads(r.content)
    event = doc["events"][0]
    event["toLocation"] = "somewhere else"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    assert upload(browser, tampered).startswith("✕ Not verified")
    reason = browser.find_element(By.ID, "export-reason").text
    assert reason == f"Event {event['id']}: the readable field 'toLocation' differs from what was hashed: the event was edited.", reason
