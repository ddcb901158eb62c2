"""Each kind of tampering is caught by the independent verifier, with a precise first line."""
import copy

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import run_verifier
import logmaker


def setup(files, n=40):
    log = logmaker.Log()
    log.events = logmaker.make_events(n)
    key = files("log.pub", log.vkey + "\n")
    return log, key


def check(files, doc, key, *extra):
    return run_verifier(files("export.json", doc), "--public-key", key, *extra)


def test_an_intact_export_passes(files):
    log, key = setup(files)
    status, line = check(files, log.export(), key)
    assert status == 0, line
    assert line.startswith("OK: 40 events of 5 subjects")


def test_an_edited_event(files):
    log, key = setup(files)
    doc = log.export()
    doc["events"][3]["reason"] = "nothing happened"
    status, line = check(files, doc, key)
    assert status == 1 and line == "FAILED: event %d: the readable field 'reason' differs from what was hashed: the event was edited" % doc["events"][3]["id"]
    doc = log.export()
    e = doc["events"][3]
    e["hashedFields"][12] = e["reason"] = "nothing happened"
    assert check(files, doc, key) == (1, "FAILED: event %d: its content does not match its hash: the event was edited" % e["id"])
    # Edited and re-hashed (the whole chain after it too): the leaf no longer matches the signed tree.
    doc = log.export()
    e = doc["events"][0]
    e["hashedFields"][12] = e["reason"] = "nothing happened"
    e["hash"] = logmaker.event_hash(e["hashedFields"], e["prevHash"])
    doc["events"][1]["prevHash"] = e["hash"]
    status, line = check(files, doc, key)
    assert status == 1 and line.startswith("FAILED: event %d: not in the signed log" % e["id"])


def test_a_deleted_event(files):
    log, key = setup(files)
    doc = log.export()
    gone = doc["events"].pop(2)
    status, line = check(files, doc, key)
    assert status == 1
    assert line == "FAILED: vial/%s: seq jumps from 2 to 4 (event %d): events were deleted" % (gone["subjectId"], doc["events"][2]["id"])


def test_a_reordered_pair(files):
    log, key = setup(files)
    doc = log.export()
    doc["events"][1], doc["events"][2] = doc["events"][2], doc["events"][1]
    status, line = check(files, doc, key)
    assert status == 1 and line.endswith("the events were reordered") and "comes before" in line
    # In a period export (by id), too.
    doc = log.export(events=sorted(log.events, key=lambda e: e["id"]), scope="all events from 2026-12-01 to 2026-12-07 (UTC, inclusive)")
    doc["events"][7], doc["events"][8] = doc["events"][8], doc["events"][7]
    status, line = check(files, doc, key)
    assert status == 1 and line.endswith("the export was reordered")


def test_a_forged_event_under_a_new_id(files):
    log, key = setup(files)
    doc = log.export()
    last = [e for e in doc["events"] if e["subjectId"] == "V00000"][-1]
    forged = copy.deepcopy(last)
    forged["id"] = 999
    forged["seq"] = last["seq"] + 1
    forged["hashedFields"][2] = str(forged["seq"])
    forged["prevHash"] = last["hash"]
    forged["hash"] = logmaker.event_hash(forged["hashedFields"], forged["prevHash"])
    doc["events"].insert(doc["events"].index(last) + 1, forged)
    status, line = check(files, doc, key)
    assert status == 1 and line.startswith("FAILED: event 999: not in the signed log")
    del forged["inclusion"]
    status, line = check(files, doc, key)
    assert status == 1 and line == "FAILED: event 999: carries no inclusion proof: it is not in the signed log (forged, or added to the export)"


def test_a_history_rewritten_and_resigned_after_a_witness_cosigned(files):
    """Split view: the operator re-signs a rewritten history with its own key; the witness's earlier head exposes it."""
    log, key = setup(files, 50)
    wkey = Ed25519PrivateKey.generate()
    wname = "witness.sponsor.example"
    wpub = files("witness.pub", logmaker.vkey(wname, wkey, 0x04))
    note, size = log.head(40)
    witnessed = logmaker.cosign(note, wname, wkey)
    # Later: 10 more events, and event 5's reason rewritten (re-hashed, the chain re-linked, the tree rebuilt, re-signed).
    honest = log.export(witnessed=[(wname, witnessed, size)])
    assert check(files, honest, key, "--witness-key", wpub)[0] == 0
    rewritten = logmaker.Log(log.name, log.key)
    rewritten.events = logmaker.make_events(50)
    rewritten.events[4]["reason"] = "rewritten"
    rewritten.events[4]["hashedFields"][12] = "rewritten"
    rewritten.events = relink(rewritten.events)
    doc = rewritten.export(witnessed=[(wname, witnessed, size)])
    assert check(files, doc, key)[0] == 0, check(files, doc, key)
    status, line = check(files, doc, key, "--witness-key", wpub)
    assert status == 1
    assert line.startswith("FAILED: split view: this export's head (50 entries) does not extend the head witness %s co-signed (40 entries" % wname)
    doc["transparency"]["witnessed"] = []
    assert check(files, doc, key, "--witness-key", wpub) == (
        1, "FAILED: witness %s co-signed no head of this log up to this export: nobody independent saw this history" % wname)


def relink(events):
    heads = {}
    for e in events:
        seq, prev = heads.get(e["subjectId"], (0, ""))
        e["prevHash"] = prev
        e["hash"] = logmaker.event_hash(e["hashedFields"], prev)
        heads[e["subjectId"]] = (e["seq"], e["hash"])
    return events


def test_a_truncated_log(files):
    log, key = setup(files)
    note, _ = log.head()
    old = files("old.note", note)
    # The operator drops the last 5 events and signs a head of 35.
    doc = log.export(size=35)
    status, line = check(files, doc, key, "--previous-head", old, "--consistency-proof", files("p.json", {"proof": []}))
    assert (status, line) == (1, "FAILED: the log shrank: the previous head had 40 entries, this export's head 35: the log was truncated")
    # A witness that saw 40 entries exposes it too.
    wkey = Ed25519PrivateKey.generate()
    wpub = files("w.pub", logmaker.vkey("w.example", wkey, 0x04))
    doc = log.export(size=35)
    doc["transparency"]["witnessed"] = [{"witness": "w.example", "checkpoint": logmaker.cosign(note, "w.example", wkey), "proof": []}]
    assert check(files, doc, key, "--witness-key", wpub) == (
        1, "FAILED: witness w.example co-signed a head of 40 entries; this export's head has only 35: the log was truncated")
    # A file cut short.
    text = __import__("json").dumps(log.export())
    status, line = run_verifier(files("cut.json", text[: len(text) // 2]), "--public-key", key)
    assert (status, line) == (1, "FAILED: the export is not complete JSON or NDJSON: it was cut short or altered")


def test_a_head_signed_by_an_unknown_key(files):
    log, key = setup(files)
    stranger = logmaker.Log(log.name)
    stranger.events = log.events
    status, line = check(files, stranger.export(), key)
    assert status == 1
    assert line.startswith("FAILED: the tree head is signed by %s (key " % log.name) and line.endswith("not by the public key given (%s, key %s)" % (log.name, log.vkey.split("+")[1]))


def test_an_altered_head(files):
    log, key = setup(files)
    doc = log.export()
    doc["transparency"]["checkpoint"] = doc["transparency"]["checkpoint"].replace("\n40\n", "\n41\n", 1)
    assert check(files, doc, key) == (1, "FAILED: the tree head's signature by %s does not verify: the head was altered after it was signed" % log.name)


def test_consistency_with_a_previous_head(files):
    log, key = setup(files)
    old_note, old_size = log.head(25)
    import base64, reference
    proof = [base64.b64encode(p).decode() for p in reference.proof(25, logmaker.leaves_of(log.events))]
    args = ["--previous-head", files("old.note", old_note), "--consistency-proof", files("p.json", {"proof": proof})]
    assert check(files, log.export(), key, *args)[0] == 0
    bad = ["--previous-head", files("old.note", old_note), "--consistency-proof", files("p.json", {"proof": proof[1:]})]
    assert check(files, log.export(), key, *bad) == (
        1, "FAILED: the export's head (40 entries) does not extend the previous head (25 entries): the log's history was rewritten")
