#!/usr/bin/python3
"""The loopback HA cluster's helper: cluster state from Patroni's REST API, and the scenario driver
(standard library only; psql for the checks).

  ha.py status                          the members as Patroni sees them
  ha.py wait-healthy SECONDS [NODE]     until a leader, two streaming replicas (one synchronous), one timeline
                                        (and NODE, if given, back as a replica); prints the seconds it took
  ha.py leader                          the leader's name
  ha.py wait-routing SECONDS            until HAProxy's primary port leads to the leader alone, the replica port to replicas
  ha.py scenario KIND OUTDIR            KIND crash | switchover | api-kill: set up a study through the API, run a
                                        mixed load through the HTTP front, inject the fault, keep the load until
                                        writes are back, then check every acknowledged write; figures to OUTDIR
  ha.py summary OUTDIR                  the last line: the figures of one run (OUTDIR/figures.json)
  ha.py site-loss-load OUTDIR SECONDS CMD...
                                        set up as above, run the load for SECONDS (a failover halfway: SITE_LOSS_FAILOVER
                                        switchover (default) | crash | none), run CMD (the destruction) while it runs,
                                        stop the load; the requests and times to OUTDIR/load.json
  ha.py site-loss-check OUTDIR [AT]     after the restore: which acknowledged writes are missing (rows, seconds)

Environment: HA_DIR, REST_PORT_1, FRONT (http://127.0.0.1:PORT), ADMIN_URL (psql), CRYOLEDGER_TOKEN_* (the demo's tokens).
Every target is 127.0.0.1; every loop is bounded in time.
"""
import datetime
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HA_DIR = os.environ.get("HA_DIR", "/tmp/cryoledger-ha")
REST_PORT_1 = int(os.environ.get("REST_PORT_1", "15411"))
NODES = ["pg1", "pg2", "pg3"]
FRONT = os.environ.get("FRONT", "http://127.0.0.1:15450")
HOST = urllib.parse.urlsplit(FRONT).hostname
PORT = urllib.parse.urlsplit(FRONT).port
assert HOST == "127.0.0.1", "loopback only"
TOKENS = {r: os.environ.get("CRYOLEDGER_TOKEN_" + r.upper(), "") for r in
          ("admin", "manufacturing", "qc", "qa", "clinical", "pharmacy", "auditor")}
QA_PASSWORD = "demo-qa-signing-pass"
TODAY = datetime.date.today()
HANG = 10.0          # a request unanswered after this long counts as hung


# ---------------------------------------------------------------- Patroni

def rest(node, path="/cluster", timeout=1.0):
    port = REST_PORT_1 + NODES.index(node)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


def members():
    """The members from the first node whose REST API answers; [] if none does."""
    for node in NODES:
        try:
            return rest(node)["members"]
        except Exception:  # noqa: BLE001 - a dead node refuses or times out
            continue
    return []


def leader_name():
    for m in members():
        if m.get("role") == "leader" and m.get("state") == "running":
            return m["name"]
    return None


def healthy(ms, need=None):
    leader = [m for m in ms if m.get("role") == "leader" and m.get("state") == "running"]
    replicas = [m for m in ms if m.get("role") in ("replica", "sync_standby") and m.get("state") in ("running", "streaming")]
    sync = [m for m in replicas if m.get("role") == "sync_standby"]
    timelines = {m.get("timeline") for m in leader + replicas}
    ok = len(leader) == 1 and len(replicas) == 2 and len(sync) >= 1 and len(timelines) == 1 and None not in timelines
    if need:
        ok = ok and any(m["name"] == need for m in replicas)
    return ok


def wait_healthy(limit, need=None):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if healthy(members(), need):
            return time.monotonic() - t0
        time.sleep(0.2)
    return None


def describe(ms):
    return ", ".join(f"{m['name']} {m.get('role')} {m.get('state')} tl{m.get('timeline')}"
                     + (f" lag {m['lag']}" if m.get("lag") not in (None, 0, "") else "") for m in ms)


def haproxy_servers():
    """{(proxy, server): status} from HAProxy's statistics page (CSV)."""
    port = int(os.environ.get("STATS_PORT", "15449"))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/;csv", timeout=2) as r:
        lines = r.read().decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    out = {}
    for line in lines[1:]:
        row = dict(zip(head, line.split(",")))
        if row.get("svname") not in ("FRONTEND", "BACKEND", None):
            out[(row["pxname"], row["svname"])] = row["status"]
    return out


def wait_routing(limit):
    """Until HAProxy routes the primary port to exactly the leader and the replica port to the replicas."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            servers, leader = haproxy_servers(), leader_name()
            up_primary = [s for (p, s), st in servers.items() if p == "postgres_primary" and st.startswith("UP")]
            up_replicas = [s for (p, s), st in servers.items() if p == "postgres_replicas" and st.startswith("UP")]
            if leader and up_primary == [leader] and up_replicas and leader not in up_replicas:
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - HAProxy still starting
            pass
        time.sleep(0.2)
    return None


def daemon_pid(name):
    """The daemon behind pids/NAME.pid (for a Patroni node, runuser's child)."""
    pid = int(open(os.path.join(HA_DIR, "pids", name + ".pid")).read())
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        children = []
    comm = open(f"/proc/{pid}/comm").read().strip()
    return int(children[0]) if comm == "runuser" and children else pid


def postmaster_pid(node):
    return int(open(os.path.join(HA_DIR, node, "data", "postmaster.pid")).readline())


# ---------------------------------------------------------------- HTTP

def call(method, path, body=None, role="manufacturing", timeout=HANG):
    """One request on its own connection: (status, headers, parsed body)."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        headers = {"Authorization": "Bearer " + TOKENS[role]}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        if hdrs.get("content-type", "").startswith("text/csv"):
            return resp.status, hdrs, len(payload)
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode(errors="replace")[:300]
        return resp.status, hdrs, parsed
    finally:
        conn.close()


def must(method, path, body=None, role="manufacturing", ok=(200, 201), tries=20):
    """Set-up calls: retried on 503 (the cluster may still be settling from the previous run)."""
    for _ in range(tries):
        status, _, parsed = call(method, path, body, role, timeout=60)
        if status in ok:
            return parsed
        if status != 503:
            break
        time.sleep(0.5)
    raise SystemExit(f"setup: {method} {path} -> {status} {parsed}")


def psql(query):
    # The query goes in on standard input: the checks list every acknowledged id, past the kernel's limit for one argument.
    out = subprocess.run(["psql", os.environ["ADMIN_URL"], "-v", "ON_ERROR_STOP=1", "-tAqF", "\t", "-f", "-"],
                         input=query, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def sql_list(values):
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def pct(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


QC_RESULTS = [("viability", 88.5, None, "7-AAD flow cytometry"), ("car-positive", 41.2, None, "flow cytometry"),
              ("sterility", None, "no growth", "USP <71>"), ("mycoplasma", None, "not detected", "qPCR"),
              ("endotoxin", 0.8, None, "LAL"), ("vcn", 2.1, None, "ddPCR"), ("residual-tcr", 0.3, None, "flow cytometry"),
              ("identity", None, "conforms", "CAR transgene PCR"), ("potency", 1850, None, "IFN-gamma release")]


def lot_body(number, vials):
    return {"lotNumber": number, "productCode": "ALLO-501", "donorCode": "DN-000101",
            "manufacturedOn": str(TODAY - datetime.timedelta(days=2)), "cellsPerVial": 40_000_000, "vialCount": vials}


def box_body(box_id, label):
    return {"id": box_id, "rackId": "SSF-LN2-01-R1", "label": label, "rows": 10, "columns": 10}


def setup(tag, patients=36):
    """A released lot of 100 vials, a study with patients enrolled and one plan for all of them."""
    t0 = time.monotonic()
    rel = f"{tag}-REL"
    must("POST", "/boxes", box_body(rel, f"{tag}R"))
    must("POST", "/lots", lot_body(rel, 100))
    must("POST", f"/lots/{rel}/vials", {"count": 100, "boxId": rel})
    must("POST", f"/lots/{rel}/status", {"status": "quarantine", "reason": "run complete; cryopreserved"})
    for code, num, text, method in QC_RESULTS:
        must("POST", f"/lots/{rel}/qc-results", {"testCode": code, "numericValue": num, "textValue": text,
                                                 "method": method, "analyst": "Quinn Tester"}, role="qc")
    must("POST", f"/lots/{rel}/release", {"kind": "standard", "reason": "all release tests within specification",
                                          "signature": {"password": QA_PASSWORD, "meaning": "approved for release"}}, role="qa")
    groups = (patients + 2) // 3
    must("POST", "/studies", {
        "code": tag, "name": f"HA scenario study {tag}", "productCode": "ALLO-501", "dltWindowDays": 28,
        "indications": [{"code": f"IND{i:02d}", "name": f"Indication {i}"} for i in range(1, groups + 1)],
        "arms": [{"code": "FC", "lymphodepletion": "flu-cy", "name": "Flu/Cy"}],
        "doseLevels": [{"code": "DL1", "ordinal": 1, "targetCells": 40_000_000, "basis": "flat"}],
        "sites": ["UCLA"], "criteria": [{"code": "consent", "kind": "inclusion", "text": "Signed informed consent"}]},
         role="clinical")
    subjects = []
    for i in range(patients):
        subject = f"{tag}-{i + 1:03d}"
        must("POST", "/patients", {
            "subjectId": subject, "studyCode": tag, "siteCode": "UCLA", "cohortId": f"{tag}/IND{i // 3 + 1:02d}/DL1/FC",
            "weightKg": 70, "ldStartOn": str(TODAY + datetime.timedelta(days=9)),
            "infusionOn": str(TODAY + datetime.timedelta(days=14)),
            "eligibility": [{"criterion": "consent", "satisfied": True}]}, role="clinical")
        subjects.append(subject)
    plan = must("POST", "/allocation-plans", {"patients": subjects, "timeLimitSeconds": 30}, role="pharmacy")
    assigned = sorted(a["demand"] for a in plan["assignments"] if a["kind"] == "patient")
    if len(assigned) < patients // 2:
        raise SystemExit(f"setup: the plan assigns only {len(assigned)} of {patients} patients")
    print(f"      set-up through the front in {time.monotonic() - t0:.1f} s: lot {rel} released, {len(subjects)} patients, "
          f"plan {plan['id']} assigns {len(assigned)}")
    return {"plan": plan["id"], "assigned": assigned, "export_lot": rel}


# ---------------------------------------------------------------- the load and the fault

class Load:
    def __init__(self, tag, state):
        self.tag, self.state = tag, state
        self.records = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def now(self):
        return time.monotonic() - self.t0

    def timed(self, kind, key, method, path, body=None, role="manufacturing"):
        t = self.now()
        r = {"kind": kind, "key": key, "t": round(t, 4)}
        try:
            status, hdrs, parsed = call(method, path, body, role)
            r.update(status=status, ctype=hdrs.get("content-type", ""), retry_after=hdrs.get("retry-after"))
            if status >= 400:
                r["problem"] = parsed if isinstance(parsed, dict) else str(parsed)[:200]
            r["body"] = parsed if 200 <= status < 300 and kind in ("vials", "commit") else None
        except Exception as e:  # noqa: BLE001 - a timeout is a hang; anything else a broken answer
            r.update(status=None, error=type(e).__name__)
        r["end"] = round(self.now(), 4)
        with self.lock:
            self.records.append(r)
        return r

    def writer(self, w):
        i, box_n, used = 0, 0, 100
        while not self.stop.is_set():
            if used + 4 > 100:
                box_id = f"{self.tag}-B{w}-{box_n + 1}"
                r = self.timed("box", box_id, "POST", "/boxes", box_body(box_id, f"{self.tag}B{w}K{box_n + 1}"))
                box_n += 1
                if r["status"] == 201:
                    used = 0
                else:
                    time.sleep(0.2)
                    continue
            i += 1
            lot = f"{self.tag}-W{w}-{i:04d}"
            r = self.timed("lot", lot, "POST", "/lots", lot_body(lot, 4))
            if r["status"] == 201:
                self.timed("vials", f"{lot}|{self.tag}-B{w}-{box_n}", "POST", f"/lots/{lot}/vials",
                           {"count": 4, "boxId": f"{self.tag}-B{w}-{box_n}"})
                used += 4     # an unanswered creation may have taken the positions: never reuse them
            time.sleep(0.03)

    def committer(self):
        pending = list(self.state["assigned"])
        uncertain = set()
        while pending and not self.stop.is_set():
            p = pending[0]
            r = self.timed("commit", p, "POST", f"/allocation-plans/{self.state['plan']}/commit", {"patients": [p]}, role="pharmacy")
            if r["status"] in (200, 201) or (r["status"] == 409 and p in uncertain):
                pending.pop(0)
                r["after_unanswered"] = p in uncertain
                time.sleep(0.6)
            else:
                uncertain.add(p)
                time.sleep(0.3)

    def exporter(self):
        lot = self.state["export_lot"]
        while not self.stop.is_set():
            self.timed("export", lot, "GET", f"/audit/export/csv?lot={lot}", role="auditor")
            time.sleep(0.4)

    def reader(self):
        lot = self.state["export_lot"]
        while not self.stop.is_set():
            self.timed("read", lot, "GET", f"/lots/{lot}", role="auditor")
            time.sleep(0.05)

    def start(self, writers=3):
        self.threads = [threading.Thread(target=self.writer, args=(w + 1,)) for w in range(writers)]
        self.threads += [threading.Thread(target=f) for f in (self.committer, self.exporter, self.reader)]
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=HANG + 5)
        self.records.sort(key=lambda r: r["t"])


WRITES = ("lot", "vials", "commit", "box")


def ok_503(r):
    return (r["status"] == 503 and r["ctype"].startswith("application/problem+json") and r.get("retry_after")
            and isinstance(r.get("problem"), dict) and r["problem"].get("status") == 503)


def watch_leader(stop, out, t0):
    """Samples the leader every 200 ms: when the old one went and the new one came (seconds since t0)."""
    while not stop.is_set():
        out.append((round(time.monotonic() - t0, 3), leader_name()))
        time.sleep(0.2)


def inject(kind, log):
    """The fault itself. Returns what the later checks need."""
    if kind == "crash":
        old = leader_name()
        patroni, postmaster = daemon_pid(old), postmaster_pid(old)
        os.kill(patroni, signal.SIGKILL)
        os.kill(postmaster, signal.SIGKILL)
        log(f"SIGKILL to {old}'s Patroni (pid {patroni}) and postmaster (pid {postmaster})")
        return {"old_leader": old}
    if kind == "switchover":
        ms = members()
        old = next(m["name"] for m in ms if m.get("role") == "leader")
        cand = next(m["name"] for m in ms if m.get("role") == "sync_standby")
        out = subprocess.run(["patronictl", "-c", os.path.join(HA_DIR, "pg1", "patroni.yml"), "switchover",
                              "--leader", old, "--candidate", cand, "--force"], capture_output=True, text=True, timeout=60)
        log(f"patronictl switchover {old} -> {cand}: exit {out.returncode}; "
            + " ".join(line.strip() for line in out.stdout.splitlines() if "witchover" in line)[:200])
        return {"old_leader": old, "candidate": cand, "switchover_rc": out.returncode}
    if kind == "api-kill":
        pid = daemon_pid("api1")
        os.kill(pid, signal.SIGKILL)
        log(f"SIGKILL to API replica api1 (pid {pid})")
        return {"killed_api": "api1"}
    raise SystemExit(f"unknown scenario {kind}")


def scenario(kind, outdir, warm=6.0, min_after=12.0, max_after=60.0):
    failures = []

    def report(ok, text):
        print(("PASS  " if ok else "FAIL  ") + text, flush=True)
        if not ok:
            failures.append(text)

    def log(text):
        print("      " + text, flush=True)

    tag = "HA" + kind[:2].upper().replace("-", "") + format(int(time.time()) % 1_000_000, "06d")
    state = setup(tag)
    load = Load(tag, state)
    samples, stop_watch = [], threading.Event()
    watcher = threading.Thread(target=watch_leader, args=(stop_watch, samples, load.t0))
    watcher.start()
    load.start()
    time.sleep(warm)
    t_fault = load.now()
    fault = inject(kind, log)
    t_fault_end = load.now()
    # Keep the load until writes have been succeeding for a while after the last failure (bounded).
    while True:
        time.sleep(0.5)
        now = load.now()
        with load.lock:
            recs = list(load.records)
        bad = [r for r in recs if r["t"] >= t_fault and r["status"] not in (200, 201)]
        last_bad = max((r["end"] for r in bad), default=t_fault)
        good_after = [r for r in recs if r["kind"] in WRITES and r["t"] > last_bad and r["status"] in (200, 201)]
        if now - t_fault >= max_after or (now - t_fault >= min_after and now - last_bad >= 5 and len(good_after) >= 5):
            break
    load.finish()
    stop_watch.set()
    watcher.join()
    recs = load.records
    total_s = load.now()

    # How the requests went.
    failed = [r for r in recs if r["status"] is None or r["status"] >= 500]
    by = {}
    for r in failed:
        key = "503 problem+json Retry-After" if ok_503(r) else (str(r["status"]) if r["status"] else r.get("error", "?"))
        if r["kind"] == "export" and r.get("error") == "IncompleteRead":
            key = "streamed export cut mid-body"
        by[key] = by.get(key, 0) + 1
    hung = [r for r in recs if r["status"] is None and r.get("error") in ("timeout", "TimeoutError", "socket.timeout")]
    e500 = [r for r in recs if r["status"] == 500]
    four = [r for r in recs if r["status"] and 400 <= r["status"] < 500 and not (r["kind"] == "commit" and r.get("after_unanswered"))]
    writes = [r for r in recs if r["kind"] in WRITES]
    acked_writes = sorted(r["end"] for r in writes if r["status"] in (200, 201))
    # Write unavailability: the longest stretch without an acknowledged write, from a second before the fault on.
    points = [t for t in acked_writes if t >= t_fault - 1.0]
    before = [t for t in acked_writes if t < t_fault]
    if before:
        points = [before[-1]] + points
    gaps = [(b - a, a, b) for a, b in zip(points, points[1:])]
    gap, gap_from, gap_to = max(gaps) if gaps else (float("nan"), 0, 0)
    first_fail = min((r["t"] for r in failed if r["t"] >= t_fault - 1), default=None)
    last_fail = max((r["end"] for r in failed), default=None)
    lat = [r["end"] - r["t"] for r in recs]
    lat_failed = [r["end"] - r["t"] for r in failed]
    log(f"fault at t={t_fault:.2f} s (took {t_fault_end - t_fault:.2f} s); load ran {total_s:.1f} s; "
        f"{len(recs)} requests ({len(writes)} writes, {len(acked_writes)} acknowledged)")
    # A streamed export (CSV, chunked) whose API process or database connection died after the status line had
    # gone out cannot become a 503 any more: the client sees the body cut short (no last chunk). Reads only; counted
    # apart. Every other failure, every failed write among them, must be a 503 problem+json with Retry-After.
    truncated = [r for r in failed if r["kind"] == "export" and r.get("error") == "IncompleteRead"]
    report(not [r for r in failed if not ok_503(r) and r not in truncated],
           f"every failed request is 503 application/problem+json with Retry-After: {len(failed)} failed, {by or 'none'}"
           + (f" ({len(truncated)} streamed export(s) cut short mid-body, detected by the client as an incomplete chunked body)" if truncated else ""))
    report(not e500, f"no 500: {len(e500)}")
    report(not hung and max(lat, default=0) < HANG,
           f"nothing hung past {HANG:.0f} s: {len(hung)} timeouts; slowest answer {max(lat, default=0):.2f} s; "
           f"failed answers p50 {pct(lat_failed, 50) * 1000:.0f} ms, max {max(lat_failed, default=0) * 1000:.0f} ms")
    report(not four, f"no unexpected 4xx: {len(four)}" + (f", e.g. {[(r['kind'], r['status'], r.get('problem')) for r in four[:3]]}" if four else ""))
    if first_fail is not None:
        log(f"failures from t={first_fail:.2f} to t={last_fail:.2f} s ({last_fail - first_fail:.2f} s after the first)")
    log(f"write unavailability (longest stretch without an acknowledged write): {gap:.2f} s, t={gap_from:.2f}-{gap_to:.2f}")
    changes = []
    prev = None
    for t, name in samples:
        if name != prev:
            changes.append((t, name))
            prev = name
    log("leader over time: " + ", ".join(f"t={t:.1f} {n or '(none)'}" for t, n in changes))
    new_leader_at = next((t for t, n in changes if t >= t_fault and n and n != fault.get("old_leader")), None)
    if kind in ("crash", "switchover"):
        report(new_leader_at is not None, f"a new leader: {'t=%.2f s, %.2f s after the fault' % (new_leader_at, new_leader_at - t_fault) if new_leader_at else 'none'}")
    acked_after = [t for t in acked_writes if t > (last_fail or t_fault)]
    report(bool(acked_after), f"writes acknowledged again after the last failure: {len(acked_after)}")

    # Every acknowledged write is there, whole.
    acked_lots = [r["key"] for r in recs if r["kind"] == "lot" and r["status"] == 201]
    missing = psql(f"SELECT x FROM unnest({sql_list(acked_lots)}) x WHERE NOT EXISTS (SELECT 1 FROM lot WHERE lot_number = x)") if acked_lots else []
    report(not missing, f"acknowledged lot registrations present: {len(acked_lots) - len(missing)}/{len(acked_lots)}")
    vial_rows, vial_missing = 0, 0
    placed = [(r["key"].split("|")[0], r["key"].split("|")[1], [v["id"] for v in r["body"]]) for r in recs
              if r["kind"] == "vials" and r["status"] == 201]
    if placed:
        expect = [(vid, lot, box) for lot, box, ids in placed for vid in ids]
        vial_rows = len(expect)
        values = ",".join(f"('{v}','{lot}','{box}')" for v, lot, box in expect)
        vial_missing = int(psql(f"""SELECT count(*) FROM (VALUES {values}) x(id, lot, box) WHERE NOT EXISTS (
            SELECT 1 FROM vial v JOIN vial_position p ON p.vial_id = v.id WHERE v.id = x.id AND v.lot_number = x.lot AND p.box_id = x.box)""")[0][0])
    report(vial_missing == 0, f"acknowledged vials present, in their lot and box: {vial_rows - vial_missing}/{vial_rows} ({len(placed)} requests)")
    allocs = [(a["allocationId"], a["subjectId"], sorted(a["vialIds"])) for r in recs
              if r["kind"] == "commit" and r["status"] in (200, 201) for a in r["body"]]
    bad_alloc = []
    for aid, subject, vials in allocs:
        rows = psql(f"""SELECT a.status, a.subject_id, (SELECT string_agg(r.vial_id, ',' ORDER BY r.vial_id) FROM reservation r
                          JOIN vial v ON v.id = r.vial_id AND v.status = 'reserved'
                          WHERE r.allocation_id = a.id AND r.cancelled_at IS NULL) FROM allocation a WHERE a.id = {int(aid)}""")
        if not rows or rows[0][0] != "reserved" or rows[0][1] != subject or rows[0][2] != ",".join(vials):
            bad_alloc.append((aid, subject, rows))
    report(not bad_alloc, f"acknowledged allocations present with their vials reserved: {len(allocs) - len(bad_alloc)}/{len(allocs)}"
           + (f"; bad: {bad_alloc[:3]}" if bad_alloc else ""))
    late = [r["key"] for r in recs if r["kind"] == "commit" and r["status"] == 409 and r.get("after_unanswered")]
    if late:
        have = psql(f"SELECT subject_id FROM allocation WHERE status = 'reserved' AND subject_id = ANY({sql_list(late)})")
        report(len(have) == len(late), f"commits answered 503 and then 409 were committed by the unanswered attempt: {len(have)}/{len(late)}")
    unacked = [r["key"] for r in recs if r["kind"] == "lot" and r["status"] != 201]
    landed = len(psql(f"SELECT lot_number FROM lot WHERE lot_number = ANY({sql_list(unacked)})")) if unacked else 0
    log(f"lot registrations not acknowledged: {len(unacked)}, of which {landed} committed anyway (answer lost in the fault)")

    figures = {
        "scenario": kind, "tag": tag, "requests": len(recs), "writes": len(writes), "acked_writes": len(acked_writes),
        "failed": len(failed), "failed_by": by, "e500": len(e500), "hung": len(hung), "truncated_exports": len(truncated),
        "slowest_s": round(max(lat, default=0), 2), "failed_max_ms": round(max(lat_failed, default=0) * 1000),
        "write_gap_s": round(gap, 2), "new_leader_s": round(new_leader_at - t_fault, 2) if new_leader_at else None,
        "acked_lots": len(acked_lots), "acked_vials": vial_rows, "acked_allocations": len(allocs),
        "missing": len(missing) + vial_missing + len(bad_alloc), "unacked_committed": landed, "fault": fault,
        "checks_failed": len(failures),
    }
    os.makedirs(outdir, exist_ok=True)
    json.dump(figures, open(os.path.join(outdir, "figures.json"), "w"), indent=1)
    json.dump({"t_fault": t_fault, "records": recs, "leader": samples}, open(os.path.join(outdir, "requests.json"), "w"))
    return 1 if failures else 0


# ---------------------------------------------------------------- site loss

def site_loss_load(outdir, seconds, destroy):
    """The load until the site is destroyed under it; every request with its wall-clock times."""
    tag = "HASL" + format(int(time.time()) % 1_000_000, "06d")
    state = setup(tag)
    load = Load(tag, state)
    wall0 = time.time() - load.now()
    load.start()
    failover = os.environ.get("SITE_LOSS_FAILOVER", "switchover")
    fault = {}
    if failover in ("crash", "switchover"):
        # Halfway, a failover: the archive must follow the new primary's timeline without a gap for the restore
        # to reach the end of it.
        time.sleep(seconds / 2)

        def leader_timeline():
            return next((m.get("timeline") for m in members() if m.get("role") == "leader" and m.get("state") == "running"), None)
        before = leader_timeline()
        fault = inject(failover, lambda text: print("      " + text, flush=True))
        took = wait_healthy(60) if failover == "switchover" else None
        for _ in range(300):          # until the new leader runs on its new timeline
            tl = leader_timeline()
            if leader_name() not in (None, fault["old_leader"]) and tl is not None and before is not None and tl > before:
                break
            time.sleep(0.2)
        fault.update(kind=failover, t=round(load.now(), 2), new_leader=leader_name(), timeline=leader_timeline())
        print(f"      {failover} at t={seconds / 2:.0f} s: new leader {fault['new_leader']}"
              + (f", cluster healthy again after {took:.1f} s" if took is not None else ""), flush=True)
        time.sleep(max(0.0, seconds - load.now()))
    else:
        time.sleep(seconds)
    t_destroy = load.now()
    rc = subprocess.run(destroy).returncode
    t_destroyed = load.now()
    time.sleep(1.0)
    load.finish()
    print(f"      load ran {t_destroy:.1f} s before the destruction ({len(load.records)} requests); destruction took "
          f"{t_destroyed - t_destroy:.2f} s (exit {rc})", flush=True)
    os.makedirs(outdir, exist_ok=True)
    json.dump({"tag": tag, "wall0": wall0, "t_destroy": t_destroy, "t_destroyed": t_destroyed, "destroy_rc": rc,
               "failover": fault, "state": state, "records": load.records}, open(os.path.join(outdir, "load.json"), "w"))
    return 0 if rc == 0 else 1


def acknowledged_writes(recs):
    """(kind, key, acknowledged at) of every acknowledged write, the vial creations one row per vial."""
    out = []
    for r in recs:
        if r["status"] not in (200, 201) or r["kind"] not in WRITES:
            continue
        if r["kind"] == "vials":
            out += [("vial", v["id"], r["end"]) for v in r["body"]]
        elif r["kind"] == "commit":
            out += [("allocation", str(a["allocationId"]), r["end"]) for a in r["body"]]
        else:
            out.append((r["kind"], r["key"], r["end"]))
    return out


PRESENT = {
    "lot": "SELECT lot_number FROM lot WHERE lot_number = ANY({})",
    "box": "SELECT id FROM box WHERE id = ANY({})",
    "vial": "SELECT id FROM vial WHERE id = ANY({})",
    "allocation": "SELECT id::text FROM allocation WHERE status = 'reserved' AND id::text = ANY({})",
}


def site_loss_check(outdir, lost_at=None):
    """The recovery point: acknowledged writes absent from the restored database, in rows and in seconds between
    the last acknowledged write and the last acknowledged write present."""
    d = json.load(open(os.path.join(outdir, "load.json")))
    if lost_at is not None:           # the wall clock of the kill, as load times
        d["t_destroy"] = lost_at - d["wall0"]
    acked = acknowledged_writes(d["records"])
    present = set()
    for kind, query in PRESENT.items():
        keys = [k for k2, k, _ in acked if k2 == kind]
        if keys:
            present |= {(kind, row[0]) for row in psql(query.format(sql_list(keys)))}
    missing = [(k, key, t) for k, key, t in acked if (k, key) not in present]
    last_acked = max((t for _, _, t in acked), default=None)
    last_present = max((t for k, key, t in acked if (k, key) in present), default=None)
    lost_s = (last_acked - last_present) if missing and last_acked is not None and last_present is not None else 0.0
    first_missing = min((t for _, _, t in missing), default=None)
    by_kind = {}
    for k, _, _ in missing:
        by_kind[k] = by_kind.get(k, 0) + 1
    # Writes present although never acknowledged (the answer was lost with the site): not a loss, counted apart.
    unacked_lots = [r["key"] for r in d["records"] if r["kind"] == "lot" and r["status"] != 201]
    landed = len(psql(f"SELECT lot_number FROM lot WHERE lot_number = ANY({sql_list(unacked_lots)})")) if unacked_lots else 0
    # Missing writes must be the latest ones: a hole before the last write present would be a gap in the archive.
    holes = [m for m in missing if last_present is not None and m[2] < last_present]
    figures = {"acked_rows": len(acked), "missing_rows": len(missing), "missing_by_kind": by_kind, "lost_s": round(lost_s, 2),
               "last_acked_before_destruction_s": round(d["t_destroy"] - last_acked, 2) if last_acked is not None else None,
               "first_missing_before_destruction_s": round(d["t_destroy"] - first_missing, 2) if first_missing is not None else None,
               "holes": len(holes), "unacked_committed": landed, "t_destroy_wall": d["wall0"] + d["t_destroy"],
               "requests": len(d["records"])}
    json.dump(figures, open(os.path.join(outdir, "recovery-point.json"), "w"), indent=1)
    print(json.dumps(figures))
    return 0


def summary(outdir, extra):
    f = json.load(open(os.path.join(outdir, "figures.json")))
    failed = ", ".join(f"{v} {k}" for k, v in f["failed_by"].items()) or "none"
    parts = [f"FIGURES {f['scenario']}:",
             f"write unavailability {f['write_gap_s']} s",
             *( [f"new leader after {f['new_leader_s']} s"] if f.get("new_leader_s") is not None else []),
             f"{f['requests']} requests, {f['failed']} failed ({failed}), {f['e500']} x 500, {f['hung']} hung, slowest {f['slowest_s']} s",
             f"acknowledged {f['acked_lots']} lots / {f['acked_vials']} vials / {f['acked_allocations']} allocations, {f['missing']} missing",
             f"{f['unacked_committed']} unacknowledged lots committed anyway"]
    print(parts[0] + " " + "; ".join(parts[1:] + [e for e in extra if e]))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "status":
        ms = members()
        print(describe(ms) if ms else "no Patroni member answers")
    elif cmd == "wait-healthy":
        took = wait_healthy(float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
        if took is None:
            print(f"not healthy after {sys.argv[2]} s: {describe(members())}", file=sys.stderr)
            sys.exit(1)
        print(f"{took:.2f}")
    elif cmd == "wait-routing":
        took = wait_routing(float(sys.argv[2]))
        if took is None:
            print(f"HAProxy does not route to the leader alone after {sys.argv[2]} s", file=sys.stderr)
            sys.exit(1)
        print(f"{took:.2f}")
    elif cmd == "leader":
        name = leader_name()
        if not name:
            sys.exit(1)
        print(name)
    elif cmd == "scenario":
        sys.exit(scenario(sys.argv[2], sys.argv[3]))
    elif cmd == "site-loss-load":
        sys.exit(site_loss_load(sys.argv[2], float(sys.argv[3]), sys.argv[4:]))
    elif cmd == "site-loss-check":
        sys.exit(site_loss_check(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else None))
    elif cmd == "summary":
        summary(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
