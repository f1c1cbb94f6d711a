"""Suites: every entry builds, the quick slice covers each family, the paper suite has the Butakov sweeps."""

import numpy as np
import pytest

import ibbench
from ibbench.registry import get_task_class
from ibbench.tasks.suites import SUITES, Suite, get_suite, list_suites


@pytest.mark.parametrize("name", sorted(SUITES))
def test_every_suite_entry_builds_with_finite_truth(name):
    suite = get_suite(name)
    assert isinstance(suite, Suite) and suite.name == name and suite.tasks and suite.n and suite.seeds >= 1
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


def test_paper_suite_is_the_butakov_sweep():
    s = get_suite("paper")
    assert s.n == (5000,) and s.seeds >= 3
    for family in ("images-bumps", "images-rectangles"):
        for size in (16, 32):
            mis = sorted(p["mi"] for t, p in s.tasks if t == family and p["size"] == size)
            assert len(mis) >= 11 and mis[0] == 0.0 and mis[-1] == 10.0


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
    from ibbench.tasks.catalogue import catalogue_markdown

    text = catalogue_markdown(suites=("quick",))
    for name in ibbench.list_tasks():
        assert f"| `{name}` |" in text
