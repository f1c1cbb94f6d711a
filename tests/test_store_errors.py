"""A corrupt, foreign or unreachable results store gives one clear error line and exit code 2, no traceback."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench.cli import app
from ibbench.store import Store, StoreError


@pytest.fixture(params=["garbage", "empty-sqlite", "bad-path"])
def bad_store(request, tmp_path):
    if request.param == "garbage":
        path = tmp_path / "garbage.sqlite"
        path.write_bytes(b"this is not an SQLite file" * 100)
    elif request.param == "empty-sqlite":  # a valid SQLite file of another program
        path = tmp_path / "other.sqlite"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x)")
    else:
        blocker = tmp_path / "file"
        blocker.write_text("a file, not a folder")
        path = blocker / "store.sqlite"
    return request.param, path


@pytest.mark.parametrize("command", [
    ["run", "-e", "gaussian", "-t", "categorical", "--n", "50", "--seeds", "1", "--inline"],
    ["leaderboard", "--no-show"],
    ["plot", "--kind", "curves"],
    ["export"],
])
def test_cli_store_errors_are_one_clear_line(bad_store, command, tmp_path):
    kind, path = bad_store
    if kind == "empty-sqlite" and command[0] == "run":
        pytest.skip("a foreign SQLite file gets ibbench's tables added; that is fine")
    extra = ["--out", str(tmp_path / "out")] if command[0] in ("leaderboard", "plot") else []
    if command[0] == "export":
        extra = ["--out", str(tmp_path / "out.csv")]
    result = CliRunner().invoke(app, command + extra + ["--store", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "error:" in result.output
    assert str(path.name) in result.output or "no results store" in result.output


def test_library_raises_store_error(tmp_path):
    path = tmp_path / "garbage.sqlite"
    path.write_bytes(b"x" * 4096)
    with pytest.raises(StoreError, match="cannot read the results store"):
        ibbench.load_results(path)
    with pytest.raises(StoreError, match="cannot use"):
        Store(path).statuses()
    assert issubclass(StoreError, ValueError)
