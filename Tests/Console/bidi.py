"""A small WebDriver BiDi client for Firefox, which speaks the protocol itself (`--remote-debugging-port`), so
no geckodriver is needed (Debian does not package it). Keys and clicks go through `input.performActions`: the
browser receives real key and pointer events, as from a person or a barcode scanner."""
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import websockets


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Firefox:
    def __init__(self, width=1280, height=800):
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="cryoledger-firefox-")
        binary = shutil.which("firefox-esr") or shutil.which("firefox")
        self.process = subprocess.Popen([binary, "--headless", "--no-remote", "--profile", self.profile,
                                         f"--remote-debugging-port={self.port}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.loop = asyncio.new_event_loop()
        self.next_id = 0
        deadline = time.time() + 30
        while True:
            try:
                self.ws = self.loop.run_until_complete(websockets.connect(f"ws://127.0.0.1:{self.port}/session", max_size=None))
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.capabilities = self.command("session.new", {"capabilities": {}})["capabilities"]
        self.context = self.command("browsingContext.getTree", {})["contexts"][0]["context"]
        self.set_viewport(width, height)

    def command(self, method, params):
        async def run():
            self.next_id += 1
            await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("id") == self.next_id:
                    if message.get("type") == "error":
                        raise RuntimeError(f"{method}: {message.get('error')}: {message.get('message')}")
                    return message["result"]
        return self.loop.run_until_complete(asyncio.wait_for(run(), 30))

    def set_viewport(self, width, height):
        self.command("browsingContext.setViewport", {"context": self.context, "viewport": {"width": width, "height": height}})

    def get(self, url):
        self.command("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def js(self, expression):
        """The value of a JavaScript expression in the page (strings, numbers, booleans, null)."""
        result = self.command("script.evaluate", {"expression": expression, "target": {"context": self.context},
                                                  "awaitPromise": True})
        if result["type"] == "exception":
            raise RuntimeError(result["exceptionDetails"]["text"])
        return result["result"].get("value")

    def node(self, css):
        nodes = self.command("browsingContext.locateNodes", {"context": self.context,
                                                             "locator": {"type": "css", "value": css}})["nodes"]
        if not nodes:
            raise LookupError(f"no element matches {css}")
        return nodes[0]

    def click(self, css):
        origin = {"type": "element", "element": {"sharedId": self.node(css)["sharedId"]}}
        self.command("input.performActions", {"context": self.context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "x": 0, "y": 0, "origin": origin},
                        {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]})

    def type(self, css, text):
        """Clicks into the field, then types as a keyboard does (a scanner ends with Enter: pass "\\ue007")."""
        self.click(css)
        keys = []
        for ch in text:
            keys += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
        self.command("input.performActions", {"context": self.context, "actions": [{"type": "key", "id": "keyboard", "actions": keys}]})

    def wait(self, expression, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.js(expression):
                    return
            except RuntimeError:
                pass  # the page is being replaced
            time.sleep(0.1)
        raise TimeoutError(expression)

    def screenshot(self, path):
        data = self.command("browsingContext.captureScreenshot", {"context": self.context})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def quit(self):
        try:
            self.loop.run_until_complete(self.ws.close())
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.loop.close()
            shutil.rmtree(self.profile, ignore_errors=True)
