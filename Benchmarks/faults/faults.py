#!/usr/bin/env python3
"""Load drivers for the fault scripts (standard library only).

  faults.py prepare-kill9 STATE.json             enrol patients, release a lot, plan; write what the chaos will send
  faults.py kill9 STATE.json API_PID OUT.json    fire the commits, lot registrations and vial creations at once, kill -9 the API mid-flight
  faults.py verify-kill9 STATE.json OUT.json     after the restart: every acknowledged write is there, no commit is partial
  faults.py outage BIN DOWN_SECONDS OUT.json     steady reads and writes; stop PostgreSQL, start it again; measure and check

BASE (http://127.0.0.1:PORT), the demo tokens (CRYOLEDGER_TOKEN_*) and ADMIN_URL (psql) come from the environment.
"""
import datetime
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

BASE = os.environ.get("BASE", "http://127.0.0.1:8080")
HOST = urllib.parse.urlsplit(BASE).hostname
PORT = urllib.parse.urlsplit(BASE).port
TOKENS = {r: os.environ.get("CRYOLEDGER_TOKEN_" + r.upper(), "") for r in
          ("admin", "manufacturing", "qc", "qa", "clinical", "pharmacy", "auditor")}
QA_PASSWORD = "demo-qa-signing-pass"
TODAY = datetime.date.today()


def call(method, path, body=None, role="manufacturing", timeout=60, raw=False):
    """One request on its own connection. Returns (status, content_type, parsed_body)."""
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
        ctype = resp.getheader("Content-Type", "")
        if raw:
            return resp.status, ctype, payload
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode(errors="replace")
        return resp.status, ctype, parsed
    finally:
        conn.close()


def must(method, path, body=None, role="manufacturing", ok=(200, 201)):
    status, _, parsed = call(method, path, body, role)
    if status not in ok:
        raise SystemExit(f"setup: {method} {path} -> {status} {parsed}")
    return parsed


def psql(query):
    # On standard input: a check can list more ids than one command-line argument may hold.
    out = subprocess.run(["psql", os.environ["ADMIN_URL"], "-v", "ON_ERROR_STOP=1", "-tAqF", "\t", "-f", "-"], input=query,
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def sql_list(values):
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


QC_RESULTS = [("viability", 88.5, None, "7-AAD flow cytometry"), ("car-positive", 41.2, None, "flow cytometry"),
              ("sterility", None, "no growth", "USP <71>"), ("mycoplasma", None, "not detected", "qPCR"),
              ("endotoxin", 0.8, None, "LAL"), ("vcn", 2.1, None, "ddPCR"), ("residual-tcr", 0.3, None, "flow cytometry"),
              ("identity", None, "conforms", "CAR transgene PCR"), ("potency", 1850, None, "IFN-gamma release")]


def box(box_id, label, rows, columns, rack="SSF-LN2-01-R1"):
    must("POST", "/boxes", {"id": box_id, "rackId": rack, "label": label, "rows": rows, "columns": columns})


def register_lot(number, vials, cells=40_000_000, made=None):
    return must("POST", "/lots", {"lotNumber": number, "productCode": "ALLO-501", "donorCode": "DN-000101",
                                  "manufacturedOn": str(made or TODAY - datetime.timedelta(days=2)),
                                  "cellsPerVial": cells, "vialCount": vials})


def release_lot(number, vials, box_id):
    """Register, fill, quarantine, test and release a lot of ALLO-501 (QC and QA are different people)."""
    register_lot(number, vials)
    must("POST", f"/lots/{number}/vials", {"count": vials, "boxId": box_id})
    must("POST", f"/lots/{number}/status", {"status": "quarantine", "reason": "run complete; cryopreserved"})
    for code, num, text, method in QC_RESULTS:
        must("POST", f"/lots/{number}/qc-results", {"testCode": code, "numericValue": num, "textValue": text,
                                                    "method": method, "analyst": "Quinn Tester"}, role="qc")
    must("POST", f"/lots/{number}/release", {"kind": "standard", "reason": "all release tests within specification",
                                             "signature": {"password": QA_PASSWORD, "meaning": "approved for release"}}, role="qa")


# ---------------------------------------------------------------- kill -9

def prepare_kill9(state_path, commits=50, lot_regs=25, vial_creations=15):
    t0 = time.monotonic()
    box("FK9-REL-B1", "K9R1", 10, 10)
    release_lot("FK9-REL-001", 100, "FK9-REL-B1")
    indications = [{"code": f"IND{i:02d}", "name": f"Indication {i}"} for i in range(1, 21)]
    must("POST", "/studies", {
        "code": "FK9", "name": "Fault study for kill -9", "productCode": "ALLO-501", "dltWindowDays": 28,
        "indications": indications, "arms": [{"code": "FC", "lymphodepletion": "flu-cy", "name": "Flu/Cy"}],
        "doseLevels": [{"code": "DL1", "ordinal": 1, "targetCells": 40_000_000, "basis": "flat"}],
        "sites": ["UCLA"], "criteria": [{"code": "consent", "kind": "inclusion", "text": "Signed informed consent"}]},
         role="clinical")
    subjects = []
    for i in range(60):
        subject = f"FK9-{i + 1:03d}"
        must("POST", "/patients", {
            "subjectId": subject, "studyCode": "FK9", "siteCode": "UCLA", "cohortId": f"FK9/IND{i // 3 + 1:02d}/DL1/FC",
            "weightKg": 70, "ldStartOn": str(TODAY + datetime.timedelta(days=9)),
            "infusionOn": str(TODAY + datetime.timedelta(days=14)),
            "eligibility": [{"criterion": "consent", "satisfied": True}]}, role="clinical")
        subjects.append(subject)
    plan = must("POST", "/allocation-plans", {"patients": subjects, "timeLimitSeconds": 30}, role="pharmacy")
    assigned = sorted(a["demand"] for a in plan["assignments"] if a["kind"] == "patient")
    if len(assigned) < 20:
        raise SystemExit(f"setup: the plan assigns only {len(assigned)} patients: {plan['unassigned'][:3]}")
    # 50 commits of the one plan, for disjoint patient sets, plus overlapping ones that must lose (409) or win whole:
    # singles, pairs, and pairs that share a patient with a single.
    n = len(assigned)
    overlap = min(10, n // 6)
    rest = assigned[overlap:n - overlap]
    groups = [[p] for p in assigned[:overlap]]             # singles that the overlapping pairs contend with
    groups += [[a, b] for a, b in zip(assigned[:overlap], assigned[n - overlap:])]  # overlapping pairs
    pairs = min(10, len(rest) // 2)
    groups += [rest[2 * i:2 * i + 2] for i in range(pairs)]
    groups += [[p] for p in rest[2 * pairs:]]
    groups = groups[:commits]
    vial_lots = []
    for i in range(vial_creations):
        lot = f"FK9-VC-{i + 1:03d}"
        box(f"FK9-VC-B{i + 1:02d}", f"K9V{i + 1:02d}", 5, 8)
        register_lot(lot, 40)
        vial_lots.append({"lot": lot, "box": f"FK9-VC-B{i + 1:02d}", "count": 40})
    state = {"plan": plan["id"], "assigned": assigned, "commits": groups,
             "lots": [f"FK9-NEW-{i + 1:03d}" for i in range(lot_regs)], "vials": vial_lots}
    json.dump(state, open(state_path, "w"), indent=1)
    print(f"prepared in {time.monotonic() - t0:.1f} s: plan {plan['id']} assigns {n} of 60 patients; "
          f"{len(groups)} commits ({overlap} overlapping pairs), {lot_regs} lot registrations, {vial_creations} vial creations (40 placed each)")


def kill9(state_path, api_pid, out_path, kill_fraction=0.3):
    state = json.load(open(state_path))
    reqs = []
    for g in state["commits"]:
        reqs.append({"kind": "commit", "key": g, "method": "POST", "path": f"/allocation-plans/{state['plan']}/commit",
                     "body": {"patients": g}, "role": "pharmacy"})
    for lot in state["lots"]:
        reqs.append({"kind": "lot", "key": lot, "method": "POST", "path": "/lots", "role": "manufacturing",
                     "body": {"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                              "manufacturedOn": str(TODAY - datetime.timedelta(days=1)), "cellsPerVial": 40_000_000, "vialCount": 10}})
    for v in state["vials"]:
        reqs.append({"kind": "vials", "key": v["lot"], "method": "POST", "path": f"/lots/{v['lot']}/vials", "role": "manufacturing",
                     "body": {"count": v["count"], "boxId": v["box"]}})
    # Interleave the kinds so that every kind is in flight at the kill.
    reqs = [r for _, r in sorted(enumerate(reqs), key=lambda ir: (ir[0] % 7, ir[0]))]
    lock = threading.Lock()
    done_count = [0]
    done_kinds = set()
    progressed = threading.Condition(lock)
    start = threading.Barrier(len(reqs) + 1)

    def worker(r):
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        start.wait()
        r["t_start"] = time.monotonic()
        try:
            conn.request(r["method"], r["path"], body=json.dumps(r["body"]).encode(),
                         headers={"Authorization": "Bearer " + TOKENS[r["role"]], "Content-Type": "application/json"})
            r["t_sent"] = time.monotonic()
            resp = conn.getresponse()
            r["t_status"] = time.monotonic()
            payload = resp.read()
            r["t_done"] = time.monotonic()
            r["status"] = resp.status
            try:
                r["response"] = json.loads(payload)
            except ValueError:
                r["response"] = payload.decode(errors="replace")
        except Exception as e:  # noqa: BLE001 - the kill makes every kind of socket error
            r["t_done"] = time.monotonic()
            r["error"] = type(e).__name__
        finally:
            conn.close()
            with lock:
                done_count[0] += 1
                if "status" in r:
                    done_kinds.add(r["kind"])
                progressed.notify_all()

    threads = [threading.Thread(target=worker, args=(r,)) for r in reqs]
    for t in threads:
        t.start()
    # Kill once a fraction of the requests have their answer and every kind has at least one (so that there are
    # acknowledged writes of each kind to look for afterwards), but while most are still in flight.
    threshold = max(1, int(len(reqs) * kill_fraction))
    kinds = {r["kind"] for r in reqs}
    start.wait()
    t_go = time.monotonic()
    with lock:
        progressed.wait_for(lambda: (done_count[0] >= threshold and done_kinds >= kinds) or done_count[0] >= 0.8 * len(reqs),
                            timeout=30)
    os.kill(api_pid, signal.SIGKILL)
    t_kill = time.monotonic()
    open_tx = psql("SELECT state, count(*) FROM pg_stat_activity WHERE usename = 'cryoledger_app' "
                   "AND state IN ('active', 'idle in transaction') GROUP BY state")
    for t in threads:
        t.join(timeout=70)

    def outcome(r):
        if "status" in r and r["t_status"] <= t_kill:
            return "acked" if 200 <= r["status"] < 300 else f"http-{r['status']}"
        if "t_sent" in r and r["t_sent"] <= t_kill:
            return "in-flight"      # written before the kill, no answer before it
        return "not-sent"
    for r in reqs:
        r["outcome"] = outcome(r)
        for k in ("t_start", "t_sent", "t_status", "t_done"):
            if k in r:
                r[k] = round((r[k] - t_go) * 1000, 2)
    summary = {"requests": len(reqs), "kill_ms": round((t_kill - t_go) * 1000, 1), "threshold": threshold,
               "server_tx_open_after_kill": {s: int(n) for s, n in open_tx}}
    by = {}
    for r in reqs:
        by.setdefault(r["kind"], {}).setdefault(r["outcome"], 0)
        by[r["kind"]][r["outcome"]] += 1
    summary["by_kind"] = by
    json.dump({"summary": summary, "requests": reqs}, open(out_path, "w"), indent=1)
    inflight = sum(1 for r in reqs if r["outcome"] == "in-flight")
    acked = sum(1 for r in reqs if r["outcome"] == "acked")
    print(f"kill -9 at {summary['kill_ms']} ms after the start of {len(reqs)} concurrent requests "
          f"(once {threshold}+ had their answer, of every kind): {acked} acknowledged (2xx), {inflight} in flight, "
          f"{sum(1 for r in reqs if r['outcome'].startswith('http-4'))} refused (4xx), "
          f"{sum(1 for r in reqs if r['outcome'] == 'not-sent')} not sent")
    for kind, outcomes in by.items():
        print(f"  {kind:7s} " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"  sessions of the app still busy in PostgreSQL when psql looked after the kill: {summary['server_tx_open_after_kill'] or 'none'}")
    ok = inflight > 0 and acked > 0
    print(("PASS" if ok else "FAIL") + f"  the kill landed with requests in flight: {inflight} in flight, {acked} answered before it")
    return 0 if ok else 1


def verify_kill9(state_path, out_path):
    state = json.load(open(state_path))
    reqs = json.load(open(out_path))["requests"]
    failures = 0

    def report(ok, text):
        nonlocal failures
        print(("PASS  " if ok else "FAIL  ") + text)
        failures += 0 if ok else 1

    # Acknowledged lots.
    acked_lots = [r["key"] for r in reqs if r["kind"] == "lot" and r["outcome"] == "acked"]
    missing = psql(f"SELECT x FROM unnest({sql_list(acked_lots)}) x WHERE NOT EXISTS (SELECT 1 FROM lot WHERE lot_number = x)") if acked_lots else []
    report(not missing, f"acknowledged lot registrations present: {len(acked_lots) - len(missing)}/{len(acked_lots)}")
    # Acknowledged vial creations: every returned id, in its lot, at its position.
    vial_ids, vial_missing = [], 0
    for r in reqs:
        if r["kind"] == "vials" and r["outcome"] == "acked":
            ids = [v["id"] for v in r["response"]]
            vial_ids += ids
            rows = psql(f"SELECT count(*) FROM vial v JOIN vial_position p ON p.vial_id = v.id "
                        f"WHERE v.id = ANY({sql_list(ids)}) AND v.lot_number = '{r['key']}'")
            vial_missing += len(ids) - int(rows[0][0])
    report(vial_missing == 0, f"acknowledged vial creations present and placed: {len(vial_ids) - vial_missing}/{len(vial_ids)} vials "
                              f"in {sum(1 for r in reqs if r['kind'] == 'vials' and r['outcome'] == 'acked')} requests")
    # Acknowledged commits: the allocations, their reservations, the vials reserved.
    alloc_total, alloc_bad = 0, []
    for r in reqs:
        if r["kind"] == "commit" and r["outcome"] == "acked":
            for a in r["response"]:
                alloc_total += 1
                rows = psql(f"""SELECT a.status, a.subject_id, (SELECT string_agg(r.vial_id, ',' ORDER BY r.vial_id) FROM reservation r
                                  JOIN vial v ON v.id = r.vial_id AND v.status = 'reserved'
                                  WHERE r.allocation_id = a.id AND r.cancelled_at IS NULL) FROM allocation a WHERE a.id = {int(a['allocationId'])}""")
                if not rows or rows[0][0] != "reserved" or rows[0][1] != a["subjectId"] or rows[0][2] != ",".join(sorted(a["vialIds"])):
                    alloc_bad.append((a["allocationId"], rows))
    report(not alloc_bad, f"acknowledged allocations present with all their vials reserved: {alloc_total - len(alloc_bad)}/{alloc_total}"
                          + (f"; bad: {alloc_bad[:3]}" if alloc_bad else ""))
    # No commit partially applied: the allocations each transaction wrote (xmin) are exactly one request's patients.
    groups = psql(f"SELECT xmin::text, string_agg(subject_id, ',' ORDER BY subject_id) FROM allocation "
                  f"WHERE plan_id = '{state['plan']}' GROUP BY xmin::text")
    requested = {",".join(sorted(g)) for g in state["commits"]}
    stray = [g for _, g in groups if g not in requested]
    report(not stray, f"no partially committed plan: {len(groups)} committed transactions, each exactly one request's "
                      f"patient set ({sum(len(g.split(',')) for _, g in groups)} allocations)" + (f"; partial: {stray[:3]}" if stray else ""))
    committed = {g for _, g in groups}
    acked_sets = {",".join(sorted(r["key"])) for r in reqs if r["kind"] == "commit" and r["outcome"] == "acked"}
    report(acked_sets <= committed, f"every acknowledged commit is one of the committed transactions ({len(acked_sets)} acknowledged)")
    refused = [r for r in reqs if r["kind"] == "commit" and r["outcome"] == "http-409"]
    report(all(",".join(sorted(r["key"])) not in committed for r in refused),
           f"no commit answered 409 left anything behind ({len(refused)} conflicts)")
    # What became of the writes in flight (either way is correct; acknowledged ones must be there).
    inflight = [r for r in reqs if r["outcome"] in ("in-flight", "not-sent")]
    present = 0
    for r in inflight:
        if r["kind"] == "commit":
            present += ",".join(sorted(r["key"])) in committed
        elif r["kind"] == "lot":
            present += bool(psql(f"SELECT 1 FROM lot WHERE lot_number = '{r['key']}'"))
        else:
            present += int(psql(f"SELECT count(*) FROM vial WHERE lot_number = '{r['key']}'")[0][0]) > 0
    print(f"      unanswered writes ({len(inflight)}): {present} committed before the kill (answer lost), {len(inflight) - present} rolled back")
    # The API takes new writes after the restart.
    status, _, body = call("POST", "/lots", {"lotNumber": "FK9-AFTER-001", "productCode": "ALLO-501", "donorCode": "DN-000101",
                                             "manufacturedOn": str(TODAY), "cellsPerVial": 40_000_000, "vialCount": 10})
    report(status == 201, f"a lot registration after the restart: HTTP {status}")
    return 1 if failures else 0


# ---------------------------------------------------------------- PostgreSQL outage

def outage(binary, down_seconds, out_path, writers=3, readers=3):
    read_paths = os.environ.get("READ_PATHS", "/lots/A501-26001").split()
    records = []
    rec_lock = threading.Lock()
    stop = threading.Event()
    marks = {}
    t0 = time.monotonic()

    def record(kind, key, t_start, status, ctype, body, error=None):
        r = {"kind": kind, "key": key, "t": round(t_start - t0, 4), "ms": round((time.monotonic() - t_start) * 1000, 2),
             "status": status, "ctype": ctype}
        if error:
            r["error"] = error
        if body is not None and status and status >= 400:
            r["problem"] = body if isinstance(body, dict) else str(body)[:200]
        if kind == "vials" and status == 201:
            r["ids"] = [v["id"] for v in body]
        with rec_lock:
            records.append(r)
        return r

    def timed(kind, key, method, path, body=None, role="manufacturing"):
        t = time.monotonic()
        try:
            status, ctype, parsed = call(method, path, body, role, timeout=30)
            return record(kind, key, t, status, ctype, parsed)
        except Exception as e:  # noqa: BLE001
            return record(kind, key, t, None, None, None, error=type(e).__name__)

    def writer(w):
        i = 0
        while not stop.is_set():
            i += 1
            lot = f"OUT-W{w}-{i:05d}"
            r = timed("lot", lot, "POST", "/lots", {"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                                                    "manufacturedOn": str(TODAY), "cellsPerVial": 40_000_000, "vialCount": 5})
            if r["status"] == 201:
                timed("vials", lot, "POST", f"/lots/{lot}/vials", {"count": 5})
            time.sleep(0.02)

    def reader(k):
        i = 0
        while not stop.is_set():
            path = read_paths[(i + k) % len(read_paths)]
            timed("read", path, "GET", path, role="auditor")
            i += 1
            time.sleep(0.01)

    def health():
        while not stop.is_set():
            timed("health", "/health", "GET", "/health")
            timed("ready", "/health/ready", "GET", "/health/ready")
            time.sleep(0.1)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    threads += [threading.Thread(target=reader, args=(k,)) for k in range(readers)]
    threads.append(threading.Thread(target=health))
    for t in threads:
        t.start()
    time.sleep(4)
    marks["stop_begin"] = time.monotonic() - t0
    subprocess.run([binary, "db", "stop"], check=True, capture_output=True)
    marks["stop_end"] = time.monotonic() - t0
    time.sleep(down_seconds)
    marks["start_begin"] = time.monotonic() - t0
    subprocess.run([binary, "db", "start"], check=True, capture_output=True)
    marks["start_end"] = time.monotonic() - t0
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(timeout=40)
    records.sort(key=lambda r: r["t"])
    json.dump({"marks": marks, "records": records}, open(out_path, "w"), indent=1)
    return analyse_outage(marks, records, down_seconds)


def analyse_outage(marks, records, down_seconds):
    failures = 0

    def report(ok, text):
        nonlocal failures
        print(("PASS  " if ok else "FAIL  ") + text)
        failures += 0 if ok else 1

    def end(r):
        return r["t"] + r["ms"] / 1000

    print(f"      PostgreSQL stopped at t={marks['stop_begin']:.2f}-{marks['stop_end']:.2f} s, "
          f"started at t={marks['start_begin']:.2f}-{marks['start_end']:.2f} s (down {marks['start_begin'] - marks['stop_end']:.1f} s)")
    before = [r for r in records if end(r) < marks["stop_begin"]]
    report(bool(before) and all(r["status"] and r["status"] < 400 for r in before),
           f"before the outage: {len(before)} requests, {sum(1 for r in before if r['status'] and r['status'] < 400)} answered 2xx")
    # (1) While down: requests that began after the stop had finished and ended before the start began.
    down = [r for r in records if r["t"] >= marks["stop_end"] and end(r) <= marks["start_begin"] and r["kind"] not in ("health", "ready")]
    straddle = [r for r in records if marks["stop_end"] <= r["t"] < marks["start_begin"] < end(r) and r["kind"] not in ("health", "ready")]
    api_down = down + straddle
    n503 = [r for r in api_down if r["status"] == 503 and (r["ctype"] or "").startswith("application/problem+json")]
    lat = [r["ms"] for r in api_down]
    others = {}
    for r in api_down:
        if r not in n503:
            key = str(r["status"] or r.get("error"))
            others[key] = others.get(key, 0) + 1
    report(bool(api_down) and len(n503) == len(api_down),
           f"while down: {len(n503)}/{len(api_down)} API requests answered 503 application/problem+json"
           + (f"; others: {others}" if others else ""))
    if lat:
        report(max(lat) < 1000, f"while down: 503 latency p50 {statistics.median(lat):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
                                f"max {max(lat):.1f} ms (goal < 1000 ms)")
    ready_down = [r for r in records if r["kind"] == "ready" and r["t"] >= marks["stop_end"] and end(r) <= marks["start_begin"]]
    health_down = [r for r in records if r["kind"] == "health" and r["t"] >= marks["stop_end"] and end(r) <= marks["start_begin"]]
    report(bool(ready_down) and all(r["status"] == 503 for r in ready_down),
           f"while down: /health/ready 503 in {sum(1 for r in ready_down if r['status'] == 503)}/{len(ready_down)} "
           f"(max {max((r['ms'] for r in ready_down), default=0):.1f} ms)")
    report(bool(health_down) and all(r["status"] == 200 for r in health_down),
           f"while down: /health 200 in {sum(1 for r in health_down if r['status'] == 200)}/{len(health_down)}")
    during_stop = [r for r in records if r["t"] < marks["stop_end"] and end(r) > marks["stop_begin"] and r["kind"] not in ("health", "ready")]
    stop_status = {}
    for r in during_stop:
        key = str(r["status"] or r.get("error"))
        stop_status[key] = stop_status.get(key, 0) + 1
    report(all(r["status"] in (200, 201, 503) for r in during_stop),
           f"requests in flight during the stop: {stop_status} (2xx or 503 only)")
    # (2) Recovery without restarting the API.
    first = {}
    for kind in ("lot", "read", "ready"):
        ok = [end(r) for r in records if r["kind"] == kind and r["t"] >= marks["start_begin"] and r["status"] in (200, 201)]
        first[kind] = (min(ok) - marks["start_end"]) if ok else None
    rec = [v for v in (first["lot"], first["read"]) if v is not None]
    recovery = max(rec) if len(rec) == 2 else None
    report(recovery is not None and recovery < 5,
           "after the restart: first 2xx write {}, read {}, /health/ready 200 {} s after `db start` returned (goal < 5 s)".format(
               *(f"{first[k]:.2f}" if first[k] is not None else "never" for k in ("lot", "read", "ready"))))
    if recovery is not None:
        settle = marks["start_end"] + recovery + 1
        after = [r for r in records if r["t"] >= settle and r["kind"] not in ("health",)]
        bad = [r for r in after if not r["status"] or r["status"] >= 500]
        report(not bad, f"after recovery: {len(after) - len(bad)}/{len(after)} requests without an error")
    # (3) Acknowledged writes present.
    acked_lots = [r["key"] for r in records if r["kind"] == "lot" and r["status"] == 201]
    missing = psql(f"SELECT x FROM unnest({sql_list(acked_lots)}) x WHERE NOT EXISTS (SELECT 1 FROM lot WHERE lot_number = x)") if acked_lots else []
    report(not missing, f"acknowledged lot registrations present: {len(acked_lots) - len(missing)}/{len(acked_lots)}")
    acked_vials = [i for r in records if r["kind"] == "vials" and r["status"] == 201 for i in r["ids"]]
    have = int(psql(f"SELECT count(*) FROM vial WHERE id = ANY({sql_list(acked_vials)})")[0][0]) if acked_vials else 0
    report(have == len(acked_vials), f"acknowledged vials present: {have}/{len(acked_vials)} "
                                     f"({sum(1 for r in records if r['kind'] == 'vials' and r['status'] == 201)} requests)")
    unacked = [r["key"] for r in records if r["kind"] == "lot" and r["status"] != 201 and r["status"] != 409]
    present = len(psql(f"SELECT lot_number FROM lot WHERE lot_number = ANY({sql_list(unacked)})")) if unacked else 0
    print(f"      lot registrations not acknowledged: {len(unacked)}, of which {present} committed anyway (answer lost in the stop)")
    slowest = max(records, key=lambda r: r["ms"])
    print(f"      totals: {len(records)} requests (slowest {slowest['ms']:.0f} ms: {slowest['kind']} at t={slowest['t']:.2f} s); "
          f"writes acknowledged: {len(acked_lots)} lots, {len(acked_vials)} vials")
    return 1 if failures else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prepare-kill9":
        prepare_kill9(sys.argv[2])
    elif cmd == "kill9":
        sys.exit(kill9(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(os.environ.get("KILL_FRACTION", "0.3"))))
    elif cmd == "verify-kill9":
        sys.exit(verify_kill9(sys.argv[2], sys.argv[3]))
    elif cmd == "outage":
        sys.exit(outage(sys.argv[2], float(sys.argv[3]), sys.argv[4]))
    elif cmd == "analyse-outage":
        data = json.load(open(sys.argv[2]))
        sys.exit(analyse_outage(data["marks"], data["records"], 0))
    else:
        sys.exit(__doc__)
