#!/usr/bin/env python3
"""Independent verifier (and minimal witness) for CryoLedger custody exports.

It needs only the export, the log's public key and the `cryptography` package; it imports nothing from CryoLedger.
What it checks, and how to run it, is in docs/audit-log.md ("For inspectors").

    python3 tools/verify_export.py EXPORT.json --public-key LOG.pub [--witness-key W.pub ...]
                                   [--previous-head OLD.note --consistency-proof PROOF.json]
    python3 tools/verify_export.py witness keygen --name NAME --key-file W.key        (prints the witness's public key)
    python3 tools/verify_export.py witness serve --key-file W.key --state W.state --log-key LOG.pub --listen 127.0.0.1:8790
    python3 tools/verify_export.py witness cosign --key-file W.key --state W.state --log-key LOG.pub REQUEST

Exit status 0 when everything checks; 1 with the reason on the first line of standard output otherwise.

Formats (all public specifications):
  * Merkle tree: RFC 9162 section 2.1 (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right)).
    A custody event's leaf data is its id as 8 bytes big-endian followed by its 32-byte hash.
  * Tree heads: C2SP tlog-checkpoint, signed as a C2SP signed note (Ed25519, key id = SHA-256(name || 0x0A || 0x01 || key)[:4]).
  * Witness co-signatures: C2SP tlog-cosignature (key type 0x04, signature over "cosignature/v1\\ntime T\\n" || checkpoint text,
    the signature line carrying the 8-byte time before the signature).
  * An event's hash: SHA-256 over its 16 hashed fields joined by U+001F (UTF-8), then the previous hash of its subject.
"""
import argparse
import base64
import hashlib
import json
import os
import struct
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization


class Failure(Exception):
    """A check failed; the message is the first line the inspector reads."""


# --- RFC 9162 -------------------------------------------------------------------------------------------------

def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def leaf_hash(data):
    return sha256(b"\x00", data)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def event_leaf(event_id, event_hash):
    return struct.pack(">Q", event_id) + event_hash


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2; None when the proof is malformed."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_consistency(m, old_root, n, new_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if m == n:
        return not proof and old_root == new_root
    if m == 0:
        return not proof
    if m > n or not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, old_root)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- C2SP signed notes, checkpoints, co-signatures ----------------------------------------------------------------

def key_id(name, key_type, public_key):
    return sha256(name.encode() + b"\n" + bytes([key_type]) + public_key)[:4]


def parse_vkey(text):
    """`name+hex(key id)+base64(type || key)` -> (name, key id, type, key)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise Failure("the public key file does not hold a verifier key (name+keyid+base64)")
    name, kid_hex, b64 = parts
    try:
        raw = base64.b64decode(b64, validate=True)
        kid = bytes.fromhex(kid_hex)
    except ValueError:
        raise Failure("the public key file does not hold a verifier key (bad hex or base64)")
    if len(raw) != 33 or len(kid) != 4 or key_id(name, raw[0], raw[1:]) != kid:
        raise Failure("the public key file's key id does not match its key")
    return name, kid, raw[0], raw[1:]


def parse_note(note):
    """-> (text, [(name, raw signature bytes)]). The text ends with its newline; signatures follow a blank line."""
    i = note.rfind("\n\n")
    if i < 0:
        raise Failure("the tree head is not a signed note (no blank line before the signatures)")
    text, sigs = note[: i + 1], []
    for line in note[i + 2:].split("\n"):
        if not line:
            continue
        if not line.startswith("\u2014 "):
            raise Failure("the tree head has a malformed signature line: %r" % line[:40])
        try:
            name, b64 = line[2:].split(" ")
            sigs.append((name, base64.b64decode(b64, validate=True)))
        except ValueError:
            raise Failure("the tree head has a malformed signature line: %r" % line[:40])
    return text, sigs


def parse_checkpoint(text):
    lines = text.split("\n")
    try:
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    except (IndexError, ValueError):
        raise Failure("the tree head is not a checkpoint (origin, size, base64 root hash)")
    if len(root) != 32 or size < 0:
        raise Failure("the tree head is not a checkpoint (root hash of 32 bytes, size >= 0)")
    return origin, size, root


def verify_log_signature(note, vkey, what="the tree head"):
    name, kid, ktype, key = vkey
    text, sigs = parse_note(note)
    mine = [s for n, s in sigs if n == name and s[:4] == kid]
    if not mine:
        others = ", ".join("%s (key %s)" % (n, s[:4].hex()) for n, s in sigs) or "nobody"
        raise Failure("%s is signed by %s, not by the public key given (%s, key %s)" % (what, others, name, kid.hex()))
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(mine[0][4:], text.encode())
    except InvalidSignature:
        raise Failure("%s's signature by %s does not verify: the head was altered after it was signed" % (what, name))
    origin, size, root = parse_checkpoint(text)
    if origin != name:
        raise Failure("%s names the log %r but is signed by %r" % (what, origin, name))
    return text, size, root


def verify_cosignature(note, wkey):
    name, kid, ktype, key = wkey
    text, sigs = parse_note(note)
    mine = [s for n, s in sigs if n == name and s[:4] == kid]
    if not mine:
        return False
    raw = mine[0][4:]
    if len(raw) != 72:
        return False
    t = struct.unpack(">Q", raw[:8])[0]
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(raw[8:], b"cosignature/v1\ntime %d\n" % t + text.encode())
        return True
    except InvalidSignature:
        return False


# --- Exports ------------------------------------------------------------------------------------------------------

def load_export(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Failure("cannot read the export %s: %s" % (path, e.strerror))
    try:
        doc = json.loads(data)
        if isinstance(doc, dict) and "events" in doc:
            return doc, doc.get("transparency"), doc["events"]
    except ValueError:
        pass
    lines = data.split(b"\n")
    try:
        header = json.loads(lines[0])
        events = [json.loads(line) for line in lines[1:] if line.strip()]
    except ValueError:
        raise Failure("the export is not complete JSON or NDJSON: it was cut short or altered")
    if not isinstance(header, dict) or "format" not in header:
        raise Failure("the export has no header: not a CryoLedger export")
    if lines[-1] != b"":
        raise Failure("the export's last line is incomplete: the file was cut short")
    return header, header.get("transparency"), events


def same_json(hashed, readable):
    if hashed == "" or readable is None:
        return hashed == "" and readable in (None, "", {})
    try:
        return json.loads(hashed) == readable
    except ValueError:
        return False


def instant(text):
    """An ISO 8601 UTC time to whole seconds (the typed JSON export renders a signature's time in its own way)."""
    from datetime import datetime
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).replace(microsecond=0)
    except ValueError:
        return None


def same_signature(hashed, readable):
    """The readable manifestation says what the hashed one says: printed name and meaning exactly, the time to the second."""
    if same_json(hashed, readable):
        return True
    try:
        h = json.loads(hashed)
    except ValueError:
        return False
    if not isinstance(h, dict) or not isinstance(readable, dict):
        return False
    return (h.get("printedName") == readable.get("printedName") and h.get("meaning") == readable.get("meaning")
            and instant(h.get("signedAt")) is not None and instant(h.get("signedAt")) == instant(readable.get("signedAt")))


READABLE = [(0, "subjectType"), (1, "subjectId"), (3, "action"), (5, "actorName"), (6, "actorRole"), (7, "occurredAt"),
            (8, "fromState"), (9, "toState"), (10, "fromLocation"), (11, "toLocation"), (12, "reason")]


def check_event(e, size, root):
    eid = e.get("id")
    fields = e.get("hashedFields")
    if not isinstance(eid, int) or not isinstance(fields, list) or len(fields) != 16:
        raise Failure("event %s: malformed (id and 16 hashed fields expected)" % eid)
    try:
        prev, digest = bytes.fromhex(e["prevHash"]), bytes.fromhex(e["hash"])
    except (KeyError, ValueError):
        raise Failure("event %d: malformed hashes" % eid)
    if sha256("\x1f".join(fields).encode(), prev) != digest:
        raise Failure("event %d: its content does not match its hash: the event was edited" % eid)
    if fields[2] != str(e.get("seq")):
        raise Failure("event %d: the readable field 'seq' differs from what was hashed: the event was edited" % eid)
    for i, key in READABLE:
        if fields[i] != (e.get(key) or ""):
            raise Failure("event %d: the readable field %r differs from what was hashed: the event was edited" % (eid, key))
    if not same_json(fields[13], e.get("details")) or not same_signature(fields[14], e.get("signature")):
        raise Failure("event %d: its details or signature differ from what was hashed: the event was edited" % eid)
    proof = e.get("inclusion")
    if not isinstance(proof, dict):
        raise Failure("event %d: carries no inclusion proof: it is not in the signed log (forged, or added to the export)" % eid)
    if proof.get("treeSize") != size:
        raise Failure("event %d: its inclusion proof is for a tree of %s entries, not the head's %d" % (eid, proof.get("treeSize"), size))
    try:
        path = [base64.b64decode(p, validate=True) for p in proof["path"]]
        index = int(proof["leafIndex"])
    except (KeyError, ValueError, TypeError):
        raise Failure("event %d: malformed inclusion proof" % eid)
    if root_from_inclusion(index, size, leaf_hash(event_leaf(eid, digest)), path) != root:
        raise Failure("event %d: not in the signed log: its inclusion proof does not lead to the head's root hash "
                      "(forged, renumbered, or changed after it was logged)" % eid)
    return index


def check_chains(events, period):
    """Each subject's events link seq by seq; a scoped export holds every event of its subjects from seq 1."""
    last = {}
    previous_id = None
    present = {("%s/%s" % (e["subjectType"], e["subjectId"]), e["seq"]): e["id"] for e in events}
    for e in events:
        subject = "%s/%s" % (e["subjectType"], e["subjectId"])
        if period and previous_id is not None and e["id"] < previous_id:
            raise Failure("events %d and %d are out of order: the export was reordered" % (previous_id, e["id"]))
        previous_id = e["id"]
        seq = e["seq"]
        if subject not in last:
            if not period and seq != 1:
                raise Failure("%s: its history starts at seq %d, not 1: events were deleted" % (subject, seq))
        else:
            lseq, lhash, lid = last[subject]
            if seq <= lseq:
                raise Failure("%s: event %d (seq %d) comes after event %d (seq %d): the events were reordered" % (subject, e["id"], seq, lid, lseq))
            if seq != lseq + 1 and (subject, lseq + 1) in present:
                raise Failure("%s: event %d (seq %d) comes before event %d (seq %d): the events were reordered" % (
                    subject, e["id"], seq, present[(subject, lseq + 1)], lseq + 1))
            if seq != lseq + 1:
                raise Failure("%s: seq jumps from %d to %d (event %d): events were deleted" % (subject, lseq, seq, e["id"]))
            if e["prevHash"] != lhash:
                raise Failure("%s: event %d does not link to event %d before it: the chain was broken" % (subject, e["id"], lid))
        last[subject] = (seq, e["hash"], e["id"])
    return len(last)


def verify(args):
    log_key = parse_vkey(read_text(args.public_key, "public key"))
    if log_key[2] != 0x01:
        raise Failure("the public key given is not an Ed25519 log key (type 0x01)")
    doc, transparency, events = load_export(args.export)
    if not isinstance(transparency, dict) or "checkpoint" not in transparency:
        raise Failure("the export carries no signed tree head: it cannot be checked against the log")
    _, size, root = verify_log_signature(transparency["checkpoint"], log_key)
    seen = {}
    for e in events:
        index = check_event(e, size, root)
        if index in seen:
            raise Failure("events %d and %d claim the same place in the log (leaf %d)" % (seen[index], e["id"], index))
        seen[index] = e["id"]
    subjects = check_chains(events, str(doc.get("scope", "")).startswith("all events from"))
    witnessed = []
    for path in args.witness_key or []:
        wkey = parse_vkey(read_text(path, "witness key"))
        witnessed.append(check_witness(wkey, transparency, log_key, size, root))
    if args.previous_head:
        check_previous(args, log_key, size, root)
    print("OK: %d events of %d subjects, each in the log's signed head of %d entries (root %s), signed by %s%s" % (
        len(events), subjects, size, base64.b64encode(root).decode(), log_key[0],
        "; co-signed by " + ", ".join(witnessed) if witnessed else ""))


def check_witness(wkey, transparency, log_key, size, root):
    name = wkey[0]
    if wkey[2] != 0x04:
        raise Failure("witness key %s is not a co-signing key (type 0x04)" % name)
    entries = [w for w in transparency.get("witnessed", []) if w.get("witness") == name]
    if verify_cosignature(transparency["checkpoint"], wkey):
        return name
    if not entries:
        raise Failure("witness %s co-signed no head of this log up to this export: nobody independent saw this history" % name)
    w = entries[0]
    if not verify_cosignature(w["checkpoint"], wkey):
        raise Failure("the head attributed to witness %s does not carry its valid co-signature" % name)
    _, wsize, wroot = verify_log_signature(w["checkpoint"], log_key, "the head witness %s co-signed" % name)
    if wsize > size:
        raise Failure("witness %s co-signed a head of %d entries; this export's head has only %d: the log was truncated" % (name, wsize, size))
    proof = [base64.b64decode(p) for p in w.get("proof", [])]
    if not verify_consistency(wsize, wroot, size, root, proof):
        raise Failure("split view: this export's head (%d entries) does not extend the head witness %s co-signed (%d entries, root %s); "
                      "the log's history was rewritten after the witness saw it" % (size, name, wsize, base64.b64encode(wroot).decode()))
    return name


def check_previous(args, log_key, size, root):
    if not args.consistency_proof:
        raise Failure("--previous-head needs --consistency-proof (from GET /audit/proofs/consistency or cryoledger audit consistency)")
    _, psize, proot = verify_log_signature(read_text(args.previous_head, "previous head"), log_key, "the previous head")
    if psize > size:
        raise Failure("the log shrank: the previous head had %d entries, this export's head %d: the log was truncated" % (psize, size))
    try:
        proof_doc = json.loads(read_text(args.consistency_proof, "consistency proof"))
        proof = [base64.b64decode(p) for p in proof_doc["proof"]]
    except (ValueError, KeyError, TypeError):
        raise Failure("the consistency proof file is not JSON with a \"proof\" list")
    if not verify_consistency(psize, proot, size, root, proof):
        raise Failure("the export's head (%d entries) does not extend the previous head (%d entries): the log's history was rewritten" % (size, psize))


def read_text(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise Failure("cannot read the %s %s: %s" % (what, path, e.strerror))


# --- Witness ------------------------------------------------------------------------------------------------------

class Witness:
    """Keeps the last head it co-signed (state file) and co-signs a new head only when a consistency proof links them."""

    def __init__(self, key_file, state_file, log_key):
        with open(key_file) as f:
            k = json.load(f)
        self.name = k["name"]
        self.key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(k["seed"]))
        pub = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = key_id(self.name, 0x04, pub)
        self.state_file = state_file
        self.log_key = log_key

    def state(self):
        if not os.path.exists(self.state_file):
            return 0, None
        with open(self.state_file) as f:
            s = json.load(f)
        return s["size"], base64.b64decode(s["root"])

    def add_checkpoint(self, body):
        """The tlog-witness request: `old N`, proof lines, a blank line, the signed checkpoint. -> (status, text)."""
        head, sep, note = body.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old "):
            return 400, "malformed request\n"
        try:
            old = int(lines[0][4:])
            proof = [base64.b64decode(p, validate=True) for p in lines[1:] if p]
            text, size, root = verify_log_signature(note, self.log_key)
        except (ValueError, Failure) as e:
            return 403, "%s\n" % e
        known, known_root = self.state()
        if old != known:
            return 409, "%d\n" % known
        if size < known or not verify_consistency(known, known_root, size, root, proof) and known > 0:
            return 422, "the new head does not extend the last head this witness co-signed\n"
        if known == size and known_root != root:
            return 422, "a different head of the same size: split view\n"
        t = int(time.time())
        sig = self.key.sign(b"cosignature/v1\ntime %d\n" % t + text.encode())
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"size": size, "root": base64.b64encode(root).decode(), "checkpoint": note}, f)
        os.replace(tmp, self.state_file)
        return 200, "\u2014 %s %s\n" % (self.name, base64.b64encode(self.kid + struct.pack(">Q", t) + sig).decode())


def witness_main(argv):
    p = argparse.ArgumentParser(prog="verify_export.py witness")
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keygen")
    k.add_argument("--name", required=True)
    k.add_argument("--key-file", required=True)
    for name in ("serve", "cosign"):
        s = sub.add_parser(name)
        s.add_argument("--key-file", required=True)
        s.add_argument("--state", required=True)
        s.add_argument("--log-key", required=True)
        if name == "serve":
            s.add_argument("--listen", default="127.0.0.1:8790")
        else:
            s.add_argument("request")
    a = p.parse_args(argv)
    if a.cmd == "keygen":
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        fd = os.open(a.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"name": a.name, "seed": base64.b64encode(seed).decode()}, f)
        print("%s+%s+%s" % (a.name, key_id(a.name, 0x04, pub).hex(), base64.b64encode(b"\x04" + pub).decode()))
        return 0
    w = Witness(a.key_file, a.state, parse_vkey(read_text(a.log_key, "log key")))
    if a.cmd == "cosign":
        status, text = w.add_checkpoint(read_text(a.request, "request"))
        sys.stdout.write(text)
        return 0 if status == 200 else 1
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path.rstrip("/") != "/add-checkpoint":
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
            with lock:
                status, text = w.add_checkpoint(body)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    host, port = a.listen.rsplit(":", 1)
    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
    return 0


def main(argv):
    if argv[:1] == ["witness"]:
        try:
            return witness_main(argv[1:])
        except Failure as e:
            print(e)
            return 1
    p = argparse.ArgumentParser(description="Check a CryoLedger custody export with only the export and the log's public key.")
    p.add_argument("export")
    p.add_argument("--public-key", required=True, help="the log's verifier key (cryoledger audit public-key)")
    p.add_argument("--witness-key", action="append", help="a witness's verifier key; the export must be consistent with a head it co-signed")
    p.add_argument("--previous-head", help="an earlier signed head (checkpoint note) the export's head must extend")
    p.add_argument("--consistency-proof", help="JSON with a \"proof\" list from the previous head to the export's head")
    args = p.parse_args(argv)
    try:
        verify(args)
        return 0
    except Failure as e:
        print("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
