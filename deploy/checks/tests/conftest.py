"""Shared fixtures of the unit tests: a small fake repository (fixtures/repo) copied per test, the
rendered staging overlay (fixtures/rendered-staging.yaml), and edit() to break one thing."""
from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # deploy/, so that `import checks` works

from checks.common import load_all  # noqa: E402

RENDERED = load_all(FIXTURES / "rendered-staging.yaml")


def edit(path: Path, old: str, new: str) -> None:
    """Replaces old by new in path; old must be there (a mutation that misses would prove nothing)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def messages(findings) -> str:
    return "\n".join(findings.problems)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of fixtures/repo: passes every check (with the fake Debian lookup)."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "repo", root, symlinks=True)
    return root


@pytest.fixture
def rendered() -> list:
    return copy.deepcopy(RENDERED)
