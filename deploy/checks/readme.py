"""deploy/README.md explains every suppressed finding and says what was and was not exercised."""
from __future__ import annotations

from pathlib import Path

from .common import CHECKOV_SKIP, HADOLINT_IGNORE, Findings

SECTIONS = ("What was and was not exercised here",)


def check(readme, suppressed=HADOLINT_IGNORE + CHECKOV_SKIP) -> Findings:
    readme = Path(readme)
    text = readme.read_text() if readme.exists() else ""
    f = Findings("every suppression is documented")
    for i in suppressed:
        if i not in text:
            f.add(readme.name, f"does not explain the suppressed check {i}")
    for section in SECTIONS:
        if section not in text:
            f.add(readme.name, f"section '{section}' missing")
    return f
