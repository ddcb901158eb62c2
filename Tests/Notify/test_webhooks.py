"""Issue 28: signed webhooks from the transactional outbox, verified with `standardwebhooks` (PyPI)."""
import json
import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conftest import call, restart_server_hard, sql

RECEIVER = "http://127.0.0.1:%s" % os.environ.get("NOTIFY_RECEIVER_PORT", "18961")


def lots(tok, count):
    r = call("GET", "/lots", tok["qa"], params={"limit": 500})
    assert r.status_code == 200, r.text
    free = [l["lotNumber"] for l in r.json()["lots"] if l["status"] in ("released", "quarantine", "in-process")]
    assert len(free) >= count, free
    return free[:count]


def place_hold(tok, lot, reason="cracked vial seen at inspection"):
    r = call("POST", "/holds", tok["qa"], json={"subjectType": "lot", "subjectId": lot, "reason": reason})
    assert r.status_code == 201, r.text
    return r.json()


def verify(secret, headers, body):
    return Webhook(secret).verify(body, {"webhook-id": headers["webhook-id"], "webhook-timestamp": headers["webhook-timestamp"],
                                         "webhook-signature": headers["webhook-signature"]})


@pytest.fixture(scope="module")
def endpoint(tok, receiver):
    r = call("POST", "/notifications/endpoints", tok["admin"],
             json={"name": "receiver", "url": RECEIVER + "/hooks", "kinds": ["hold.placed", "hold.lifted", "lot.rejected"]})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_hold_arrives_signed_and_verifies_with_an_independent_implementation(tok, receiver, endpoint):
    lot = lots(tok, 1)[0]
    place_hold(tok, lot)
    (headers, body, path), = receiver.wait_for(lambda r: json.loads(r[1])["data"]["subjectId"] == lot)
    assert path == "/hooks"
    payload = verify(endpoint["secret"], headers, body)
    assert payload["type"] == "hold.placed" and payload["version"] == 1
    assert payload["sentence"] == f"Hold placed on lot {lot}"
    assert payload["data"]["subjectType"] == "lot" and payload["data"]["action"] == "hold.placed"
    assert str(uuid.UUID(headers["webhook-id"])) == payload["id"]
    # Coded ids only: the hold's free-text reason is not sent.
    assert b"cracked" not in body
    # Tampering is caught by the independent verifier.
    with pytest.raises(WebhookVerificationError):
        verify(endpoint["secret"], headers, body.replace(lot.encode(), b"LOT-FORGED"))
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + "QUJD" * 8, headers, body)
    state = sql(f"SELECT d.state || ' ' || d.attempts || ' ' || d.last_status FROM notification_delivery d "
                f"JOIN notification n ON n.id = d.notification_id WHERE n.idempotency_id = '{payload['id']}'")
    assert state == "delivered 1 204"


def test_during_a_rotation_both_secrets_verify(tok, receiver, endpoint):
    r = call("POST", "/notifications/endpoints/receiver/rotate-secret", tok["admin"])
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != endpoint["secret"]
    lot = lots(tok, 1)[0]
    place_hold(tok, lot)
    (headers, body, _), = receiver.wait_for(lambda r: json.loads(r[1])["data"]["subjectId"] == lot)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(new, headers, body)["data"]["subjectId"] == lot
    assert verify(endpoint["secret"], headers, body)["data"]["subjectId"] == lot
    endpoint["secret"] = new


def test_kill_9_with_1000_deliveries_pending_loses_nothing(tok, receiver, endpoint):
    receiver.status = 503  # the receiver is down: deliveries stay pending, each try logged
    sql("UPDATE app_user SET email = NULL")  # webhooks only here; e-mail is tested in test_mail.py
    # A new lot of 1,000 vials (the demo holds fewer), registered and filled through the API like any other.
    template = call("GET", "/lots", tok["qa"], params={"limit": 1}).json()["lots"][0]
    r = call("POST", "/lots", tok["manufacturing"], json={
        "lotNumber": "NOTIFY-1000", "productCode": template["productCode"], "donorCode": template["donorCode"],
        "manufacturedOn": template["manufacturedOn"], "cellsPerVial": template["cellsPerVial"], "vialCount": 1000})
    assert r.status_code == 201, r.text
    r = call("POST", "/lots/NOTIFY-1000/vials", tok["manufacturing"], json={"count": 1000})
    assert r.status_code == 201, r.text
    vials = [v["id"] for v in r.json()]
    assert len(vials) == 1000

    def hold(vial):
        r = call("POST", "/holds", tok["qa"], json={"subjectType": "vial", "subjectId": vial, "reason": "inspection"})
        assert r.status_code == 201, r.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(hold, vials))
    ids = set(sql("SELECT string_agg(n.idempotency_id::text, ' ') FROM notification n WHERE n.subject_type = 'vial' "
                  "AND n.kind = 'hold.placed' AND n.subject_id IN (%s)" % ",".join("'%s'" % v for v in vials)).split())
    assert len(ids) == 1000
    receiver.wait_for(lambda r: r[0]["webhook-id"] in ids, timeout=30)
    pending = int(sql("SELECT count(*) FROM notification_delivery d JOIN notification n ON n.id = d.notification_id "
                      "WHERE d.state = 'pending' AND n.idempotency_id::text IN (%s)" % ",".join("'%s'" % i for i in ids)))
    assert pending == 1000, "all 1,000 are pending when the server dies"
    restart_server_hard()
    receiver.status = 204
    # The back-off and the lease of a delivery claimed when the server died are minutes; bring them forward
    # instead of waiting (what the restarted server must do is deliver whatever is still pending).
    sql("UPDATE notification_delivery SET next_attempt_at = now() WHERE state = 'pending'")
    deadline = time.time() + 180
    delivered = set()
    while time.time() < deadline and delivered != ids:
        delivered = set(sql("SELECT coalesce(string_agg(n.idempotency_id::text, ' '), '') FROM notification_delivery d "
                            "JOIN notification n ON n.id = d.notification_id WHERE d.state = 'delivered'").split()) & ids
        time.sleep(0.5)
    assert delivered == ids
    # Every notification arrived with a 2xx answer once; a repeat would carry the same webhook-id (recognisable).
    accepted = [h["webhook-id"] for h, _, _ in receiver.received_with(204) if h["webhook-id"] in ids]
    assert set(accepted) == ids
    assert len(accepted) == len(ids), "each delivered exactly once after the restart (%d repeats)" % (len(accepted) - len(ids))


def test_redeliver_sends_the_same_id_again(tok, receiver, endpoint):
    delivery = sql("SELECT d.id || ' ' || n.idempotency_id FROM notification_delivery d JOIN notification n ON n.id = d.notification_id "
                   "WHERE d.state = 'delivered' ORDER BY d.id LIMIT 1").split()
    before = sum(1 for h, _, _ in receiver.received if h["webhook-id"] == delivery[1])
    r = call("POST", f"/notifications/deliveries/{delivery[0]}/redeliver", tok["admin"])
    assert r.status_code == 200 and r.json()["state"] == "pending", r.text
    receiver.wait_for(lambda r: r[0]["webhook-id"] == delivery[1] and
                      sum(1 for h, _, _ in receiver.received if h["webhook-id"] == delivery[1]) > before)
    refused = call("POST", f"/notifications/deliveries/{delivery[0]}/redeliver", tok["qa"])
    assert refused.status_code == 403


def cli(tok, *args):
    env = dict(os.environ, CRYOLEDGER_TOKEN=tok["admin"])
    return subprocess.run([os.environ["NOTIFY_BIN"], "notify", *args], env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_lists_adds_and_refuses_with_the_field_named(tok, endpoint):
    listed = cli(tok, "endpoint", "list")
    assert listed.returncode == 0 and "receiver\tactive\t" + RECEIVER + "/hooks" in listed.stdout, listed.stdout + listed.stderr
    assert "whsec_" not in listed.stdout
    deliveries = cli(tok, "deliveries", "--endpoint", "receiver", "--limit", "3")
    assert deliveries.returncode == 0 and "delivered" in deliveries.stdout, deliveries.stdout + deliveries.stderr
    bad = cli(tok, "endpoint", "add", "--name", "bad", "--url", "https://user:pw@mes.example/hook")
    assert bad.returncode != 0 and "url" in bad.stderr and "password" in bad.stderr, bad.stderr
    added = cli(tok, "endpoint", "add", "--name", "second", "--url", RECEIVER + "/second", "--kind", "lot.rejected")
    assert added.returncode == 0 and "whsec_" in added.stdout, added.stdout + added.stderr
    removed = cli(tok, "endpoint", "remove", "--name", "second")
    assert removed.returncode == 0, removed.stderr


def cli_as(tok, role, *args):
    env = dict(os.environ, CRYOLEDGER_TOKEN=tok[role])
    return subprocess.run([os.environ["NOTIFY_BIN"], "notify", *args], env=env, capture_output=True, text=True, timeout=60)


def test_a_test_send_reaches_its_endpoint_signed_and_the_cli_sets_a_choice(tok, receiver, endpoint):
    sent = cli_as(tok, "admin", "test", "receiver")
    assert sent.returncode == 0 and "test notification queued for receiver" in sent.stdout, sent.stdout + sent.stderr
    webhook_id = sent.stdout.rsplit("webhook-id ", 1)[1].strip(" )\n")
    headers, body, path = receiver.wait_for(lambda r: r[0]["webhook-id"] == webhook_id)[0]
    verify(endpoint["secret"], headers, body)
    assert path == "/hooks" and json.loads(body)["type"] == "webhook.test"
    others = sql("SELECT count(*) FROM notification_delivery d JOIN notification n ON n.id = d.notification_id "
                 f"WHERE n.idempotency_id = '{webhook_id}'")
    assert others == "1", "a test send goes to its endpoint only"
    assert cli_as(tok, "qa", "test", "receiver").returncode != 0

    chose = cli_as(tok, "clinical", "subscribe", "--kind", "hold.placed", "--mode", "daily", "--study", "NOPE")
    assert chose.returncode != 0 and "scope" in chose.stderr.lower() and "NOPE" in chose.stderr, chose.stderr
    refused = cli_as(tok, "clinical", "subscribe", "--kind", "security.sign-in-burst", "--mode", "immediate")
    assert refused.returncode != 0 and "kind" in refused.stderr.lower(), refused.stderr
    site = sql("SELECT code FROM site ORDER BY code LIMIT 1")
    chose = cli_as(tok, "clinical", "subscribe", "--kind", "hold.placed", "--mode", "daily", "--site", site)
    assert chose.returncode == 0 and f"site {site} only" in chose.stdout, chose.stdout + chose.stderr
    assert sql("SELECT count(*) FROM notification_subscription s JOIN app_user u ON u.id = s.user_id "
               f"WHERE u.role = 'clinical' AND s.kind = 'hold.placed' AND s.scope_type = 'site' AND s.scope_id = '{site}'") == "1"
