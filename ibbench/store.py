"""SQLite results store (stdlib ``sqlite3``, WAL mode): one row per benchmark cell, one per run.

Every finished cell is committed immediately, so a crash loses at most the cells that were running.
Readers (leaderboard, plots) can open the store while a run writes to it.

Concurrent runs on one store cooperate through the ``claims`` table: a run claims the cells it is
about to compute in one transaction (:meth:`Store.claim`), refreshes its claims' heartbeat from a
background thread (:meth:`Store.keep_claims`) and releases each claim with the cell's row. A claim
whose owner is gone (no heartbeat for :data:`CLAIM_LEASE` seconds, or on this host a dead process)
is taken over. Hosts sharing a store are assumed to agree on the time within a few seconds. An
``ok`` row is never replaced by a row of another status (:meth:`Store.write_cell`).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ibbench.identity import KEY_SCHEME

if TYPE_CHECKING:
    import pandas as pd

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
    ("true_mi_stderr", "REAL"),  # Monte Carlo standard error of true_mi (NULL/0: exact truth)
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

CLAIM_COLUMNS: list[tuple[str, str]] = [
    ("key", "TEXT PRIMARY KEY"),
    ("run_id", "TEXT"),
    ("pid", "INTEGER"),
    ("host", "TEXT"),
    ("heartbeat", "REAL"),  # unix time of the owner's last heartbeat
    ("claimed_at", "TEXT"),
]

#: Columns of the ``study_rows`` table: one finished unit of work of a study (:mod:`ibbench.studies`),
#: keyed by the sha256 of its identity (every version that can change the result); ``value`` is JSON.
STUDY_ROW_COLUMNS: list[tuple[str, str]] = [
    ("key", "TEXT PRIMARY KEY"),
    ("study", "TEXT"),
    ("identity", "TEXT"),
    ("value", "TEXT"),
    ("written_at", "TEXT"),
]

#: seconds a claim stays valid without a heartbeat; then its owner is presumed dead and it is taken over
CLAIM_LEASE = 60.0
#: seconds between two heartbeats of a run's claims
HEARTBEAT_INTERVAL = 5.0
#: seconds between two looks at the cells a run waits for (claimed by another run)
CLAIM_POLL = 1.0

#: Columns each table of an ibbench store has had since the first release. A table of that name
#: without them belongs to another program: the file is not an ibbench store and is left untouched.
REQUIRED_COLUMNS: dict[str, list[str]] = {
    "cells": [
        "key",
        "run_id",
        "estimator",
        "estimator_label",
        "estimator_params",
        "estimator_version",
        "task",
        "task_label",
        "task_family",
        "task_params",
        "task_version",
        "n",
        "seed",
        "true_mi",
        "estimate",
        "seconds",
        "status",
        "message",
    ],
    "runs": [n for n, _ in RUN_COLUMNS],
    "meta": ["name", "value"],
    "claims": [n for n, _ in CLAIM_COLUMNS],
    "study_rows": [n for n, _ in STUDY_ROW_COLUMNS],
}


class StoreError(ValueError):
    """The results store cannot be opened, read or written (bad path, read-only, not an ibbench store)."""


class ClaimPlan(NamedTuple):
    """What :meth:`Store.claim` did with each requested key."""

    claimed: list[str]  # claimed by this run now: compute them
    done: list[str]  # a finished row is stored: skip them
    elsewhere: dict[str, str]  # claimed by another live run: key -> that run's id


STATUSES = ("ok", "error", "timeout", "skipped")
FAILED = ("error", "timeout")


class Store:
    """The results store at ``path`` (created on first use).

    Parameters
    ----------
    path : str or Path, default ``./ibbench-results.sqlite``
    """

    def __init__(self, path: str | Path = DEFAULT_STORE) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._heartbeat: tuple[threading.Thread, threading.Event] | None = None

    # -- connection ---------------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=60.0)
                check_tables(conn, self.path)  # before changing anything: never alter another program's tables
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                cols = ", ".join(f"{n} {t}" for n, t in CELL_COLUMNS)
                conn.execute(f"CREATE TABLE IF NOT EXISTS cells ({cols})")
                _add_missing_columns(conn, "cells", CELL_COLUMNS)
                conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
                if conn.execute("SELECT 1 FROM cells WHERE identity IS NULL LIMIT 1").fetchone() is None:
                    # nothing to migrate (a new store): it is written under the current key scheme
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_scheme', ?)", (str(KEY_SCHEME),)
                    )
                cols = ", ".join(f"{n} {t}" for n, t in RUN_COLUMNS)
                conn.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols})")
                cols = ", ".join(f"{n} {t}" for n, t in CLAIM_COLUMNS)
                conn.execute(f"CREATE TABLE IF NOT EXISTS claims ({cols})")
                conn.commit()
                conn.execute("BEGIN IMMEDIATE")  # takes the write lock: a read-only file or folder fails here
                conn.execute("COMMIT")
            except (sqlite3.Error, OSError, StoreError) as exc:
                if conn is not None:
                    conn.close()
                if isinstance(exc, StoreError):
                    raise
                raise StoreError(f"cannot use {self.path} as a results store: {exc}{_hint(exc)}") from exc
            self._conn = conn
        return self._conn

    @contextmanager
    def _writing(self, verb: str = "write to") -> Iterator[None]:
        """Turn an SQLite error (read-only, locked, disk full) into a :class:`StoreError`."""
        try:
            yield
        except sqlite3.Error as exc:
            if self._conn is not None and self._conn.in_transaction:
                self._conn.rollback()
            raise StoreError(f"cannot {verb} the results store {self.path}: {exc}{_hint(exc)}") from exc

    def close(self) -> None:
        self._stop_heartbeat()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cells --------------------------------------------------------------------------------
    def statuses(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """``{key: status}`` of stored cells (all, or those among ``keys``)."""
        conn = self.connect()
        with self._writing("read"):
            rows = conn.execute("SELECT key, status FROM cells").fetchall()
        if keys is None:
            return dict(rows)
        wanted = set(keys)
        return {k: s for k, s in rows if k in wanted}

    def write_cell(self, row: dict[str, Any]) -> bool:
        """Store one cell row, release the claim of the row's run on it, and commit at once.

        An ``ok`` row is never replaced by a row of another status (a later ``timeout`` or ``error``
        of a concurrent run cannot overwrite a finished result). Returns False when the stored
        ``ok`` row was kept instead of ``row``.
        """
        conn = self.connect()
        names = [n for n, _ in CELL_COLUMNS]
        values = [_sql_value(row.get(n)) for n in names]
        update = ", ".join(f"{n} = excluded.{n}" for n in names if n != "key")
        with self._writing():
            cursor = conn.execute(
                f"INSERT INTO cells ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT(key) DO UPDATE SET {update} WHERE excluded.status = 'ok' OR cells.status IS NOT 'ok'",
                values,
            )
            stored = cursor.rowcount > 0
            conn.execute("DELETE FROM claims WHERE key = ? AND run_id = ?", (row.get("key"), row.get("run_id")))
            conn.commit()
        return stored

    # -- claims -------------------------------------------------------------------------------
    def claim(
        self, keys: Iterable[str], run_id: str, *, retry: Iterable[str] = (), final_runs: Iterable[str] = ()
    ) -> ClaimPlan:
        """Claim for ``run_id``, in one transaction, each cell among ``keys`` that is neither finished nor claimed.

        A cell is finished if it has a row whose status is not in ``retry`` (e.g. ``FAILED`` to rerun
        failed cells) or that was written by one of ``final_runs`` (the runs whose claims a caller
        waited for: their fresh results are final). A claim of another run counts while its owner
        is alive (:data:`CLAIM_LEASE`; on this host also ``os.kill(pid, 0)``); a stale one is
        taken over. Claims carry this process's pid and host; see :meth:`keep_claims`.
        """
        conn = self.connect()
        keys = list(dict.fromkeys(keys))
        retry, final_runs = set(retry), set(final_runs)
        plan = ClaimPlan([], [], {})
        with self._writing():
            conn.execute("BEGIN IMMEDIATE")  # reads and claims under the write lock: no other run interleaves
            try:
                rows = {k: (s, r) for k, s, r in _select_keys(conn, "SELECT key, status, run_id FROM cells", keys)}
                claims = {
                    k: rest
                    for k, *rest in _select_keys(conn, "SELECT key, run_id, pid, host, heartbeat FROM claims", keys)
                }
                now = time.time()
                for key in keys:
                    status, row_run = rows.get(key, (None, None))
                    owner = claims.get(key)
                    if key in rows and (status not in retry or row_run in final_runs):
                        plan.done.append(key)
                    elif owner is not None and owner[0] != run_id and _claim_alive(owner[1], owner[2], owner[3], now):
                        plan.elsewhere[key] = owner[0]
                    else:
                        plan.claimed.append(key)
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now))
                conn.executemany(
                    "INSERT OR REPLACE INTO claims (key, run_id, pid, host, heartbeat, claimed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(k, run_id, os.getpid(), socket.gethostname(), now, stamp) for k in plan.claimed],
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
        return plan

    def keep_claims(self, run_id: str, interval: float | None = None) -> None:
        """Refresh the heartbeat of ``run_id``'s claims every ``interval`` seconds (default
        :data:`HEARTBEAT_INTERVAL`) from a daemon thread, until :meth:`release_claims` or :meth:`close`."""
        self._stop_heartbeat()
        stop = threading.Event()
        thread = threading.Thread(
            target=_heartbeat,
            args=(self.path, run_id, stop, interval or HEARTBEAT_INTERVAL),
            name=f"ibbench-heartbeat-{run_id}",
            daemon=True,
        )
        thread.start()
        self._heartbeat = (thread, stop)

    def release_claims(self, run_id: str) -> None:
        """Stop the heartbeat and drop every claim ``run_id`` still holds (best effort: a claim that
        cannot be dropped expires with its owner)."""
        self._stop_heartbeat()
        try:
            conn = self.connect()
            conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))
            conn.commit()
        except (sqlite3.Error, StoreError):
            pass

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            thread, stop = self._heartbeat
            stop.set()
            thread.join(timeout=5.0)
            self._heartbeat = None

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, run: dict[str, Any]) -> None:
        conn = self.connect()
        names = [n for n, _ in RUN_COLUMNS]
        with self._writing():
            conn.execute(
                f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [_sql_value(run.get(n)) for n in names],
            )
            conn.commit()

    def finish_run(self, run_id: str, finished_at: str, n_run: int) -> None:
        conn = self.connect()
        with self._writing():
            conn.execute("UPDATE runs SET finished_at = ?, n_run = ? WHERE id = ?", (finished_at, n_run, run_id))
            conn.commit()

    def runs(self) -> pd.DataFrame:
        """The ``runs`` table as a DataFrame (oldest first)."""

        return _read_sql(self.path, "SELECT * FROM runs ORDER BY started_at")


def _add_missing_columns(conn: sqlite3.Connection, table: str, columns: list[tuple[str, str]]) -> None:
    """Schema upgrade of a store written by an older ibbench: add the columns it lacks (NULL in old rows)."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    for name, sql_type in columns:
        if name not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type.replace(' PRIMARY KEY', '')}")


def check_tables(conn: sqlite3.Connection, path: str | Path) -> None:
    """Raise :class:`StoreError` if ``conn`` has a table named like one of a store's without its columns
    (:data:`REQUIRED_COLUMNS`): the file is another program's database."""
    for table, required in REQUIRED_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        missing = [c for c in required if c not in have]
        if have and missing:
            raise StoreError(
                f"{path} is not an ibbench results store: its table {table!r} has other columns "
                f"(no {', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}); "
                "give another --store"
            )


def _hint(exc: Exception) -> str:
    """A hint for the SQLite errors a user can fix."""
    text = str(exc)
    if "readonly" in text:
        return " (is the file or its folder read-only?)"
    if "unable to open" in text:
        return " (does its folder exist and is it writable?)"
    return ""


def _select_keys(conn: sqlite3.Connection, query: str, keys: list[str]) -> list[tuple[Any, ...]]:
    """Rows of ``query WHERE key IN keys``, in chunks (SQLite limits the number of parameters)."""
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows += conn.execute(f"{query} WHERE key IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
    return rows


def _claim_alive(pid: int | None, host: str | None, heartbeat: float | None, now: float) -> bool:
    """True while a claim's owner is presumed running: a heartbeat within the lease and, on this host, a live pid."""
    if heartbeat is None or now - heartbeat > CLAIM_LEASE:
        return False
    if host == socket.gethostname() and pid:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a live process of another user
            pass
    return True


def _heartbeat(path: Path, run_id: str, stop: threading.Event, interval: float) -> None:
    """Body of the heartbeat thread: refresh ``run_id``'s claims until ``stop`` is set (own connection)."""
    try:
        conn = sqlite3.connect(path, timeout=interval)
    except sqlite3.Error:
        return
    with closing(conn):
        while not stop.wait(interval):
            try:
                with conn:
                    conn.execute("UPDATE claims SET heartbeat = ? WHERE run_id = ?", (time.time(), run_id))
            except sqlite3.Error:
                pass  # busy: the next beat retries (the lease spans many beats)


def _sql_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return value


def _reader(path: Path) -> sqlite3.Connection:
    if not Path(path).exists():
        raise FileNotFoundError(f"no results store at {path}; run `ibbench run` first or pass --store")
    if not Path(path).is_file():
        raise StoreError(f"cannot read the results store {path}: it is not a file (a directory?)")
    try:  # as_uri() escapes the characters a URI gives a meaning (%, #, ?, spaces)
        return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=60.0)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the results store {path}: {exc}") from exc


def _read_sql(path: Path, query: str) -> pd.DataFrame:
    """``pandas.read_sql_query`` on a read-only connection; unreadable stores raise :class:`StoreError`."""
    import pandas as pd

    with closing(_reader(Path(path))) as conn:
        try:
            check_tables(conn, path)
            return pd.read_sql_query(query, conn)
        except (pd.errors.DatabaseError, sqlite3.DatabaseError) as exc:
            cause = exc.__cause__ or exc
            raise StoreError(
                f"cannot read the results store {path}: {cause} (is it a store written by `ibbench run`?)"
            ) from exc


def load_results(store: str | Path = DEFAULT_STORE, *, expand_params: bool = True) -> pd.DataFrame:
    """All stored cells as a long-format DataFrame, one row per cell.

    Parameters
    ----------
    store : str or Path
        Path of the SQLite store.
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


def write_study_row(store: str | Path, key: str, study: str, identity: dict[str, Any], value: Any) -> None:
    """Store one finished unit of a study in the ``study_rows`` table of ``store`` (committed at once).

    ``key`` is the unit's identity key (:func:`ibbench.identity.identity_key` of ``identity``);
    ``value`` is stored as JSON. A row with the same key is replaced (a unit is deterministic, so a
    concurrent study that computed it too wrote the same value).
    """
    with Store(store) as s:
        conn = s.connect()
        with s._writing():
            cols = ", ".join(f"{n} {t}" for n, t in STUDY_ROW_COLUMNS)
            conn.execute(f"CREATE TABLE IF NOT EXISTS study_rows ({cols})")
            conn.execute(
                "INSERT OR REPLACE INTO study_rows (key, study, identity, value, written_at) VALUES (?, ?, ?, ?, ?)",
                (
                    key,
                    study,
                    json.dumps(identity, sort_keys=True),
                    json.dumps(value),
                    time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                ),
            )
            conn.commit()


def read_study_rows(store: str | Path, keys: Iterable[str]) -> dict[str, Any]:
    """``{key: value}`` of the stored study units among ``keys`` (read-only; a missing store or a
    store without study results gives ``{}``)."""
    keys = list(dict.fromkeys(keys))
    if not Path(store).exists() or not keys:
        return {}
    with closing(_reader(Path(store))) as conn:
        try:
            check_tables(conn, store)
            if (
                conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'study_rows'").fetchone()
                is None
            ):
                return {}
            rows = _select_keys(conn, "SELECT key, value FROM study_rows", keys)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read the results store {store}: {exc}") from exc
    return {key: json.loads(value) for key, value in rows}


#: formats of :func:`export_results`
EXPORT_FORMATS = ("csv", "parquet")


def exportable(df: pd.DataFrame) -> pd.DataFrame:
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
            out[column] = [
                None if v is None or (isinstance(v, float) and v != v) else v if isinstance(v, str) else json.dumps(v)
                for v in values
            ]
    return out


def is_export(path: str | Path) -> bool:
    """True if ``path`` is an empty file or one :func:`export_results` wrote: a CSV whose header starts
    with ``key,run_id,`` or a Parquet file with ``key`` and ``run_id`` columns."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    if head == b"" or head.startswith(b"key,run_id,"):
        return True
    if head.startswith(b"PAR1"):
        try:
            import pyarrow.parquet as pq

            return {"key", "run_id"} <= set(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001 - no pyarrow or not readable: not recognised
            return False
    return False


def _check_export_target(store: Path, path: Path, force: bool) -> None:
    """Refuse an export over the store or its -wal/-shm/-journal files (even with ``force``, also
    through symlinks and hard links), and over an existing file that is not an export unless ``force``."""
    base = Path(store).resolve()
    own = [base.with_name(base.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    target = path.resolve()
    if target in own or (target.exists() and any(f.exists() and os.path.samefile(target, f) for f in own)):
        raise ValueError(
            f"refusing to export to {path}: it is the results store {store} or one of its files; give another --out"
        )
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder; give a file name")
    if target.exists() and not force and not is_export(target):
        raise FileExistsError(f"{path} exists and is not an ibbench export; overwrite it with --force (force=True)")


def export_results(
    store: str | Path = DEFAULT_STORE, out: str | Path | None = None, *, format: str = "csv", force: bool = False
) -> tuple[Path, pd.DataFrame]:
    """Write every stored cell (long format, parameters expanded: :func:`load_results`) to a file.

    The file is written next to its destination and then moved into place, so a failed export
    leaves the previous file intact.

    Parameters
    ----------
    store : str or Path
        Path of the SQLite store.
    out : str, Path or None
        Output path; default ``results.<format>``. Never the store itself (nor its ``-wal``/``-shm``
        files); an existing file is replaced only if it is a previous export (:func:`is_export`) or
        ``force`` is True.
    format : {"csv", "parquet"}
        Parquet needs ``pyarrow``. Mixed-type parameter columns are written as text in both formats
        (:func:`exportable`), so the two files hold the same values.
    force : bool, default False
        Overwrite an existing ``out`` that is not a previous export.

    Returns
    -------
    path : Path
        The file written.
    table : DataFrame
        The table written to it.

    Raises
    ------
    ValueError
        ``out`` is the store or one of its files, or ``format`` is unknown (:class:`StoreError`, a
        ``ValueError``, if the store cannot be read).
    FileExistsError
        ``out`` exists, is not an export and ``force`` is False.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise ImportError("parquet export needs pyarrow: pip install pyarrow") from exc
    path = Path(out) if out is not None else Path(f"results.{format}")
    _check_export_target(Path(store), path, force)
    df = exportable(load_results(store))
    target = path.resolve()  # through a symlink: replace the file it points to, keep the link
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if format == "csv":
            df.to_csv(partial, index=False)
        else:
            df.to_parquet(partial, index=False)
        os.replace(partial, target)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
    return path, df
