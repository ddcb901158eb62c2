"""Fixtures for the console's browser tests: a headless Chromium per test, the demo users, and the database."""
import os
import pathlib
import subprocess

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("CONSOLE_URL", "http://127.0.0.1:18281")
DB_URL = os.environ.get("CONSOLE_DB_URL", "")


def users():
    """CRYOLEDGER_LOGIN_<ROLE> / CRYOLEDGER_PASSWORD_<ROLE> from the demo's demo-users.env."""
    values = {}
    for line in pathlib.Path(os.environ["CONSOLE_USERS_FILE"]).read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return {role: (values[f"CRYOLEDGER_LOGIN_{role.upper()}"], values[f"CRYOLEDGER_PASSWORD_{role.upper()}"])
            for role in ["admin", "manufacturing", "qc", "qa", "clinical", "pharmacy", "auditor"]}


def sql(query):
    """One value (or rows joined by newlines) from the database, through psql."""
    out = subprocess.run(["psql", DB_URL, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", query],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


def submit_and_wait(driver, button):
    """Clicks a submit button and waits until the next page has replaced this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 10).until(lambda _: gone(old))


def gone(element):
    """Stale, or (mid-navigation) Chromium's "Node with given id does not belong to the document": both mean replaced."""
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


def sign_in(driver, role_or_login, password=None):
    login, pw = users()[role_or_login] if password is None else (role_or_login, password)
    driver.get(BASE + "/console/sign-in")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(pw)
    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def screenshot(driver, name):
    """Kept for the README when SCREENSHOTS names a directory."""
    target = os.environ.get("SCREENSHOTS")
    if target:
        pathlib.Path(target).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(pathlib.Path(target) / f"{name}.png"))
