"""Conformance suites for estimators and tasks (public API).

``check_mi_estimator(est)`` and ``check_task(task)`` run every contract check of the estimator and task contracts and
raise ``AssertionError`` listing all failures (or return the list with ``raise_on_failure=False``).
The test suite runs them over every registered estimator and task; ``ibbench check module:Class``
runs them on a user's class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ibbench.base import MIEstimator


@dataclass
class CheckResult:
    """Outcome of one conformance check."""

    name: str
    passed: bool
    message: str = ""


class _Checker:
    def __init__(self):
        self.results: list[CheckResult] = []

    def run(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except AssertionError as exc:
            self.results.append(CheckResult(name, False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - any crash is a failed check, reported by name
            self.results.append(CheckResult(name, False, f"raised {type(exc).__name__}: {exc}"))
        else:
            self.results.append(CheckResult(name, True))

    def finish(self, what: str, raise_on_failure: bool) -> list[CheckResult]:
        failed = [r for r in self.results if not r.passed]
        if failed and raise_on_failure:
            lines = "\n".join(f"- {r.name}: {r.message}" for r in failed)
            raise AssertionError(f"{what} fails {len(failed)} of {len(self.results)} checks:\n{lines}")
        return self.results


def _tags(est) -> dict[str, Any]:
    getter = getattr(type(est), "get_tags", None)
    base = MIEstimator.get_tags()
    if callable(getter):
        base.update(getter())
    return base


def _test_params(cls) -> dict[str, Any]:
    getter = getattr(cls, "get_test_params", None)
    params = getter() if callable(getter) else {}
    if isinstance(params, list):
        params = params[0] if params else {}
    return dict(params or {})


def _gaussian_pair(n: int, rho: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    return x[:, None], y[:, None]


def _symbols(n: int, flip: float, rng: np.random.Generator, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(0, k, n)
    y = np.where(rng.random(n) < flip, rng.integers(0, k, n), x)
    return x[:, None].astype(float), y[:, None].astype(float)


def _symmetric_channel_mi(k: int, flip: float) -> float:
    # y = x w.p. 1 - flip, else uniform over all k symbols: P(y = x) = 1 - flip + flip / k
    stay = 1.0 - flip + flip / k
    move = flip / k
    return float(np.log(k) + stay * np.log(stay) + (k - 1) * move * np.log(move))


#: Values of the ``invariance`` tag: the transformations, applied to each side separately, that
#: leave an estimator's estimate unchanged up to rounding (checked by :func:`check_mi_estimator`).
INVARIANCES: dict[str, str] = {
    "none": "no invariance claimed (the default)",
    "per-side-scalar-affine": "x -> a*x + b with one scalar a != 0 and one scalar b for all columns of a side",
    "per-column-positive-affine": "x_j -> a_j*x_j + b_j with a_j > 0, each column separately",
    "per-column-affine": "x_j -> a_j*x_j + b_j with a_j != 0, each column separately (includes the two above)",
    "per-side-affine": "x -> M x + b with M invertible, each side separately (includes per-column-affine)",
    "per-side-injective": "any injective map of the rows of each side (includes per-side-affine)",
}

#: Grid (2**-13) of the samples of the offset maps: values of magnitude < 64 on it stay exact after
#: adding an integer offset up to 1e12 (< 2**40) and multiplying by a power of two, so the
#: transformed sample is exactly the affine image of the original and any change of the estimate
#: is the estimator's own.
_INVARIANCE_GRID = 2.0**-13
#: Largest offset of the invariance check, relative to the spread (~1) of the untransformed sample.
INVARIANCE_MAX_OFFSET = 1e12


def _offset_affine(per_column: bool):
    """Maker of exact affine maps: power-of-two scales 2**-10…2**10 (~1e-3…1e3), offsets up to 1e12.

    Scales are positive: the grid makes distances tie exactly, and tie-breaking noise (k-NN jitter)
    is not mirrored with a column, so signs are left to :func:`_decimal_affine` on a tie-free sample.
    """

    def make(rng: np.random.Generator, d: int):
        k = d if per_column else 1
        a = 2.0 ** rng.choice([-10, -3, 0, 4, 10], size=k)
        c = np.round(rng.choice([-1.0, 1.0], size=k) * 10.0 ** rng.uniform(3, 12, size=k))
        c[0] = np.sign(c[0]) * INVARIANCE_MAX_OFFSET
        return lambda A: a * (A + c)  # = a*A + a*c exactly (see _INVARIANCE_GRID)

    return make


def _decimal_affine(per_column: bool, positive: bool):
    """Maker of affine maps with decimal scales ±1e-3, ±0.37, ±1e3 (rounded: ~1e-16 relative) and
    offsets up to 100 times the scale."""

    def make(rng: np.random.Generator, d: int):
        k = d if per_column else 1
        a = rng.choice([1e-3, 0.37, 1e3], size=k)
        if not positive:
            a = a * rng.choice([-1.0, 1.0], size=k)
        b = a * rng.uniform(-100, 100, size=k)
        return lambda A: a * A + b

    return make


def _linear_mix(rng: np.random.Generator, d: int):
    """An invertible linear map mixing the columns (condition number < 10) plus an offset."""
    while True:
        M = np.eye(d) + 0.5 * rng.standard_normal((d, d)) / np.sqrt(d)
        if np.linalg.cond(M) < 10:
            break
    b = rng.uniform(-10, 10, size=d)
    return lambda A: A @ M.T + b


def _nonlinear_injective(rng: np.random.Generator, d: int):
    """A column-mixing linear map followed by the strictly increasing ``t -> t**3 + t``."""
    mix = _linear_mix(rng, d)

    def transform(A):
        B = mix(A)
        return B**3 + B

    return transform


_OFFSETS = ("power-of-two scales, offsets up to 1e12", _offset_affine(True), True)
_MIXING = ("invertible column-mixing map", _linear_mix, False)
#: The transformations checked for each value of the ``invariance`` tag: ``(label, maker, on_grid)``;
#: a maker draws one map of a side with ``d`` columns, ``on_grid`` says whether it is applied to the
#: sample rounded to :data:`_INVARIANCE_GRID`.
_INVARIANCE_MAKERS: dict[str, list] = {
    "none": [],
    "per-side-scalar-affine": [("power-of-two scale, offset up to 1e12, one per side", _offset_affine(False), True),
                               ("decimal scale ±1e-3…1e3, one per side", _decimal_affine(False, False), False)],
    "per-column-positive-affine": [_OFFSETS, ("decimal scales 1e-3…1e3", _decimal_affine(True, True), False)],
    "per-column-affine": [_OFFSETS, ("decimal scales ±1e-3…1e3", _decimal_affine(True, False), False)],
    "per-side-affine": [_OFFSETS, _MIXING],
    "per-side-injective": [_OFFSETS, _MIXING, ("mixing map then t**3 + t", _nonlinear_injective, False)],
}


def _invariance_sample(n: int, continuous: bool, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A dependent pair with ``d`` columns per side: Gaussian (unit scale), or 4 symbols per column."""
    if continuous:
        X = rng.standard_normal((n, d))
        return X, 0.6 * X @ rng.standard_normal((d, d)) / np.sqrt(d) + 0.8 * rng.standard_normal((n, d))
    X = rng.integers(0, 4, (n, d)).astype(float)
    return X, np.where(rng.random((n, d)) < 0.3, rng.integers(0, 4, (n, d)), X).astype(float)


def _on_grid(A: np.ndarray) -> np.ndarray:
    """``A`` rounded to :data:`_INVARIANCE_GRID`."""
    return np.round(A / _INVARIANCE_GRID) * _INVARIANCE_GRID


def check_mi_estimator(estimator, *, n: int = 1000, tolerance: float = 0.25, raise_on_failure: bool = True,
                       random_state: int = 0, invariance_n: int = 300,
                       invariance_tolerance: float = 1e-6) -> list[CheckResult]:
    """Run the estimator conformance suite on ``estimator`` (an instance or a class).

    Checks: scikit-learn API (``get_params``/``clone``, nothing fitted before ``fit``), ``fit``
    returns ``self`` and sets a finite float ``mutual_info_``, ``estimate`` returns a float, bad input
    (NaN, inf, one sample, mismatched rows, 3-D arrays, non-numeric) raises ``ValueError``/``TypeError``,
    same ``random_state`` → identical estimate, symmetry when the ``symmetric`` tag is set, discrete-
    valued data accepted, independence ≈ 0, a closed-form case within ``tolerance`` nats, and the
    invariance the ``invariance`` tag declares (:data:`INVARIANCES`): on 3 samples of ``invariance_n``
    rows with 2 columns per side (Gaussian, or 4 symbols for discrete-only estimators) the estimate
    after transforming each side must equal the original one within ``invariance_tolerance``
    (absolute, or relative above 1 nat). The affine maps include power-of-two scales 2**±10 with
    offsets up to ``1e12`` times the spread, applied to samples on a 2**-13 grid so that the
    transformed sample is exactly representable: offsets should not move the estimate beyond
    rounding, and the bug they catch (noise or distances computed at the scale of the offset) moves
    it by 0.3 to 4 nats. The tolerance leaves room for rounding only: measured changes of the
    built-ins that pass are < 5e-10 nats (k-NN: jitter not mirrored by sign flips), ~1e-8 for the
    Gaussian (the column means, rounded at offset 1e12, enter its covariances squared) and ~1e-12
    for KDE under one scale per side; a claim beyond the numerics (KDE under per-column maps:
    ~5e-3, neural estimators at offset 1e12: ~1e-3) fails.

    Parameters
    ----------
    estimator : MIEstimator instance or class
        A class is instantiated with its ``get_test_params()``.
    n : int, default 1000
        Sample size of the accuracy checks.
    tolerance : float, default 0.25
        Loose absolute tolerance (nats) of the accuracy checks: they catch broken estimators, not
        rank good ones (the benchmark does that).
    raise_on_failure : bool, default True
        Raise ``AssertionError`` listing every failed check; otherwise return the results.
    random_state : int, default 0
        Seed of the generated data (and of stochastic estimators).
    invariance_n : int, default 300
        Sample size of the invariance check.
    invariance_tolerance : float, default 1e-6
        Largest change of the estimate (nats, relative above 1 nat) under a declared invariance.
    """
    from sklearn.base import clone

    est = estimator() if isinstance(estimator, type) else estimator
    if isinstance(estimator, type) and _test_params(estimator):
        est = estimator(**_test_params(estimator))
    tags = _tags(est)
    rng = np.random.default_rng(random_state)
    checker = _Checker()
    continuous = tags["accepts_x"] in ("continuous", "any") and tags["accepts_y"] in ("continuous", "any")

    def fresh():
        e = clone(est)
        if tags.get("stochastic") and "random_state" in e.get_params():
            e.set_params(random_state=random_state)
        return e

    def api():
        params = est.get_params()
        assert isinstance(params, dict), "get_params() must return a dict"
        c = clone(est)
        assert c.get_params().keys() == params.keys(), "clone changed the parameter names"
        assert not hasattr(est, "mutual_info_"), "mutual_info_ exists before fit"
        assert isinstance(getattr(type(est), "version", None), str), "class attribute `version` (str) missing"
        json.dumps({k: v for k, v in params.items() if not hasattr(v, "get_params")}, default=str)

    xg, yg = _gaussian_pair(n, 0.6, rng)
    xd, yd = _symbols(n, 0.3, rng)
    xa, ya = (xg, yg) if continuous else (xd, yd)

    def fit_returns_self():
        e = fresh()
        assert e.fit(xa, ya) is e, "fit must return self"
        v = e.mutual_info_
        assert isinstance(v, float), f"mutual_info_ must be a Python float, got {type(v).__name__}"
        assert np.isfinite(v), f"mutual_info_ is not finite: {v}"
        assert isinstance(fresh().estimate(xa, ya), float), "estimate() must return a float"

    def one_dimensional_input():
        v = fresh().estimate(xa[:, 0], ya[:, 0])
        assert np.isfinite(v), "1-D input arrays (n,) must be accepted"

    def bad_inputs():
        cases = {
            "NaN in X": (np.where(np.arange(n)[:, None] == 3, np.nan, xa), ya),
            "inf in Y": (xa, np.where(np.arange(n)[:, None] == 5, np.inf, ya)),
            "a single sample": (xa[:1], ya[:1]),
            "mismatched rows": (xa, ya[:-3]),
            "3-D X": (xa[:, :, None], ya),
            "non-numeric X": (np.array([["a"]] * n), ya),
        }
        accepted = []
        for label, (a, b) in cases.items():
            try:
                fresh().fit(a, b)
            except (ValueError, TypeError):
                continue
            accepted.append(label)
        assert not accepted, f"accepted bad input: {', '.join(accepted)}"

    def deterministic():
        a, b = fresh().estimate(xa, ya), fresh().estimate(xa, ya)
        assert a == b, f"same random_state gave {a} and {b}"

    def symmetric():
        if not tags.get("symmetric"):
            return
        a, b = fresh().estimate(xa, ya), fresh().estimate(ya, xa)
        assert abs(a - b) <= 1e-3 * max(1.0, abs(a)), f"I(X;Y)={a} but I(Y;X)={b} (tag symmetric=True)"

    def discrete_valued():
        v = fresh().estimate(xd, yd)
        assert np.isfinite(v), f"discrete-valued numeric data gave {v}"

    def independence():
        if continuous:
            a, b = rng.standard_normal((n, 1)), rng.standard_normal((n, 1))
        else:
            a, b = _symbols(n, 1.0, rng)[0], _symbols(n, 1.0, rng)[0]
        v = fresh().estimate(a, b)
        assert abs(v) <= tolerance, f"independent data gave {v:.4f} nats (|.| > {tolerance})"

    def closed_form():
        if continuous:
            truth = -0.5 * np.log(1 - 0.6**2)
            v = fresh().estimate(xg, yg)
            what = "Gaussian rho=0.6"
        else:
            truth = _symmetric_channel_mi(4, 0.3)
            v = fresh().estimate(xd, yd)
            what = "4-symbol channel"
        assert abs(v - truth) <= tolerance, f"{what}: estimate {v:.4f} vs true {truth:.4f} nats"

    def invariance():
        declared = tags.get("invariance", "none")
        assert declared in INVARIANCES, f"tag invariance={declared!r} is not one of {sorted(INVARIANCES)}"
        makers = _INVARIANCE_MAKERS[declared]
        if not makers:
            return
        max_dim = tags.get("max_dim")
        d = 2 if max_dim is None or max_dim >= 4 else 1
        failures = []
        for t in range(3):
            r = np.random.default_rng([random_state, t])
            raw = _invariance_sample(int(invariance_n), continuous, d, r)
            samples = {False: raw, True: tuple(_on_grid(A) for A in raw)}
            base: dict[bool, float] = {}
            for label, make, on_grid in makers:
                X, Y = samples[on_grid]
                if on_grid not in base:
                    base[on_grid] = fresh().estimate(X, Y)
                v = fresh().estimate(make(r, d)(X), make(r, d)(Y))
                if not abs(v - base[on_grid]) <= invariance_tolerance * max(1.0, abs(base[on_grid])):
                    failures.append(f"{label} (sample {t}): {v!r} vs {base[on_grid]!r}")
        assert not failures, (f"tag invariance={declared!r} but the estimate changed by more than "
                              f"{invariance_tolerance:g}: " + "; ".join(failures))

    for name, fn in [("api", api), ("fit_returns_self", fit_returns_self),
                     ("one_dimensional_input", one_dimensional_input), ("bad_inputs", bad_inputs),
                     ("deterministic", deterministic), ("symmetric", symmetric),
                     ("discrete_valued", discrete_valued), ("independence", independence),
                     ("closed_form", closed_form), ("invariance", invariance)]:
        checker.run(name, fn)
    return checker.finish(f"{type(est).__name__}", raise_on_failure)


def check_task(task, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run the task conformance suite on a task instance or class.

    Checks: required attributes, ``true_mi`` a finite float ≥ 0, JSON params that rebuild an equal
    task, sample shapes and finiteness, same seed → same sample, different seeds → different samples,
    discrete sides integer-valued, and the ``n=None`` rule of fixed-population tasks.
    """
    if isinstance(task, type):
        task = task(**_test_params(task))
    checker = _Checker()
    fixed = bool(getattr(task, "fixed_population", False))
    n = None if fixed else 13

    def attributes():
        missing = [a for a in ("name", "params", "dim_x", "dim_y", "x_kind", "y_kind", "true_mi", "sample", "version")
                   if not hasattr(task, a)]
        assert not missing, f"missing attributes {missing}"
        for side in ("x_kind", "y_kind"):
            assert getattr(task, side) in ("continuous", "discrete"), f"{side}={getattr(task, side)!r}"

    def true_mi():
        v = task.true_mi
        assert isinstance(v, float) and np.isfinite(v) and v >= 0, f"true_mi must be a finite float >= 0, got {v!r}"

    def params_rebuild():
        text = json.dumps(task.params)
        again = type(task)(**json.loads(text))
        assert again.params == task.params, f"rebuilding from params gave {again.params} != {task.params}"

    def shapes():
        X, Y = task.sample(n, random_state=0)
        if not fixed:
            assert len(X) == len(Y) == n, f"sample({n}) returned {len(X)}/{len(Y)} rows"
        assert X.shape[1] == task.dim_x and Y.shape[1] == task.dim_y, (
            f"shapes {X.shape}, {Y.shape} vs dim_x={task.dim_x}, dim_y={task.dim_y}")
        assert np.isfinite(X).all() and np.isfinite(Y).all(), "non-finite samples"
        for side, A in (("x", X), ("y", Y)):
            if getattr(task, f"{side}_kind") == "discrete":
                assert np.array_equal(A, np.round(A)), f"{side}_kind is discrete but values are not integers"

    def deterministic():
        a, b = task.sample(n, random_state=1), task.sample(n, random_state=1)
        assert all(np.array_equal(p, q) for p, q in zip(a, b)), "same random_state gave different samples"
        if not fixed:
            c = task.sample(n, random_state=2)
            assert not all(np.array_equal(p, q) for p, q in zip(a, c)), "different seeds gave identical samples"

    def none_rule():
        if fixed:
            return
        try:
            task.sample(None, random_state=0)
        except ValueError:
            return
        raise AssertionError("sample(None) must raise ValueError for a task that is not fixed_population")

    for name, fn in [("attributes", attributes), ("true_mi", true_mi), ("params_rebuild", params_rebuild),
                     ("shapes", shapes), ("deterministic", deterministic), ("none_rule", none_rule)]:
        checker.run(name, fn)
    return checker.finish(f"task {getattr(task, 'name', task)!r}", raise_on_failure)
