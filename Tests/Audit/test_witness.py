"""The witness mode: keeps the last head it co-signed and co-signs a new one only when a consistency proof links them."""
import base64
import json
import subprocess
import sys

import logmaker
import reference as rfc
from conftest import VERIFIER, run_verifier


def witness(*args):
    p = subprocess.run([sys.executable, VERIFIER, "witness", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout


def request(old, proof, note):
    return "old %d\n" % old + "".join(base64.b64encode(p).decode() + "\n" for p in proof) + "\n" + note


def test_a_witness_cosigns_only_consistent_heads(files, tmp_path):
    log = logmaker.Log()
    log.events = logmaker.make_events(30)
    logkey = files("log.pub", log.vkey)
    status, wvkey = witness("keygen", "--name", "cmo.example/witness", "--key-file", str(tmp_path / "w.key"))
    assert status == 0 and wvkey.startswith("cmo.example/witness+")
    wpub = files("w.pub", wvkey)
    common = ["--key-file", str(tmp_path / "w.key"), "--state", str(tmp_path / "w.state"), "--log-key", logkey]
    leaves = logmaker.leaves_of(log.events)

    note10, _ = log.head(10)
    status, line = witness("cosign", *common, files("r1", request(0, [], note10)))
    assert status == 0 and line.startswith("\u2014 cmo.example/witness ")
    assert json.loads((tmp_path / "w.state").read_text())["size"] == 10

    note20, _ = log.head(20)
    # A request from the wrong old size is answered with the witness's size (409).
    assert witness("cosign", *common, files("r2", request(0, [], note20))) == (1, "10\n")
    status, line20 = witness("cosign", *common, files("r3", request(10, rfc.proof(10, leaves[:20]), note20)))
    assert status == 0
    # The co-signed head verifies through the independent verifier with the witness's key.
    doc = log.export(size=30, witnessed=[("cmo.example/witness", note20 + line20, 20)])
    status, first = run_verifier(files("e.json", doc), "--public-key", logkey, "--witness-key", wpub)
    assert status == 0 and first.endswith("co-signed by cmo.example/witness")

    # A rewritten history re-signed by the log's own key: no consistency proof links it; the witness refuses.
    forked = logmaker.Log(log.name, log.key)
    forked.events = logmaker.make_events(30)
    forked.events[3]["hashedFields"][12] = "rewritten"
    forked.events[3]["hash"] = logmaker.event_hash(forked.events[3]["hashedFields"], forked.events[3]["prevHash"])
    fnote, _ = forked.head(30)
    status, text = witness("cosign", *common, files("r4", request(20, rfc.proof(20, logmaker.leaves_of(forked.events)), fnote)))
    assert status == 1 and "does not extend" in text
    assert json.loads((tmp_path / "w.state").read_text())["size"] == 20

    # A head signed by another key is refused.
    stranger = logmaker.Log(log.name)
    stranger.events = log.events
    snote, _ = stranger.head(30)
    status, text = witness("cosign", *common, files("r5", request(20, rfc.proof(20, leaves), snote)))
    assert status == 1 and "not by the public key given" in text
