import http.server
import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

BASE = os.environ.get("NOTIFY_BASE_URL", "http://127.0.0.1:18960")


def tokens():
    env = dict(line.split("=", 1) for line in open(os.environ["NOTIFY_TOKENS_FILE"]).read().split())
    return {k.removeprefix("CRYOLEDGER_TOKEN_").lower(): v for k, v in env.items()}


def call(method, path, token, **kw):
    return requests.request(method, BASE + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw)


def sql(query):
    out = subprocess.run(["psql", os.environ["NOTIFY_DB_URL"], "-AtX", "-v", "ON_ERROR_STOP=1", "-c", query],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


class Receiver:
    """A webhook receiver on a loopback port: keeps every request (headers and raw body); answers `status`."""

    def __init__(self, port):
        self.received = []
        self.answers = []
        self.status = 204
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    status = receiver.status
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                    receiver.answers.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                matching = [r for r in self.received if predicate(r)]
            if matching:
                return matching
            time.sleep(0.2)
        raise AssertionError("no matching webhook arrived in %ss; received %d" % (timeout, len(self.received)))

    def received_with(self, status):
        with self.lock:
            return [r for r, s in zip(self.received, self.answers) if s == status]

    def bodies(self):
        with self.lock:
            return [(h, json.loads(b)) for h, b, _ in self.received]


@pytest.fixture(scope="session")
def tok():
    return tokens()


@pytest.fixture(scope="session")
def receiver():
    r = Receiver(int(os.environ.get("NOTIFY_RECEIVER_PORT", "18961")))
    yield r
    r.server.shutdown()


def restart_server_hard():
    """kill -9 of the API server, then a new one on the same port; its pid is left for run.sh to stop."""
    home = os.environ["CRYOLEDGER_HOME"]
    pid_file = os.path.join(home, "notify-api.pid")
    pid = int(open(pid_file).read()) if os.path.exists(pid_file) else int(os.environ["NOTIFY_API_PID"])
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    log = open(os.path.join(home, "api.log"), "ab")
    mail = ["--sendmail", "/usr/bin/msmtp -C %s" % os.path.join(home, "msmtprc"), "--mail-from", "cryoledger@site.example",
            "--console-url", BASE]
    p = subprocess.Popen([os.environ["NOTIFY_BIN"], "serve", "--host", "127.0.0.1", "--port", os.environ["NOTIFY_PORT"]] + mail,
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    open(pid_file, "w").write(str(p.pid))
    for _ in range(100):
        try:
            if requests.get(BASE + "/health/ready", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not come back after kill -9")
