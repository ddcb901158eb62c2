"""The deployment files against the Swift sources (read only): serve flags, environment variables,
health paths, resource bundles and the system libraries Package.swift names."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .common import Findings, containers_of

# Variables the deployment relies on: the sources must still read them.
RELIED_ON = ("DATABASE_URL", "DATABASE_READ_URL", "CRYOLEDGER_AUDIT_KEY", "CRYOLEDGER_MIGRATIONS", "LOG_LEVEL")


def serve_options(serve_swift: str) -> set[str]:
    """`@Option var maxConnections` -> --max-connections."""
    return {"--" + re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), n)
            for n in re.findall(r'@Option\((?:[^()"]|"(?:[^"\\]|\\.)*")*\)\s*var\s+(\w+)', serve_swift)}


def variables_read(sources_dir) -> set[str]:
    """environment["X"], env["X"], ...: any subscript with an upper-case string literal."""
    read = set()
    for path in Path(sources_dir).rglob("*.swift"):
        read |= set(re.findall(r'\[\s*"([A-Z][A-Z0-9_]*)"\s*\]', path.read_text()))
    return read


def check(root, rendered_objects) -> Findings:
    """rendered_objects: the objects of every rendered overlay."""
    root = Path(root)
    f = Findings()
    w = "sources"
    options = serve_options((root / "Sources/cryoledger/ServeCommand.swift").read_text())
    docker = (root / "deploy/container/Dockerfile").read_text()
    compose = yaml.safe_load((root / "deploy/compose.yaml").read_text())
    used = set()
    for m in re.finditer(r'CMD \[("serve".*?)\]', docker):
        used |= {a for a in json.loads("[" + m.group(1) + "]") if a.startswith("--")}
    used |= {a for a in compose["services"]["api"].get("command") or [] if a.startswith("--")}
    for o in rendered_objects:
        for c in containers_of(o):
            if (c.get("args") or [])[:1] == ["serve"]:
                used |= {a for a in c["args"] if a.startswith("--")}
    for flag in sorted(used - options):
        f.add(w, f"`cryoledger serve {flag}` is used by the deployment files but ServeCommand.swift declares only {sorted(options)}")
    dbcmd = (root / "Sources/cryoledger/DatabaseCommand.swift").read_text()
    if 'commandName: "db"' not in dbcmd or "struct Migrate" not in dbcmd:
        f.add(w, "`cryoledger db migrate` not found in DatabaseCommand.swift")
    read = variables_read(root / "Sources")
    set_vars = set(re.findall(r"\b(CRYOLEDGER_[A-Z_]+|DATABASE_[A-Z_]+|LOG_LEVEL)=", docker))
    for name in ("migrate", "api"):  # the cryoledger containers (postgres has its own variables)
        env = compose["services"][name].get("environment")
        if isinstance(env, dict):
            set_vars |= set(env)
    for o in rendered_objects:
        for c in containers_of(o):
            set_vars |= {e["name"] for e in c.get("env") or []}
        if o.get("kind") == "ConfigMap":
            set_vars |= set((o.get("data") or {}).keys())
    for v in sorted(set_vars):
        if re.match(r"^(CRYOLEDGER_|DATABASE_)|^LOG_LEVEL$", v) and v not in read:
            f.add(w, f"{v} is set by the deployment files but no Swift source reads it")
    for v in RELIED_ON:
        if v not in read:
            f.add(w, f"the sources no longer read {v}, which the deployment relies on")
    auth = (root / "Sources/CryoAPI/AuthMiddleware.swift").read_text()
    for path in ("/health", "/health/ready"):
        if f'"{path}"' not in auth:
            f.add(w, f"{path} is not a public path in AuthMiddleware.swift (probes have no token)")
    spec = (root / "Sources/CryoAPI/openapi.yaml").read_text()
    for path in ("/health:", "/health/ready:"):
        if not re.search(rf"^\s+{re.escape(path)}", spec, re.M):
            f.add(w, f"{path[:-1]} is not in the OpenAPI document")
    pkg = (root / "Package.swift").read_text()
    if re.search(r"resources:\s*\[", pkg) and ".resources" not in docker:
        f.add(w, "Package.swift declares resources but the Dockerfile does not copy the bundles")
    for m in re.finditer(r'providers:\s*\[\.apt\(\[([^\]]*)\]\)\]', pkg):
        for p in re.findall(r'"([^"]+)"', m.group(1)):
            if p not in docker:
                f.add(w, f"Package.swift needs the Debian package {p}, which the Dockerfile does not install")
    f.ok = "flags, environment variables, health paths and system libraries agree with the Swift sources"
    return f
