"""``ibbench leaderboard`` writes a whole folder in one go (md, csv, json, html, plots), named after the suite
or, failing one suite, after the store, so two stores never write into the same folder."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench.cli import app

runner = CliRunner()
TASKS = "gaussian-dense:dim=1;mi=0.5,gaussian-dense:dim=1;mi=1.0,categorical:n_symbols=4;flip=0.2"
TABLES = ("leaderboard.md", "leaderboard.csv", "leaderboard_by_family.csv", "groups.csv", "leaderboard.json")


def _store(path: Path, estimators: str = "gaussian,ksg", n: int | list[int] = 200) -> Path:
    ibbench.run(estimators=estimators, tasks=TASKS, n=n, seeds=2, store=path, backend="inline", progress=False)
    return path


def _set_suite(store: Path, suite: str | None) -> None:
    """Record the store's runs as runs of ``suite`` (running a real suite would take minutes)."""
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE runs SET suite = ?", (suite,))


def _leaderboard(*args: str) -> None:
    result = runner.invoke(app, ["leaderboard", "--no-show", *args])
    assert result.exit_code == 0, result.output


def _embedded_images(page: Path) -> int:
    return page.read_text().count('src="data:image/png;base64,')


def _page_text(page: Path) -> str:
    """The page without its embedded images (base64 text contains any short word by chance)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page.read_text())


def _png() -> bytes:
    """A valid 1x1 PNG (the page embeds any PNG of plots/)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(0.1, 0.1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_two_stores_without_a_suite_get_two_folders(in_tmp):
    _store(in_tmp / "first.sqlite")
    _store(in_tmp / "second.sqlite", estimators="gaussian")
    _leaderboard("--store", "first.sqlite", "--no-plots", "--format", "md")
    _leaderboard("--store", "second.sqlite", "--no-plots", "--format", "md")
    first = (in_tmp / "leaderboards" / "first" / "leaderboard.md").read_text()
    second = (in_tmp / "leaderboards" / "second" / "leaderboard.md").read_text()
    assert "ksg" in first and "ksg" not in second
    assert not (in_tmp / "leaderboards" / "custom").exists()


def test_a_store_of_one_suite_is_named_after_it_and_a_mixed_one_after_its_file(in_tmp):
    store = _store(in_tmp / "mine.sqlite")
    _set_suite(store, "my-suite")
    _leaderboard("--store", str(store), "--no-plots", "--format", "csv")
    assert (in_tmp / "leaderboards" / "my-suite" / "leaderboard.csv").is_file()
    ibbench.run(estimators="gaussian", tasks="categorical", n=100, seeds=1, store=store, backend="inline")
    # runs of my-suite and a run without a suite: the file's stem
    _leaderboard("--store", str(store), "--no-plots", "--format", "csv")
    assert (in_tmp / "leaderboards" / "mine" / "leaderboard.csv").is_file()
    _leaderboard("--store", str(store), "--no-plots", "--format", "csv", "--out", "elsewhere")
    assert (in_tmp / "elsewhere" / "leaderboard.csv").is_file()


def test_every_format_and_the_plots_are_written_together(in_tmp):
    store = _store(in_tmp / "s.sqlite", n=[100, 300])
    folder = in_tmp / "leaderboards" / "s"
    (folder / "plots").mkdir(parents=True)
    (folder / "plots" / "curves_gone-family.png").write_bytes(b"stale")  # a family the store no longer has
    (folder / "plots" / "info-plane-extra.png").write_bytes(_png())  # drawn by `ibbench plot`: kept
    _leaderboard("--store", str(store))
    for name in TABLES:
        assert (folder / name).stat().st_size > 100, name
    plots = sorted(p.name for p in (folder / "plots").glob("*.png"))
    assert plots == [
        "calibration.png",  # gaussian's analytic intervals (ibbench.report.coverage)
        "convergence_discrete.png",
        "convergence_gaussian.png",
        "curves_discrete.png",
        "curves_gaussian.png",
        "info-plane-extra.png",
        "runtime.png",
    ]
    page = folder / "leaderboard.html"
    cd_diagrams = list(folder.glob("cd-*.png"))
    assert _embedded_images(page) == len(plots) + len(cd_diagrams)  # every plot of the folder, each once
    for name in plots:
        assert name in page.read_text(), name
    assert json.loads((folder / "leaderboard.json").read_text())["status_counts"] == {"ok": 24}


def test_a_second_leaderboard_refreshes_every_file(in_tmp):
    store = _store(in_tmp / "s.sqlite", estimators="gaussian")
    folder = in_tmp / "leaderboards" / "s"
    _leaderboard("--store", str(store))
    assert "ksg" not in _page_text(folder / "leaderboard.html")
    runtime = (folder / "plots" / "runtime.png").read_bytes()
    _store(store, estimators="ksg")
    _leaderboard("--store", str(store))
    for name in (*TABLES, "leaderboard.html"):
        assert "ksg" in _page_text(folder / name), name
    assert (folder / "plots" / "runtime.png").read_bytes() != runtime  # redrawn with ksg's runtimes


def test_no_plots_draws_none(in_tmp):
    store = _store(in_tmp / "s.sqlite")
    _leaderboard("--store", str(store), "--no-plots", "--out", "board")
    assert not (in_tmp / "board" / "plots").exists()
    assert (in_tmp / "board" / "leaderboard.html").is_file() and (in_tmp / "board" / "leaderboard.md").is_file()
    assert "curves_" not in (in_tmp / "board" / "leaderboard.html").read_text()
