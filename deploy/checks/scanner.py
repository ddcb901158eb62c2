"""checkov (Dockerfile and Kubernetes frameworks, offline) on the Dockerfile and the renderings."""
from __future__ import annotations

from .common import CHECKOV_SKIP, Findings, run_tool


def checkov(files, skip=CHECKOV_SKIP) -> Findings:
    f = Findings(f"checkov passes (skipping {', '.join(skip)})")
    args = ["--quiet", "--compact", "--skip-download", "--framework", "dockerfile", "kubernetes"]
    if skip:
        args += ["--skip-check", ",".join(skip)]
    for path in files:
        args += ["-f", path]
    # --skip-download: no network (no guideline links, no platform policies).
    proc = run_tool("checkov", *args)
    if proc.returncode != 0:
        failed = [l.strip() for l in proc.stdout.splitlines() if l.strip().startswith("Check: ")]
        for line in failed:
            f.add("checkov", line)
        if not failed:
            f.add("checkov", f"exited {proc.returncode}: {(proc.stdout + proc.stderr).strip()[-2000:]}")
        else:
            f.note(proc.stdout.strip())
    else:
        passed = [l.strip() for l in proc.stdout.splitlines() if l.strip().startswith("Passed checks:")]
        for line in passed:
            f.note(line)
    return f
