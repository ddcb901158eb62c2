import pytest

from checks import cnpg
from conftest import messages


def cnpg_objects(rendered):
    return [o for o in rendered if o["apiVersion"].startswith("postgresql.cnpg.io/")]


def spec(objs, kind):
    return next(o for o in objs if o["kind"] == kind)["spec"]


def test_good_fixture_passes(rendered):
    f = cnpg.check([("staging", rendered)])
    assert f.problems == [] and "2 CloudNativePG resources" in f.ok


MUTATIONS = [
    ("instances required", lambda o: spec(o, "Cluster").pop("instances"), "'instances' is a required property"),
    ("instances type", lambda o: spec(o, "Cluster").update(instances="3"), "instances: '3' is not of type 'integer'"),
    ("unknown field", lambda o: spec(o, "Cluster").update(replicas=3), "'replicas' was unexpected"),
    ("enum", lambda o: spec(o, "Cluster").update(primaryUpdateStrategy="auto"), "primaryUpdateStrategy: 'auto' is not one of"),
    ("image name", lambda o: spec(o, "Cluster").update(imageName="postgresql:latest"), "imageName: 'postgresql:latest' does not match"),
    ("retention pattern", lambda o: spec(o, "Cluster")["backup"].update(retentionPolicy="7 days"), "retentionPolicy"),
    ("destination scheme", lambda o: spec(o, "Cluster")["backup"]["barmanObjectStore"].update(destinationPath="/backups"),
     "destinationPath: '/backups' does not match"),
    ("secret key reference", lambda o: spec(o, "Cluster")["backup"]["barmanObjectStore"]["s3Credentials"]["accessKeyId"].pop("key"),
     "'key' is a required property"),
    ("synchronous method", lambda o: spec(o, "Cluster")["postgresql"]["synchronous"].update(method="all"),
     "method: 'all' is not one of"),
    ("managed role field", lambda o: spec(o, "Cluster")["managed"]["roles"][0].update(password="x"), "'password' was unexpected"),
    ("metadata name", lambda o: next(x for x in o if x["kind"] == "Cluster")["metadata"].update(name="Cryo_DB"),
     "name: 'Cryo_DB' does not match"),
    ("schedule", lambda o: spec(o, "ScheduledBackup").update(schedule="0 2 * * *"), "schedule: '0 2 * * *' does not match"),
    ("backup cluster", lambda o: spec(o, "ScheduledBackup").pop("cluster"), "'cluster' is a required property"),
    ("backup method", lambda o: spec(o, "ScheduledBackup").update(method="pg_dump"), "method: 'pg_dump' is not one of"),
    ("kind without schema", lambda o: o.append({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Pooler", "metadata": {"name": "p"}}),
     "no schema here for Pooler"),
]


@pytest.mark.parametrize("what,mutate,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_cnpg_schema(rendered, what, mutate, expected):
    objs = cnpg_objects(rendered)
    mutate(objs)
    assert expected in messages(cnpg.check([("staging", objs)]))


def test_no_cloudnativepg_resources_is_a_problem(rendered):
    objs = [o for o in rendered if not o["apiVersion"].startswith("postgresql.cnpg.io/")]
    assert "no CloudNativePG resources found" in messages(cnpg.check([("staging", objs)]))
