from checks import kustomize
from conftest import FIXTURES, messages


def test_kubectl_kustomize_is_the_pinned_wheel():
    v = kustomize.version()
    assert "Client Version: v1.37.1" in v and "Kustomize Version: v5." in v


def test_renders_an_overlay_with_namespace_labels_images_and_a_strategic_merge_patch(tmp_path):
    f, objs = kustomize.render(FIXTURES / "kustomize/overlay", tmp_path / "out.yaml")
    assert f.problems == []
    assert (tmp_path / "out.yaml").read_text().startswith("apiVersion: apps/v1")
    [dep] = objs
    assert dep["metadata"]["namespace"] == "fixture-ns"
    assert dep["metadata"]["labels"] == {"app.kubernetes.io/part-of": "fixture"}
    [c] = dep["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "registry.example.org/cryoledger:1.2.3"
    assert c["env"] == [{"name": "LOG_LEVEL", "value": "debug"}, {"name": "EXTRA", "value": "1"}]


def test_a_broken_kustomization_is_a_problem(tmp_path):
    f, objs = kustomize.render(FIXTURES / "kustomize/broken", tmp_path / "out.yaml", "broken")
    assert objs == [] and "kubectl kustomize broken" in messages(f) and "missing.yaml" in messages(f)
