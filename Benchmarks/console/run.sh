#!/usr/bin/env bash
# Console page budgets (issues 15 and 16): every page of the console on the demo data after the clinic's story
# (deploy/local/story: enrolled, planned, shipped, administered), plus the map of a freezer with 10 full boxes of
# 81 positions. Time to the last byte on loopback (the server's time plus a fraction of a millisecond), p50/p95
# over N requests per page, the page's weight, and the server's CPU time per page; sign-in time.
# Private embedded cluster, API on 127.0.0.1 only.
#   Benchmarks/console/run.sh [N]        CONFIG=release (default) or debug; SCRATCH=.build-release keeps the
#                                         release build apart from the debug one (default .build)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
ensure_swift
N="${1:-200}"
CONFIG="${CONFIG:-release}"
SCRATCH="${SCRATCH:-.build}"
swift build -c "$CONFIG" --scratch-path "$SCRATCH" --product cryoledger 2>&1 | grep -E 'error|warning: unre' || true
BIN="$(swift build -c "$CONFIG" --scratch-path "$SCRATCH" --show-bin-path)/cryoledger"
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-console-bench.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME"
unset DATABASE_URL
PORT="${CONSOLE_BENCH_PORT:-18289}"
cleanup() {
    [ -n "${API_PID:-}" ] && { kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; }
    "$BIN" db stop >/dev/null 2>&1 || true
    rm -rf "$CRYOLEDGER_HOME"
}
trap cleanup EXIT
"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
"$BIN" demo load >/dev/null
# shellcheck disable=SC1091
source "$CRYOLEDGER_HOME/demo-tokens.env"
export CRYOLEDGER_TOKEN="$CRYOLEDGER_TOKEN_MANUFACTURING"
"$BIN" storage add-freezer --id BENCH-01 --site SSF --kind ln2-dewar --name "Benchmark dewar" --max-celsius=-150 >/dev/null
"$BIN" storage add-rack --id BENCH-01-R1 --freezer BENCH-01 --label R1 >/dev/null
"$BIN" lot register --lot-number BENCH-LOT-1 --product ALLO-501 --donor DN-000101 --manufactured-on "$(date -u +%F)" \
    --cells-per-vial 40000000 --vials 810 >/dev/null
for b in $(seq 1 10); do
    "$BIN" storage add-box --id "BENCH-01-R1-B$b" --rack BENCH-01-R1 --label "B$b" --rows 9 --columns 9 >/dev/null
    "$BIN" vial create --lot BENCH-LOT-1 --count 81 --box "BENCH-01-R1-B$b" >/dev/null
done
# The story leaves a plan, allocations, a shipment and administered vials for the pharmacy and bedside pages.
BIN="$BIN" deploy/local/story >"$CRYOLEDGER_HOME/story.log" 2>&1
"$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >"$CRYOLEDGER_HOME/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
# PERF=FILE records the server's stacks (perf, Debian linux-perf) while the pages are timed.
if [ -n "${PERF:-}" ]; then perf record -q -F 499 -g -p "$API_PID" -o "$PERF" >/dev/null 2>&1 & PERF_PID=$!; fi
python3 - "http://127.0.0.1:$PORT" "$CRYOLEDGER_HOME/demo-users.env" "$N" "$CONFIG" "$API_PID" <<'PY'
import http.cookiejar, json, os, re, statistics, sys, time, urllib.parse, urllib.request
base, users_file, n, config, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def cpu_ms():
    """The server's CPU time (user + system): a cost per page that other load on the machine barely moves."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
env = dict(l.split("=", 1) for l in open(users_file).read().split())
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def timed(fn):
    t = time.perf_counter(); body = fn(); return (time.perf_counter() - t) * 1000, body
home = os.environ["CRYOLEDGER_HOME"]
plan = open(f"{home}/story-plan.txt").readline().split()[1]
allocation = json.load(open(f"{home}/story-allocations.json"))[0]
shipment = re.search(r"^shipment (\S+)", open(f"{home}/story.log").read(), re.M).group(1)
vial = allocation["vialIds"][0]
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
def sign_in(role):
    jar.clear()
    # The sign-in form's CSRF token: a hidden field equal to the cl_sign_in cookie the form's page sets.
    csrf = re.search(r'name="_csrf" value="([^"]+)"', opener.open(base + "/console/sign-in").read().decode()).group(1)
    form = urllib.parse.urlencode({"login": env[f"CRYOLEDGER_LOGIN_{role}"], "password": env[f"CRYOLEDGER_PASSWORD_{role}"],
                                   "_csrf": csrf}).encode()
    return timed(lambda: opener.open(base + "/console/sign-in", data=form).read())[0]
signins = [sign_in("MANUFACTURING") for _ in range(10)]
pages = {
    "MANUFACTURING": ["/console", "/console/freezers", "/console/freezers/BENCH-01", f"/console/vials/{vial}", "/console/lots",
                      f"/console/lots/{allocation['lotNumber']}", "/console/import"],
    "QA": ["/console/release", "/console/release/A329-26009", "/console/lots/A329-26009/qc", "/console/donors/DN-000101"],
    "PHARMACY": ["/console/pharmacy", f"/console/pharmacy/plans/{plan}", f"/console/pharmacy/allocations/{allocation['allocationId']}",
                 f"/console/pharmacy/shipments/{shipment}", "/console/bedside"],
    "CLINICAL": ["/console/studies", "/console/studies/RESOLUTION", "/console/cohorts/RESOLUTION/SLE/DL1/no-LD",
                 "/console/cohorts/RESOLUTION/SSc/DL1/no-LD/enrol", "/console/freezers/SSF-LN2-01/temperatures"],
    "AUDITOR": ["/console/audit"],
}
rows = []
for role, urls in pages.items():
    sign_in(role)
    for url in urls:
        body = opener.open(base + url).read()
        if url.endswith("BENCH-01"):
            assert body.count(b'class="cell ') >= 810, "the map does not show 810 vials"
        cpu0 = cpu_ms()
        times = [timed(lambda: opener.open(base + url).read())[0] for _ in range(n)]
        rows.append((url, len(body), pct(times, 50), pct(times, 95), max(times), (cpu_ms() - cpu0) / n))
print(f"config {config}, n={n} per page")
print(f"| page | KiB | p50 ms | p95 ms | max ms | server CPU ms/page |")
print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
for url, size, p50, p95, mx, cpu in rows:
    print(f"| `{url}` | {size / 1024:.0f} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {cpu:.1f} |")
worst = max(rows, key=lambda r: r[3])
print(f"slowest p95: {worst[0]} {worst[3]:.1f} ms")
print(f"sign-in (includes bcrypt, work factor 11): p50 {pct(signins, 50):.0f} ms, max {max(signins):.0f} ms over {len(signins)}")
PY
if [ -n "${PERF_PID:-}" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
