from checks import yaml_lint
from conftest import FIXTURES, messages


def test_good_yaml_passes():
    assert yaml_lint.yamllint([FIXTURES / "yaml/good.yaml"]).problems == []


def test_bad_yaml_fails_with_the_rule_names():
    out = messages(yaml_lint.yamllint([FIXTURES / "yaml/bad.yaml"]))
    assert "(indentation)" in out and "(trailing-spaces)" in out and "(key-duplicates)" in out


def test_strict_mode_fails_on_warnings(tmp_path):
    # comments-indentation is a warning in yamllint's default configuration: --strict makes it fail.
    warn = tmp_path / "warn.yaml"
    warn.write_text("a:\n  b: 1\n    # misplaced\nc: 2\n")
    out = messages(yaml_lint.yamllint([warn]))
    assert "[warning]" in out


def test_long_lines_up_to_160_are_accepted(tmp_path):
    ok, long = tmp_path / "ok.yaml", tmp_path / "long.yaml"
    ok.write_text("a: " + "x" * 157 + "\n")
    long.write_text("a: " + "x" * 158 + "\n")
    assert yaml_lint.yamllint([ok]).problems == []
    assert "(line-length)" in messages(yaml_lint.yamllint([long]))
