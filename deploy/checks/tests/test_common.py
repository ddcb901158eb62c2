from pathlib import Path

from checks import common

PACKAGE = Path(common.__file__).resolve().parent


def test_every_check_module_has_its_test_file():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    tests = {p.stem.removeprefix("test_") for p in (PACKAGE / "tests").glob("test_*.py")}
    assert modules - tests == set()


def test_split_image():
    assert common.split_image("reg.example:5000/a/b:1.0@sha256:ab") == ("reg.example:5000/a/b", "1.0", "sha256:ab")
    assert common.split_image("reg.example:5000/a/b") == ("reg.example:5000/a/b", None, None)
    assert common.split_image("cryoledger") == ("cryoledger", None, None)


def test_containers_of_includes_init_containers_and_cronjobs():
    pod = {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]}
    assert [c["name"] for c in common.containers_of({"kind": "Deployment", "spec": {"template": {"spec": pod}}})] == ["i", "c"]
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}}
    assert len(common.containers_of(cron)) == 2
    assert common.containers_of({"kind": "Service", "spec": {}}) == []


def test_the_tools_come_from_the_check_venv():
    for name in ("hadolint", "shellcheck", "yamllint", "kubernetes-validate", "checkov", "kubectl"):
        assert Path(common.tool(name)).parent == Path(common.sys.executable).parent
