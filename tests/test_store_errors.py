"""A corrupt, foreign or unreachable results store gives one clear error line and exit code 2, no traceback."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench.cli import app
from ibbench.store import Store, StoreError


def _bad_store(kind, tmp_path):
    if kind == "garbage":
        path = tmp_path / "garbage.sqlite"
        path.write_bytes(b"this is not an SQLite file" * 100)
    elif kind == "empty-sqlite":  # a valid SQLite file of another program
        path = tmp_path / "other.sqlite"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x)")
        conn.close()
    else:
        blocker = tmp_path / "file"
        blocker.write_text("a file, not a folder")
        path = blocker / "store.sqlite"
    return path


RUN = ["run", "-e", "gaussian", "-t", "categorical", "--n", "50", "--seeds", "1", "--inline"]
COMMANDS = [RUN, ["leaderboard", "--no-show"], ["plot", "--kind", "curves"], ["export"]]
# a foreign SQLite file is not an error for `run` (test_run_adds_its_tables_to_a_foreign_sqlite_file)
CASES = [
    pytest.param(kind, command, id=f"{kind}-{command[0]}")
    for kind in ("garbage", "empty-sqlite", "bad-path")
    for command in COMMANDS
    if not (kind == "empty-sqlite" and command[0] == "run")
]


@pytest.mark.parametrize("kind,command", CASES)
def test_cli_store_errors_are_one_clear_line(kind, command, tmp_path):
    path = _bad_store(kind, tmp_path)
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


def test_run_adds_its_tables_to_a_foreign_sqlite_file(tmp_path):
    """A valid SQLite file of another program is not an error for ``run``: ibbench adds its own
    tables beside the foreign ones and leaves those (and their rows) untouched."""
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (42)")
    conn.close()
    result = CliRunner().invoke(app, RUN + ["--store", str(path)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("SELECT x FROM t").fetchall() == [(42,)]
    conn.close()
    assert {"t", "cells", "runs"} <= tables
    cells = ibbench.load_results(path)
    assert list(zip(cells["estimator"], cells["task"], cells["status"])) == [("gaussian", "categorical", "ok")]
