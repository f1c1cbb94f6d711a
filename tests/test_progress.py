"""Progress of ``ibbench.run``: a rich bar on stderr when wanted, nothing otherwise, never in the returned data."""

from __future__ import annotations

import io
import sys
import types

import pytest
from rich.console import Console
from rich.text import Text

import ibbench
from ibbench.progress import RunProgress, in_notebook, progress_wanted

GRID = dict(estimators="gaussian,ksg", tasks="gaussian-dense:dim=1;mi=0.5", n=100, seeds=2, backend="inline")


def test_progress_false_prints_nothing(tmp_path, capsys):
    summary = ibbench.run(**GRID, store=tmp_path / "s.sqlite", progress=False)
    captured = capsys.readouterr()
    assert summary.statuses == {"ok": 4}
    assert captured.err == "" and captured.out == ""


def test_progress_true_draws_the_bar_on_stderr_only(tmp_path, capsys):
    summary = ibbench.run(**GRID, store=tmp_path / "s.sqlite", progress=True)
    captured = capsys.readouterr()
    assert summary.statuses == {"ok": 4}
    assert "4/4" in captured.err and captured.out == ""  # the final state of the bar, on stderr
    ibbench.run(**GRID, store=tmp_path / "s.sqlite", progress=True)  # resume: nothing to run
    assert "4 cell(s) already in" in capsys.readouterr().err


def test_auto_progress_is_off_under_pytest(tmp_path, capsys):
    assert not sys.stderr.isatty() and progress_wanted(None) is False
    ibbench.run(**GRID, store=tmp_path / "s.sqlite")  # progress=None: auto
    assert capsys.readouterr().err == ""


def test_auto_progress_follows_the_terminal_and_the_notebook(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress_wanted(None) is True
    assert progress_wanted(False) is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert progress_wanted(None) is False and progress_wanted(True) is True

    class Kernel:
        kernel = object()  # what a Jupyter kernel's shell has and a terminal IPython's lacks

    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: Kernel()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert in_notebook() and progress_wanted(None) is True
    fake.get_ipython = lambda: None  # type: ignore[attr-defined]
    assert not in_notebook() and progress_wanted(None) is False


def test_a_callback_still_replaces_the_bar(tmp_path, capsys):
    seen: list[tuple[int, int]] = []
    ibbench.run(**GRID, store=tmp_path / "s.sqlite", progress=lambda row, done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)] and capsys.readouterr().err == ""


def test_run_progress_on_a_terminal_shows_bar_and_failed_cells():
    text = io.StringIO()
    display = RunProgress(Console(file=text, force_terminal=True, width=120, emoji=False), store="s.sqlite")
    display.on_plan(2, 3)
    row = dict(estimator_label="ksg", task="categorical", task_label="categorical", n=100, seed=0)
    display.on_cell({**row, "status": "error", "message": "boom [red]\nsecond line"}, 1, 2)
    display.on_cell({**row, "status": "ok", "message": None}, 2, 2)
    display.stop()
    assert "\x1b[" in text.getvalue()  # drawn as on a terminal
    out = Text.from_ansi(text.getvalue()).plain
    assert "3 cell(s) already in s.sqlite" in out
    assert "error" in out and "ksg on categorical n=100 seed=0: boom [red]" in out and "second line" not in out
    assert "2/2" in out and display.failed == 1


@pytest.mark.parametrize("message", ["", "\n", None])
def test_run_progress_failed_cell_without_a_message(message):
    display = RunProgress(Console(file=io.StringIO(), force_terminal=True))
    row = dict(estimator_label="e", task="t", task_label="t", n=1, seed=0, status="timeout", message=message)
    display.on_cell(row, 1, 1)  # no on_plan: the bar is made on the first cell
    display.stop()
    assert display.failed == 1


def test_the_bar_shows_short_labels_of_wrappers_and_parameters():
    """The bar's 24 columns hold the short label (pca(nc=2)→ksg), not a cut full label."""
    from ibbench.progress import _bar_label

    row = {
        "estimator": "compressed-pca",
        "estimator_params": '{"estimator": "ksg", "n_components_x": 2, "n_components_y": 2}',
        "estimator_label": "compressed-pca(estimator=ksg, n_components_x=2, n_components_y=2)",
    }
    assert _bar_label(row) == "pca(nc=2)→ksg"
    assert _bar_label({**row, "estimator_params": "not json"}) == row["estimator_label"]
