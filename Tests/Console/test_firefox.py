"""The console in Firefox (WebDriver BiDi, see bidi.py) and at a 10-inch tablet's size: sign-in, the scanner
field and its check character, the map's filters, the signing dialog, and pages that fit a tablet held upright."""
import os
import pathlib

import pytest

from bidi import Firefox
from conftest import BASE, sql, users

ENTER = "\ue007"
ESCAPE = "\ue00c"


@pytest.fixture
def firefox():
    browser = Firefox()
    yield browser
    browser.quit()


def sign_in(ff, role):
    login, password = users()[role]
    ff.get(BASE + "/console/sign-in")
    ff.type("#login", login)
    ff.type("#password", password + ENTER)
    ff.wait("location.pathname === '/console'")


def keep(ff, name):
    target = os.environ.get("SCREENSHOTS")
    if target:
        pathlib.Path(target).mkdir(parents=True, exist_ok=True)
        ff.screenshot(str(pathlib.Path(target) / f"{name}.png"))


def test_firefox_signs_in_with_the_keyboard_and_a_session_is_stored(firefox):
    assert firefox.capabilities["browserName"] == "firefox"
    login, _ = users()["manufacturing"]
    uid = sql(f"SELECT id FROM app_user WHERE lower(login) = lower('{login}')")
    before = int(sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid}"))
    sign_in(firefox, "manufacturing")
    assert "(manufacturing)" in firefox.js("document.getElementById('signed-in-as').textContent")
    assert int(sql(f"SELECT count(*) FROM console_session WHERE user_id = {uid}")) == before + 1


def test_firefox_scanner_field_checks_the_check_character_then_opens_the_vial(firefox):
    vial = sql("SELECT id FROM vial ORDER BY id LIMIT 1")
    wrong = vial[:-1] + ("A" if vial[-1] != "A" else "B")
    sign_in(firefox, "manufacturing")
    firefox.type("#scan-id", wrong + ENTER)
    firefox.wait("document.getElementById('scan-msg').textContent.includes('check character')")
    assert firefox.js("location.pathname") == "/console"
    firefox.js("document.getElementById('scan-id').value = ''")
    firefox.type("#scan-id", vial + ENTER)
    firefox.wait(f"document.querySelector('h1') && document.querySelector('h1').textContent === 'Vial {vial}'")


def test_firefox_freezer_map_filters_dim_the_other_positions(firefox):
    freezer = sql("SELECT r.freezer_id FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id "
                  "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    occupied = int(sql(f"SELECT count(*) FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id "
                       f"WHERE r.freezer_id = '{freezer}'"))
    sign_in(firefox, "manufacturing")
    firefox.get(f"{BASE}/console/freezers/{freezer}")
    assert firefox.js("document.querySelectorAll('.grid a.cell').length") == occupied
    assert firefox.js("document.querySelectorAll('.cell.dim').length") == 0
    firefox.click("input[name=empty]")
    firefox.wait("document.querySelectorAll('.grid a.cell.dim').length > 0")
    assert firefox.js("document.querySelectorAll('.grid a.cell.dim').length") == occupied
    assert firefox.js("document.querySelectorAll('.grid .cell.empty.dim').length") == 0
    keep(firefox, "firefox-freezer-map")


def test_firefox_signing_dialog_opens_modal_with_the_password_focused_and_escape_signs_nothing(firefox):
    lot = sql("SELECT lot_number FROM lot WHERE status = 'quarantine' ORDER BY lot_number LIMIT 1")
    events = sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'lot' AND subject_id = '{lot}'")
    sign_in(firefox, "qa")
    firefox.get(f"{BASE}/console/release/{lot}")
    assert firefox.js("document.querySelectorAll('button.sign-open').length") >= 1
    firefox.js("document.querySelector('button.sign-open').scrollIntoView()")
    firefox.click("button.sign-open")
    firefox.wait("document.querySelector('dialog.sign-dialog[open]') !== null")
    assert firefox.js("document.activeElement.type") == "password"
    assert firefox.js("document.querySelector('dialog[open] .sign-meaning').textContent.length") > 0
    keep(firefox, "firefox-signature-dialog")
    firefox.type("dialog[open] input[type=password]", ESCAPE)
    firefox.wait("document.querySelector('dialog.sign-dialog[open]') === null")
    assert sql(f"SELECT count(*) FROM custody_event WHERE subject_type = 'lot' AND subject_id = '{lot}'") == events


@pytest.mark.parametrize("role,path", [
    ("manufacturing", "/console"), ("manufacturing", "/console/freezers"), ("manufacturing", "/console/freezers/SSF-LN2-01"),
    ("manufacturing", "/console/lots"),
    ("qa", "/console/release"), ("pharmacy", "/console/pharmacy"), ("pharmacy", "/console/bedside"),
    ("auditor", "/console/audit"),
])
def test_a_tablet_held_upright_shows_the_page_without_sideways_scrolling(firefox, role, path):
    firefox.set_viewport(int(os.environ.get("TABLET_WIDTH", "800")), 1280)
    sign_in(firefox, role)
    firefox.get(BASE + path)
    width = firefox.js("document.documentElement.scrollWidth")
    assert width <= firefox.js("window.innerWidth"), f"{path} is {width} px wide at {firefox.js('window.innerWidth')} px"
    # The menu and the scanner field stay on screen.
    assert firefox.js("document.getElementById('scan-id').getBoundingClientRect().right") <= firefox.js("window.innerWidth")
    assert firefox.js("document.querySelector('nav[aria-label=Main] a:last-child').getBoundingClientRect().right") <= firefox.js("window.innerWidth")
