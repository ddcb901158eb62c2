#!/usr/bin/env python3
"""Benchmark CryoLedger's allocation optimizer against ../shared/allocation/oracle.py.

For each tier, seed and --cohort-lots policy it generates an instance with gen_instance.py,
solves it with CryoLedger's solver, the HiGHS reference (oracle.py) and the first-expiry-
first-out greedy (oracle.py --greedy), checks every plan with check_plan.py, and prints a
Markdown table of objective tuples, validity, wall time and peak memory.

  run_benchmark.py [--solver "CMD ARGS"] [--tiers S,M,L] [--seeds S=1-5,M=1-3,L=1]
                   [--policies soft,hard,off] [--oracle-seconds S=60,M=120,L=60] [--no-highs L]
                   [--out results.md] [--jsonl results.jsonl]

The solver command gets `--input FILE --output FILE` appended. Default: `cryoledger allocate
solve` from the repository's .build/release or .build/debug, else $SOLVER_CMD.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared", "allocation"))
TIERS = {"S": (24, 30), "M": (200, 500), "L": (1000, 3000)}
LEVELS = ["unassignedPatients", "unassignedSlots", "cohortSpread", "expirySlackDays", "overageCells"]


def default_solver():
    for config in ("release", "debug"):
        exe = os.path.join(REPO, ".build", config, "cryoledger")
        if os.access(exe, os.X_OK):
            return [exe, "allocate", "solve"]
    if os.environ.get("SOLVER_CMD"):
        return shlex.split(os.environ["SOLVER_CMD"])
    sys.exit("no solver: build cryoledger, or pass --solver, or set SOLVER_CMD")


def parse_map(text, convert):
    out = {}
    for part in text.split(","):
        if part:
            k, v = part.split("=")
            out[k.strip()] = convert(v.strip())
    return out


def seed_range(text):
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split("+")]


def timed(cmd, timeout=None):
    """Run cmd; return (exit code, wall seconds, peak RSS in MB, stdout)."""
    if os.access("/usr/bin/time", os.X_OK):
        cmd = ["/usr/bin/time", "-v"] + cmd
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t0, None, ""
    wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    peak = int(m.group(1)) / 1024 if m else None
    if peak is None:
        import resource
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # a high-water mark over all children
    return p.returncode, wall, peak, p.stdout


def check(instance, plan_path):
    p = subprocess.run([sys.executable, os.path.join(SHARED, "check_plan.py"), instance, plan_path],
                       capture_output=True, text=True)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        return False, None
    return out["valid"], [out["objective"][k] for k in LEVELS]


def lex_cmp(a, b):
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


def fmt_obj(o):
    if o is None:
        return "—"
    return "(" + ", ".join(str(x) if i < 4 else f"{x / 1e6:g}M" for i, x in enumerate(o)) + ")"


def proof_summary(plan_path):
    try:
        with open(plan_path) as f:
            plan = json.load(f)
    except (OSError, ValueError):
        return "—"
    levels = plan.get("levels")
    if not levels:
        return "?"
    proven = [l["provenOptimal"] for l in levels]
    if all(proven):
        return "all 5 proven"
    first = proven.index(False)
    bound = levels[first].get("bound")
    shown = bound if first < 4 or bound is None else f"{bound / 1e6:g}M"
    if first == 0:
        return f"L1 ≥ {shown}"
    return f"{'L1' if first == 1 else f'L1–L{first}'} proven; L{first + 1} ≥ {shown}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--solver", help="solver command; --input/--output are appended")
    ap.add_argument("--time-limit", type=float, help="passed to the solver as --time-limit")
    ap.add_argument("--tiers", default="S,M,L")
    ap.add_argument("--seeds", default="S=1-5,M=1-3,L=1")
    ap.add_argument("--policies", default="soft,hard,off")
    ap.add_argument("--oracle-seconds", default="S=60,M=120,L=60", help="HiGHS time limit per level, per tier")
    ap.add_argument("--no-highs", default="", help="tiers to run without the HiGHS reference, e.g. L")
    ap.add_argument("--workdir", help="where instances and plans go (default: a temporary directory)")
    ap.add_argument("--out", help="also write the Markdown table here")
    ap.add_argument("--jsonl", help="append one JSON record per instance here")
    a = ap.parse_args()

    solver = shlex.split(a.solver) if a.solver else default_solver()
    seeds = parse_map(a.seeds, seed_range)
    oracle_seconds = parse_map(a.oracle_seconds, float)
    no_highs = set(filter(None, a.no_highs.split(",")))
    work = a.workdir or tempfile.mkdtemp(prefix="alloc-bench-")
    os.makedirs(work, exist_ok=True)

    header = ("| tier | seed | policy | CryoLedger objective | proof | valid | s | MB "
              "| HiGHS objective | valid | s | MB | greedy objective | valid | vs HiGHS | vs greedy, levels 1–3 |")
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    print(header, flush=True)
    print(rows[1], flush=True)
    for tier in a.tiers.split(","):
        n_dem, n_lots = TIERS[tier]
        for seed in seeds.get(tier, [1]):
            for policy in a.policies.split(","):
                base = os.path.join(work, f"{tier}-{seed}-{policy}")
                inst = base + ".json"
                with open(inst, "w") as f:
                    subprocess.run([sys.executable, os.path.join(SHARED, "gen_instance.py"), "--demands", str(n_dem),
                                    "--lots", str(n_lots), "--seed", str(seed), "--cohort-lots", policy],
                                   stdout=f, check=True)
                rec = {"tier": tier, "seed": seed, "policy": policy}

                ours = base + ".cryoledger.plan.json"
                cmd = solver + ["--input", inst, "--output", ours]
                if a.time_limit is not None:
                    cmd += ["--time-limit", str(a.time_limit)]
                code, wall, peak, _ = timed(cmd)
                valid, obj = check(inst, ours) if code == 0 else (False, None)
                rec["cryoledger"] = {"exit": code, "seconds": round(wall, 3), "peakMB": peak and round(peak),
                                     "valid": valid, "objective": obj, "proof": proof_summary(ours)}

                if tier in no_highs:
                    rec["highs"] = None
                else:
                    hplan = base + ".highs.plan.json"
                    code, wall, peak, _ = timed([sys.executable, os.path.join(SHARED, "oracle.py"), inst,
                                                 "--seconds", str(oracle_seconds.get(tier, 60)), "--out", hplan])
                    hvalid, hobj = check(inst, hplan) if code == 0 else (False, None)
                    rec["highs"] = {"exit": code, "seconds": round(wall, 3), "peakMB": peak and round(peak),
                                    "valid": hvalid, "objective": hobj}

                gplan = base + ".greedy.plan.json"
                code, wall, peak, _ = timed([sys.executable, os.path.join(SHARED, "oracle.py"), inst, "--greedy", "--out", gplan])
                gvalid, gobj = check(inst, gplan) if code == 0 else (False, None)
                rec["greedy"] = {"exit": code, "seconds": round(wall, 3), "valid": gvalid, "objective": gobj}

                c = rec["cryoledger"]
                h = rec["highs"] or {}
                vs_h = {None: "—", 0: "equal", -1: "better", 1: "worse"}[lex_cmp(obj, h.get("objective"))] if rec["highs"] else "not run"
                vs_g = {None: "—", 0: "equal", -1: "better", 1: "worse"}[lex_cmp(obj and obj[:3], gobj and gobj[:3])]
                rec["vsHighs"], rec["vsGreedy123"] = vs_h, vs_g
                row = (f"| {tier} | {seed} | {policy} | {fmt_obj(obj)} | {c['proof']} | {'yes' if c['valid'] else 'NO'} "
                       f"| {c['seconds']:.2f} | {c['peakMB'] or '?'} ")
                if rec["highs"]:
                    row += (f"| {fmt_obj(h.get('objective'))} | {'yes' if h.get('valid') else 'NO'} "
                            f"| {h['seconds']:.1f} | {h['peakMB'] or '?'} ")
                else:
                    row += "| not run | — | — | — "
                row += f"| {fmt_obj(gobj)} | {'yes' if gvalid else 'NO'} | {vs_h} | {vs_g} |"
                rows.append(row)
                print(row, flush=True)
                if a.jsonl:
                    with open(a.jsonl, "a") as f:
                        f.write(json.dumps(rec) + "\n")
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
