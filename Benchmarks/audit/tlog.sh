#!/usr/bin/env bash
# The transparency log's costs (issue 27), on a private embedded cluster:
#  1. custody appends from 32 concurrent writers (pgbench, as in run.sh) without and with `cryoledger serve` sealing
#     them into the tree every 250 ms: the overhead on the writers (goal: at most 10 %);
#     1b. while the writers run with the sealer, how old the oldest committed event not yet in the tree is;
#  2. N events loaded (default 1,000,000), sealed into the tree: how long the sealer takes to catch up;
#  3. inclusion proofs for random events and consistency proofs between two heads over the API, p50/p99 (goal: 2 ms),
#     measured by the client over a kept-alive connection, HTTP included; inclusion proofs alternate, in blocks of
#     100 requests, with the same proofs from the reference server (tlog-reference: bare Hummingbird + PostgresNIO, the
#     same token lookup, proof statement and folding), so both see the same machine; the ratio is the API's cost.
#  The 10,000-event verification timing (goal: 2 s) is the test Tests/Audit/test_speed.py.
#   Benchmarks/audit/tlog.sh [EVENTS] [PGBENCH_SECONDS] [PORT]    BUILD=debug for a debug build (default release);
#   BIN=… and REF=… prebuilt cryoledger and tlog-reference binaries
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/lib.sh
ensure_packages
N="${1:-1000000}"
SECS="${2:-15}"
PORT="${3:-18320}"
CONF="${BUILD:-release}"
# BIN=path/to/cryoledger uses a binary built elsewhere (e.g. a release build in another scratch path).
if [ -z "${BIN:-}" ]; then
    swift build -c "$CONF" --product cryoledger 2>&1 | grep -E 'error' || true
    BIN="$(swift build -c "$CONF" --show-bin-path)/cryoledger"
fi
if [ -z "${REF:-}" ]; then
    swift build -c "$CONF" --product tlog-reference 2>&1 | grep -E 'error' || true
    REF="$(swift build -c "$CONF" --show-bin-path)/tlog-reference"
fi
PGBIN=$(pg_bindir)
export CRYOLEDGER_HOME
CRYOLEDGER_HOME=$(mktemp -d /tmp/cryoledger-tlog-bench.XXXXXX)
chmod 755 "$CRYOLEDGER_HOME"
unset DATABASE_URL
API_PID=""
REF_PID=""
cleanup() { [ -n "$REF_PID" ] && kill "$REF_PID" 2>/dev/null; [ -n "$API_PID" ] && { kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null; }; "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$CRYOLEDGER_HOME"; }
trap cleanup EXIT
"$BIN" db start >/dev/null
"$BIN" db migrate >/dev/null
ADMIN=$("$BIN" db url --admin)
TOKEN=$("$BIN" user create --name "Bench Auditor" --role auditor --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cat >"$CRYOLEDGER_HOME/append.sql" <<'SQL'
\set v random(1, 100000)
INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, reason, prev_hash, hash)
VALUES ('vial', 'BENCH' || :v, 'vial.moved', 'bench', 'manufacturing', 'benchmark', '\x', '\x');
SQL
tps() { "$PGBIN/pgbench" -n -c 32 -j 2 -T "$SECS" -f "$CRYOLEDGER_HOME/append.sql" "$ADMIN" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
serve() {
    "$BIN" serve --host 127.0.0.1 --port "$PORT" </dev/null >>"$CRYOLEDGER_HOME/api.log" 2>&1 &
    API_PID=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && return 0; sleep 0.2; done
    tail -20 "$CRYOLEDGER_HOME/api.log" >&2; return 1
}
leaves() { psql -tA "$ADMIN" -c "SELECT (SELECT count(*) FROM tlog_leaf) || ' ' || (SELECT count(*) FROM custody_event)"; }

echo "== 1. appends, 32 clients, ${SECS}s each: without, then with the sealer running (alternating, twice)"
without1=$(tps); serve; with1=$(tps); kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; API_PID=""
without2=$(tps); serve; with2=$(tps)
python3 - "$without1" "$with1" "$without2" "$with2" <<'PY'
import sys
a1, b1, a2, b2 = map(float, sys.argv[1:])
a, b = (a1 + a2) / 2, (b1 + b2) / 2
print(f"without the sealer: {a1:8.0f} and {a2:8.0f} events/s")
print(f"with the sealer   : {b1:8.0f} and {b2:8.0f} events/s   overhead {100 * (a - b) / a:+.1f} %")
PY
sleep 2
echo "tree after the run (leaves, events): $(leaves)"

echo "== 1b. how far the sealer falls behind the 32 writers (${SECS}s more, sampled every 200 ms by one psql session)"
{ while :; do
    echo "SELECT coalesce(extract(epoch FROM clock_timestamp() - min(occurred_at)), 0) FROM custody_event WHERE id > (SELECT coalesce(max(event_id), 0) FROM tlog_leaf);"
    sleep 0.2
  done; } | psql -tA "$ADMIN" >"$CRYOLEDGER_HOME/lag.txt" 2>/dev/null &
SAMPLER=$!
tps >/dev/null
kill "$SAMPLER" 2>/dev/null || true
python3 - "$CRYOLEDGER_HOME/lag.txt" <<'PY'
import sys
lag = sorted(float(x) for x in open(sys.argv[1]).read().split() if x.strip())
if lag:
    print(f"oldest committed event not yet a leaf, {len(lag)} samples: p50 {lag[len(lag) // 2] * 1000:.0f} ms, "
          f"p99 {lag[int(len(lag) * 0.99)] * 1000:.0f} ms, max {lag[-1] * 1000:.0f} ms (goal: never more than 1 s)")
PY

echo "== 2. loading up to $N events (10,000 subjects), then sealing"
existing=$(psql -tA "$ADMIN" -c "SELECT count(*) FROM custody_event")
psql -q "$ADMIN" -c "INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, reason, prev_hash, hash)
  SELECT 'vial', 'LOAD' || (g % 10000), 'vial.moved', 'loader', 'manufacturing', 'bulk load', '\x', '\x'
  FROM generate_series(1, GREATEST($N - $existing, 0)) g"
start=$(date +%s.%N)
while :; do
    read -r l e < <(leaves)
    [ "$l" -ge "$e" ] && break
    sleep 0.5
done
end=$(date +%s.%N)
python3 -c "print(f'sealer caught up with $e events in {$end - $start:.1f} s')"
curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/audit/export/ndjson?vial=none" >/dev/null 2>&1 || true
"$BIN" audit head --token "$TOKEN" | head -3

# Proofs are timed on a settled log: right after a bulk load of a million rows autovacuum is still busy with them.
psql -q "$ADMIN" -c "VACUUM ANALYZE custody_event, tlog_leaf, tlog_node, tlog_head" -c "CHECKPOINT"
echo "== 3. proofs over the API, inclusion side by side with the reference server"
"$REF" "$ADMIN" $((PORT + 1)) >>"$CRYOLEDGER_HOME/reference.log" 2>&1 &
REF_PID=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$((PORT + 1))/" && break; sleep 0.2; done
python3 - "$PORT" "$TOKEN" "$e" <<'PY'
import http.client, json, random, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
h = {"Authorization": "Bearer " + token}
conns = {}
def get(p, path):
    c = conns.setdefault(p, http.client.HTTPConnection("127.0.0.1", p))
    c.request("GET", path, headers=h)
    r = c.getresponse(); body = r.read()
    assert r.status == 200, (p, r.status, body[:200])
    return json.loads(body)
def timed(p, path):
    t = time.perf_counter(); get(p, path); return (time.perf_counter() - t) * 1000
def pct(x):
    x = sorted(x)
    return x[len(x) // 2], x[int(len(x) * 0.99)]
heads = get(port, "/audit/heads?limit=100")
ids = [random.randint(1, n) for _ in range(2000)]
api, ref = get(port, f"/audit/proofs/inclusion?eventId={ids[0]}")["proof"], get(port + 1, f"/audit/proofs/inclusion?eventId={ids[0]}")
assert (api["leafIndex"], api["path"]) == (ref["leafIndex"], ref["path"]), "the reference server and the API disagree"
for i in ids[:50]:  # warm-up
    get(port, f"/audit/proofs/inclusion?eventId={i}"); get(port + 1, f"/audit/proofs/inclusion?eventId={i}")
times = {port: [], port + 1: []}
for b in range(0, len(ids), 100):  # blocks of 100 requests, alternating between the servers
    for p in (port, port + 1):
        times[p] += [timed(p, f"/audit/proofs/inclusion?eventId={i}") for i in ids[b:b + 100]]
(a50, a99), (r50, r99) = pct(times[port]), pct(times[port + 1])
print(f"inclusion proof, log of {heads[0]['size']} leaves: p50 {a50:.2f} ms, p99 {a99:.2f} ms (HTTP included)")
print(f"  reference server, the same requests in alternating blocks: p50 {r50:.2f} ms, p99 {r99:.2f} ms; API / reference: p50 {a50 / r50:.2f}x, p99 {a99 / r99:.2f}x")
sizes = sorted(x["size"] for x in heads)
if len(sizes) >= 2:
    pairs = [(random.choice(sizes[:-1]), sizes[-1]) for _ in range(1000)]
    c50, c99 = pct([timed(port, f"/audit/proofs/consistency?from={a}&to={b}") for a, b in pairs])
    print(f"consistency proof: p50 {c50:.2f} ms, p99 {c99:.2f} ms (HTTP included)")
PY
