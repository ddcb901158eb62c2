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
