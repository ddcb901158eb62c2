import yaml

from checks import scanner
from conftest import FIXTURES, messages


def test_good_manifests_and_dockerfile_pass(repo):
    f = scanner.checkov([repo / "deploy/container/Dockerfile", FIXTURES / "rendered-staging.yaml"])
    assert f.problems == []
    assert any("Failed checks: 0" in n for n in f.notes)


def test_a_privileged_container_fails_and_the_skip_list_is_applied(tmp_path, rendered):
    dep = next(o for o in rendered if o["kind"] == "Deployment")
    dep["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump_all(rendered))
    out = messages(scanner.checkov([bad]))
    assert "CKV_K8S_16" in out                                  # privileged
    assert "CKV_K8S_43" not in out and "CKV_K8S_35" not in out  # suppressed
    assert "CKV_K8S_43" in messages(scanner.checkov([bad], skip=()))
