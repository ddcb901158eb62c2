"""The Dockerfile: hadolint, our own image rules, the ignore file (build context), Debian 12 packages."""
from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
from pathlib import Path

from .common import HADOLINT_IGNORE, Findings, output_problems, run_tool, split_image


def hadolint(dockerfile, ignore=HADOLINT_IGNORE) -> Findings:
    f = Findings(f"hadolint finds nothing (ignoring {', '.join(ignore) or 'nothing'})")
    args = ["--no-color"]
    for rule in ignore:
        args += ["--ignore", rule]
    proc = run_tool("hadolint", *args, dockerfile)
    if proc.returncode != 0:
        output_problems(f, "hadolint", proc)
    return f


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; continuation lines joined, comments dropped."""
    out, cur = [], ""
    for raw in text.splitlines():
        line = raw.rstrip("\n")
        if line.strip().startswith("#") or (not cur and not line.strip()):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def stages(instrs) -> list[dict]:
    out = []
    for word, rest in instrs:
        if word == "FROM":
            out.append({"from": rest, "instrs": []})
        elif out:
            out[-1]["instrs"].append((word, rest))
    return out


def apt_packages(run: str) -> list[str]:
    pkgs = []
    for part in re.split(r"&&|;", run):
        toks = part.split()
        if "apt-get" in toks and "install" in toks:
            pkgs += [t for t in toks[toks.index("install") + 1:] if not t.startswith("-")]
    return pkgs


def ignore_patterns(text: str) -> list[tuple[bool, str]]:
    """(negated, pattern) of a .dockerignore file."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((line.startswith("!"), line.lstrip("!")))
    return out


def dockerignore_allows(patterns, path: str) -> bool:
    """Docker's rule: the last matching pattern decides; a pattern matches the path or a parent."""
    allowed = True
    parts = path.split("/")
    for neg, pat in patterns:
        pat = pat.rstrip("/")
        if any(fnmatch.fnmatchcase("/".join(parts[:i]), pat) for i in range(1, len(parts) + 1)):
            allowed = neg
    return allowed


def debian_packages(names):
    """{package: its Depends line} for the packages apt-cache knows (one call); None without apt lists."""
    try:
        out = subprocess.run(["apt-cache", "show", "--no-all-versions", "bash", *names],
                             capture_output=True, text=True).stdout
    except OSError:
        return None
    found = {}
    for stanza in out.split("\n\n"):
        m = re.search(r"^Package: (\S+)$", stanza, re.M)
        if m:
            d = re.search(r"^Depends: (.*)$", stanza, re.M)
            found[m.group(1)] = d.group(1) if d else ""
    return found if "bash" in found else None


def check(dockerfile, ignore_file, root, debian=debian_packages) -> Findings:
    """The image rules of deploy/README.md. `debian(names)` looks packages up (None: no lists)."""
    dockerfile, ignore_file, root = Path(dockerfile), Path(ignore_file), Path(root)
    f = Findings()
    w = os.path.relpath(dockerfile, root)
    instrs = instructions(dockerfile.read_text())
    st = stages(instrs)
    if len(st) < 2:
        f.add(w, "must be multi-stage (build and runtime)")
        return f
    for s in st:
        image = s["from"].split()[0]
        _, tag, digest = split_image(image)
        if not (tag or digest) or tag == "latest":
            f.add(w, f"FROM {image}: pin a tag (not latest) or a digest")
    if not st[0]["from"].startswith("swift:6.3-bookworm"):
        f.add(w, "the build stage must be swift:6.3-bookworm")
    if not st[-1]["from"].startswith("debian:bookworm-slim"):
        f.add(w, "the runtime stage must be debian:bookworm-slim")
    for s in st:
        for word, rest in s["instrs"]:
            if word == "ADD":
                f.add(w, f"use COPY, not ADD ({rest})")
            if word == "RUN" and "apt-get install" in rest:
                if "--no-install-recommends" not in rest:
                    f.add(w, f"apt-get install without --no-install-recommends: {rest[:60]}")
                if not re.search(r"\s-y\b|--yes|--assume-yes", rest):
                    f.add(w, "apt-get install without -y")
                if "apt-get update" not in rest:
                    f.add(w, "apt-get install must follow apt-get update in the same RUN")
                if "rm -rf /var/lib/apt/lists/*" not in rest:
                    f.add(w, "apt lists must be removed in the same RUN (rm -rf /var/lib/apt/lists/*)")
            if word == "RUN" and re.search(r"\bsudo\b", rest):
                f.add(w, "no sudo in RUN")
            if word == "RUN" and re.search(r"curl[^|]*\|\s*(ba)?sh", rest):
                f.add(w, "no curl | sh")
    build, runtime = st[0]["instrs"], st[-1]["instrs"]
    build_runs = " ".join(r for wd, r in build if wd == "RUN")
    runtime_runs = " ".join(r for wd, r in runtime if wd == "RUN")
    if not re.search(r"swift build -c release --static-swift-stdlib --product cryoledger", build_runs):
        f.add(w, "the build stage must run `swift build -c release --static-swift-stdlib --product cryoledger`")
    if ".resources" not in build_runs:
        f.add(w, "SwiftPM resource bundles (*.resources, openapi.yaml) must be copied next to the binary")
    words = [wd for wd, _ in runtime]
    users = [r for wd, r in runtime if wd == "USER"]
    if not users or not re.match(r"^[1-9][0-9]*(:[1-9][0-9]*)?$", users[-1]):
        f.add(w, "the runtime stage must end with a numeric non-root USER uid[:gid]")
    if "HEALTHCHECK" not in words:
        f.add(w, "HEALTHCHECK missing")
    else:
        hc = [r for wd, r in runtime if wd == "HEALTHCHECK"][-1]
        if "/health" not in hc:
            f.add(w, "HEALTHCHECK must probe /health")
        if "curl" in hc and "curl" not in apt_packages(runtime_runs):
            f.add(w, "HEALTHCHECK uses curl, which the runtime stage does not install")
    if "WORKDIR" not in words:
        f.add(w, "WORKDIR missing")
    if not any(wd == "EXPOSE" and "8080" in r.split() for wd, r in runtime):
        f.add(w, "EXPOSE 8080 missing")
    entry = [r for wd, r in runtime if wd == "ENTRYPOINT"]
    cmd = [r for wd, r in runtime if wd == "CMD"]
    try:
        entry_v = json.loads(entry[-1]) if entry else None
        cmd_v = json.loads(cmd[-1]) if cmd else None
    except ValueError:
        f.add(w, "ENTRYPOINT and CMD must use the exec (JSON) form")
        entry_v = cmd_v = None
    if entry_v != ["cryoledger"]:
        f.add(w, 'ENTRYPOINT must be ["cryoledger"]')
    if not cmd_v or cmd_v[0] != "serve" or "--host" not in cmd_v or cmd_v[cmd_v.index("--host") + 1:][:1] != ["0.0.0.0"]:
        f.add(w, 'CMD must be ["serve", "--host", "0.0.0.0", ...]')
    envs = " ".join(r for wd, r in runtime if wd == "ENV")
    m = re.search(r"CRYOLEDGER_MIGRATIONS=(\S+)", envs)
    copies = [r for wd, r in runtime if wd == "COPY"]
    if not m:
        f.add(w, "ENV CRYOLEDGER_MIGRATIONS missing (where `cryoledger db migrate` finds the migrations)")
    elif not any(c.split()[0] == "db/migrations/" and c.split()[-1].rstrip("/") == m.group(1).rstrip("/") for c in copies):
        f.add(w, f"db/migrations/ must be copied to CRYOLEDGER_MIGRATIONS ({m.group(1)})")

    # The build context: every COPY source exists and passes the ignore file.
    iw = os.path.relpath(ignore_file, root)
    patterns = ignore_patterns(ignore_file.read_text())
    for s in st:
        for word, rest in s["instrs"]:
            if word != "COPY" or "--from=" in rest:
                continue
            for src in [x for x in rest.split()[:-1] if not x.startswith("--")]:
                src = src.rstrip("/")
                if "*" in src:
                    continue  # an optional wildcard (Package.resolved*)
                if not (root / src).exists():
                    f.add(w, f"COPY source {src} does not exist in the repository")
                elif not dockerignore_allows(patterns, src):
                    f.add(iw, f"excludes {src}, which the Dockerfile copies")
    for secret in (".cryoledger", ".build", ".env"):
        if dockerignore_allows(patterns, secret):
            f.add(iw, f"lets {secret} into the build context")

    # Debian 12 packages: they exist, and every -dev package of the build stage has its runtime
    # library (the package it depends on with an exact version) in the runtime stage.
    build_pkgs, run_pkgs = apt_packages(build_runs), apt_packages(runtime_runs)
    known = debian(build_pkgs + run_pkgs)
    if known is None:
        f.note("apt-cache has no package lists here (apt-get update): the Debian package checks were skipped")
    else:
        for p in build_pkgs + run_pkgs:
            if p not in known:
                f.add(w, f"Debian package {p} not found by apt-cache (Debian 12 name?)")
        for p in build_pkgs:
            if not p.endswith("-dev") or p not in known:
                continue
            for lib in [d.split()[0] for d in known[p].split(",") if "(=" in d]:
                if not lib.endswith("-dev") and lib not in run_pkgs:
                    f.add(w, f"{p} is built against {lib}, which the runtime stage does not install")
    if [p for p in run_pkgs if p.startswith("postgresql-client-")] != ["postgresql-client-15"]:
        f.add(w, "the runtime stage must install postgresql-client-15 (pg_dump/pg_restore for PostgreSQL 15)")
    f.ok = f"{len(st)} stages, {len(instrs)} instructions follow the image rules"
    return f
