"""The dask.distributed backend: same rows as the local backend, streamed into the store, timeouts enforced.

Uses one small LocalCluster (single-threaded workers) through the ``--scheduler`` code path and
``--dask-local`` once through the CLI; the grid is tiny so the test stays well under a minute.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.cli import app
from ibbench.dask_backend import run_dask
from ibbench.store import Store

distributed = pytest.importorskip("distributed")

TASK = "gaussian-dense:dim=1;mi=0.5"
COMPARED = ["status", "estimate", "true_mi", "n", "seed", "estimator_label", "task_label", "task_family"]


@pytest.fixture
def faulty(monkeypatch):
    """The misbehaving estimators of tests/_faulty_estimators.py (on sys.path before the cluster starts)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    from _faulty_estimators import FAULTY

    for name, cls in FAULTY.items():
        monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, name, f"_faulty_estimators:{cls}")


def test_dask_rows_equal_local_rows_and_stream_into_the_store(faulty, tmp_path):
    grid = dict(estimators="ksg,gaussian,ksg:k=8", tasks=TASK, n=300, seeds=2)
    local = tmp_path / "local.sqlite"
    ibbench.run(**grid, store=local, timeout=60)

    store = tmp_path / "dask.sqlite"
    seen = []

    def progress(row, done, total):  # each row is in the store before the next one arrives
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
            seen.append((done, conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0], total))

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        summary = ibbench.run(
            estimators=grid["estimators"] + ",test-hang",
            tasks=TASK,
            n=300,
            seeds=2,
            store=store,
            timeout=3,
            backend="dask",
            scheduler=cluster.scheduler_address,
            progress=progress,
        )
    assert summary.statuses == {"ok": 6, "timeout": 2}
    assert [d for d, _, _ in seen] == list(range(1, 9)) and all(stored == done for done, stored, _ in seen)

    a = ibbench.load_results(local).set_index("key").sort_index()
    b = ibbench.load_results(store).set_index("key")
    hung = b[b["estimator"] == "test-hang"]
    assert (hung["status"] == "timeout").all() and hung["message"].str.contains("timeout").all()
    assert ((hung["seconds"] >= 3) & (hung["seconds"] < 30)).all()
    assert hung["cache_hit"].isna().all() and hung["cold_seconds"].isna().all()
    b = b.drop(hung.index).sort_index()
    # the runtime accounting comes back from the worker's cell process (these estimators cache nothing)
    assert (b["cache_hit"] == 0).all() and (b["cold_seconds"] == b["seconds"]).all()
    # seeded results are identical across backends (same cells, same keys, bit-equal estimates)
    assert list(a.index) == list(b.index)
    assert a[COMPARED].equals(b[COMPARED])
    assert b["host"].notna().all() and b["peak_mem_mb"].gt(0).all()
    config = json.loads(Store(store).runs()["config"].iloc[-1])
    assert config["backend"] == "dask"


def test_cli_dask_local(tmp_path):
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "-e",
            "gaussian",
            "-t",
            TASK,
            "--n",
            "200",
            "--seeds",
            "2",
            "--dask-local",
            "1",
            "--store",
            str(store),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    df = ibbench.load_results(store)
    assert list(df["status"]) == ["ok", "ok"] and list(df["cache_hit"]) == [0, 0]
    config = json.loads(Store(store).runs()["config"].iloc[-1])
    assert config["backend"] == "dask" and config["no_cache"] is True


def test_bad_dask_arguments_are_clear_errors():
    cell = [{"key": "x"}]
    with pytest.raises(ValueError, match="exactly one of"):
        run_dask(cell, on_result=print)
    with pytest.raises(ValueError, match="exactly one of"):
        run_dask(cell, scheduler="tcp://127.0.0.1:9", n_workers=2, on_result=print)
    with pytest.raises(ValueError, match="cannot reach the dask scheduler"):
        run_dask(cell, scheduler="tcp://127.0.0.1:9", on_result=print, connect_timeout=1)


def test_dask_cells_get_their_threads_share_of_the_cpus(faulty, tmp_path):
    from ibbench.numerics.knn import available_cpus

    # two single-threaded workers on this host: each cell gets half of its CPUs
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        ibbench.run(
            estimators="test-cpus",
            tasks=TASK,
            n=50,
            seeds=2,
            store=tmp_path / "s.sqlite",
            timeout=60,
            backend="dask",
            scheduler=cluster.scheduler_address,
        )
    rows = ibbench.load_results(tmp_path / "s.sqlite")
    assert list(rows["estimate"]) == [float(max(1, available_cpus() // 2))] * 2
