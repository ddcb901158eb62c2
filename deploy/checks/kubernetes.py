"""The Kubernetes manifests, as rendered per overlay: kubernetes-validate, the deployment rules
(the Operations requirements of deploy/README.md), and production against staging."""
from __future__ import annotations

import re

from .common import K8S_VERSIONS, Findings, containers_of, output_problems, run_tool, split_image


def kubernetes_validate(files, versions=K8S_VERSIONS) -> Findings:
    """Built-in kinds against the Kubernetes OpenAPI schemas, strict (unknown fields fail). Custom
    resources have no schema there ("no schema" warnings, silenced): the cnpg check covers them."""
    f = Findings(f"{len(files)} renderings valid against Kubernetes {', '.join(versions)} (strict)")
    for v in versions:
        for path in files:
            proc = run_tool("kubernetes-validate", "--strict", "--quiet", "--no-warn", "-k", v, path)
            if proc.returncode != 0:
                output_problems(f, f"{path} (Kubernetes {v})", proc)
    return f


def env_map(container):
    return {e["name"]: e for e in container.get("env") or []}


def pod_spec(o):
    return o["spec"]["template"]["spec"]


def check_pod_security(f, where, o):
    ps = pod_spec(o)
    sc = ps.get("securityContext") or {}
    if ps.get("automountServiceAccountToken") is not False:
        f.add(where, "automountServiceAccountToken must be false")
    if sc.get("runAsNonRoot") is not True:
        f.add(where, "pod securityContext.runAsNonRoot must be true")
    if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        f.add(where, "pod seccompProfile must be RuntimeDefault")
    if not isinstance(sc.get("runAsUser"), int) or sc.get("runAsUser") == 0:
        f.add(where, "pod runAsUser must be a non-zero uid (the image's USER is 10001)")
    volumes = {v["name"]: v for v in ps.get("volumes") or []}
    for c in ps.get("containers") or []:
        cw = f"{where} container {c['name']}"
        csc = c.get("securityContext") or {}
        if csc.get("readOnlyRootFilesystem") is not True:
            f.add(cw, "readOnlyRootFilesystem must be true")
        if csc.get("allowPrivilegeEscalation") is not False:
            f.add(cw, "allowPrivilegeEscalation must be false")
        if (csc.get("capabilities") or {}).get("drop") != ["ALL"]:
            f.add(cw, "capabilities must drop ALL")
        if csc.get("privileged"):
            f.add(cw, "must not be privileged")
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in (res.get(kind) or {}):
                    f.add(cw, f"resources.{kind}.{r} missing")
        tmp = [m for m in c.get("volumeMounts") or [] if m["mountPath"] == "/tmp"]
        if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
            f.add(cw, "/tmp must be an emptyDir mount (read-only root filesystem; PDF reports use it)")
        image = c.get("image", "")
        name, tag, digest = split_image(image)
        if name == "cryoledger" or not (tag or digest) or tag == "latest" or "unset" in image:
            f.add(cw, f"image '{image}' is unset, untagged or latest (set it in the overlay's images:)")


def parse_quantity(q):
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in units.items():
        if q.endswith(u):
            return float(q[: -len(u)]) * f
    return float(q)


def check_overlay(overlay, objs, readme_text):
    """The deployment rules on one rendered overlay: (findings, summary for compare_overlays)."""
    f = Findings()
    by = {}
    for o in objs:
        by.setdefault(o["kind"], []).append(o)
    one = lambda kind: (by.get(kind) or [None])[0]
    w = overlay
    ns = [o for o in by.get("Namespace", [])]
    if len(ns) != 1:
        f.add(w, "expected exactly one Namespace")
    else:
        nsname = ns[0]["metadata"]["name"]
        for o in objs:
            if o["kind"] != "Namespace" and o["metadata"].get("namespace") != nsname:
                f.add(w, f"{o['kind']}/{o['metadata']['name']} is not in namespace {nsname}")
        if ns[0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            f.add(w, "the Namespace should enforce the restricted Pod Security Standard")
    if by.get("Secret"):
        f.add(w, "Secrets must not be committed in the manifests (they are referenced, created out of band)")

    dep, job, svc = one("Deployment"), one("Job"), one("Service")
    cluster, sbackup = one("Cluster"), one("ScheduledBackup")
    hpa, pdb, netpol = one("HorizontalPodAutoscaler"), one("PodDisruptionBudget"), one("NetworkPolicy")
    for kind, o in [("Deployment", dep), ("Job", job), ("Service", svc), ("Cluster", cluster), ("ScheduledBackup", sbackup),
                    ("HorizontalPodAutoscaler", hpa), ("PodDisruptionBudget", pdb), ("NetworkPolicy", netpol),
                    ("ConfigMap", one("ConfigMap")), ("ServiceAccount", one("ServiceAccount"))]:
        if o is None:
            f.add(w, f"no {kind}")
    if f.problems:
        return f, None
    cname = cluster["metadata"]["name"]
    cm = one("ConfigMap")["data"]

    # The API Deployment.
    dw = f"{w} Deployment/{dep['metadata']['name']}"
    check_pod_security(f, dw, dep)
    if "replicas" in dep["spec"]:
        f.add(dw, "no spec.replicas: the HorizontalPodAutoscaler owns the replica count")
    api = pod_spec(dep)["containers"][0]
    args = api.get("args") or []
    if args[:1] != ["serve"] or "--host" not in args or args[args.index("--host") + 1] != "0.0.0.0":
        f.add(dw, f"args must be `serve --host 0.0.0.0 ...`, got {args}")
    port = int(args[args.index("--port") + 1]) if "--port" in args else 8080
    ports = {p.get("name"): p["containerPort"] for p in api.get("ports") or []}
    if ports.get("http") != port:
        f.add(dw, f"container port 'http' must be the serve port {port}")
    probes = {k: (api.get(k) or {}).get("httpGet", {}) for k in ("livenessProbe", "readinessProbe", "startupProbe")}
    if probes["livenessProbe"].get("path") != "/health":
        f.add(dw, "livenessProbe must GET /health")
    if probes["readinessProbe"].get("path") != "/health/ready":
        f.add(dw, "readinessProbe must GET /health/ready")
    for k, p in probes.items():
        if p and p.get("port") not in ("http", port):
            f.add(dw, f"{k} must target the http port")
    env = env_map(api)
    resolved = {}
    for k, v in cm.items():
        resolved[k] = v

    def expand(value):
        return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: resolved.get(m.group(1), m.group(0)), value)

    for e in api.get("env") or []:
        if "value" in e:
            resolved[e["name"]] = expand(e["value"])
        elif "valueFrom" in e:
            resolved[e["name"]] = "<secret>"
    for a in args:
        if re.search(r"\$\((\w+)\)", expand(a)):
            f.add(dw, f"argument {a} refers to an undefined variable")
    db_url = resolved.get("DATABASE_URL", "")
    if not re.match(rf"^postgres(ql)?://cryoledger_app:<secret>@{re.escape(cname)}-rw:5432/\w+$", db_url):
        f.add(dw, f"DATABASE_URL must connect as cryoledger_app to {cname}-rw, got {db_url!r}")
    read_url = resolved.get("DATABASE_READ_URL", "")
    if not re.match(rf"^postgres(ql)?://cryoledger_app:<secret>@{re.escape(cname)}-ro:5432/\w+$", read_url):
        f.add(dw, f"DATABASE_READ_URL must point at {cname}-ro, got {read_url!r}")
    key = env.get("CRYOLEDGER_AUDIT_KEY", {}).get("valueFrom", {}).get("secretKeyRef")
    if not key:
        f.add(dw, "CRYOLEDGER_AUDIT_KEY must come from a Secret")
    for e in api.get("env") or []:
        if "value" in e and re.search(r"(?i)(password|secret|key)", e["name"]) and "$(" not in e["value"]:
            f.add(dw, f"{e['name']} has a literal value; secrets come from Secrets")
    try:
        pool = int(cm["DB_POOL_SIZE"])
    except (KeyError, ValueError):
        f.add(dw, "ConfigMap DB_POOL_SIZE must be an integer")
        pool = 0

    # The migration Job.
    jw = f"{w} Job/{job['metadata']['name']}"
    check_pod_security(f, jw, job)
    mig = pod_spec(job)["containers"][0]
    if (mig.get("args") or [])[:2] != ["db", "migrate"]:
        f.add(jw, "args must be `db migrate`")
    if pod_spec(job).get("restartPolicy") not in ("Never", "OnFailure"):
        f.add(jw, "restartPolicy must be Never or OnFailure")
    ref = env_map(mig).get("DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
    if ref.get("name") != f"{cname}-app" or ref.get("key") != "uri":
        f.add(jw, f"DATABASE_URL must come from the CloudNativePG secret {cname}-app, key uri")
    if mig.get("image") != api.get("image"):
        f.add(jw, "the Job must run the same image as the Deployment")
    waves = lambda o: int((o["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-wave", "0"))
    if not waves(cluster) < waves(job) < waves(dep):
        f.add(w, "Argo CD sync waves must order Cluster < migration Job < Deployment")
    for kind in ("ServiceAccount", "ConfigMap", "NetworkPolicy"):
        if waves(one(kind)) > waves(job):
            f.add(w, f"{kind} must be synced no later than the migration Job (it needs it)")
    if (job["metadata"].get("annotations") or {}).get("argocd.argoproj.io/hook-delete-policy") != "BeforeHookCreation":
        f.add(jw, "Argo CD hook-delete-policy BeforeHookCreation is needed (a Job's template is immutable)")

    # Service, PDB, HPA select / target the Deployment.
    tlabels = dep["spec"]["template"]["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    if any(tlabels.get(k) != v for k, v in sel.items()):
        f.add(dw, "selector does not match the pod template labels")
    if any(tlabels.get(k) != v for k, v in svc["spec"]["selector"].items()):
        f.add(w, "Service selector does not match the API pods")
    for p in svc["spec"]["ports"]:
        if p.get("targetPort") not in ("http", port):
            f.add(w, "Service targetPort must be the http port")
    if any(tlabels.get(k) != v for k, v in pdb["spec"]["selector"]["matchLabels"].items()):
        f.add(w, "PodDisruptionBudget selector does not match the API pods")
    t = hpa["spec"]["scaleTargetRef"]
    if (t["kind"], t["name"]) != ("Deployment", dep["metadata"]["name"]) or hpa["apiVersion"] != "autoscaling/v2":
        f.add(w, "HorizontalPodAutoscaler (autoscaling/v2) must target the API Deployment")
    lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    if not 1 <= lo <= hi:
        f.add(w, "HPA needs 1 <= minReplicas <= maxReplicas")
    if "maxUnavailable" in pdb["spec"] and "minAvailable" in pdb["spec"]:
        f.add(w, "PDB sets both maxUnavailable and minAvailable")
    maxconn = int(cluster["spec"].get("postgresql", {}).get("parameters", {}).get("max_connections", "100"))
    if hi * pool + 10 > maxconn:
        f.add(w, f"HPA maxReplicas {hi} x DB_POOL_SIZE {pool} + 10 exceeds max_connections {maxconn}")

    # NetworkPolicy: ingress to 8080 only; egress to the database and DNS only.
    nw = f"{w} NetworkPolicy/{netpol['metadata']['name']}"
    np = netpol["spec"]
    if any(tlabels.get(k) != v for k, v in np["podSelector"].get("matchLabels", {}).items()):
        f.add(nw, "does not select the API pods")
    jlabels = job["spec"]["template"]["metadata"]["labels"]
    if any(jlabels.get(k) != v for k, v in np["podSelector"].get("matchLabels", {}).items()):
        f.add(nw, "does not select the migration Job's pods (they need the same egress)")
    if sorted(np.get("policyTypes") or []) != ["Egress", "Ingress"]:
        f.add(nw, "policyTypes must be Ingress and Egress")
    # /metrics has a listener of its own (serve --metrics-port): only the monitoring namespace may reach it.
    metrics_ports = [p.get("containerPort") for c in dep["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports") or [] if p.get("name") == "metrics"]
    for rule in np.get("ingress") or []:
        rule_ports = [p.get("port") for p in rule.get("ports") or []]
        if metrics_ports and rule_ports == metrics_ports:
            if any(set(peer) != {"namespaceSelector"} for peer in rule.get("from") or []) or not rule.get("from"):
                f.add(nw, f"the metrics port {metrics_ports[0]} must be open to the monitoring namespace only")
        elif rule_ports != [port]:
            f.add(nw, f"ingress must be limited to port {port}" + (f" (and {metrics_ports[0]} for metrics)" if metrics_ports else ""))
        for peer in rule.get("from") or []:
            if "ipBlock" in peer:
                f.add(nw, "ingress from ipBlock is not expected")
    egress_ok_db = egress_ok_dns = False
    for rule in np.get("egress") or []:
        ports = sorted((p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports") or [])
        peers = rule.get("to") or []
        if not peers or not ports:
            f.add(nw, "egress rules must name both peers and ports")
            continue
        if ports == [("TCP", 5432)] and all(p.get("podSelector", {}).get("matchLabels") == {"cnpg.io/cluster": cname} and
                                            "namespaceSelector" not in p for p in peers):
            egress_ok_db = True
        elif ports == [("TCP", 53), ("UDP", 53)]:
            egress_ok_dns = True
        else:
            f.add(nw, f"unexpected egress rule {rule}")
    if not (egress_ok_db and egress_ok_dns):
        f.add(nw, "egress must allow the database pods on 5432 and DNS on 53")

    # The CloudNativePG cluster.
    cw = f"{w} Cluster/{cname}"
    cs = cluster["spec"]
    if cs.get("instances", 0) < 3:
        f.add(cw, "3 instances or more")
    sync = cs.get("postgresql", {}).get("synchronous")
    if sync:
        if not 1 <= sync["number"] < cs["instances"]:
            f.add(cw, "synchronous.number must be between 1 and instances - 1")
    elif not (cs.get("minSyncReplicas", 0) >= 1 and cs.get("maxSyncReplicas", 0) >= cs.get("minSyncReplicas", 0)):
        f.add(cw, "synchronous replication is not configured")
    bos = cs.get("backup", {}).get("barmanObjectStore") or {}
    if not bos.get("destinationPath") or "unset" in bos.get("destinationPath", ""):
        f.add(cw, "backup.barmanObjectStore.destinationPath must be set per environment")
    creds = bos.get("s3Credentials") or {}
    if not (creds.get("accessKeyId") and creds.get("secretAccessKey")) and not creds.get("inheritFromIAMRole"):
        f.add(cw, "object store credentials must come from a Secret (or IAM)")
    if "retentionPolicy" not in cs.get("backup", {}):
        f.add(cw, "backup.retentionPolicy missing")
    for part in ("wal", "data"):
        if not (bos.get(part) or {}).get("encryption"):
            f.add(cw, f"backup.barmanObjectStore.{part}.encryption must be set (backups encrypted at rest)")
    if not (bos.get("wal") or {}).get("compression"):
        f.add(cw, "backup.barmanObjectStore.wal.compression must be set")
    m = re.match(r"^.*:(\d+)", cs.get("imageName", ""))
    if not m or m.group(1) != "15":
        f.add(cw, "PostgreSQL major version must be 15 (the image's pg_dump is postgresql-client-15)")
    roles = {r["name"]: r for r in cs.get("managed", {}).get("roles") or []}
    app_role = roles.get("cryoledger_app")
    if not app_role or not app_role.get("login") or not app_role.get("passwordSecret"):
        f.add(cw, "managed role cryoledger_app with login and a passwordSecret is required (the owner has no CREATEROLE)")
    elif app_role.get("superuser") or app_role.get("createrole") or app_role.get("bypassrls"):
        f.add(cw, "cryoledger_app must not be superuser, createrole or bypassrls")
    if cs.get("enableSuperuserAccess"):
        f.add(cw, "superuser access should stay disabled")
    if sbackup["spec"]["cluster"]["name"] != cname:
        f.add(w, "ScheduledBackup must name the Cluster")
    if sbackup["spec"].get("method", "barmanObjectStore") == "barmanObjectStore" and not bos:
        f.add(w, "ScheduledBackup uses barmanObjectStore but the Cluster has none")

    # Secrets referenced anywhere must be documented in deploy/README.md.
    names = set()
    for o in objs:
        for c in containers_of(o):
            for e in c.get("env") or []:
                r = (e.get("valueFrom") or {}).get("secretKeyRef")
                if r:
                    names.add(r["name"])
    names |= {r["passwordSecret"]["name"] for r in roles.values() if r.get("passwordSecret")}
    names |= {v["name"] for v in creds.values() if isinstance(v, dict) and "name" in v}
    for n in sorted(names):
        if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", readme_text):  # the whole name
            f.add(w, f"Secret {n} is referenced but not documented in deploy/README.md")
    try:
        summary = {"overlay": overlay, "hpa": [lo, hi],
                   "api_cpu_request": parse_quantity(api["resources"]["requests"]["cpu"]),
                   "api_mem_limit": parse_quantity(api["resources"]["limits"]["memory"]),
                   "db_storage": parse_quantity(cs["storage"]["size"]),
                   "db_mem": parse_quantity(cs["resources"]["limits"]["memory"])}
    except (KeyError, TypeError, ValueError) as e:
        f.add(w, f"cannot compare the sizes of this overlay: {e!r} missing or not a quantity")
        summary = None
    f.ok = f"{overlay}: {len(objs)} objects meet the deployment rules"
    return f, summary


def compare_overlays(s, p):
    """Production must be bigger than staging: summaries from check_overlay."""
    f = Findings()
    if not p["hpa"][0] > s["hpa"][0]:
        f.add("overlays", "production must run more API replicas than staging (HPA minReplicas)")
    for k in ("api_cpu_request", "api_mem_limit", "db_storage", "db_mem"):
        if not p[k] > s[k]:
            f.add("overlays", f"production {k} must be bigger than staging's")
    f.ok = "production is bigger than staging (replicas, API and database resources)"
    return f
