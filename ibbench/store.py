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

from ibbench.identity import KEY_SCHEME

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
    ("cache_hit", "INTEGER"),
    ("cold_seconds", "REAL"),
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
    ("task_role", "TEXT"),
    ("identity", "TEXT"),
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
                _add_missing_columns(conn, "cells", CELL_COLUMNS)
                conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
                if conn.execute("SELECT 1 FROM cells WHERE identity IS NULL LIMIT 1").fetchone() is None:
                    # nothing to migrate (a new store): it is written under the current key scheme
                    conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('key_scheme', ?)", (str(KEY_SCHEME),))
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


def _add_missing_columns(conn: sqlite3.Connection, table: str, columns: list[tuple[str, str]]) -> None:
    """Schema upgrade of a store written by an older ibbench: add the columns it lacks (NULL in old rows)."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    for name, sql_type in columns:
        if name not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type.replace(' PRIMARY KEY', '')}")


def _sql_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return value


def _reader(path: Path) -> sqlite3.Connection:
    if not Path(path).exists():
        raise FileNotFoundError(f"no results store at {path}; run `ibbench run` first or pass --store")
    if not Path(path).is_file():
        raise StoreError(f"cannot read the results store {path}: it is not a file (a directory?)")
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the results store {path}: {exc}") from exc


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


#: formats of :func:`export_results`
EXPORT_FORMATS = ("csv", "parquet")


def exportable(df):
    """``df`` with every mixed-type column turned into text, so that it can be written to Parquet.

    Parquet columns hold one type. An expanded parameter column can mix types across estimators or
    sweep points (``est.discrete_x`` = ``"auto"`` for one cell and ``True`` for another); such a
    column is written as text: strings unchanged, other values as JSON (``True`` → ``"true"``,
    ``3`` → ``"3"``), missing values stay missing. Single-type columns are left alone.
    """
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype != object:
            continue
        kinds = {type(v) for v in values if v is not None and not (isinstance(v, float) and v != v)}
        if len(kinds) > 1:
            out[column] = [None if v is None or (isinstance(v, float) and v != v) else
                           v if isinstance(v, str) else json.dumps(v) for v in values]
    return out


def export_results(store: str | Path = DEFAULT_STORE, out: str | Path | None = None, *, format: str = "csv"):
    """Write every stored cell (long format, parameters expanded: :func:`load_results`) to a file.

    Parameters
    ----------
    store : path of the SQLite store
    out : output path; default ``results.<format>``
    format : {"csv", "parquet"}
        Parquet needs ``pyarrow``. Mixed-type parameter columns are written as text in both formats
        (:func:`exportable`), so the two files hold the same values.

    Returns
    -------
    (path, DataFrame) : the file written and the table written to it.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise ImportError("parquet export needs pyarrow: pip install pyarrow") from exc
    df = exportable(load_results(store))
    path = Path(out) if out is not None else Path(f"results.{format}")
    try:
        if format == "csv":
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path, df
