"""The store is never damaged or misread: export targets, awkward file names, foreign and read-only files.

* ``export`` never writes over the store (nor its -wal/-shm files, also through a symlink or a hard
  link) and replaces an existing file only if it is a previous export, unless ``--force``.
* Paths with ``%``, ``#``, ``?`` or spaces are read from the file named, not from another one.
* A foreign SQLite file with a ``cells`` table and a store that cannot be written give one error
  line (exit code 2) in ``run``, ``leaderboard`` and ``export``, and are left unchanged.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench.cli import app
from ibbench.store import Store, StoreError, export_results, is_export

RUN = ["run", "-e", "gaussian", "-t", "gaussian-dense:dim=1;mi=0.5", "--n", "60", "--seeds", "1", "--inline"]


def _store(path: Path, label: str = "a") -> Path:
    """A small store whose one cell carries ``label`` as its estimator label."""
    with Store(path) as st:
        st.write_cell(
            {
                "key": f"key-{label}",
                "run_id": "r",
                "estimator": "gaussian",
                "estimator_label": label,
                "estimator_params": "{}",
                "task": "gaussian-dense",
                "task_label": "t",
                "task_params": "{}",
                "n": 60,
                "seed": 0,
                "true_mi": 0.5,
                "estimate": 0.4,
                "status": "ok",
            }
        )
    return path


def _invoke(args: list[str]):
    result = CliRunner().invoke(app, [str(a) for a in args])
    lines = [line for line in result.output.splitlines() if line.strip()]
    return result, lines


def _one_error_line(result, lines, words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], result.output


def _cells(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0]


# -- export targets ---------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["store", "wal", "shm", "symlink", "hardlink", "relative"])
def test_export_never_writes_over_the_store(tmp_path, target, monkeypatch):
    store = _store(tmp_path / "s.sqlite")
    with sqlite3.connect(store) as conn:  # keep -wal and -shm files around while exporting
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("INSERT INTO meta (name, value) VALUES ('x', 'y')")
        out = {
            "store": store,
            "wal": Path(f"{store}-wal"),
            "shm": Path(f"{store}-shm"),
            "symlink": tmp_path / "link.csv",
            "hardlink": tmp_path / "hard.csv",
            "relative": Path("s.sqlite"),
        }[target]
        if target == "symlink":
            out.symlink_to(store)
        elif target == "hardlink":
            os.link(store, out)
        elif target == "relative":
            monkeypatch.chdir(tmp_path)
        before = store.read_bytes()
        for force in (False, True):  # never, not even with --force
            result, lines = _invoke(["export", "--store", store, "--out", out] + (["--force"] if force else []))
            _one_error_line(result, lines, "it is the results store")
            with pytest.raises(ValueError, match="it is the results store"):
                export_results(store, out, force=force)
    assert store.read_bytes() == before and _cells(store) == 1


def test_export_replaces_only_previous_exports_unless_forced(tmp_path):
    store = _store(tmp_path / "s.sqlite")
    other = tmp_path / "notes.csv"
    other.write_text("my,own\nnotes,here\n")
    result, lines = _invoke(["export", "--store", store, "--out", other])
    _one_error_line(result, lines, "exists and is not an ibbench export")
    with pytest.raises(FileExistsError, match="--force"):
        export_results(store, other)
    assert other.read_text() == "my,own\nnotes,here\n"
    result, _ = _invoke(["export", "--store", store, "--out", other, "--force"])
    assert result.exit_code == 0 and is_export(other)
    export_results(store, other)  # a previous export is replaced without --force
    assert is_export(other)
    empty = tmp_path / "empty.csv"
    empty.touch()  # an empty file holds nothing to lose
    export_results(store, empty)
    assert is_export(empty)
    assert not list(tmp_path.glob(".*partial"))  # no leftovers of the write-then-rename
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "r.parquet"
    export_results(store, parquet, format="parquet")
    assert is_export(parquet)
    export_results(store, parquet, format="parquet")


# -- awkward file names -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["r%41.sqlite", "r#1.sqlite", "r?x=1.sqlite", "my results.sqlite", "r%2541 #?.sqlite"])
def test_store_names_with_uri_characters_are_read_from_that_file(tmp_path, name):
    store = _store(tmp_path / name, label="right")
    _store(tmp_path / "rA.sqlite", label="wrong")  # where `r%41` used to lead
    _store(tmp_path / "r", label="wrong")  # where `r#1` and `r?x=1` used to lead
    assert list(ibbench.load_results(store)["estimator_label"]) == ["right"]
    assert list(Store(store).runs().columns)[:1] == ["id"]
    out = tmp_path / "out.csv"
    result, _ = _invoke(["export", "--store", store, "--out", out])
    assert result.exit_code == 0, result.output
    assert "right" in out.read_text() and "wrong" not in out.read_text()


# -- foreign and read-only files -------------------------------------------------------------------------
COMMANDS = {"run": RUN, "leaderboard": ["leaderboard", "--no-show"], "export": ["export"]}


def _args(command: str, store: Path, tmp_path: Path) -> list:
    out = {"run": [], "leaderboard": ["--out", tmp_path / "board"], "export": ["--out", tmp_path / "out.csv"]}
    return COMMANDS[command] + out[command] + ["--store", store]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_foreign_database_with_a_cells_table_is_refused_and_left_alone(tmp_path, command):
    path = tmp_path / "inventory.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE cells (id INTEGER PRIMARY KEY, battery TEXT, volts REAL)")
        conn.execute("INSERT INTO cells (battery, volts) VALUES ('AA', 1.5)")
    before = path.read_bytes()
    result, lines = _invoke(_args(command, path, tmp_path))
    _one_error_line(result, lines, "is not an ibbench results store")
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        assert [r[1] for r in conn.execute("PRAGMA table_info(cells)")] == ["id", "battery", "volts"]
    with pytest.raises(StoreError, match="not an ibbench results store"):
        Store(path).connect()


@pytest.fixture(params=["file", "folder"])
def read_only_store(request, tmp_path):
    """A store that cannot be written: its file, or the folder of a new one, made read-only.

    As root, permission bits do not stop writes; the immutable attribute (``chattr +i``) does.
    """
    folder = tmp_path / "locked"
    folder.mkdir()
    store = _store(folder / "s.sqlite") if request.param == "file" else folder / "new.sqlite"
    target = store if request.param == "file" else folder
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(target)], capture_output=True).returncode:
            pytest.skip("cannot make a file read-only for root here (no chattr +i)")
        yield request.param, store
        subprocess.run([chattr, "-i", str(target)], check=True)
    else:
        target.chmod(0o444 if request.param == "file" else 0o555)
        yield request.param, store
        target.chmod(0o755)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_read_only_store_gives_one_error_line(read_only_store, tmp_path, command):
    kind, store = read_only_store
    result, lines = _invoke(_args(command, store, tmp_path))
    if command == "run":
        _one_error_line(result, lines, "read-only" if kind == "file" else "writable")
        assert store.name in lines[0]
    elif kind == "file":  # reading a read-only store works
        assert result.exit_code == 0, result.output
    else:
        _one_error_line(result, lines, "no results store")
