"""Issue 28: notification e-mails through msmtp (Debian) to an SMTP server in the test (aiosmtpd, PyPI) that demands
STARTTLS and authentication; plain-text and HTML parts in people's words with a link to the console page."""
import email
import email.policy
import os
import ssl
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import call, sql

HOME = os.environ["CRYOLEDGER_HOME"]


class Inbox:
    """Every message accepted, with its envelope and how the session was secured; `answer` is what DATA replies."""

    def __init__(self):
        self.messages = []
        self.answer = "250 OK"
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if not self.answer.startswith("250"):
                return self.answer
            self.messages.append({"rcpt": list(envelope.rcpt_tos), "tls": session.ssl is not None, "auth": session.authenticated,
                                  "message": email.message_from_bytes(envelope.original_content, policy=email.policy.default)})
        return "250 OK"

    def wait_for(self, predicate, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError("no matching e-mail arrived in %ss; %d arrived" % (timeout, len(self.messages)))


def authenticate(server, session, envelope, mechanism, auth_data):
    user, password = open(os.path.join(HOME, "smtp-credentials")).read().split()
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def inbox():
    box = Inbox()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(HOME, "smtp-cert.pem"), os.path.join(HOME, "smtp-key.pem"))
    controller = Controller(box, hostname="127.0.0.1", port=int(os.environ["NOTIFY_SMTP_PORT"]), tls_context=context,
                            require_starttls=True, authenticator=authenticate, auth_required=True, auth_require_tls=True)
    controller.start()
    sql("UPDATE app_user SET email = role || '.lead@site.example' WHERE role IN ('qa', 'pharmacy', 'manufacturing') AND deactivated_at IS NULL")
    yield box
    controller.stop()


def stored_vials(count, offset=0):
    return sql("SELECT string_agg(id, ' ') FROM (SELECT id FROM vial WHERE status = 'stored' ORDER BY id DESC "
               "OFFSET %d LIMIT %d) v" % (offset, count)).split()


def hold_vial(tok, vial, reason="cracked cap seen at inspection"):
    r = call("POST", "/holds", tok["qa"], json={"subjectType": "vial", "subjectId": vial, "reason": reason})
    assert r.status_code == 201, r.text


def test_a_hold_is_mailed_over_starttls_with_authentication_to_everyone_who_gets_it_at_once(tok, inbox):
    vial = stored_vials(1)[0]
    hold_vial(tok, vial, reason="Patient Jane Doe's nurse saw a crack")
    idempotency = sql("SELECT m.idempotency_id FROM mail_message m JOIN notification n ON n.id = m.notification_ids[1] "
                      "WHERE n.subject_id = '%s' AND n.kind = 'hold.placed'" % vial)
    assert idempotency
    got = inbox.wait_for(lambda m: idempotency in m["message"]["Message-ID"])
    assert len(got) == 1
    mail = got[0]
    assert mail["tls"] and mail["auth"], "the relay demanded STARTTLS and a login; msmtp used both"
    # QA and pharmacy get holds at once by default, manufacturing in its daily digest.
    assert sorted(mail["rcpt"]) == sorted(r for r in sql("SELECT string_agg(email, ' ') FROM app_user WHERE role IN ('qa', 'pharmacy') "
                                                            "AND email IS NOT NULL AND deactivated_at IS NULL").split())
    message = mail["message"]
    assert message["To"] == "undisclosed-recipients:;", "no recipient learns who else is told"
    assert message["Subject"] == "CryoLedger: Hold placed on vial %s" % vial
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hold placed on vial %s" % vial in plain and "/console/vials/%s" % vial in plain
    assert 'href="%s/console/vials/%s"' % (os.environ["NOTIFY_BASE_URL"], vial) in html
    assert "Jane" not in plain and "crack" not in plain, "coded ids only, never what a person wrote"
    state = sql("SELECT state || ' ' || attempts FROM mail_message WHERE idempotency_id = '%s'" % idempotency)
    assert state == "delivered 1"


def test_a_relay_that_refuses_leaves_the_mail_pending_with_its_answer_then_it_goes_out_once(tok, inbox):
    inbox.answer = "451 4.3.0 Try again later"
    vial = stored_vials(1, offset=1)[0]
    hold_vial(tok, vial)
    mail_id = sql("SELECT m.id FROM mail_message m JOIN notification n ON n.id = m.notification_ids[1] "
                  "WHERE n.subject_id = '%s' AND n.kind = 'hold.placed'" % vial)
    deadline = time.time() + 30
    while time.time() < deadline and sql("SELECT attempts FROM mail_message WHERE id = %s" % mail_id) == "0":
        time.sleep(0.2)
    state, answer = sql("SELECT state || '|' || coalesce(last_answer, '') FROM mail_message WHERE id = %s" % mail_id).split("|", 1)
    assert state == "pending" and "451" in answer, answer
    inbox.answer = "250 OK"
    sql("UPDATE mail_message SET next_attempt_at = now() WHERE id = %s" % mail_id)
    idempotency = sql("SELECT idempotency_id FROM mail_message WHERE id = %s" % mail_id)
    inbox.wait_for(lambda m: idempotency in m["message"]["Message-ID"])
    deadline = time.time() + 30
    while time.time() < deadline and not sql("SELECT state FROM mail_message WHERE id = %s" % mail_id) == "delivered":
        time.sleep(0.2)
    assert sql("SELECT state || ' ' || attempts FROM mail_message WHERE id = %s" % mail_id) == "delivered 2"
