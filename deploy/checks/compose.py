"""deploy/compose.yaml: `docker compose config` where the plugin exists, then our own rules."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from .common import Findings, has_command

INTERP = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
REQUIRED_REF = re.compile(r"\$\{\w+:\?[^}]*\}")


def docker_compose_config(compose_file, env_file) -> Findings:
    f = Findings()
    if not has_command("docker") or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        f.note("docker compose plugin not available here: compose.yaml is only parsed")
        return f
    proc = subprocess.run(["docker", "compose", "--env-file", str(env_file), "-f", str(compose_file), "config", "-q"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        f.add("docker compose config", (proc.stdout + proc.stderr).strip())
    else:
        f.note("docker compose config: ok")
    return f


def read_env_file(path) -> dict:
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def _depends(svc) -> dict:
    d = svc.get("depends_on") or {}
    return d if isinstance(d, dict) else {k: {"condition": "service_started"} for k in d}


def _environment(svc) -> dict:
    envs = svc.get("environment") or {}
    if isinstance(envs, list):
        envs = dict(e.split("=", 1) for e in envs)
    return envs


def _serve_on_all_interfaces(cmd) -> bool:
    return cmd[:1] == ["serve"] and "--host" in cmd and cmd[cmd.index("--host") + 1:][:1] == ["0.0.0.0"]


def check(compose_file, env_example, root) -> Findings:
    compose_file, env_example = Path(compose_file), Path(env_example)
    f = Findings()
    w = os.path.relpath(compose_file, root)
    ew = os.path.relpath(env_example, root)
    text = compose_file.read_text()
    doc = yaml.safe_load(text)
    example = read_env_file(env_example)
    for var in sorted({m.group(1) for m in INTERP.finditer(text) if m.group(2) in (":?", "?")}):
        if var not in example:
            f.add(ew, f"does not show {var}, which {w} requires")
    for m in INTERP.finditer(text):
        if m.group(1) not in example and m.group(2) not in (":-", "-"):
            f.add(w, f"${{{m.group(1)}}} has no default and is not in {ew}")
    services = doc.get("services") or {}
    for name in ("postgres", "migrate", "api"):
        if name not in services:
            f.add(w, f"service {name} missing")
    if f.problems:
        return f
    pg, mig, api = services["postgres"], services["migrate"], services["api"]
    image = pg.get("image", "")
    if not re.match(r"^postgres:15([.-]|$)", image):
        f.add(w, f"postgres image must be PostgreSQL 15 (pg_dump in the image is 15), got {image}")
    if not (pg.get("healthcheck") or {}).get("test"):
        f.add(w, "postgres needs a healthcheck")
    vols = pg.get("volumes") or []
    data = [v for v in vols if isinstance(v, str) and v.split(":")[1:2] == ["/var/lib/postgresql/data"]]
    if not data or data[0].split(":")[0] not in (doc.get("volumes") or {}):
        f.add(w, "postgres data must be a named volume declared under volumes:")
    for v in vols:
        src = v.split(":")[0] if isinstance(v, str) else ""
        if src.startswith("."):
            p = compose_file.parent / src
            if not p.exists():
                f.add(w, f"bind mount source {src} does not exist")
            elif p.is_dir():
                for script in sorted(p.iterdir()):
                    if script.name.endswith(".sh") and not os.access(script, os.X_OK):
                        f.add(w, f"{src}/{script.name} should be executable")

    if mig.get("command") != ["db", "migrate"]:
        f.add(w, "migrate must run `db migrate`")
    if _depends(mig).get("postgres", {}).get("condition") != "service_healthy":
        f.add(w, "migrate must depend on postgres: service_healthy")
    if str(mig.get("restart", "no")) != "no":
        f.add(w, 'migrate is one-shot: restart must be "no"')
    if not _serve_on_all_interfaces(api.get("command") or []):
        f.add(w, "api must run `serve --host 0.0.0.0`")
    if _depends(api).get("migrate", {}).get("condition") != "service_completed_successfully":
        f.add(w, "api must depend on migrate: service_completed_successfully")
    for name, svc in (("migrate", mig), ("api", api)):
        envs = _environment(svc)
        url = str(envs.get("DATABASE_URL", ""))
        if not url.startswith(("postgres://", "postgresql://")) or "@postgres:5432/" not in url:
            f.add(w, f"{name}: DATABASE_URL must point at the postgres service")
        pw = re.match(r"^postgres(ql)?://[^:]+:([^@]*)@", url)
        if pw and not re.fullmatch(r"\$\{\w+[^}]*\}", pw.group(2)):
            f.add(w, f"{name}: the password in DATABASE_URL is written in the file")
        for k, v in envs.items():
            if re.search(r"(?i)password|secret|_key$", k) and not REQUIRED_REF.fullmatch(str(v)):
                f.add(w, f"{name}: {k} must be a required ${{VAR:?...}} reference, not a value")
        if not svc.get("read_only") or "ALL" not in (svc.get("cap_drop") or []):
            f.add(w, f"{name}: read_only and cap_drop: [ALL] expected")
        build = svc.get("build") or {}
        if build:
            ctx = compose_file.parent / build.get("context", ".")
            if not (ctx / build.get("dockerfile", "Dockerfile")).is_file():
                f.add(w, f"{name}: build.dockerfile not found from its context")
    api_env = _environment(api)
    if not str(api_env.get("DATABASE_URL", "")).startswith("postgres://cryoledger_app:"):
        f.add(w, "api must connect as cryoledger_app (no UPDATE/DELETE on the custody log)")
    if "CRYOLEDGER_AUDIT_KEY" not in api_env:
        f.add(w, "api needs CRYOLEDGER_AUDIT_KEY")
    for k, v in _environment(pg).items():
        if "PASSWORD" in k and not REQUIRED_REF.fullmatch(str(v)):
            f.add(w, f"postgres: {k} must be a required ${{VAR:?...}} reference")
    f.ok = "services postgres -> migrate -> api wired as required, no secret values in the file"
    return f
