"""One-time upgrade of stores written under key scheme 1 (full params, no nested parts) to scheme 2.

Scheme 1 keyed a cell on the estimator's and the task's *full* parameter dicts and top-level
versions only. Scheme 2 (:mod:`ibbench.identity`) keys on the parameters that differ from the
defaults and adds nested parts (a compression wrapper's inner estimator) and the code a task depends
on. :func:`migrate_keys` recomputes every old row's key from what the row records, so finished cells
are reused instead of recomputed (the paper suite is 1.5 hours of compute).

What it assumes: the row's recorded estimator and task versions are kept as recorded; nested parts
and task dependencies, which scheme 1 did not record, are taken at their *current* versions. A row
whose recorded top-level version is outdated keeps that version in its new key, so it is never
reused by a run of the current code. Rows whose estimator or task cannot be built any more (an
uninstalled plug-in, a parameter that no longer exists) keep their old key and are left alone.
When two old rows map to the same new key (``k=3`` and ``k=3.0``), the better one is kept (``ok``
over ``skipped`` over ``timeout``/``error``, then the newer).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from ibbench.identity import KEY_SCHEME, cell_identity, estimator_identity, identity_key, task_identity

if TYPE_CHECKING:
    from ibbench.store import Store

_STATUS_RANK = {"ok": 3, "skipped": 2, "timeout": 1, "error": 0}


def _scheme(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE name = 'key_scheme'").fetchone()
    return int(row[0]) if row else 1


def migrate_keys(store: Store) -> dict[str, int]:
    """Re-key the scheme-1 rows of ``store`` (an :class:`ibbench.store.Store`) in one transaction.

    Returns counts ``{"migrated", "unchanged", "merged", "left"}`` (left = could not be rebuilt).
    Idempotent and safe when several runs open the store at once (the first one migrates).
    """
    from ibbench.registry import get_estimator_class, get_task

    conn = store.connect()
    counts = {"migrated": 0, "unchanged": 0, "merged": 0, "left": 0}
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _scheme(conn) >= KEY_SCHEME:
            conn.execute("COMMIT")
            return counts
        rows = conn.execute(
            "SELECT key, estimator, estimator_params, estimator_version, task, task_params, task_version, n, seed, "
            "status, finished_at FROM cells WHERE identity IS NULL"
        ).fetchall()
        tasks: dict[str, Any] = {}
        for key, est, est_params, est_version, task, task_params, task_version, n, seed, status, finished in rows:
            try:
                eparams = json.loads(est_params) if est_params else {}
                eident = estimator_identity(est, get_estimator_class(est)(**eparams))
                eident["version"] = str(est_version)
                tkey = f"{task}\0{task_params}"
                if tkey not in tasks:
                    tasks[tkey] = get_task(task, **(json.loads(task_params) if task_params else {}))
                t = tasks[tkey]
                tident = task_identity(t)
                tident["version"] = str(task_version)
            except Exception:  # noqa: BLE001 - unknown plug-in or parameter: leave the row as it is
                counts["left"] += 1
                continue
            ident = cell_identity(eident, tident, None if t.fixed_population else n, seed)
            new_key = identity_key(ident)
            update = (
                "UPDATE cells SET key = ?, identity = ?, task_role = ? WHERE key = ?",
                (new_key, json.dumps(ident, sort_keys=True), t.rank_scope, key),
            )
            if new_key != key:
                other = conn.execute("SELECT status, finished_at FROM cells WHERE key = ?", (new_key,)).fetchone()
                if other is not None:
                    counts["merged"] += 1
                    if (_STATUS_RANK.get(other[0], -1), other[1] or "") >= (
                        _STATUS_RANK.get(status, -1),
                        finished or "",
                    ):
                        conn.execute("DELETE FROM cells WHERE key = ?", (key,))
                        continue
                    conn.execute("DELETE FROM cells WHERE key = ?", (new_key,))
                counts["migrated"] += 1
            else:
                counts["unchanged"] += 1
            conn.execute(*update)
        conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('key_scheme', ?)", (str(KEY_SCHEME),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return counts
