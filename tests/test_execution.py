"""Executing one cell: the runtime accounting of cached work (``cache_hit``, ``cold_seconds``) and
``use_cache=False`` / ``ibbench.run(cache=False)``, which changes only times, never results or keys.

The reference for a cache hit is the first, cold computation of the same codes: its measured
compression seconds must be what the warm cell adds to its own ``fit`` seconds.
"""

from __future__ import annotations

import json
import os

import pytest

import ibbench
from ibbench.execution import execute_cell, failure_row
from ibbench.store import Store

AE = {
    "n_components_x": 2,
    "n_components_y": 2,
    "image_shape_x": "auto",
    "image_shape_y": "auto",
    "hidden": 16,
    "n_epochs": 3,
}
TASK = ("images-bumps", {"size": 8, "mi": 2.0})


def _cell(inner: str, **extra) -> dict:
    return {
        "key": f"test-{inner}",
        "estimator": "compressed-ae",
        "estimator_params": {"estimator": inner, **AE},
        "task": TASK[0],
        "task_params": TASK[1],
        "n": 300,
        "seed": 0,
        **extra,
    }


def _codes(cache):
    return sorted((cache / "compression").glob("*.npz"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBENCH_CACHE", str(tmp_path))
    return tmp_path


def test_a_warm_cell_adds_the_recorded_cost_of_the_codes_it_reused(cache):
    cold = execute_cell(_cell("kl"))
    assert cold["status"] == "ok", cold["message"]
    assert cold["cache_hit"] == 0 and cold["cold_seconds"] == cold["seconds"]
    measured = cold["extra"]["compression_seconds_x_"], cold["extra"]["compression_seconds_y_"]
    assert min(measured) > 0 and cold["seconds"] > sum(measured)  # the fit includes both trainings
    assert len(_codes(cache)) == 2

    warm = execute_cell(_cell("ksg"))  # same sample, same autoencoders, another inner estimator
    assert warm["status"] == "ok", warm["message"]
    assert warm["cache_hit"] == 1
    # the reused entries carry exactly the seconds the cold cell measured
    assert (warm["extra"]["compression_seconds_x_"], warm["extra"]["compression_seconds_y_"]) == measured
    assert warm["cold_seconds"] == pytest.approx(warm["seconds"] + sum(measured), rel=1e-12)
    assert warm["seconds"] < warm["cold_seconds"]
    assert len(_codes(cache)) == 2
    # task sampling is not the estimator's runtime: no task cache here, so its cold cost is its sampling time
    for row in (cold, warm):
        assert row["extra"]["task_cache_hit"] == 0
        assert row["extra"]["task_cold_seconds"] == row["extra"]["sample_seconds"]


def test_use_cache_false_computes_afresh_writes_nothing_and_changes_no_estimate(cache):
    cached = [execute_cell(_cell(inner)) for inner in ("kl", "ksg")]
    assert [r["cache_hit"] for r in cached] == [0, 1]
    files = {p: p.stat().st_mtime_ns for p in _codes(cache)}
    fresh = [execute_cell(_cell(inner, use_cache=False)) for inner in ("kl", "ksg")]
    assert os.environ["IBBENCH_CACHE"] == str(cache)  # restored after each cell
    assert {p: p.stat().st_mtime_ns for p in _codes(cache)} == files  # nothing read-and-rewritten or added
    for a, b in zip(cached, fresh):
        assert b["status"] == "ok" and b["cache_hit"] == 0 and b["cold_seconds"] == b["seconds"]
        assert b["estimate"] == a["estimate"]
        assert "use_cache" not in b


def test_plain_estimators_and_failure_rows(cache):
    row = execute_cell(
        {
            "key": "k",
            "estimator": "gaussian",
            "estimator_params": {},
            "task": "gaussian-dense",
            "task_params": {"dim": 1, "mi": 0.5},
            "n": 200,
            "seed": 0,
        }
    )
    assert row["status"] == "ok" and row["cache_hit"] == 0 and row["cold_seconds"] == row["seconds"]
    bad = execute_cell(
        {
            "key": "k",
            "estimator": "gaussian",
            "estimator_params": {"nonsense": 1},
            "task": "gaussian-dense",
            "task_params": {"dim": 1, "mi": 0.5},
            "n": 200,
            "seed": 0,
        }
    )
    assert bad["status"] == "error" and bad["cache_hit"] is None and bad["cold_seconds"] is None
    timeout = failure_row(_cell("kl", use_cache=False), "timeout", "killed", "2024-01-01T00:00:00+00:00", 3.0)
    assert timeout["cache_hit"] is None and timeout["cold_seconds"] is None and "use_cache" not in timeout


def test_reused_qnn_training_is_recorded_as_task_cost_not_estimator_cost(cache, monkeypatch):
    from ibbench.tasks.qnn import training

    monkeypatch.setattr(training, "_MEMORY", {})
    params = {"activation": "tanh", "bits": 4, "layer": 3, "epochs": 3, "n_snapshots": 3}
    cell = {
        "key": "q",
        "estimator": "gaussian",
        "estimator_params": {},
        "task": "qnn-szt-xt",
        "task_params": params,
        "n": None,
        "seed": 0,
    }
    trained = execute_cell(cell)
    assert trained["status"] == "ok", trained["message"]
    assert trained["extra"]["task_cache_hit"] == 0
    assert trained["extra"]["task_cold_seconds"] == trained["extra"]["sample_seconds"]
    monkeypatch.setattr(training, "_MEMORY", {})  # a fresh process: the run comes from the disk cache
    reused = execute_cell({**cell, "use_cache": False})  # --no-cache leaves the training cache on
    assert reused["extra"]["task_cache_hit"] == 1 and reused["estimate"] == trained["estimate"]
    run = training.train(ibbench.get_task("qnn-szt-xt", **params).config, 0)
    assert run.train_seconds > 0
    assert reused["extra"]["task_cold_seconds"] == pytest.approx(
        reused["extra"]["sample_seconds"] + run.train_seconds, rel=1e-12
    )
    for row in (trained, reused):  # training is data generation: never the estimator's runtime
        assert row["cache_hit"] == 0 and row["cold_seconds"] == row["seconds"]
    assert len(list((cache / "qnn").glob("*.npz"))) == 1


def test_run_without_cache_same_keys_and_estimates_no_codes_written(cache, tmp_path):
    grid = dict(
        estimators=[("compressed-ae", {"estimator": inner, **AE}) for inner in ("kl", "ksg")],
        tasks=[TASK],
        n=300,
        seeds=1,
        backend="inline",
    )
    off = ibbench.run(**grid, store=tmp_path / "off.sqlite", cache=False)
    assert off.statuses == {"ok": 2} and not _codes(cache)
    on = ibbench.run(**grid, store=tmp_path / "on.sqlite")
    assert on.statuses == {"ok": 2} and len(_codes(cache)) == 2
    a = ibbench.load_results(tmp_path / "off.sqlite").set_index("key").sort_index()
    b = ibbench.load_results(tmp_path / "on.sqlite").set_index("key").sort_index()
    assert list(a.index) == list(b.index) and list(a["estimate"]) == list(b["estimate"])
    assert list(a["cache_hit"]) == [0, 0] and sorted(b["cache_hit"]) == [0, 1]
    assert (a["cold_seconds"] == a["seconds"]).all() and (b["cold_seconds"] >= b["seconds"]).all()
    assert json.loads(Store(tmp_path / "off.sqlite").runs()["config"].iloc[-1])["no_cache"] is True
    assert json.loads(Store(tmp_path / "on.sqlite").runs()["config"].iloc[-1])["no_cache"] is False


def test_no_cache_reaches_separate_cell_processes(tmp_path):
    # local backend: the flag travels in the cell dict to the cell process (which never sees this
    # test's environment changes), so no cell of the no-cache run reports a hit
    grid = dict(
        estimators=[
            ("compressed-pca", {"estimator": inner, "n_components_x": 2, "n_components_y": 2})
            for inner in ("kl", "ksg")
        ],
        tasks=[TASK],
        n=300,
        seeds=1,
        timeout=120,
    )
    ibbench.run(**grid, store=tmp_path / "off.sqlite", cache=False)
    ibbench.run(**grid, store=tmp_path / "on.sqlite")
    a = ibbench.load_results(tmp_path / "off.sqlite").set_index("key").sort_index()
    b = ibbench.load_results(tmp_path / "on.sqlite").set_index("key").sort_index()
    assert (a["status"] == "ok").all() and list(a["cache_hit"]) == [0, 0]
    assert b["cache_hit"].sum() >= 1  # the second inner estimator at least reads the PCA codes
    assert list(a["estimate"]) == list(b["estimate"])
