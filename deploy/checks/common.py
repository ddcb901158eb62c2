"""What the checks share: findings, YAML loading, images and pod specs, the external tools."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

# Suppressed findings, each explained in deploy/README.md (the readme check fails otherwise).
HADOLINT_IGNORE = ("DL3008",)
CHECKOV_SKIP = ("CKV_K8S_43", "CKV_K8S_35")
# Oldest and newest Kubernetes minor versions the manifests are validated against.
K8S_VERSIONS = ("1.29.0", "1.37.0")
OVERLAYS = ("staging", "production")


class Findings:
    """Problems (the check fails if there is any) and notes (printed, not failing)."""

    def __init__(self, ok: str = "") -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.ok = ok

    def add(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def note(self, text: str) -> None:
        self.notes.append(text)

    def extend(self, other: "Findings") -> "Findings":
        self.problems += other.problems
        self.notes += other.notes
        return self

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Findings(problems={self.problems!r}, notes={self.notes!r})"


def load_all(path) -> list:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def load_all_text(text: str) -> list:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def split_image(image: str):
    """registry/name:tag@digest -> (registry/name, tag or None, digest or None)."""
    name, tag, digest = image, None, None
    if "@" in name:
        name, digest = name.split("@", 1)
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest


def pod_spec_of(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return ((spec.get("template") or {}).get("spec")) or {}
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    if kind == "Pod":
        return spec
    return {}


def containers_of(obj: dict) -> list:
    pod = pod_spec_of(obj)
    return (pod.get("initContainers") or []) + (pod.get("containers") or [])


def tool(name: str) -> str:
    """An executable installed next to this Python (the check venv): the pinned PyPI version,
    never another copy that happens to be on PATH."""
    path = Path(sys.executable).parent / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FileNotFoundError(f"{name} is not installed in {path.parent} (deploy/check-static installs it)")
    return str(path)


def run_tool(name: str, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([tool(name), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def output_problems(findings: Findings, where: str, proc: subprocess.CompletedProcess) -> None:
    """A failed tool run: each non-empty line it printed becomes a problem."""
    lines = [l for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]
    for line in lines or [f"exited {proc.returncode} without output"]:
        findings.add(where, line)


def has_command(name: str) -> bool:
    return shutil.which(name) is not None
