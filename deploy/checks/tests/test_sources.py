import pytest

from checks import sources
from conftest import edit, messages


def test_good_fixture_passes(repo, rendered):
    assert sources.check(repo, rendered).problems == []


def test_option_names_become_flags():
    assert sources.serve_options('@Option(help: "x") var maxConnections = 1\n@Option() var host = ""') == \
        {"--max-connections", "--host"}


def test_option_help_with_parentheses_and_a_wrapped_declaration():
    swift = '@Option(help: "Pool to the replica (DATABASE_READ_URL).") var maxReadConnections = 10\n' \
            '@Option(help: "Metrics (a listener of its own).")\n    var metricsPort: Int?'
    assert sources.serve_options(swift) == {"--max-read-connections", "--metrics-port"}


MUTATIONS = [
    ("serve flag", "Sources/cryoledger/ServeCommand.swift", "var maxConnections", "var poolSize",
     "`cryoledger serve --max-connections` is used by the deployment files"),
    ("db migrate", "Sources/cryoledger/DatabaseCommand.swift", "struct Migrate", "struct Upgrade",
     "`cryoledger db migrate` not found"),
    ("variable set but not read", "Sources/cryoledger/Environment.swift", 'env["CRYOLEDGER_HOME"]', 'env["HOME"]',
     "CRYOLEDGER_HOME is set by the deployment files but no Swift source reads it"),
    ("variable relied on", "Sources/cryoledger/Environment.swift", 'env["DATABASE_READ_URL"]', 'env["READ_URL"]',
     "DATABASE_READ_URL is set by the deployment files but no Swift source reads it"),
    ("public health path", "Sources/CryoAPI/AuthMiddleware.swift", '"/health/ready"', '"/ready"',
     "/health/ready is not a public path"),
    ("openapi health path", "Sources/CryoAPI/openapi.yaml", "  /health:\n", "  /healthz:\n", "/health is not in the OpenAPI document"),
    ("resource bundles", "deploy/container/Dockerfile", "-name '*.resources'", "-name '*.bundle'",
     "Package.swift declares resources but the Dockerfile does not copy the bundles"),
    ("system library package", "Package.swift", '.apt(["libhpdf-dev"])', '.apt(["libhpdf-dev", "libzint-dev"])',
     "Package.swift needs the Debian package libzint-dev"),
]


@pytest.mark.parametrize("what,path,old,new,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_sources_rule(repo, rendered, what, path, old, new, expected):
    edit(repo / path, old, new)
    assert expected in messages(sources.check(repo, rendered))


def test_variables_the_deployment_relies_on_must_still_be_read(repo):
    edit(repo / "Sources/cryoledger/Environment.swift", 'env["LOG_LEVEL"]', 'env["LEVEL"]')
    # No deployment file in this call sets LOG_LEVEL: only the relied-on list can catch it.
    (repo / "deploy/container/Dockerfile").write_text((repo / "deploy/container/Dockerfile").read_text()
                                                      .replace("    LOG_LEVEL=info", "    X=1"))
    (repo / "deploy/compose.yaml").write_text((repo / "deploy/compose.yaml").read_text().replace("      LOG_LEVEL: info\n", ""))
    assert "the sources no longer read LOG_LEVEL" in messages(sources.check(repo, []))
