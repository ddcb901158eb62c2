import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VERIFIER = os.path.join(ROOT, "tools", "verify_export.py")


def run_verifier(*args):
    """The verifier as inspectors run it: (exit status, first line of its output)."""
    p = subprocess.run([sys.executable, VERIFIER, *args], capture_output=True, text=True, timeout=120)
    first = (p.stdout.splitlines() or [p.stderr.strip()])[0]
    return p.returncode, first


@pytest.fixture
def files(tmp_path):
    """write(name, object or text) -> path."""
    def write(name, content):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)
    return write
