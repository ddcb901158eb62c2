#!/usr/bin/env python3
"""Times the manufacturing path through the API: create a 10x10 box, register a lot,
create 100 vials placed into the box. Prints p50/p95/max of the whole path and of each call.

  lot_registration.py BASE_URL TOKEN ITERATIONS [RUN]

RUN (a number, default 0) keeps the box and lot ids of repeated runs on one database apart.
"""
import json
import statistics
import sys
import time
import urllib.request


def call(base, token, method, path, body):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req) as resp:
        resp.read()
        assert resp.status in (200, 201), resp.status
    return (time.perf_counter() - t0) * 1000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    run = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    totals, boxes, lots, vials = [], [], [], []
    for i in range(n):
        box = f"BENCH-BOX-{run}{i:05d}"
        b = call(base, token, "POST", "/boxes", {"id": box, "rackId": "SSF-LN2-01-R1", "label": f"BB{run}{i:05d}", "rows": 10, "columns": 10})
        lot = f"BENCH-{run}{i:05d}"
        l = call(base, token, "POST", "/lots", {"lotNumber": lot, "productCode": "ALLO-501", "donorCode": "DN-000101",
                                                "manufacturedOn": "2026-11-01", "cellsPerVial": 40000000, "vialCount": 100})
        v = call(base, token, "POST", f"/lots/{lot}/vials", {"count": 100, "boxId": box})
        boxes.append(b); lots.append(l); vials.append(v); totals.append(l + v)
    print(f"{n} iterations: register a lot + create 100 vials placed in a box (2 API calls, 101 custody events)")
    for name, xs in (("lot + 100 vials placed", totals), ("  POST /lots", lots), ("  POST /lots/{n}/vials (100, placed)", vials), ("(setup) POST /boxes", boxes)):
        print(f"  {name:40s} p50 {statistics.median(xs):7.2f} ms   p95 {pct(xs, 95):7.2f} ms   max {max(xs):7.2f} ms")


if __name__ == "__main__":
    main()
