"""The notification benchmark's client (see run.sh): three webhook receivers and an SMTP relay that stamp each
arrival, 50 people with e-mail who get holds at once, and a writer placing holds over the API."""
import argparse
import asyncio
import email
import email.policy
import http.server
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from aiosmtpd.controller import Controller

p = argparse.ArgumentParser()
p.add_argument("--base"); p.add_argument("--db"); p.add_argument("--tokens"); p.add_argument("--hooks"); p.add_argument("--smtp", type=int)
p.add_argument("--count", type=int, default=10000); p.add_argument("--writers", type=int, default=8)
args = p.parse_args()

tokens = {k.removeprefix("CRYOLEDGER_TOKEN_").lower(): v for k, v in (l.split("=", 1) for l in open(args.tokens).read().split())}
session = threading.local()


def call(method, path, token, **kw):
    if not hasattr(session, "s"):
        session.s = requests.Session()
    return session.s.request(method, args.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=120, **kw)


def sql(query):
    return subprocess.run(["psql", args.db, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", query], check=True, capture_output=True, text=True).stdout.strip()


arrivals = {"webhook": [], "mail": []}  # (idempotency id, arrival time)
lock = threading.Lock()


def receiver(port):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                arrivals["webhook"].append((self.headers["webhook-id"], time.time()))
            self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


class Relay:
    async def handle_DATA(self, server, sess, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with lock:
            arrivals["mail"].append((message["X-CryoLedger-Notification"], time.time(), len(envelope.rcpt_tos)))
        return "250 OK"


def lot_of(n, number):
    template = call("GET", "/lots", tokens["qa"], params={"limit": 1}).json()["lots"][0]
    r = call("POST", "/lots", tokens["manufacturing"], json={
        "lotNumber": number, "productCode": template["productCode"], "donorCode": template["donorCode"],
        "manufacturedOn": template["manufacturedOn"], "cellsPerVial": template["cellsPerVial"], "vialCount": n})
    assert r.status_code == 201, r.text
    vials = []
    while len(vials) < n:
        r = call("POST", f"/lots/{number}/vials", tokens["manufacturing"], json={"count": min(1000, n - len(vials))})
        assert r.status_code == 201, r.text
        vials += [v["id"] for v in r.json()]
    return vials


def hold(vial):
    r = call("POST", "/holds", tokens["qa"], json={"subjectType": "vial", "subjectId": vial, "reason": "benchmark"})
    assert r.status_code == 201, r.text


def write_rate(vials):
    started = time.time()
    with ThreadPoolExecutor(max_workers=args.writers) as pool:
        list(pool.map(hold, vials))
    return len(vials) / (time.time() - started), time.time() - started


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


# Setup: the vials, then a first rate with nobody to deliver to (no endpoint, no e-mail address).
sql("UPDATE app_user SET email = NULL")
baseline_vials = lot_of(2000, "BENCH-BASE")
load_vials = lot_of(args.count, "BENCH-LOAD")
rate_without, _ = write_rate(baseline_vials)

for i, port in enumerate(args.hooks.split(",")):
    receiver(int(port))
    r = call("POST", "/notifications/endpoints", tokens["admin"], json={"name": f"bench-{i}", "url": f"http://127.0.0.1:{port}/hook", "kinds": ["hold.placed"]})
    assert r.status_code == 201, r.text
relay = Controller(Relay(), hostname="127.0.0.1", port=args.smtp)
relay.start()
# 50 people who get holds at once (QA's default), each with an address.
sql("INSERT INTO app_user (name, role, login, email) SELECT 'Bench QA ' || g, 'qa', 'benchqa' || g, 'qa' || g || '@site.example' "
    "FROM generate_series(1, 50) g")

first_id = int(sql("SELECT coalesce(max(id), 0) FROM notification"))
started = time.time()
rate_with, write_seconds = write_rate(load_vials)
deliveries_expected = 3 * args.count
deadline = time.time() + 1800
while time.time() < deadline:
    with lock:
        done = len({i for i, _ in arrivals["webhook"]}) >= args.count and len({a[0] for a in arrivals["mail"]}) >= args.count
    if done:
        break
    time.sleep(0.5)
finished = time.time()
relay.stop()

created = dict(l.split("|") for l in sql(
    "SELECT n.idempotency_id || '|' || extract(epoch FROM n.created_at) FROM notification n WHERE n.id > %d AND n.kind = 'hold.placed'" % first_id).splitlines())
mail_of = dict(l.split("|") for l in sql(
    "SELECT m.idempotency_id || '|' || n.idempotency_id FROM mail_message m JOIN notification n ON n.id = m.notification_ids[1] WHERE n.id > %d" % first_id).splitlines())
hook_lags = [(t - float(created[i])) * 1000 for i, t in arrivals["webhook"] if i in created]
mail_lags = [(t - float(created[mail_of[i]])) * 1000 for i, t, _ in arrivals["mail"] if i in mail_of and mail_of[i] in created]
recipients = sum(r for _, _, r in arrivals["mail"])
dead = sql("SELECT count(*) FROM notification_delivery WHERE state = 'dead'") + " / " + sql("SELECT count(*) FROM mail_message WHERE state = 'dead'")

print(f"notifications: {len(created)} (holds), fanned out to 3 endpoints and e-mails to 50 recipients each")
print(f"webhooks delivered: {len(hook_lags)} of {deliveries_expected} ({len(hook_lags) / (finished - started):.0f}/s from the first hold to the last arrival)")
print(f"e-mails delivered: {len(mail_lags)} of {args.count}, {recipients} recipients in all ({len(mail_lags) / (finished - started):.0f} mails/s)")
print(f"lag event→webhook arrival: p50 {pct(hook_lags, 0.5):.0f} ms, p99 {pct(hook_lags, 0.99):.0f} ms")
print(f"lag event→e-mail accepted by the relay: p50 {pct(mail_lags, 0.5):.0f} ms, p99 {pct(mail_lags, 0.99):.0f} ms")
print(f"API writes (POST /holds, {args.writers} writers): {rate_without:.0f}/s with nobody to deliver to, {rate_with:.0f}/s under the delivery load "
      f"({rate_with / rate_without:.2f}×); {len(load_vials)} holds written in {write_seconds:.1f} s, all delivered {finished - started:.1f} s after the first")
print(f"dead deliveries / dead e-mails: {dead}")
