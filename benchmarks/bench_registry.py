"""asv benchmarks over *every* registered estimator: fit time, peak memory and accuracy.

The estimator list is discovered at import time with :func:`ibbench.list_estimators`, so a newly
registered estimator (built-in or entry-point plug-in) is benchmarked without touching this file.
Each estimator runs on one *representative task* matching the data kinds it accepts (continuous
estimators on a 2+2-dimensional Gaussian with 1 nat, discrete-only ones on a categorical channel).

Benchmarks
----------
``EstimatorFit.time_fit`` / ``EstimatorFit.peakmem_fit``
    Wall time and peak resident memory of ``fit`` at n = 1000 and 5000 (sampling is done in setup).
``EstimatorAccuracy.track_abs_error``
    ``|estimate - true MI|`` in nats on a fixed seed (lower is better), so an accuracy regression
    shows up in ``asv continuous`` / ``asv compare`` exactly like a slowdown. Seeded, hence
    deterministic: any change of the value means the algorithm's output changed.

Neural and other slow estimators run with reduced settings (:func:`bench_params`) so the whole
suite stays runnable: the ``quick`` suite's per-estimator overrides when it has them, else the
estimator's ``get_test_params()`` for names in :data:`REDUCED`.

Set ``IBBENCH_ASV_ESTIMATORS=ksg,exact`` to restrict the parameter grid (the CI guard does).
The module works against older commits too (asv imports it inside each commit's environment), so
it only relies on ``ibbench.list_estimators``/``get_estimator``/``get_task``.
"""

from __future__ import annotations

import os

import ibbench

#: Sample sizes of the fit-time / memory / accuracy benchmarks.
SIZES = [1000, 5000]

#: Estimators benchmarked with ``get_test_params()`` unless the ``quick`` suite overrides them.
REDUCED = frozenset({"mine", "nwj", "infonce", "compressed-ae"})

#: Parameters applied last (on top of the above) where the representative task needs them.
PARAM_OVERRIDES: dict[str, dict] = {
    "compressed-pca": {"n_components_x": 2, "n_components_y": 2},  # the bump images' latent dim is 2
    "compressed-ae": {"n_components_x": 2, "n_components_y": 2},
}

#: Built-in names in a fixed order. asv selects a parameter combination by its *index* in each
#: commit's own import of this module, so the list must not shift between the commits of a
#: comparison: known names keep their slot (a commit lacking one skips it), names discovered
#: beyond these (new built-ins, plug-ins) are appended in sorted order.
KNOWN_ESTIMATORS = (
    "binning",
    "binning-adaptive",
    "compressed-ae",
    "compressed-pca",
    "exact",
    "gaussian",
    "infonce",
    "kde-lse",
    "kde-ml",
    "kl",
    "ksg",
    "mine",
    "nwj",
    "wkl",
)

#: Representative tasks by the kinds an estimator accepts: (task name, params, swap X and Y).
CONTINUOUS_TASK = ("gaussian-dense", {"dim": 2, "mi": 1.0}, False)
DISCRETE_TASK = ("categorical", {"n_symbols": 8, "flip": 0.2}, False)
MIXED_TASK = ("mixed-class-gaussian", {"n_classes": 4, "separation": 1.5}, False)  # X discrete, Y continuous

#: Estimators that need a specific task to be meaningful (e.g. compression wrappers want images).
TASK_OVERRIDES: dict[str, tuple[str, dict, bool]] = {
    "compressed-pca": ("images-bumps", {"size": 16, "mi": 2.0}, False),
    "compressed-ae": ("images-bumps", {"size": 16, "mi": 2.0}, False),
}


def _tags(cls) -> dict:
    return cls.get_tags() if hasattr(cls, "get_tags") else dict(getattr(cls, "tags", {}))


def _accepts(tag: str, kind: str) -> bool:
    return tag == "any" or tag == kind or (tag == "continuous" and kind == "discrete")


def _quick_overrides() -> dict:
    try:
        try:
            from ibbench.suites import SUITES
        except ImportError:  # older commits kept the suites in ibbench.tasks.suites
            from ibbench.tasks.suites import SUITES

        return dict(getattr(SUITES.get("quick"), "estimator_overrides", {}) or {})
    except Exception:  # older commits without suites
        return {}


def bench_params(name: str) -> dict:
    """Parameters the benchmarks use for estimator ``name`` (reduced for slow ones, seeded)."""
    from ibbench.registry import get_estimator_class

    cls = get_estimator_class(name)
    quick = _quick_overrides()
    if name in quick:
        params = dict(quick[name])
    elif name in REDUCED and hasattr(cls, "get_test_params"):
        params = dict(cls.get_test_params())
    else:
        params = {}
    params.update(PARAM_OVERRIDES.get(name, {}))
    if "random_state" in cls().get_params() and params.get("random_state") is None:
        params["random_state"] = 0
    return params


def representative_task(name: str):
    """``(task, swap)``: the task estimator ``name`` is benchmarked on, or ``None`` if none fits."""
    from ibbench.registry import get_estimator_class

    if name in TASK_OVERRIDES:
        task_name, params, swap = TASK_OVERRIDES[name]
        return ibbench.get_task(task_name, **params), swap
    tags = _tags(get_estimator_class(name))
    ax, ay = tags.get("accepts_x", "any"), tags.get("accepts_y", "any")
    candidates = [CONTINUOUS_TASK, DISCRETE_TASK, MIXED_TASK, (*MIXED_TASK[:2], True)]
    for task_name, params, swap in candidates:
        task = ibbench.get_task(task_name, **params)
        kx, ky = (task.y_kind, task.x_kind) if swap else (task.x_kind, task.y_kind)
        max_dim = tags.get("max_dim")
        if max_dim is not None and task.dim_x + task.dim_y > max_dim:
            continue
        if _accepts(ax, kx) and _accepts(ay, ky):
            return task, swap
    return None


def _discover() -> list[str]:
    registered = set(ibbench.list_estimators())
    names = list(KNOWN_ESTIMATORS) + sorted(registered - set(KNOWN_ESTIMATORS))
    wanted = os.environ.get("IBBENCH_ASV_ESTIMATORS")
    if wanted:
        names = [n for n in names if n in {w.strip() for w in wanted.split(",")}]
    return names


def _check_available(name: str) -> None:
    """Raise ``NotImplementedError`` (asv: skipped) if ``name`` is unregistered or lacks a dependency."""
    from ibbench.registry import get_estimator_class

    if name not in ibbench.list_estimators():
        raise NotImplementedError(f"{name} is not registered in this commit")
    try:
        for package in _tags(get_estimator_class(name)).get("requires", ()):
            __import__(package)
    except ImportError as exc:
        raise NotImplementedError(f"{name} needs a missing optional dependency: {exc}") from exc


ESTIMATORS = _discover()

_DATA: dict = {}


def _data(name: str, n: int):
    """``(X, Y, true_mi)`` of estimator ``name``'s representative task at size ``n``, seed 0 (cached)."""
    found = representative_task(name)
    if found is None:
        raise NotImplementedError(f"no representative task for {name}")  # asv: skip this combination
    task, swap = found
    key = (repr(task), swap, n)
    if key not in _DATA:
        X, Y = task.sample(n, random_state=0)
        _DATA[key] = (Y, X, task.true_mi) if swap else (X, Y, task.true_mi)
    return _DATA[key]


class _Base:
    params = [ESTIMATORS, SIZES]
    param_names = ["estimator", "n"]
    timeout = 600.0

    def setup(self, name, n):
        _check_available(name)
        self.X, self.Y, self.true_mi = _data(name, n)
        self.estimator = ibbench.get_estimator(name, **bench_params(name))


class EstimatorFit(_Base):
    """Fit time and peak memory of every registered estimator on its representative task."""

    # slow estimators take seconds: few samples, no warm-up beyond the first call
    rounds = 1
    repeat = (1, 5, 10.0)
    warmup_time = 0.0

    def time_fit(self, name, n):
        self.estimator.fit(self.X, self.Y)

    def peakmem_fit(self, name, n):
        self.estimator.fit(self.X, self.Y)


class EstimatorAccuracy(_Base):
    """Absolute error (nats) of every registered estimator vs the task's true MI (lower is better)."""

    unit = "nats"

    def track_abs_error(self, name, n):
        return abs(float(self.estimator.fit(self.X, self.Y).mutual_info_) - self.true_mi)
