import os

import pytest
import requests

BASE = os.environ.get("FHIR_BASE_URL", "http://127.0.0.1:18292")


def tokens():
    env = dict(line.split("=", 1) for line in open(os.environ["FHIR_TOKENS_FILE"]).read().split())
    return {k.removeprefix("CRYOLEDGER_TOKEN_").lower(): v for k, v in env.items()}


def call(method, path, token, **kw):
    return requests.request(method, BASE + path, headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})}, timeout=60, **kw)


@pytest.fixture(scope="session")
def tok():
    return tokens()


@pytest.fixture(scope="session")
def dispensed(tok):
    """Both demo patients allocated; ALPHA-001's vials shipped (in transit), ALPHA-002's shipped, received and thawed."""
    ph = tok["pharmacy"]
    r = call("POST", "/allocation-plans", ph, json={"patients": ["ALPHA-001", "ALPHA-002"]})
    assert r.status_code in (200, 201), r.text
    r = call("POST", f"/allocation-plans/{r.json()['id']}/commit", ph, json={})
    assert r.status_code in (200, 201), r.text
    allocations = {a["subjectId"]: a for a in r.json()}
    assert set(allocations) == {"ALPHA-001", "ALPHA-002"}, allocations
    sites = {"ALPHA-001": "UCLA", "ALPHA-002": "MDA"}
    for subject, a in allocations.items():
        r = call("POST", f"/allocations/{a['allocationId']}/pick", ph)
        assert r.status_code == 200, r.text
        r = call("POST", "/shipments", ph, json={"vialIds": a["vialIds"], "toSite": sites[subject], "dryShipperId": "DS-1",
                                                  "dataLoggerId": "LOG-1", "validatedHoldHours": 240})
        assert r.status_code in (200, 201), r.text
        if subject == "ALPHA-002":
            r = call("POST", f"/shipments/{r.json()['id']}/receive", ph, json={"loggerMaxCelsius": -170})
            assert r.status_code == 200, r.text
            r = call("POST", f"/vials/{a['vialIds'][0]}/thaw", ph)
            assert r.status_code == 200, r.text
    return allocations
