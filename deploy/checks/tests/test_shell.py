from checks import shell
from conftest import FIXTURES, messages


def test_the_deployment_scripts_are_listed(repo):
    names = [p.name for p in shell.scripts(repo)]
    assert names == ["check-static", "10-role.sh"]


def test_good_script_passes(repo):
    assert shell.shellcheck([repo / "deploy/container/postgres-init/10-role.sh"]).problems == []


def test_bad_script_fails():
    out = messages(shell.shellcheck([FIXTURES / "bad.sh"]))
    assert "SC2086" in out


def test_no_scripts_is_a_problem():
    assert "no scripts to check" in messages(shell.shellcheck([]))
