"""Runs the unit tests of this package, then every static check; prints a summary; exits 1 on any
problem. Usage (deploy/check-static does this with the check venv's Python):

    PYTHONPATH=deploy python -m checks [--no-unit-tests]

KEEP=1 keeps the rendered manifests (the directory is printed at the end).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import cnpg, compose, dockerfile, kubernetes, kustomize, readme, scanner, shell, sources, yaml_lint
from .common import CHECKOV_SKIP, HADOLINT_IGNORE, K8S_VERSIONS, OVERLAYS, Findings

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent / "tests"


def bold(text: str) -> None:
    print(f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text, flush=True)


class NotRendered(Exception):
    """A step that needs the renderings, after the render step failed."""


class Run:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.rendered: dict[str, Path] = {}   # overlay -> rendered file
        self.objects: dict[str, list] = {}    # overlay -> rendered objects
        self.results: list[str] = []
        self.failed = False

    def step(self, name, fn) -> None:
        bold(f"==> {name}")
        t0 = time.monotonic()
        try:
            f = fn()
        except NotRendered as e:
            f = Findings()
            f.add("not run", str(e))
        except Exception:  # a crash is a failure of this step, not of the whole run
            f = Findings()
            f.add("crash", traceback.format_exc())
        for n in f.notes:
            print("  note: " + n.replace("\n", "\n        "))
        for p in f.problems:
            print("  FAIL " + p)
        if not f.problems and f.ok:
            print("  ok: " + f.ok)
        status = "FAIL" if f.problems else "PASS"
        self.failed |= bool(f.problems)
        self.results.append(f"{status}  {time.monotonic() - t0:4.0f}s  {name}")
        sys.stdout.flush()

    def need_renderings(self) -> None:
        missing = [o for o in OVERLAYS if o not in self.objects]
        if missing:
            raise NotRendered(f"no rendering of {', '.join(missing)} (see the render step)")


def unit_tests() -> Findings:
    f = Findings("unit tests of deploy/checks passed")
    sys.stdout.flush()
    rc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(TESTS)], cwd=ROOT).returncode
    if rc == 5:
        f.add("pytest", f"collected no tests in {TESTS} (exit 5): the unit tests did not run")
    elif rc != 0:
        f.add("pytest", f"exit {rc}")
    return f


def main(argv: list[str]) -> int:
    start = time.monotonic()
    os.chdir(ROOT)  # the tools print paths relative to the repository
    out = Path(tempfile.mkdtemp(prefix="cryoledger-check-static."))
    run = Run(out)
    deploy = Path("deploy")
    container = deploy / "container"

    if "--no-unit-tests" not in argv:
        run.step("unit tests of deploy/checks (pytest)", unit_tests)
    run.step("yamllint: compose.yaml, k8s/", lambda: yaml_lint.yamllint([deploy / "compose.yaml", deploy / "k8s"]))
    run.step("shellcheck: check-static, postgres-init", lambda: shell.shellcheck(shell.scripts(ROOT)))
    run.step(f"hadolint: Dockerfile (ignoring {' '.join(HADOLINT_IGNORE)})",
             lambda: dockerfile.hadolint(container / "Dockerfile"))
    run.step("Dockerfile rules, ignore file, Debian 12 packages",
             lambda: dockerfile.check(container / "Dockerfile", container / "Dockerfile.dockerignore", ROOT))

    def render() -> Findings:
        f = Findings()
        f.note(kustomize.version())
        for o in OVERLAYS:
            rf, objs = kustomize.render(deploy / "k8s/overlays" / o, out / f"{o}.yaml", str(deploy / "k8s/overlays" / o))
            f.extend(rf)
            if not rf.problems:
                run.rendered[o], run.objects[o] = out / f"{o}.yaml", objs
                f.note(rf.ok)
        f.ok = f"rendered {', '.join(OVERLAYS)} with kubectl kustomize"
        return f

    run.step(f"render overlays ({' '.join(OVERLAYS)}) with kubectl kustomize", render)

    def validate() -> Findings:
        run.need_renderings()
        return kubernetes.kubernetes_validate([run.rendered[o] for o in OVERLAYS])

    run.step(f"kubernetes-validate --strict (Kubernetes {' '.join(K8S_VERSIONS)})", validate)

    def crds() -> Findings:
        run.need_renderings()
        return cnpg.check([(o, run.objects[o]) for o in OVERLAYS])

    run.step("CloudNativePG Cluster/ScheduledBackup schema", crds)

    def policy() -> Findings:
        run.need_renderings()
        text = (deploy / "README.md").read_text() if (deploy / "README.md").exists() else ""
        f, summaries = Findings(), {}
        for o in OVERLAYS:
            of, summaries[o] = kubernetes.check_overlay(o, run.objects[o], text)
            f.extend(of)
            if not of.problems:
                f.note(of.ok)
        if all(summaries.values()):
            cf = kubernetes.compare_overlays(summaries["staging"], summaries["production"])
            f.extend(cf)
            f.ok = cf.ok
        return f

    run.step("deployment rules on the rendered manifests", policy)

    def checkov() -> Findings:
        run.need_renderings()
        return scanner.checkov([container / "Dockerfile", *(run.rendered[o] for o in OVERLAYS)])

    run.step(f"checkov: Dockerfile + rendered manifests (skipping {' '.join(CHECKOV_SKIP)})", checkov)

    def compose_step() -> Findings:
        env = container / "compose.env.example"
        f = compose.docker_compose_config(deploy / "compose.yaml", env)
        cf = compose.check(deploy / "compose.yaml", env, ROOT)
        f.ok = cf.ok
        return f.extend(cf)

    run.step("compose.yaml", compose_step)

    def sources_step() -> Findings:
        run.need_renderings()
        return sources.check(ROOT, [obj for o in OVERLAYS for obj in run.objects[o]])

    run.step("deployment files vs Swift sources", sources_step)
    run.step("deploy/README.md documents suppressions", lambda: readme.check(deploy / "README.md"))

    print()
    bold(f"deploy/check-static summary ({time.monotonic() - start:.0f} s)")
    for r in run.results:
        print("  " + r)
    if os.environ.get("KEEP"):
        print(f"  rendered manifests kept in {out}")
    else:
        shutil.rmtree(out, ignore_errors=True)
    failed = sum(r.startswith("FAIL") for r in run.results)
    print(f"check-static: {len(run.results) - failed} passed, {failed} failed")
    if run.failed:
        bold("FAILED")
        return 1
    bold("all static checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
