import pytest
import yaml

from checks import kubernetes
from conftest import FIXTURES, messages

README = (FIXTURES / "repo/deploy/README.md").read_text()


def one(objs, kind):
    return next(o for o in objs if o["kind"] == kind)


def pod(objs, kind):
    return one(objs, kind)["spec"]["template"]["spec"]


def api(objs):
    return pod(objs, "Deployment")["containers"][0]


def job(objs):
    return pod(objs, "Job")["containers"][0]


def env(container, name):
    return next(e for e in container["env"] if e["name"] == name)


def cluster(objs):
    return one(objs, "Cluster")["spec"]


def open_metrics(objs, peers):
    """Gives the API container a metrics port and opens it to `peers`."""
    one(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0].setdefault("ports", []).append(
        {"name": "metrics", "containerPort": 9464, "protocol": "TCP"})
    netpol(objs)["ingress"].append({"from": peers, "ports": [{"protocol": "TCP", "port": 9464}]})


def test_metrics_port_open_to_monitoring_only_passes(rendered):
    open_metrics(rendered, [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}])
    f, _ = kubernetes.check_overlay("staging", rendered, README)
    assert f.problems == []


def netpol(objs):
    return one(objs, "NetworkPolicy")["spec"]


def wave(objs, kind, value):
    one(objs, kind)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = value


def test_good_fixture_passes(rendered):
    f, summary = kubernetes.check_overlay("staging", rendered, README)
    assert f.problems == []
    assert summary["hpa"] == [1, 2] and summary["db_storage"] == 10 * 2**30


# (what is broken, how, expected problem) on the rendered staging overlay
MUTATIONS = [
    ("namespace count", lambda o: o.remove(one(o, "Namespace")), "expected exactly one Namespace"),
    ("object namespace", lambda o: one(o, "Service")["metadata"].update(namespace="default"),
     "Service/cryoledger-api is not in namespace cryoledger-staging"),
    ("pod security standard", lambda o: one(o, "Namespace")["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce"),
     "restricted Pod Security Standard"),
    ("secret committed", lambda o: o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "s", "namespace": "cryoledger-staging"}}), "Secrets must not be committed"),
    ("kind missing", lambda o: o.remove(one(o, "HorizontalPodAutoscaler")), "no HorizontalPodAutoscaler"),
    ("service account token", lambda o: pod(o, "Deployment").update(automountServiceAccountToken=True),
     "automountServiceAccountToken must be false"),
    ("run as non-root", lambda o: pod(o, "Job")["securityContext"].update(runAsNonRoot=False), "runAsNonRoot must be true"),
    ("seccomp", lambda o: pod(o, "Deployment")["securityContext"].pop("seccompProfile"), "seccompProfile must be RuntimeDefault"),
    ("uid 0", lambda o: pod(o, "Deployment")["securityContext"].update(runAsUser=0), "non-zero uid"),
    ("read-only root", lambda o: api(o)["securityContext"].update(readOnlyRootFilesystem=False),
     "readOnlyRootFilesystem must be true"),
    ("privilege escalation", lambda o: job(o)["securityContext"].update(allowPrivilegeEscalation=True),
     "allowPrivilegeEscalation must be false"),
    ("capabilities", lambda o: api(o)["securityContext"]["capabilities"].update(drop=["NET_RAW"]), "capabilities must drop ALL"),
    ("privileged", lambda o: api(o)["securityContext"].update(privileged=True), "must not be privileged"),
    ("resources", lambda o: api(o)["resources"]["limits"].pop("cpu"), "resources.limits.cpu missing"),
    ("/tmp", lambda o: pod(o, "Deployment")["volumes"][0].pop("emptyDir"),
     "/tmp must be an emptyDir mount"),
    ("placeholder image", lambda o: api(o).update(image="cryoledger"), "image 'cryoledger' is unset, untagged or latest"),
    ("latest image", lambda o: job(o).update(image="registry.example.org/cryoledger:latest"), "untagged or latest"),
    ("replicas", lambda o: one(o, "Deployment")["spec"].update(replicas=2), "no spec.replicas"),
    ("serve host", lambda o: api(o)["args"].__setitem__(2, "127.0.0.1"), "args must be `serve --host 0.0.0.0"),
    ("container port", lambda o: api(o)["ports"][0].update(containerPort=9090), "container port 'http' must be the serve port"),
    ("liveness", lambda o: api(o)["livenessProbe"]["httpGet"].update(path="/"), "livenessProbe must GET /health"),
    ("readiness", lambda o: api(o)["readinessProbe"]["httpGet"].update(path="/health"), "readinessProbe must GET /health/ready"),
    ("probe port", lambda o: api(o)["startupProbe"]["httpGet"].update(port=9090), "startupProbe must target the http port"),
    ("undefined variable", lambda o: api(o)["args"].__setitem__(-1, "$(POOL)"), "refers to an undefined variable"),
    ("database url", lambda o: env(api(o), "DATABASE_URL").update(value="postgres://app:$(PG_APP_PASSWORD)@db:5432/app"),
     "DATABASE_URL must connect as cryoledger_app to cryoledger-db-rw"),
    ("read url", lambda o: env(api(o), "DATABASE_READ_URL").update(
        value="postgres://cryoledger_app:$(PG_APP_PASSWORD)@$(PG_RW_HOST):$(PG_PORT)/$(PG_DATABASE)"),
     "DATABASE_READ_URL must point at cryoledger-db-ro"),
    ("audit key from a secret", lambda o: env(api(o), "CRYOLEDGER_AUDIT_KEY").pop("valueFrom"),
     "CRYOLEDGER_AUDIT_KEY must come from a Secret"),
    ("literal secret", lambda o: api(o)["env"].append({"name": "SMTP_PASSWORD", "value": "x"}), "SMTP_PASSWORD has a literal value"),
    ("pool size", lambda o: one(o, "ConfigMap")["data"].update(DB_POOL_SIZE="many"), "DB_POOL_SIZE must be an integer"),
    ("job args", lambda o: job(o).update(args=["serve"]), "args must be `db migrate`"),
    ("job restart", lambda o: pod(o, "Job").update(restartPolicy="Always"), "restartPolicy must be Never or OnFailure"),
    ("job database secret", lambda o: env(job(o), "DATABASE_URL")["valueFrom"]["secretKeyRef"].update(key="password"),
     "must come from the CloudNativePG secret cryoledger-db-app, key uri"),
    ("job image", lambda o: job(o).update(image="registry.example.org/cryoledger/cryoledger:0.0.9"), "the same image"),
    ("waves", lambda o: wave(o, "Job", "5"), "sync waves must order Cluster < migration Job < Deployment"),
    ("configmap wave", lambda o: wave(o, "ConfigMap", "0"), "ConfigMap must be synced no later than the migration Job"),
    ("hook delete policy", lambda o: one(o, "Job")["metadata"]["annotations"].pop("argocd.argoproj.io/hook-delete-policy"),
     "BeforeHookCreation"),
    ("deployment selector", lambda o: one(o, "Deployment")["spec"]["selector"]["matchLabels"].update(tier="x"),
     "selector does not match the pod template labels"),
    ("service selector", lambda o: one(o, "Service")["spec"]["selector"].update(tier="x"), "Service selector does not match"),
    ("service port", lambda o: one(o, "Service")["spec"]["ports"][0].update(targetPort=9090), "Service targetPort"),
    ("pdb selector", lambda o: one(o, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].update(tier="x"),
     "PodDisruptionBudget selector does not match"),
    ("hpa target", lambda o: one(o, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"].update(name="other"),
     "must target the API Deployment"),
    ("hpa bounds", lambda o: one(o, "HorizontalPodAutoscaler")["spec"].update(minReplicas=3), "1 <= minReplicas <= maxReplicas"),
    ("pdb both", lambda o: one(o, "PodDisruptionBudget")["spec"].update(minAvailable=1), "sets both"),
    ("connection budget", lambda o: one(o, "HorizontalPodAutoscaler")["spec"].update(maxReplicas=5),
     "HPA maxReplicas 5 x DB_POOL_SIZE 20 + 10 exceeds max_connections 100"),
    ("netpol api pods", lambda o: netpol(o)["podSelector"]["matchLabels"].update(tier="x"), "does not select the API pods"),
    ("netpol job pods", lambda o: one(o, "Job")["spec"]["template"]["metadata"]["labels"].update({
        "app.kubernetes.io/name": "migrate"}), "does not select the migration Job's pods"),
    ("policy types", lambda o: netpol(o).update(policyTypes=["Ingress"]), "policyTypes must be Ingress and Egress"),
    ("ingress port", lambda o: netpol(o)["ingress"][0]["ports"][0].update(port=9090), "ingress must be limited to port 8080"),
    ("metrics port open beyond monitoring", lambda o: open_metrics(o, [{"podSelector": {}}]),
     "the metrics port 9464 must be open to the monitoring namespace only"),
    ("ingress ip block", lambda o: netpol(o)["ingress"][0]["from"].append({"ipBlock": {"cidr": "0.0.0.0/0"}}),
     "ingress from ipBlock"),
    ("egress without ports", lambda o: netpol(o)["egress"][0].pop("ports"), "must name both peers and ports"),
    ("unexpected egress", lambda o: netpol(o)["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                                                                "ports": [{"port": 443}]}), "unexpected egress rule"),
    ("egress to the database", lambda o: netpol(o)["egress"][0]["to"][0].update(namespaceSelector={}),
     "egress must allow the database pods on 5432 and DNS on 53"),
    ("instances", lambda o: cluster(o).update(instances=2), "3 instances or more"),
    ("synchronous number", lambda o: cluster(o)["postgresql"]["synchronous"].update(number=3),
     "synchronous.number must be between 1 and instances - 1"),
    ("synchronous", lambda o: cluster(o)["postgresql"].pop("synchronous"), "synchronous replication is not configured"),
    ("backup destination", lambda o: cluster(o)["backup"]["barmanObjectStore"].update(destinationPath="s3://unset/x"),
     "destinationPath must be set per environment"),
    ("backup credentials", lambda o: cluster(o)["backup"]["barmanObjectStore"].pop("s3Credentials"),
     "object store credentials must come from a Secret"),
    ("retention", lambda o: cluster(o)["backup"].pop("retentionPolicy"), "backup.retentionPolicy missing"),
    ("wal encryption", lambda o: cluster(o)["backup"]["barmanObjectStore"]["wal"].pop("encryption"),
     "backup.barmanObjectStore.wal.encryption must be set"),
    ("data encryption", lambda o: cluster(o)["backup"]["barmanObjectStore"]["data"].pop("encryption"),
     "backup.barmanObjectStore.data.encryption must be set"),
    ("wal compression", lambda o: cluster(o)["backup"]["barmanObjectStore"]["wal"].pop("compression"),
     "backup.barmanObjectStore.wal.compression must be set"),
    ("postgres 15", lambda o: cluster(o).update(imageName="ghcr.io/cloudnative-pg/postgresql:16"),
     "PostgreSQL major version must be 15"),
    ("app role", lambda o: cluster(o)["managed"].update(roles=[]), "managed role cryoledger_app"),
    ("app role rights", lambda o: cluster(o)["managed"]["roles"][0].update(createrole=True),
     "cryoledger_app must not be superuser, createrole or bypassrls"),
    ("superuser access", lambda o: cluster(o).update(enableSuperuserAccess=True), "superuser access should stay disabled"),
    ("scheduled backup cluster", lambda o: one(o, "ScheduledBackup")["spec"]["cluster"].update(name="other"),
     "ScheduledBackup must name the Cluster"),
    ("scheduled backup store", lambda o: cluster(o)["backup"].pop("barmanObjectStore"),
     "ScheduledBackup uses barmanObjectStore but the Cluster has none"),
]


@pytest.mark.parametrize("what,mutate,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_deployment_rule(rendered, what, mutate, expected):
    mutate(rendered)
    f, _ = kubernetes.check_overlay("staging", rendered, README)
    assert expected in messages(f)


@pytest.mark.parametrize("secret", ["cryoledger-audit-key", "cryoledger-db-app", "cryoledger-backup-s3",
                                    "cryoledger-db-app-role"])
def test_referenced_secrets_must_be_documented(rendered, secret):
    readme = README.replace(f"`{secret}`", "")  # cryoledger-db-app-role does not document cryoledger-db-app
    assert readme != README
    f, _ = kubernetes.check_overlay("staging", rendered, readme)
    assert f"Secret {secret} is referenced but not documented" in messages(f)


STAGING = {"overlay": "staging", "hpa": [1, 2], "api_cpu_request": 0.1, "api_mem_limit": 512.0,
           "db_storage": 10.0, "db_mem": 1.0}


def test_production_bigger_than_staging_passes():
    prod = {k: (v * 2 if isinstance(v, float) else v) for k, v in STAGING.items()} | {"hpa": [3, 8]}
    assert kubernetes.compare_overlays(STAGING, prod).problems == []


@pytest.mark.parametrize("key", ["hpa", "api_cpu_request", "api_mem_limit", "db_storage", "db_mem"])
def test_production_must_be_bigger_than_staging(key):
    prod = {k: (v * 2 if isinstance(v, float) else v) for k, v in STAGING.items()} | {"hpa": [3, 8]}
    prod[key] = STAGING[key]
    out = messages(kubernetes.compare_overlays(STAGING, prod))
    assert ("more API replicas" if key == "hpa" else f"production {key} must be bigger") in out


def test_parse_quantity():
    assert kubernetes.parse_quantity("250m") == 0.25
    assert kubernetes.parse_quantity("512Mi") == 512 * 2**20
    assert kubernetes.parse_quantity("1") == 1.0


# kubernetes-validate (the PyPI package), strict, both Kubernetes versions.

def test_kubernetes_validate_passes_the_rendered_fixture():
    assert kubernetes.kubernetes_validate([FIXTURES / "rendered-staging.yaml"]).problems == []


def test_kubernetes_validate_rejects_an_unknown_field(tmp_path, rendered):
    one(rendered, "Deployment")["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump_all(rendered))
    out = messages(kubernetes.kubernetes_validate([bad]))
    assert "imagePullPolice" in out and "1.29.0" in out and "1.37.0" in out
