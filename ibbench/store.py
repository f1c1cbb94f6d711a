"""SQLite results store (stdlib ``sqlite3``, WAL mode): one row per benchmark cell, one per run.

Every finished cell is committed immediately, so a crash loses at most the cells that were running.
Readers (leaderboard, plots) can open the store while a run writes to it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Iterable

DEFAULT_STORE = "ibbench-results.sqlite"

#: Columns of the ``cells`` table, in order (name, SQL type).
CELL_COLUMNS: list[tuple[str, str]] = [
    ("key", "TEXT PRIMARY KEY"),
    ("run_id", "TEXT"),
    ("estimator", "TEXT"),
    ("estimator_label", "TEXT"),
    ("estimator_params", "TEXT"),
    ("estimator_version", "TEXT"),
    ("task", "TEXT"),
    ("task_label", "TEXT"),
    ("task_family", "TEXT"),
    ("task_params", "TEXT"),
    ("task_version", "TEXT"),
    ("n", "INTEGER"),
    ("seed", "INTEGER"),
    ("true_mi", "REAL"),
    ("estimate", "REAL"),
    ("seconds", "REAL"),
    ("status", "TEXT"),
    ("message", "TEXT"),
    ("started_at", "TEXT"),
    ("finished_at", "TEXT"),
    ("host", "TEXT"),
    ("cpu", "TEXT"),
    ("threads", "INTEGER"),
    ("peak_mem_mb", "REAL"),
    ("python", "TEXT"),
    ("numpy", "TEXT"),
    ("torch", "TEXT"),
    ("ibbench", "TEXT"),
    ("extra", "TEXT"),
]

RUN_COLUMNS: list[tuple[str, str]] = [
    ("id", "TEXT PRIMARY KEY"),
    ("command", "TEXT"),
    ("suite", "TEXT"),
    ("suite_version", "TEXT"),
    ("config", "TEXT"),
    ("versions", "TEXT"),
    ("started_at", "TEXT"),
    ("finished_at", "TEXT"),
    ("n_cells", "INTEGER"),
    ("n_run", "INTEGER"),
]

class StoreError(ValueError):
    """The results store cannot be opened or read (bad path, not an SQLite file, not an ibbench store)."""


STATUSES = ("ok", "error", "timeout", "skipped")
FAILED = ("error", "timeout")


class Store:
    """The results store at ``path`` (created on first use).

    Parameters
    ----------
    path : str or Path, default ``./ibbench-results.sqlite``
    """

    def __init__(self, path: str | Path = DEFAULT_STORE):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    # -- connection ---------------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=60.0)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                cols = ", ".join(f"{n} {t}" for n, t in CELL_COLUMNS)
                conn.execute(f"CREATE TABLE IF NOT EXISTS cells ({cols})")
                cols = ", ".join(f"{n} {t}" for n, t in RUN_COLUMNS)
                conn.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols})")
                conn.commit()
            except (sqlite3.DatabaseError, OSError) as exc:
                raise StoreError(f"cannot use {self.path} as a results store: {exc}") from exc
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "Store":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- cells --------------------------------------------------------------------------------
    def statuses(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """``{key: status}`` of stored cells (all, or those among ``keys``)."""
        conn = self.connect()
        rows = conn.execute("SELECT key, status FROM cells").fetchall()
        if keys is None:
            return dict(rows)
        wanted = set(keys)
        return {k: s for k, s in rows if k in wanted}

    def write_cell(self, row: dict[str, Any]) -> None:
        """Insert or replace one cell row and commit at once."""
        conn = self.connect()
        names = [n for n, _ in CELL_COLUMNS]
        values = [_sql_value(row.get(n)) for n in names]
        conn.execute(f"INSERT OR REPLACE INTO cells ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
        conn.commit()

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, run: dict[str, Any]) -> None:
        conn = self.connect()
        names = [n for n, _ in RUN_COLUMNS]
        conn.execute(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                     [_sql_value(run.get(n)) for n in names])
        conn.commit()

    def finish_run(self, run_id: str, finished_at: str, n_run: int) -> None:
        conn = self.connect()
        conn.execute("UPDATE runs SET finished_at = ?, n_run = ? WHERE id = ?", (finished_at, n_run, run_id))
        conn.commit()

    def runs(self):
        """The ``runs`` table as a DataFrame (oldest first)."""
        import pandas as pd

        return _read_sql(self.path, "SELECT * FROM runs ORDER BY started_at")


def _sql_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return value


def _reader(path: Path) -> sqlite3.Connection:
    if not Path(path).exists():
        raise FileNotFoundError(f"no results store at {path}; run `ibbench run` first or pass --store")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)


def _read_sql(path: Path, query: str):
    """``pandas.read_sql_query`` on a read-only connection; unreadable stores raise :class:`StoreError`."""
    import pandas as pd

    with closing(_reader(Path(path))) as conn:
        try:
            return pd.read_sql_query(query, conn)
        except (pd.errors.DatabaseError, sqlite3.DatabaseError) as exc:
            cause = exc.__cause__ or exc
            raise StoreError(f"cannot read the results store {path}: {cause} "
                             "(is it a store written by `ibbench run`?)") from exc


def load_results(store: str | Path = DEFAULT_STORE, *, expand_params: bool = True):
    """All stored cells as a long-format DataFrame, one row per cell.

    Parameters
    ----------
    store : path of the SQLite store
    expand_params : bool, default True
        Add one column per estimator parameter (``est.<name>``) and task parameter
        (``task.<name>``) next to the JSON columns.
    """
    import pandas as pd

    df = _read_sql(Path(store), "SELECT * FROM cells")
    if expand_params and len(df):
        for column, prefix in (("estimator_params", "est."), ("task_params", "task.")):
            expanded = pd.json_normalize([json.loads(s) if s else {} for s in df[column]], max_level=0)
            expanded = expanded.map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
            expanded.columns = [prefix + str(c) for c in expanded.columns]
            df = pd.concat([df, expanded.set_index(df.index)], axis=1)
    return df
