import importlib

from conftest import messages

runner = importlib.import_module("checks.__main__")


def test_no_collected_unit_test_is_a_failure(tmp_path, monkeypatch):
    # pytest exits 5 when it collects nothing: the run must fail, not pass silently.
    (tmp_path / "test_nothing.py").write_text("# no tests here\n")
    monkeypatch.setattr(runner, "TESTS", tmp_path)
    assert "collected no tests" in messages(runner.unit_tests())


def test_a_failing_unit_test_is_a_failure(tmp_path, monkeypatch):
    (tmp_path / "test_fails.py").write_text("def test_fails():\n    assert False\n")
    monkeypatch.setattr(runner, "TESTS", tmp_path)
    assert "pytest: exit 1" in messages(runner.unit_tests())


def test_a_step_that_crashes_fails_and_the_next_steps_still_run(tmp_path, capsys):
    run = runner.Run(tmp_path)
    run.step("crashes", lambda: 1 / 0)
    run.step("needs renderings", run.need_renderings)
    run.step("passes", lambda: runner.Findings("fine"))
    assert run.failed
    assert [r.split()[0] for r in run.results] == ["FAIL", "FAIL", "PASS"]
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "no rendering of staging, production" in out
