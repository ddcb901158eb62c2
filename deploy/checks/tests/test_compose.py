import os

import pytest

from checks import compose
from conftest import edit, messages


def run(repo):
    return compose.check(repo / "deploy/compose.yaml", repo / "deploy/container/compose.env.example", repo)


def test_good_fixture_passes(repo):
    assert run(repo).problems == []


MIG_URL = "postgres://cryoledger_owner:${POSTGRES_PASSWORD}@postgres:5432/cryoledger"
API_URL = "postgres://cryoledger_app:${CRYOLEDGER_APP_DB_PASSWORD}@postgres:5432/cryoledger"
AUDIT = "      CRYOLEDGER_AUDIT_KEY: ${CRYOLEDGER_AUDIT_KEY:?set it}\n"

# (what is broken, old text, new text, expected problem) in compose.yaml
MUTATIONS = [
    ("variable without default", "      LOG_LEVEL: info\n", "      LOG_LEVEL: ${LEVEL}\n", "${LEVEL} has no default"),
    ("service missing", "  migrate:\n    <<: *image", "  migrator:\n    <<: *image", "service migrate missing"),
    ("postgres version", "image: postgres:15-bookworm", "image: postgres:16-bookworm", "must be PostgreSQL 15"),
    ("healthcheck", '      test: ["CMD-SHELL", "pg_isready"]', "      interval: 5s", "postgres needs a healthcheck"),
    ("named volume", "- pgdata:/var/lib/postgresql/data", "- /srv/pg:/var/lib/postgresql/data", "must be a named volume"),
    ("bind mount source", "./container/postgres-init:", "./container/init:", "bind mount source ./container/init does not exist"),
    ("migrate command", 'command: ["db", "migrate"]', 'command: ["db", "status"]', "migrate must run `db migrate`"),
    ("migrate waits for healthy", "condition: service_healthy", "condition: service_started",
     "migrate must depend on postgres: service_healthy"),
    ("migrate one-shot", 'restart: "no"', "restart: on-failure", "migrate is one-shot"),
    ("api host", '"--host", "0.0.0.0"', '"--host", "127.0.0.1"', "api must run `serve --host 0.0.0.0`"),
    ("api after migrate", "condition: service_completed_successfully", "condition: service_started",
     "api must depend on migrate: service_completed_successfully"),
    ("database host", MIG_URL, MIG_URL.replace("@postgres:", "@db:"), "migrate: DATABASE_URL must point at the postgres service"),
    ("password in url", MIG_URL, MIG_URL.replace("${POSTGRES_PASSWORD}", "hunter2"),
     "migrate: the password in DATABASE_URL is written in the file"),
    ("secret as a value", AUDIT, "      CRYOLEDGER_AUDIT_KEY: abc\n",
     "api: CRYOLEDGER_AUDIT_KEY must be a required ${VAR:?...} reference"),
    ("read only", "  read_only: true\n", "  read_only: false\n", "read_only and cap_drop: [ALL] expected"),
    ("build dockerfile", "dockerfile: deploy/container/Dockerfile", "dockerfile: deploy/Dockerfile",
     "build.dockerfile not found from its context"),
    ("api role", API_URL, MIG_URL, "api must connect as cryoledger_app"),
    ("audit key", AUDIT, "", "api needs CRYOLEDGER_AUDIT_KEY"),
    ("postgres password", "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}", "POSTGRES_PASSWORD: secret",
     "postgres: POSTGRES_PASSWORD must be a required"),
]


@pytest.mark.parametrize("what,old,new,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_compose_rule(repo, what, old, new, expected):
    edit(repo / "deploy/compose.yaml", old, new)
    assert expected in messages(run(repo))


def test_required_variable_must_be_in_the_example_env_file(repo):
    edit(repo / "deploy/container/compose.env.example", "CRYOLEDGER_AUDIT_KEY=replace-me\n", "")
    assert "does not show CRYOLEDGER_AUDIT_KEY" in messages(run(repo))


def test_init_scripts_must_be_executable(repo):
    os.chmod(repo / "deploy/container/postgres-init/10-role.sh", 0o644)
    assert "10-role.sh should be executable" in messages(run(repo))


def test_without_the_compose_plugin_a_note_only(repo, monkeypatch):
    monkeypatch.setattr(compose, "has_command", lambda name: False)
    f = compose.docker_compose_config(repo / "deploy/compose.yaml", repo / "deploy/container/compose.env.example")
    assert f.problems == [] and "not available" in f.notes[0]
