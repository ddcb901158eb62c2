"""Builds custody exports the way the specification in docs/audit-log.md describes them, with the RFC reference,
so the tests can tamper with them (and re-sign them as a dishonest operator would). No CryoLedger code."""
import base64
import hashlib
import json
import struct
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

import reference as rfc


def raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name, key_type, pub):
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + pub).digest()[:4]


def vkey(name, key, key_type=0x01):
    pub = raw_public(key)
    return "%s+%s+%s" % (name, key_id(name, key_type, pub).hex(), base64.b64encode(bytes([key_type]) + pub).decode())


def sign_checkpoint(name, key, size, root, t=1_800_000_000):
    text = "%s\n%d\n%s\ntime %d\n" % (name, size, base64.b64encode(root).decode(), t)
    sig = key.sign(text.encode())
    return text + "\n\u2014 %s %s\n" % (name, base64.b64encode(key_id(name, 0x01, raw_public(key)) + sig).decode())


def cosign(note, wname, wkey, t=1_800_000_100):
    text = note[: note.rfind("\n\n") + 1]
    sig = wkey.sign(b"cosignature/v1\ntime %d\n" % t + text.encode())
    return note + "\u2014 %s %s\n" % (wname, base64.b64encode(key_id(wname, 0x04, raw_public(wkey)) + struct.pack(">Q", t) + sig).decode())


def event_hash(fields, prev_hex):
    return hashlib.sha256("\x1f".join(fields).encode() + bytes.fromhex(prev_hex)).hexdigest()


def make_events(n, subjects=5, first_id=1):
    """n events over `subjects` vials, ids from first_id, each chained to its subject's previous event."""
    events, heads = [], {}
    for i in range(n):
        sid = "V%05d" % (i % subjects)
        seq, prev = heads.get(sid, (0, ""))
        seq += 1
        details = {"n": str(i)}
        fields = ["vial", sid, str(seq), "vial.moved", "3", "Test manufacturing", "manufacturing",
                  "2026-12-07T10:00:%02d.%06dZ" % (i % 60, i), "stored", "stored", "BOX-1/1/1", "BOX-2/1/1", "move",
                  json.dumps(details, separators=(", ", ": ")), "", ""]
        h = event_hash(fields, prev)
        events.append({"id": first_id + i, "subjectType": "vial", "subjectId": sid, "seq": seq, "action": "vial.moved",
                       "actorName": "Test manufacturing", "actorRole": "manufacturing", "occurredAt": fields[7],
                       "fromState": "stored", "toState": "stored", "fromLocation": "BOX-1/1/1", "toLocation": "BOX-2/1/1",
                       "reason": "move", "details": details, "hashedFields": fields, "prevHash": prev, "hash": h})
        heads[sid] = (seq, h)
    return events


def leaves_of(events):
    return [rfc.leaf(struct.pack(">Q", e["id"]) + bytes.fromhex(e["hash"])) for e in events]


class Log:
    """A log operator: its key, its leaves, its heads."""

    def __init__(self, name="test.example/log", key=None):
        self.name = name
        self.key = key or Ed25519PrivateKey.generate()
        self.events = []

    @property
    def vkey(self):
        return vkey(self.name, self.key)

    def head(self, size=None):
        size = len(self.events) if size is None else size
        return sign_checkpoint(self.name, self.key, size, rfc.mth(leaves_of(self.events[:size]))), size

    def export(self, events=None, size=None, scope="lot LOT-1, its vials and the patients they were reserved for", witnessed=()):
        """A JSON export of `events` (default: all, sorted by subject then seq) cut against the head of `size`."""
        size = len(self.events) if size is None else size
        leaves = leaves_of(self.events[:size])
        note, _ = self.head(size)
        index = {e["id"]: i for i, e in enumerate(self.events[:size])}
        chosen = events if events is not None else sorted(self.events[:size], key=lambda e: (e["subjectType"], e["subjectId"], e["seq"]))
        out, cache = [], {}
        for e in chosen:
            e = dict(e)
            i = index[e["id"]]
            e["inclusion"] = {"leafIndex": i, "treeSize": size, "path": [base64.b64encode(p).decode() for p in fast_path(i, leaves, cache)]}
            out.append(e)
        w = []
        for wname, wnote, wsize in witnessed:
            w.append({"witness": wname, "checkpoint": wnote, "proof": [base64.b64encode(p).decode() for p in rfc.proof(wsize, leaves)]})
        return {"format": "cryoledger.custody-export/v1", "scope": scope, "generatedAt": "2026-12-07T10:00:00Z",
                "generatedBy": "Test auditor", "events": out, "transparency": {"checkpoint": note, "publicKey": self.vkey, "witnessed": w}}


def fast_path(m, leaves, cache, lo=0, hi=None):
    """rfc.path with the subtree hashes memoised (the reference recomputes them: too slow for 10,000 proofs)."""
    hi = len(leaves) if hi is None else hi
    if hi - lo == 1:
        return []
    k = rfc.k_of(hi - lo)
    if m < k:
        return fast_path(m, leaves, cache, lo, lo + k) + [range_hash(lo + k, hi, leaves, cache)]
    return fast_path(m - k, leaves, cache, lo + k, hi) + [range_hash(lo, lo + k, leaves, cache)]


def range_hash(lo, hi, leaves, cache):
    if (lo, hi) not in cache:
        if hi - lo == 1:
            cache[(lo, hi)] = leaves[lo]
        else:
            k = rfc.k_of(hi - lo)
            cache[(lo, hi)] = rfc.node(range_hash(lo, lo + k, leaves, cache), range_hash(lo + k, hi, leaves, cache))
    return cache[(lo, hi)]
