"""The ibbench command line end to end (typer's CliRunner, in a temporary directory)."""

import json

import pytest
from typer.testing import CliRunner

from ibbench.cli import app

runner = CliRunner()


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_list_commands():
    for what, expect in (("estimators", "ksg"), ("tasks", "gaussian-dense"), ("suites", "quick")):
        result = runner.invoke(app, ["list", what])
        assert result.exit_code == 0, result.output
        assert expect in result.output
    assert runner.invoke(app, ["list", "nonsense"]).exit_code == 2


def test_run_leaderboard_export_and_resume(in_tmp):
    args = ["run", "-e", "ksg,gaussian", "-t", "gaussian-dense:dim=1;mi=0.5", "--n", "300", "--seeds", "2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "ok: 4" in first.output
    again = runner.invoke(app, args)
    assert "4 cell(s) already" in again.output and "nothing to do" in again.output
    board = runner.invoke(app, ["leaderboard", "--format", "md,csv,json", "--out", "lb"])
    assert board.exit_code == 0, board.output
    md = (in_tmp / "lb" / "leaderboard.md").read_text()
    assert "| 1 |" in md and "ksg" in md and "gaussian" in md
    payload = json.loads((in_tmp / "lb" / "leaderboard.json").read_text())
    assert {r["estimator_label"] for r in payload["overall"]} == {"ksg", "gaussian"}
    assert runner.invoke(app, ["export", "--out", "cells.csv"]).exit_code == 0
    assert len((in_tmp / "cells.csv").read_text().strip().splitlines()) == 5  # header + 4 cells


def test_run_needs_a_selection_and_reports_unknown_names(in_tmp):
    assert runner.invoke(app, ["run", "-e", "ksg"]).exit_code == 2
    result = runner.invoke(app, ["run", "-e", "nope", "-t", "categorical"])
    assert result.exit_code == 2 and "unknown estimator" in result.output


def test_leaderboard_without_store_fails_clearly(in_tmp):
    result = runner.invoke(app, ["leaderboard", "--store", "missing.sqlite"])
    assert result.exit_code == 2 and "no results store" in result.output


def test_check_command_on_the_template_and_on_a_broken_estimator(in_tmp):
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "examples" / "my_estimator.py"
    (in_tmp / "my_estimator.py").write_text(template.read_text())
    ok = runner.invoke(app, ["check", "my_estimator:HistogramMI"])
    assert ok.exit_code == 0, ok.output
    (in_tmp / "broken.py").write_text(
        "from ibbench import MIEstimator\n"
        "class Broken(MIEstimator):\n"
        "    version = '1'\n"
        "    def fit(self, X, Y):\n"
        "        self.mutual_info_ = 0.0\n"
        "        return self\n"
    )
    bad = runner.invoke(app, ["check", "broken:Broken"])
    assert bad.exit_code == 1 and "FAIL" in bad.output
