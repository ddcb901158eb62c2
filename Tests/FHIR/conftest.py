import datetime
import os
import pathlib
import subprocess

import pytest
import requests

BASE = os.environ.get("FHIR_BASE_URL", "http://127.0.0.1:18292")


def tokens():
    env = dict(line.split("=", 1) for line in open(os.environ["FHIR_TOKENS_FILE"]).read().split())
    return {k.removeprefix("CRYOLEDGER_TOKEN_").lower(): v for k, v in env.items()}


def users():
    """CRYOLEDGER_PASSWORD_<ROLE> from the demo's demo-users.env, beside the tokens file."""
    path = pathlib.Path(os.environ["FHIR_TOKENS_FILE"]).with_name("demo-users.env")
    values = dict(line.partition("=")[::2] for line in path.read_text().splitlines() if line)
    return {k.removeprefix("CRYOLEDGER_PASSWORD_").lower(): v for k, v in values.items() if k.startswith("CRYOLEDGER_PASSWORD_")}


def sql(query):
    subprocess.run(["psql", os.environ["FHIR_DB_URL"], "-AtX", "-v", "ON_ERROR_STOP=1", "-c", query], check=True, capture_output=True)


def make_ready(subject, token):
    """Clinical staff through the API (rule 8): the arm's lymphodepletion recorded as given (moved into the past first
    when it was planned ahead), the infusion moved to today, the clearance signed."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()

    def ok(r):
        assert r.status_code in (200, 201), r.text
        return r.json()

    r = ok(call("GET", f"/patients/{subject}/readiness", token))
    if r["plannedDoses"] and r["ldStartOn"] >= today:
        sql(f"UPDATE patient SET ld_start_on = CURRENT_DATE - 5 WHERE subject_id = '{subject}'")
        r = ok(call("GET", f"/patients/{subject}/readiness", token))
    given = {(d["agent"], d["givenOn"]) for d in r["dosesGiven"]}
    for d in r["plannedDoses"]:
        if (d["agent"], d["givenOn"]) not in given:
            ok(call("POST", f"/patients/{subject}/lymphodepletion", token, json={"agent": d["agent"], "givenOn": d["givenOn"]}))
    if r["infusionOn"] != today:
        ok(call("POST", f"/patients/{subject}/infusion-reschedules", token, json={"infusionOn": today, "reason": "vials at the site"}))
    if not any(c["clearedOn"] == today for c in r["clearances"]):
        ok(call("POST", f"/patients/{subject}/clearance", token,
                json={"items": r["clearanceItems"], "signature": {"password": users()["clinical"], "meaning": "patient cleared for infusion"}}))


def call(method, path, token, **kw):
    return requests.request(method, BASE + path, headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})}, timeout=60, **kw)


@pytest.fixture(scope="session")
def tok():
    return tokens()


@pytest.fixture(scope="session")
def allocated(tok):
    """The demo patients the allocation can serve (ALPHA-002; ALPHA-001's anti-HLA antibodies rule the demo lots out), reserved."""
    ph = tok["pharmacy"]
    r = call("POST", "/allocation-plans", ph, json={"patients": ["ALPHA-001", "ALPHA-002"]})
    assert r.status_code in (200, 201), r.text
    r = call("POST", f"/allocation-plans/{r.json()['id']}/commit", ph, json={})
    assert r.status_code in (200, 201), r.text
    allocations = {a["subjectId"]: a for a in r.json()}
    assert allocations, "the demo should let the allocation serve at least one patient"
    return allocations
