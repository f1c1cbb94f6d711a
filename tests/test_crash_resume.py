"""Crash safety: SIGKILL an ``ibbench run`` mid-run, restart it, and compare with an uninterrupted run.

Checks that every cell finished before the kill survives unchanged (not lost, not recomputed),
the restart computes exactly the missing cells, the final store equals an uninterrupted run's,
and that readers (``load_results``, the leaderboard) work while a run is writing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from _procs import descendants, running

import ibbench
from ibbench.report.leaderboard import build_leaderboard
from ibbench.store import Store

# The run must still be going when the 6th cell is stored: on a quiet machine ksg at n=3000 took
# ~0.03 s per cell and a 32-cell run finished before the kill. At n=10000 ksg takes ~0.15 s per
# cell, so the 64-cell run lasts a few seconds while the kill lands well under one.
ESTIMATORS = "ksg,gaussian"
TASKS = "gaussian-dense:dim=2;mi=0.5,gaussian-dense:dim=2;mi=1.5"
N, SEEDS = 10000, 16
TOTAL = 2 * 2 * SEEDS
COMPARED = ["status", "estimate", "true_mi", "n", "seed", "estimator_label", "task_label"]


def _command(store: Path) -> list[str]:
    exe = Path(sys.executable).with_name("ibbench")
    prefix = [str(exe)] if exe.exists() else [sys.executable, "-m", "ibbench.cli"]
    return prefix + [
        "run",
        "-e",
        ESTIMATORS,
        "-t",
        TASKS,
        "--n",
        str(N),
        "--seeds",
        str(SEEDS),
        "-j",
        "2",
        "--timeout",
        "120",
        "--store",
        str(store),
    ]


def _stored(store: Path):
    if not store.exists():
        return None
    try:
        return ibbench.load_results(store, expand_params=False)
    except Exception as exc:  # the table may not exist yet in the first instants  # noqa: BLE001
        if "no such table" in str(exc):
            return None
        raise


def test_sigkill_mid_run_then_resume_equals_uninterrupted_run(tmp_path):
    reference = tmp_path / "reference.sqlite"
    ibbench.run(estimators=ESTIMATORS, tasks=TASKS, n=N, seeds=SEEDS, store=reference, backend="inline")
    ref = ibbench.load_results(reference, expand_params=False).set_index("key").sort_index()
    assert len(ref) == TOTAL and (ref["status"] == "ok").all()

    store = tmp_path / "crash.sqlite"
    proc = subprocess.Popen(_command(store), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    read_board = False
    deadline = time.monotonic() + 120
    try:
        while True:
            assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "no progress within 120 s"
            df = _stored(store)  # a concurrent reader while the run writes
            done = 0 if df is None else int((df["status"] == "ok").sum())
            if done >= 1 and not read_board:
                board = build_leaderboard(store, n_boot=20)  # the leaderboard while the run writes
                assert len(board.overall) >= 1
                read_board = True
            if done >= 6:
                helpers = descendants(proc.pid)  # forkserver, resource tracker, cell processes
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # no orphan keeps computing: the run's forkserver and cell processes exit with it
    give_up = time.monotonic() + 15
    while any(running(p) for p in helpers) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not [p for p in helpers if running(p)], "processes of the killed run are still running"

    before = ibbench.load_results(store, expand_params=False).set_index("key")
    assert 6 <= len(before) < TOTAL, "the kill should land mid-run"
    assert (before["status"] == "ok").all()
    runs = Store(store).runs()
    assert len(runs) == 1 and runs["finished_at"].isna().all()  # the killed run never finished

    resumed = subprocess.run(_command(store), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{len(before)} cell(s) already in" in resumed.stderr

    after = ibbench.load_results(store, expand_params=False).set_index("key").sort_index()
    # nothing lost, nothing recomputed: the cells stored before the kill are byte-for-byte the same rows
    same = after.loc[before.index]
    for column in ("run_id", "finished_at", "estimate", "seconds"):
        assert same[column].equals(before.loc[same.index, column]), column
    runs = Store(store).runs()
    assert len(runs) == 2 and runs["n_run"].iloc[-1] == TOTAL - len(before)
    assert (after.drop(before.index)["run_id"] == runs["id"].iloc[-1]).all()
    # the final store equals an uninterrupted run's
    assert list(after.index) == list(ref.index)
    assert after[COMPARED].equals(ref[COMPARED])
