"""yamllint (strict) on compose.yaml and the Kubernetes manifests."""
from __future__ import annotations

from .common import Findings, output_problems, run_tool

CONFIG = ("{extends: default, rules: {line-length: {max: 160}, document-start: disable, "
          "comments: {min-spaces-from-content: 1}, indentation: {spaces: 2, indent-sequences: consistent}}}")


def yamllint(paths) -> Findings:
    f = Findings(f"yamllint --strict finds nothing in {', '.join(map(str, paths))}")
    proc = run_tool("yamllint", "--strict", "-f", "parsable", "-d", CONFIG, *paths)
    if proc.returncode != 0:
        output_problems(f, "yamllint", proc)
    return f
