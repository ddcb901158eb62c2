"""Shell scripts: shellcheck."""
from __future__ import annotations

from pathlib import Path

from .common import Findings, output_problems, run_tool


def scripts(root) -> list[Path]:
    """The deployment's shell scripts: deploy/check-static and the postgres init scripts."""
    root = Path(root)
    return [root / "deploy/check-static", *sorted((root / "deploy/container/postgres-init").glob("*.sh"))]


def shellcheck(paths) -> Findings:
    paths = [str(p) for p in paths]
    f = Findings(f"shellcheck finds nothing in {len(paths)} scripts")
    if not paths:
        f.add("shellcheck", "no scripts to check")
        return f
    proc = run_tool("shellcheck", *paths)
    if proc.returncode != 0:
        output_problems(f, "shellcheck", proc)
    return f
