"""Concurrent runs on one store: claims, heartbeats, lease expiry, and ok rows that are never replaced.

Two real ``ibbench.run`` processes share a store and a grid of slow cells: each cell is computed
exactly once, the second run waits for the cells the first one holds, and both end with every cell
stored. Claims of dead or silent runs are taken over; claims are released however a run ends.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import ibbench
from ibbench import registry
from ibbench import store as store_module
from ibbench.runner import build_grid, resolve_estimators, split_specs
from ibbench.store import Store

HERE = Path(__file__).parent
TASKS = "gaussian-dense:dim=1;mi=0.5"
N, SEEDS = 100, 6

# A run in another process: registers the slow estimator, waits (imports done) until the file
# ``start_when`` has a line, runs the grid, then prints its summary and how many rows the store held
# when run() returned.
SCRIPT = """
import json, os, sqlite3, sys, time
sys.path.insert(0, {here!r})
from ibbench import registry
registry.BUILTIN_ESTIMATORS["test-slow"] = "_slow_estimators:Slow"
import ibbench
while {start_when!r} and not (os.path.exists({start_when!r}) and os.path.getsize({start_when!r})):
    time.sleep(0.01)
s = ibbench.run(estimators=[("test-slow", {{"seconds": {seconds}, "log": {log!r}}})], tasks={tasks!r}, n={n},
                seeds={seeds}, store={store!r}, backend={backend!r})
rows = sqlite3.connect({store!r}).execute("SELECT COUNT(*) FROM cells").fetchone()[0]
print(json.dumps({{"statuses": s.statuses, "existing": s.n_skipped_existing,
                  "elsewhere": getattr(s, "n_claimed_elsewhere", 0), "rows_at_end": rows}}))
"""


@pytest.fixture
def slow(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, "test-slow", "_slow_estimators:Slow")


def _start(
    tmp_path: Path, store: Path, log: Path, seconds: float, backend: str = "inline", start_when: Path | None = None
) -> subprocess.Popen:
    code = SCRIPT.format(
        here=str(HERE),
        seconds=seconds,
        log=str(log),
        tasks=TASKS,
        n=N,
        seeds=SEEDS,
        store=str(store),
        backend=backend,
        start_when=str(start_when or ""),
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: subprocess.Popen) -> tuple[dict, str]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1]), err


def _fits(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _keys(log: Path, seconds: float) -> list[str]:
    grid = build_grid(
        resolve_estimators([("test-slow", {"seconds": seconds, "log": str(log)})]),
        split_specs(TASKS),
        [N],
        list(range(SEEDS)),
    )
    return [c.key for c in grid]


def _assert_each_cell_once(store: Path, log: Path, summaries: list[dict]) -> None:
    fits = _fits(log)
    assert len(fits) == SEEDS, fits  # one fit per cell: nothing computed twice
    assert len({line.split(" ", 1)[1] for line in fits}) == SEEDS  # ... and every cell computed
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM cells GROUP BY status").fetchall()
        assert rows == [("ok", SEEDS)]
        assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0  # all released
    assert sum(s["statuses"].get("ok", 0) for s in summaries) == SEEDS
    for s in summaries:  # each run accounts for every cell, and returned only once all were stored
        assert sum(s["statuses"].values()) + s["existing"] + s["elsewhere"] == SEEDS
        assert s["rows_at_end"] == SEEDS


def test_a_second_run_waits_for_the_cells_a_live_run_holds(slow, tmp_path):
    store, log, seconds = tmp_path / "shared.sqlite", tmp_path / "fits.log", 0.4
    first = _start(tmp_path, store, log, seconds)
    # starts once the first run has stored a fit: then it holds the claims of the 5 others (2 s of work)
    second = _start(tmp_path, store, log, seconds, start_when=log)
    a, _ = _finish(first)
    b, err = _finish(second)
    assert a["statuses"] == {"ok": SEEDS} and a["elsewhere"] == 0
    assert b["statuses"] == {} and b["elsewhere"] >= 1  # it computed nothing, it waited
    assert "being computed by another run" in err
    _assert_each_cell_once(store, log, [a, b])


def test_two_runs_started_together_compute_each_cell_once(slow, tmp_path):
    store, log = tmp_path / "shared.sqlite", tmp_path / "fits.log"
    procs = [_start(tmp_path, store, log, 0.3, backend) for backend in ("inline", "local")]
    summaries = [_finish(p)[0] for p in procs]
    _assert_each_cell_once(store, log, summaries)


def _claim_all(store: Path, keys: list[str], *, pid: int, host: str, heartbeat: float, run_id: str = "other") -> None:
    Store(store).connect().close()
    with sqlite3.connect(store) as conn:
        conn.executemany(
            "INSERT INTO claims (key, run_id, pid, host, heartbeat, claimed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(k, run_id, pid, host, heartbeat, "then") for k in keys],
        )


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("owner", ["dead pid on this host", "silent other host"])
def test_a_claim_of_a_dead_run_is_taken_over_at_once(slow, tmp_path, owner):
    store, log = tmp_path / "s.sqlite", tmp_path / "fits.log"
    keys = _keys(log, 0.0)
    if owner == "dead pid on this host":  # a fresh heartbeat, but the process is gone
        _claim_all(store, keys, pid=_dead_pid(), host=socket.gethostname(), heartbeat=time.time())
    else:  # a live-looking pid elsewhere, but no heartbeat for longer than the lease
        _claim_all(store, keys, pid=1, host="elsewhere", heartbeat=time.time() - 2 * store_module.CLAIM_LEASE)
    started = time.monotonic()
    summary = ibbench.run(
        estimators=[("test-slow", {"seconds": 0.0, "log": str(log)})],
        tasks=TASKS,
        n=N,
        seeds=SEEDS,
        store=store,
        backend="inline",
    )
    assert summary.statuses == {"ok": SEEDS} and summary.n_claimed_elsewhere == 0
    assert time.monotonic() - started < store_module.CLAIM_LEASE / 4
    assert len(_fits(log)) == SEEDS


def test_a_live_claim_is_waited_for_and_taken_over_when_its_lease_lapses(slow, tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CLAIM_LEASE", 1.5)
    store, log = tmp_path / "s.sqlite", tmp_path / "fits.log"
    keys = _keys(log, 0.0)
    _claim_all(store, keys[:2], pid=1, host="elsewhere", heartbeat=time.time())  # alive, then silent
    started = time.monotonic()
    summary = ibbench.run(
        estimators=[("test-slow", {"seconds": 0.0, "log": str(log)})],
        tasks=TASKS,
        n=N,
        seeds=SEEDS,
        store=store,
        backend="inline",
    )
    assert summary.n_claimed_elsewhere == 2 and summary.statuses == {"ok": SEEDS}
    assert time.monotonic() - started >= 1.0  # it waited for the lease before taking the two cells over
    assert len(_fits(log)) == SEEDS


def test_a_cell_the_other_run_finishes_while_waited_for_is_not_recomputed(slow, tmp_path):
    store, log = tmp_path / "s.sqlite", tmp_path / "fits.log"
    keys = _keys(log, 0.0)
    _claim_all(store, keys[:1], pid=1, host="elsewhere", heartbeat=time.time(), run_id="other")

    def other_run_finishes() -> None:  # the owner stores its result and releases its claim
        time.sleep(1.0)
        with sqlite3.connect(store, timeout=30) as conn:
            conn.execute(
                "INSERT INTO cells (key, run_id, status, estimate) VALUES (?, 'other', 'timeout', NULL)", (keys[0],)
            )
            conn.execute("DELETE FROM claims WHERE key = ?", (keys[0],))

    thread = threading.Thread(target=other_run_finishes)
    thread.start()
    summary = ibbench.run(
        estimators=[("test-slow", {"seconds": 0.0, "log": str(log)})],
        tasks=TASKS,
        n=N,
        seeds=SEEDS,
        store=store,
        backend="inline",
        rerun_failed=True,
    )
    thread.join()
    # even with rerun_failed, the fresh result of the run it waited for is final
    assert summary.n_claimed_elsewhere == 1 and summary.statuses == {"ok": SEEDS - 1}
    assert len(_fits(log)) == SEEDS - 1
    assert Store(store).statuses([keys[0]]) == {keys[0]: "timeout"}


def test_heartbeat_refreshes_claims_and_release_drops_them(tmp_path):
    st = Store(tmp_path / "s.sqlite")
    plan = st.claim(["a", "b"], "run1")
    assert plan.claimed == ["a", "b"] and st.claim(["a"], "run2").elsewhere == {"a": "run1"}
    conn = st.connect()
    before = conn.execute("SELECT MIN(heartbeat) FROM claims").fetchone()[0]
    st.keep_claims("run1", interval=0.1)
    time.sleep(0.5)
    assert conn.execute("SELECT MIN(heartbeat) FROM claims").fetchone()[0] > before + 0.2
    st.write_cell({"key": "a", "run_id": "run1", "status": "ok"})  # the row releases its claim
    assert [r[0] for r in conn.execute("SELECT key FROM claims")] == ["b"]
    st.release_claims("run1")
    assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    st.close()


def test_claims_are_released_when_a_run_fails(slow, tmp_path):
    store = tmp_path / "s.sqlite"

    def boom(to_run, existing):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        ibbench.run(
            estimators=[("test-slow", {"seconds": 0.0})],
            tasks=TASKS,
            n=N,
            seeds=SEEDS,
            store=store,
            backend="inline",
            on_plan=boom,
        )
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    summary = ibbench.run(
        estimators=[("test-slow", {"seconds": 0.0})], tasks=TASKS, n=N, seeds=SEEDS, store=store, backend="inline"
    )
    assert summary.statuses == {"ok": SEEDS} and summary.n_claimed_elsewhere == 0


@pytest.mark.parametrize("later", ["timeout", "error", "skipped"])
def test_an_ok_row_is_never_replaced_by_a_worse_status(tmp_path, later):
    path = tmp_path / "s.sqlite"
    first, second = Store(path), Store(path)  # two writers, no claims: the store itself enforces it
    assert first.write_cell({"key": "k", "run_id": "A", "status": "ok", "estimate": 0.5})
    assert not second.write_cell({"key": "k", "run_id": "B", "status": later, "message": "too slow"})
    assert second.write_cell({"key": "f", "run_id": "B", "status": later})
    assert first.write_cell({"key": "f", "run_id": "A", "status": "ok", "estimate": 0.7})  # a failure is replaced
    with sqlite3.connect(path) as conn:
        rows = dict((k, (r, s, e)) for k, r, s, e in conn.execute("SELECT key, run_id, status, estimate FROM cells"))
    assert rows == {"k": ("A", "ok", 0.5), "f": ("A", "ok", 0.7)}
    first.close()
    second.close()
