import pytest

from checks import readme
from conftest import messages
from checks.common import CHECKOV_SKIP, HADOLINT_IGNORE


def test_fixture_readme_passes(repo):
    assert readme.check(repo / "deploy/README.md").problems == []


@pytest.mark.parametrize("suppressed", HADOLINT_IGNORE + CHECKOV_SKIP)
def test_every_suppression_must_be_explained(repo, suppressed):
    path = repo / "deploy/README.md"
    path.write_text(path.read_text().replace(suppressed, ""))
    assert f"does not explain the suppressed check {suppressed}" in messages(readme.check(path))


def test_the_exercised_section_is_required(repo):
    path = repo / "deploy/README.md"
    path.write_text(path.read_text().replace("## What was and was not exercised here", ""))
    assert "section 'What was and was not exercised here' missing" in messages(readme.check(path))


def test_a_missing_readme_fails(tmp_path):
    assert "does not explain" in messages(readme.check(tmp_path / "README.md"))
