"""End to end (Tests/Audit/run.sh): the server's exports, checked with only the export and the public key, with a
witness that co-signs the server's heads; and a rewritten history re-signed with the server's own key is caught."""
import base64
import json
import os
import struct
import subprocess
import time

import pytest

from conftest import run_verifier

BASE = os.environ.get("AUDIT_BASE_URL")
pytestmark = pytest.mark.skipif(not BASE, reason="needs the server started by Tests/Audit/run.sh")


def token(role):
    env = dict(line.split("=", 1) for line in open(os.environ["AUDIT_TOKENS_FILE"]).read().split())
    return env["CRYOLEDGER_TOKEN_" + role.upper()]


def get(path, role="auditor"):
    import requests
    r = requests.get(BASE + path, headers={"Authorization": "Bearer " + token(role)} if role else {}, timeout=60)
    assert r.status_code == 200, r.text
    return r


@pytest.fixture(scope="module")
def witnessed():
    """Waits until the witness has co-signed a head (the server signs one every 2 s here)."""
    for _ in range(60):
        heads = get("/audit/heads").json()
        if heads and heads[0]["witnesses"]:
            return heads[0]
        time.sleep(0.5)
    pytest.fail("the witness co-signed no head in 30 s")


def test_the_public_key_is_published_and_printed_by_the_cli():
    published = get("/.well-known/cryoledger-log-key", role=None).text
    assert published == open(os.environ["AUDIT_LOG_KEY"]).read()
    printed = subprocess.run([os.environ["AUDIT_BIN"], "audit", "public-key"], capture_output=True, text=True, check=True).stdout
    assert printed == published


def test_exports_verify_with_only_the_export_and_the_keys(files, witnessed):
    lot = get("/lots").json()["lots"][0]["lotNumber"]
    for fmt in ("json", "ndjson"):
        path = files("export." + fmt, get("/audit/export/%s?lot=%s" % (fmt, lot)).text)
        status, line = run_verifier(path, "--public-key", os.environ["AUDIT_LOG_KEY"], "--witness-key", os.environ["AUDIT_WITNESS_KEY"])
        assert status == 0, line
        assert line.endswith("co-signed by sponsor.example/witness"), line
    doc = get("/audit/export/json?lot=%s" % lot).json()
    doc["events"][1]["reason"] = "edited"
    status, line = run_verifier(files("edited.json", doc), "--public-key", os.environ["AUDIT_LOG_KEY"])
    assert status == 1 and "the readable field 'reason' differs" in line


def test_inclusion_and_consistency_proofs_over_the_api(witnessed):
    heads = get("/audit/heads?limit=2").json()
    event = get("/audit/export/json?lot=%s" % get("/lots").json()["lots"][0]["lotNumber"]).json()["events"][0]["id"]
    proof = get("/audit/proofs/inclusion?eventId=%d" % event).json()
    assert proof["proof"]["treeSize"] == proof["head"]["size"]
    if len(heads) == 2:
        c = get("/audit/proofs/consistency?from=%d&to=%d" % (heads[1]["size"], heads[0]["size"])).json()
        assert c["from"]["size"] == heads[1]["size"]


def test_a_history_rewritten_and_resigned_with_our_own_key_is_a_split_view(files, witnessed):
    """The company (holding its key and database) rewrites one event and re-signs: the witness's head exposes it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    import logmaker
    import reference as rfc
    today = time.strftime("%Y-%m-%d", time.gmtime())
    doc = get("/audit/export/json?from=%s&to=%s" % (today, today)).json()
    events = sorted(doc["events"], key=lambda e: e["inclusion"]["leafIndex"])
    size = events[0]["inclusion"]["treeSize"]
    if len(events) != size or [e["inclusion"]["leafIndex"] for e in events] != list(range(size)):
        pytest.skip("the period export does not hold the whole log (events from another day)")
    wsize = min(int(w["checkpoint"].split("\n")[1]) for w in doc["transparency"]["witnessed"])
    victim = events[wsize // 2]  # an event the witness has seen
    victim["hashedFields"][12] = victim["reason"] = "rewritten"
    victim["hash"] = logmaker.event_hash(victim["hashedFields"], victim["prevHash"])
    leaves = [rfc.leaf(struct.pack(">Q", e["id"]) + bytes.fromhex(e["hash"])) for e in events]
    key = Ed25519PrivateKey.from_private_bytes(open(os.environ["AUDIT_SIGNING_KEY"], "rb").read())
    name = open(os.environ["AUDIT_LOG_KEY"]).read().split("+")[0]
    note = logmaker.sign_checkpoint(name, key, size, rfc.mth(leaves), int(time.time()))
    cache = {}
    for e in events:
        e["inclusion"]["path"] = [base64.b64encode(p).decode() for p in logmaker.fast_path(e["inclusion"]["leafIndex"], leaves, cache)]
    doc["transparency"]["checkpoint"] = note
    for w in doc["transparency"]["witnessed"]:
        m = int(w["checkpoint"].split("\n")[1])
        w["proof"] = [base64.b64encode(p).decode() for p in rfc.proof(m, leaves)] if m < size else []
    # Later events of the victim's subject no longer link: the company would rewrite those too; drop the chain check by
    # keeping only the victim's subject's events up to the victim.
    doc["events"] = [e for e in doc["events"] if (e["subjectType"], e["subjectId"]) != (victim["subjectType"], victim["subjectId"]) or e["seq"] <= victim["seq"]]
    status, line = run_verifier(files("rewritten.json", doc), "--public-key", os.environ["AUDIT_LOG_KEY"])
    assert status == 0, "re-signed with the company's own key, the rewrite passes on its own: " + line
    status, line = run_verifier(files("rewritten.json", doc), "--public-key", os.environ["AUDIT_LOG_KEY"],
                                "--witness-key", os.environ["AUDIT_WITNESS_KEY"])
    assert status == 1 and (line.startswith("FAILED: split view") or "does not carry its valid co-signature" in line), line
