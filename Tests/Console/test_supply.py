"""Console: the pharmacy's Supply page (issue 26) in a real browser.

Pharmacy sees what is on hand, starts a small forecast from the form, waits on the run's page (it reloads itself)
and reads the fan chart, the stock-out and expiry charts, each beside its table, and the recommended plan (campaigns,
par levels, the out-of-sample comparison with the baseline); at 390 px nothing scrolls sideways.
"""
import re
import time

from selenium.webdriver.common.by import By

from conftest import BASE, screenshot, sign_in, submit_and_wait


def test_pharmacy_runs_a_forecast(browser):
    sign_in(browser, "pharmacy")
    browser.get(BASE + "/console/supply")
    assert browser.find_element(By.CSS_SELECTOR, "a[href='/console/supply']")
    assert browser.find_elements(By.CSS_SELECTOR, "#stock tbody tr"), "vials on hand per product and site"
    for field, value in (("months", "6"), ("runs", "200"), ("seed", "11")):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    assert browser.find_element(By.ID, "plan").is_selected(), "a plan is recommended unless the box is cleared"
    submit_and_wait(browser, browser.find_element(By.ID, "run-button"))
    assert "/console/supply/forecasts/" in browser.current_url

    deadline = time.time() + 300
    while browser.find_elements(By.ID, "progress") and time.time() < deadline:
        time.sleep(1)
        browser.get(browser.current_url)
    assert not browser.find_elements(By.ID, "progress"), "the run finished"
    assert not browser.find_elements(By.ID, "failed")
    assert "seed 11" in browser.find_element(By.TAG_NAME, "main").text

    fan = browser.find_element(By.CSS_SELECTOR, "#fan-0 svg.chart")
    assert fan.get_dom_attribute("viewBox") and fan.find_elements(By.CSS_SELECTOR, "polygon.band")
    assert fan.find_elements(By.CSS_SELECTOR, "polyline.median")
    rows = browser.find_elements(By.CSS_SELECTOR, "#fan-0-table tbody tr")
    assert len(rows) == 7, "today and six months"
    assert browser.find_elements(By.CSS_SELECTOR, "#expiring-table tbody tr")
    assert browser.find_elements(By.CSS_SELECTOR, "#misses-table")
    verdict = browser.find_element(By.ID, "plan-verdict").text
    assert re.search(r"meet the target of \d+\.\d % dosed on time", verdict) and "baseline" in verdict, verdict
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#plan-comparison tbody tr")]
    assert rows[0].startswith("Recommended") and rows[1].startswith("Baseline"), rows
    browser.set_window_size(1366, 1000)
    screenshot(browser, "supply")
    browser.execute_script("document.getElementById('plan').scrollIntoView()")
    screenshot(browser, "supply-plan")
    browser.execute_script("window.scrollTo(0, 0)")

    browser.set_window_size(390, 900)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"sideways scrolling at 390 px: {width}"
    assert fan.size["width"] <= 390
    screenshot(browser, "supply-390")
