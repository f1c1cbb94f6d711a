"""Suites: every entry builds, the quick slice covers each family, the paper suite has the Butakov sweeps."""

import numpy as np
import pytest

import ibbench
from ibbench.registry import get_task_class
from ibbench.suites import SUITES, Suite, get_suite, list_suites


@pytest.mark.parametrize("name", sorted(SUITES))
def test_every_suite_entry_builds_with_finite_truth(name):
    suite = get_suite(name)
    assert isinstance(suite, Suite) and suite.name == name and suite.n and suite.seeds >= 1
    if suite.parts:  # composite: no tasks of its own, every part is a real, non-composite suite
        assert not suite.tasks and all(get_suite(p).tasks and not get_suite(p).parts for p in suite.parts)
        return
    assert suite.tasks
    for est_name, params in suite.estimators:  # the suite's own estimator configurations build
        ibbench.get_estimator(est_name, **params)
    for task_name, params in suite.tasks:
        cls = get_task_class(task_name)
        if getattr(cls, "fixed_population", False):
            continue  # trained tasks (qnn) are checked in their own tests
        task = ibbench.get_task(task_name, **params)
        assert np.isfinite(task.true_mi) and task.true_mi >= 0
    assert len({(t, tuple(sorted(p.items()))) for t, p in suite.tasks}) == len(suite.tasks), "duplicate entries"


def test_existing_suite_names_and_api():
    assert {"quick", "full", "paper"} <= set(list_suites())
    with pytest.raises(ValueError):
        get_suite("no-such-suite")
    s = get_suite("quick")
    assert isinstance(s.estimator_overrides, dict) and isinstance(s.version, str) and s.description


def test_quick_is_small_and_covers_every_family():
    s = get_suite("quick")
    assert 10 <= len(s.tasks) <= 14 and max(s.n) <= 2000 and s.seeds == 2
    names = {t for t, _ in s.tasks}
    families = {get_task_class(t).family for t in names}
    assert {"gaussian", "transforms", "discrete", "mixed", "images", "digits"} <= families
    assert "student-t" in names
    assert any(t == "images-bumps" and p["size"] == 16 for t, p in s.tasks)


def test_paper_suite_is_the_butakov_sweep_and_the_qnn_planes():
    parts = get_suite("paper").parts
    assert {"paper-latents", "paper-bumps", "paper-rectangles", "paper-raw", "paper-qnn"} == set(parts)
    for family, part, latent_dim in (("images-bumps", "paper-bumps", 2), ("images-rectangles", "paper-rectangles", 4)):
        s = get_suite(part)
        assert s.n == (5000,) and s.seeds >= 3
        for size in (16, 32):
            mis = sorted(p["mi"] for t, p in s.tasks if t == family and p["size"] == size)
            assert len(mis) >= 11 and mis[0] == 0.0 and mis[-1] == 10.0
        # the five estimators of the paper (and flow, smile beside mine), each after the autoencoder and
        # after PCA, to the intrinsic dimension
        inner = {(e, p["estimator"]) for e, p in s.estimators}
        paper = ("kde-ml", "kde-lse", "kl", "wkl", "mine", "flow", "smile")
        assert inner == {(c, i) for c in ("compressed-ae", "compressed-pca") for i in paper}
        assert all(p["n_components_x"] == p["n_components_y"] == latent_dim for _, p in s.estimators)
        latents = get_suite("paper-latents")
        assert sorted(p["mi"] for t, p in latents.tasks if t == family + "-latents") == [float(i) for i in range(11)]
    assert get_suite("paper-qnn").seeds >= 5


def test_composite_suite_runs_each_part_with_its_own_estimators(tmp_path, monkeypatch):
    from ibbench import suites

    monkeypatch.setitem(
        suites.SUITES,
        "t-a",
        Suite("t-a", "1", "a", (("categorical", {"n_symbols": 2}),), n=(50,), seeds=1, estimators=(("exact", {}),)),
    )
    monkeypatch.setitem(
        suites.SUITES,
        "t-b",
        Suite(
            "t-b",
            "1",
            "b",
            (("gaussian-dense", {"dim": 1, "mi": 0.5}),),
            n=(60,),
            seeds=2,
            estimators=(("gaussian", {}), ("kl", {})),
        ),
    )
    monkeypatch.setitem(suites.SUITES, "t-ab", Suite("t-ab", "1", "a+b", (), parts=("t-a", "t-b")))
    store = tmp_path / "s.sqlite"
    summary = ibbench.run(suite="t-ab", store=store, backend="inline")
    df = ibbench.load_results(store)
    assert summary.statuses == {"ok": 5}
    import json

    from ibbench.store import Store

    config = json.loads(Store(store).runs()["config"].iloc[0])
    assert [seg["suite"] for seg in config["segments"]] == ["t-a v1", "t-b v1"]
    assert sorted(zip(df["estimator"], df["task"], df["n"])) == sorted(
        [("exact", "categorical", 50)] + [(e, "gaussian-dense", 60) for e in ("gaussian", "kl") for _ in range(2)]
    )
    # an explicit selection replaces every part's own estimators: 1 + 2 new kl cells, nothing else
    again = ibbench.run(suite="t-ab", estimators="kl", store=store, backend="inline")
    assert again.n_cells == 3 and again.n_skipped_existing == 2  # the kl cells on gaussian-dense exist
    df = ibbench.load_results(store)
    kl = df[df["estimator"] == "kl"]
    assert sorted(kl["task"]) == ["categorical", "gaussian-dense", "gaussian-dense"]
    assert kl.loc[kl["task"] == "categorical", "status"].item() in ("ok", "skipped")


def test_digits_sweep_spans_zero_to_log10():
    mis = [ibbench.get_task(t, **p).true_mi for t, p in get_suite("paper-digits").tasks]
    assert min(mis) < 1e-12 and max(mis) > np.log(10) - 1e-3


def test_sampling_the_quick_suite_is_fast():
    import time

    start = time.perf_counter()
    for name, params in get_suite("quick").tasks:
        if getattr(get_task_class(name), "fixed_population", False):
            continue  # qnn tasks train a network on first use (tests/tasks/test_qnn_*.py)
        X, Y = ibbench.get_task(name, **params).sample(1000, random_state=0)
        assert len(X) == len(Y) == 1000
    assert time.perf_counter() - start < 20  # measured ~0.1 s; a generous bound for a shared machine


def test_catalogue_lists_every_registered_task():
    from ibbench.report.catalogue import catalogue_markdown

    text = catalogue_markdown(suites=("quick",))
    for name in ibbench.list_tasks():
        assert f"| `{name}` |" in text


def test_tasks_import_nothing_from_the_registry_or_the_suites():
    """``ibbench.tasks`` defines tasks: it names no estimator, so it imports neither the registry nor the suites."""
    import importlib
    import re
    from pathlib import Path

    root = Path(importlib.import_module("ibbench.tasks").__file__).parent
    pattern = re.compile(r"^\s*(from|import)\s+ibbench\.(registry|estimators|suites|studies|runner)\b", re.M)
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py") if pattern.search(path.read_text())]
    assert offenders == []
