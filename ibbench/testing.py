"""Conformance suites for estimators and tasks (public API).

Every check is a named, separate unit: it passes (returns), fails (``AssertionError`` with a
message; any other exception is a crash, also a failure) or does not apply to the object checked
and raises :class:`SkipCheck` with the reason (e.g. ``symmetric`` on an estimator whose tag
``symmetric`` is False). Three ways to run them:

* ``check_mi_estimator(est)`` / ``check_task(task)`` run the whole suite and raise
  ``AssertionError`` listing all failures (or return one :class:`CheckResult` per check, status
  ``pass``/``fail``/``skip``, with ``raise_on_failure=False``);
* :func:`parametrize_with_checks` makes one pytest case per (estimator, check) and per
  (task, check), skipped cases shown as skipped with their reason (the test suite runs it over
  every registered estimator and task, ``tests/test_conformance.py``);
* ``ibbench check module:Class`` runs the suite on a user's class in a separate process and
  prints a pass/FAIL/skip table.
"""

from __future__ import annotations

import unittest
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ibbench.base import MIEstimator
from ibbench.serial import canonical_json

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pytest

    from ibbench.task import Task

#: A map of one side of a sample (rows of ``A`` -> rows of the transformed side).
Transform = Callable[[np.ndarray], np.ndarray]
#: Draws one :data:`Transform` of a side with ``d`` columns.
TransformMaker = Callable[[np.random.Generator, int], Transform]
#: What the estimator checks accept: an instance, or a class built with its ``get_test_params()``.
EstimatorLike = Union[MIEstimator, "type[MIEstimator]"]
#: What the task checks accept: an instance, or a class built with its ``get_test_params()``.
TaskLike = Union["Task", "type[Task]"]


class SkipCheck(unittest.SkipTest):
    """Raised by a check that does not apply to the estimator or task it was given; the message is
    the reason. :func:`check_mi_estimator` / :func:`check_task` record it as a ``skip`` result; it
    subclasses :class:`unittest.SkipTest`, so pytest reports a test that lets it escape as skipped."""


@dataclass
class CheckResult:
    """Outcome of one conformance check.

    ``passed`` is False only for a failed check: a skipped check (``skipped=True``, the reason in
    ``message``) did not fail. :attr:`status` is ``"pass"``, ``"fail"`` or ``"skip"``.
    """

    name: str
    passed: bool
    message: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        """``"skip"``, ``"pass"`` or ``"fail"``."""
        if self.skipped:
            return "skip"
        return "pass" if self.passed else "fail"


class _Checker:
    """Runs named checks and collects their results (``ibbench check`` wraps :meth:`run` to report
    each check as it starts and ends: keep its signature)."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def run(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except SkipCheck as exc:
            self.results.append(CheckResult(name, True, str(exc), skipped=True))
        except AssertionError as exc:
            self.results.append(CheckResult(name, False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - any crash is a failed check, reported by name
            self.results.append(CheckResult(name, False, f"raised {type(exc).__name__}: {exc}"))
        else:
            self.results.append(CheckResult(name, True))

    def finish(self, what: str, raise_on_failure: bool) -> list[CheckResult]:
        failed = [r for r in self.results if not r.passed]
        if failed and raise_on_failure:
            skipped = sum(r.skipped for r in self.results)
            lines = "\n".join(f"- {r.name}: {r.message}" for r in failed)
            raise AssertionError(
                f"{what} fails {len(failed)} of {len(self.results)} checks ({skipped} skipped):\n{lines}"
            )
        return self.results


def _tags(est: Any) -> dict[str, Any]:
    getter = getattr(type(est), "get_tags", None)
    base = MIEstimator.get_tags()
    if callable(getter):
        base.update(getter())
    return base


def _test_params(cls: type) -> dict[str, Any]:
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


def _offset_affine(per_column: bool) -> TransformMaker:
    """Maker of exact affine maps: power-of-two scales 2**-10…2**10 (~1e-3…1e3), offsets up to 1e12.

    Scales are positive: the grid makes distances tie exactly, and tie-breaking noise (k-NN jitter)
    is not mirrored with a column, so signs are left to :func:`_decimal_affine` on a tie-free sample.
    """

    def make(rng: np.random.Generator, d: int) -> Transform:
        k = d if per_column else 1
        a = 2.0 ** rng.choice([-10, -3, 0, 4, 10], size=k)
        c = np.round(rng.choice([-1.0, 1.0], size=k) * 10.0 ** rng.uniform(3, 12, size=k))
        c[0] = np.sign(c[0]) * INVARIANCE_MAX_OFFSET
        return lambda A: a * (A + c)  # = a*A + a*c exactly (see _INVARIANCE_GRID)

    return make


def _decimal_affine(per_column: bool, positive: bool) -> TransformMaker:
    """Maker of affine maps with decimal scales ±1e-3, ±0.37, ±1e3 (rounded: ~1e-16 relative) and
    offsets up to 100 times the scale."""

    def make(rng: np.random.Generator, d: int) -> Transform:
        k = d if per_column else 1
        a = rng.choice([1e-3, 0.37, 1e3], size=k)
        if not positive:
            a = a * rng.choice([-1.0, 1.0], size=k)
        b = a * rng.uniform(-100, 100, size=k)
        return lambda A: a * A + b

    return make


def _linear_mix(rng: np.random.Generator, d: int) -> Transform:
    """An invertible linear map mixing the columns (condition number < 10) plus an offset."""
    while True:
        M = np.eye(d) + 0.5 * rng.standard_normal((d, d)) / np.sqrt(d)
        if np.linalg.cond(M) < 10:
            break
    b = rng.uniform(-10, 10, size=d)
    return lambda A: A @ M.T + b


def _nonlinear_injective(rng: np.random.Generator, d: int) -> Transform:
    """A column-mixing linear map followed by the strictly increasing ``t -> t**3 + t``."""
    mix = _linear_mix(rng, d)

    def transform(A: np.ndarray) -> np.ndarray:
        B = mix(A)
        return B**3 + B

    return transform


_OFFSETS: tuple[str, TransformMaker, bool] = ("power-of-two scales, offsets up to 1e12", _offset_affine(True), True)
_MIXING: tuple[str, TransformMaker, bool] = ("invertible column-mixing map", _linear_mix, False)
#: The transformations checked for each value of the ``invariance`` tag: ``(label, maker, on_grid)``;
#: a maker draws one map of a side with ``d`` columns, ``on_grid`` says whether it is applied to the
#: sample rounded to :data:`_INVARIANCE_GRID`.
_INVARIANCE_MAKERS: dict[str, list[tuple[str, TransformMaker, bool]]] = {
    "none": [],
    "per-side-scalar-affine": [
        ("power-of-two scale, offset up to 1e12, one per side", _offset_affine(False), True),
        ("decimal scale ±1e-3…1e3, one per side", _decimal_affine(False, False), False),
    ],
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


# --------------------------------------------------------------------------------------------------
# estimator checks


#: Correlation of the Gaussian pair: I = -0.5 log(1 - 0.8**2) = 0.51 nats (and the 4-symbol
#: channel's 0.61 nats) exceed twice the default tolerance 0.25, so a constant estimate cannot pass
#: both ``independence`` and ``closed_form`` (at rho = 0.6, 0.22 nats, an estimator always giving 0
#: passed both).
_RHO = 0.8


class _EstimatorCase:
    """An estimator under test, its tags and the data of the checks (drawn in a fixed order from
    ``random_state``, so a check sees the same data alone or within the whole suite)."""

    def __init__(
        self,
        estimator: EstimatorLike,
        *,
        n: int = 1000,
        tolerance: float = 0.25,
        random_state: int = 0,
        invariance_n: int = 300,
        invariance_tolerance: float = 1e-6,
    ) -> None:
        if isinstance(estimator, type):
            estimator = estimator(**_test_params(estimator))
        self.est: Any = estimator
        self.n, self.tolerance, self.random_state = int(n), tolerance, random_state
        self.invariance_n, self.invariance_tolerance = int(invariance_n), invariance_tolerance
        self.tags = _tags(estimator)
        self.continuous = self.tags["accepts_x"] in ("continuous", "any") and self.tags["accepts_y"] in (
            "continuous",
            "any",
        )
        rng = np.random.default_rng(random_state)
        self.xg, self.yg = _gaussian_pair(self.n, _RHO, rng)
        self.xd, self.yd = _symbols(self.n, 0.3, rng)
        self.xa, self.ya = (self.xg, self.yg) if self.continuous else (self.xd, self.yd)
        if self.continuous:
            self.x0, self.y0 = rng.standard_normal((self.n, 1)), rng.standard_normal((self.n, 1))
        else:
            self.x0, self.y0 = _symbols(self.n, 1.0, rng)[0], _symbols(self.n, 1.0, rng)[0]

    @property
    def label(self) -> str:
        return type(self.est).__name__

    def fresh(self) -> Any:
        """An unfitted clone (stochastic estimators seeded with ``random_state``)."""
        from sklearn.base import clone

        e = clone(self.est)
        if self.tags.get("stochastic") and "random_state" in e.get_params():
            e.set_params(random_state=self.random_state)
        return e


def _check_api(c: _EstimatorCase) -> None:
    """scikit-learn API: ``get_params`` a dict, ``clone`` keeps the names, nothing fitted, ``version``."""
    from sklearn.base import clone

    params = c.est.get_params()
    assert isinstance(params, dict), "get_params() must return a dict"
    assert clone(c.est).get_params().keys() == params.keys(), "clone changed the parameter names"
    assert not hasattr(c.est, "mutual_info_"), "mutual_info_ exists before fit"
    assert isinstance(getattr(type(c.est), "version", None), str), "class attribute `version` (str) missing"


def _check_params_json(c: _EstimatorCase) -> None:
    """``get_params(deep=False)`` in ibbench's canonical JSON (what the runner stores and keys):
    numbers, strings, booleans, None, lists/tuples and dicts of them; no objects, no NaN/inf."""
    from ibbench.identity import estimator_identity

    params = c.est.get_params(deep=False)
    bad = []
    for key, value in params.items():
        try:
            canonical_json(value)
        except (TypeError, ValueError) as exc:
            bad.append(f"{key}={value!r} ({exc})")
    assert not bad, "params are not JSON-serialisable (canonical JSON, ibbench.serial): " + "; ".join(bad)
    name = getattr(type(c.est), "name", None) or type(c.est).__name__
    try:
        canonical_json(estimator_identity(str(name), c.est))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"the cell identity (params + identity_parts()) is not JSON-serialisable: {exc}") from exc


def _check_fit_returns_self(c: _EstimatorCase) -> None:
    e = c.fresh()
    assert e.fit(c.xa, c.ya) is e, "fit must return self"
    v = e.mutual_info_
    assert isinstance(v, float), f"mutual_info_ must be a Python float, got {type(v).__name__}"
    assert np.isfinite(v), f"mutual_info_ is not finite: {v}"
    assert isinstance(c.fresh().estimate(c.xa, c.ya), float), "estimate() must return a float"


def _check_one_dimensional_input(c: _EstimatorCase) -> None:
    v = c.fresh().estimate(c.xa[:, 0], c.ya[:, 0])
    assert np.isfinite(v), "1-D input arrays (n,) must be accepted"


def _check_bad_inputs(c: _EstimatorCase) -> None:
    n, xa, ya = c.n, c.xa, c.ya
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
            c.fresh().fit(a, b)
        except (ValueError, TypeError):
            continue
        accepted.append(label)
    assert not accepted, (
        f"accepted bad input: {', '.join(accepted)}; implement _fit and let the inherited MIEstimator.fit "
        "validate the data, or (overriding fit) start it with X, Y = ibbench.base.validate_pair(X, Y)"
    )


def _check_deterministic(c: _EstimatorCase) -> None:
    a, b = c.fresh().estimate(c.xa, c.ya), c.fresh().estimate(c.xa, c.ya)
    assert a == b, f"same random_state gave {a} and {b}"


def _check_symmetric(c: _EstimatorCase) -> None:
    if not c.tags.get("symmetric"):
        raise SkipCheck("tag symmetric=False: I(X;Y) and I(Y;X) may differ")
    a, b = c.fresh().estimate(c.xa, c.ya), c.fresh().estimate(c.ya, c.xa)
    assert abs(a - b) <= 1e-3 * max(1.0, abs(a)), f"I(X;Y)={a} but I(Y;X)={b} (tag symmetric=True)"


def _check_discrete_valued(c: _EstimatorCase) -> None:
    v = c.fresh().estimate(c.xd, c.yd)
    assert np.isfinite(v), f"discrete-valued numeric data gave {v}"


def _check_independence(c: _EstimatorCase) -> None:
    v = c.fresh().estimate(c.x0, c.y0)
    assert abs(v) <= c.tolerance, f"independent data gave {v:.4f} nats (|.| > {c.tolerance})"


def _check_closed_form(c: _EstimatorCase) -> None:
    if c.continuous:
        truth = -0.5 * np.log(1 - _RHO**2)
        v = c.fresh().estimate(c.xg, c.yg)
        what = f"Gaussian rho={_RHO}"
    else:
        truth = _symmetric_channel_mi(4, 0.3)
        v = c.fresh().estimate(c.xd, c.yd)
        what = "4-symbol channel"
    if c.tags.get("bound") == "upper":  # an upper bound (CLUB) aims above the MI: it must not fall below it
        assert v >= truth - c.tolerance, f"{what}: upper bound {v:.4f} below the true {truth:.4f} nats"
        return
    assert abs(v - truth) <= c.tolerance, f"{what}: estimate {v:.4f} vs true {truth:.4f} nats"


def _check_invariance(c: _EstimatorCase) -> None:
    declared = c.tags.get("invariance", "none")
    assert declared in INVARIANCES, f"tag invariance={declared!r} is not one of {sorted(INVARIANCES)}"
    makers = _INVARIANCE_MAKERS[declared]
    if not makers:
        raise SkipCheck(f"tag invariance={declared!r}: no invariance claimed")
    max_dim = c.tags.get("max_dim")
    d = 2 if max_dim is None or max_dim >= 4 else 1
    failures = []
    for t in range(3):
        r = np.random.default_rng([c.random_state, t])
        raw = _invariance_sample(c.invariance_n, c.continuous, d, r)
        samples = {False: raw, True: (_on_grid(raw[0]), _on_grid(raw[1]))}
        base: dict[bool, float] = {}
        for label, make, on_grid in makers:
            X, Y = samples[on_grid]
            if on_grid not in base:
                base[on_grid] = c.fresh().estimate(X, Y)
            v = c.fresh().estimate(make(r, d)(X), make(r, d)(Y))
            if not abs(v - base[on_grid]) <= c.invariance_tolerance * max(1.0, abs(base[on_grid])):
                failures.append(f"{label} (sample {t}): {v!r} vs {base[on_grid]!r}")
    assert not failures, (
        f"tag invariance={declared!r} but the estimate changed by more than "
        f"{c.invariance_tolerance:g}: " + "; ".join(failures)
    )


def _check_uncertainty(c: _EstimatorCase) -> None:
    """``stderr_`` a float ≥ 0 or NaN, ``ci_`` a pair of floats with ``low ≤ estimate ≤ high`` (both NaN
    exactly when ``stderr_`` is NaN and the estimator set no interval of its own)."""
    e = c.fresh().fit(c.xa, c.ya)
    if type(e).fit is not MIEstimator.fit and not hasattr(e, "stderr_"):
        raise SkipCheck("overrides fit (first contract) without MIEstimator.fit: stderr_ and ci_ are not set")
    stderr, ci, v = getattr(e, "stderr_", None), getattr(e, "ci_", None), e.mutual_info_
    assert isinstance(stderr, float), f"stderr_ must be a Python float (NaN when unavailable), got {stderr!r}"
    assert np.isnan(stderr) or stderr >= 0, f"stderr_ is negative: {stderr}"
    assert isinstance(ci, tuple) and len(ci) == 2 and all(isinstance(b, float) for b in ci), (
        f"ci_ must be a tuple (low, high) of floats, got {ci!r}"
    )
    if np.isnan(ci[0]) or np.isnan(ci[1]):
        assert np.isnan(ci[0]) and np.isnan(ci[1]), f"ci_ is half NaN: {ci}"
        assert np.isnan(stderr), f"stderr_ = {stderr} is available but ci_ is NaN"
    else:
        assert ci[0] <= v <= ci[1], f"ci_ = {ci} does not contain the estimate {v}"


def _check_resampling_reproducible(c: _EstimatorCase) -> None:
    """:func:`ibbench.uncertainty.resample_interval` (subsampling, 2 replicates) gives the same result twice
    under one seed."""
    from ibbench.uncertainty import resample_interval

    n = min(c.n, 300)
    x, y = c.xa[:n], c.ya[:n]
    runs = [resample_interval(c.fresh(), x, y, n_replicates=2, random_state=c.random_state, estimate=0.0) for _ in "ab"]
    assert np.array_equal(runs[0].replicates, runs[1].replicates), (
        f"subsampling replicates differ under one seed: {runs[0].replicates} vs {runs[1].replicates}"
    )
    assert np.all(np.isfinite(runs[0].replicates)), f"non-finite subsample estimates: {runs[0].replicates}"


_ESTIMATOR_CHECKS: dict[str, Callable[[_EstimatorCase], None]] = {
    "api": _check_api,
    "params_json": _check_params_json,
    "fit_returns_self": _check_fit_returns_self,
    "one_dimensional_input": _check_one_dimensional_input,
    "bad_inputs": _check_bad_inputs,
    "deterministic": _check_deterministic,
    "symmetric": _check_symmetric,
    "discrete_valued": _check_discrete_valued,
    "independence": _check_independence,
    "closed_form": _check_closed_form,
    "invariance": _check_invariance,
    "uncertainty": _check_uncertainty,
    "resampling_reproducible": _check_resampling_reproducible,
}
#: Names of the estimator checks, in the order they run.
ESTIMATOR_CHECKS: tuple[str, ...] = tuple(_ESTIMATOR_CHECKS)
#: Keyword options of the estimator checks (see :func:`check_mi_estimator`).
ESTIMATOR_CHECK_OPTIONS: tuple[str, ...] = ("n", "tolerance", "random_state", "invariance_n", "invariance_tolerance")


def check_mi_estimator(
    estimator: EstimatorLike,
    *,
    n: int = 1000,
    tolerance: float = 0.25,
    raise_on_failure: bool = True,
    random_state: int = 0,
    invariance_n: int = 300,
    invariance_tolerance: float = 1e-6,
) -> list[CheckResult]:
    """Run the estimator conformance suite on ``estimator`` (an instance or a class).

    Checks (names in :data:`ESTIMATOR_CHECKS`): ``api`` scikit-learn API (``get_params``/``clone``,
    nothing fitted before ``fit``, class attribute ``version``); ``params_json`` the parameters in
    ibbench's canonical JSON (:func:`ibbench.serial.canonical_json`, what the runner stores and
    keys: an object, a function or NaN in a parameter fails); ``fit_returns_self`` (and a finite
    float ``mutual_info_``, ``estimate`` returns a float); ``one_dimensional_input``; ``bad_inputs``
    (NaN, inf, one sample, mismatched rows, 3-D arrays, non-numeric) raise ``ValueError``/
    ``TypeError``; ``deterministic`` same ``random_state`` → identical estimate; ``symmetric``
    (skipped unless the ``symmetric`` tag is set); ``discrete_valued`` data accepted;
    ``independence`` ≈ 0 and ``closed_form`` within ``tolerance`` nats; ``invariance``: the
    invariance the ``invariance`` tag declares (:data:`INVARIANCES`; skipped for ``"none"``): on 3
    samples of ``invariance_n`` rows with 2 columns per side (Gaussian, or 4 symbols for
    discrete-only estimators) the estimate after transforming each side must equal the original one
    within ``invariance_tolerance`` (absolute, or relative above 1 nat). The affine maps include
    power-of-two scales 2**±10 with offsets up to ``1e12`` times the spread, applied to samples on a
    2**-13 grid so that the transformed sample is exactly representable: offsets should not move the
    estimate beyond rounding, and the bug they catch (noise or distances computed at the scale of the
    offset) moves it by 0.3 to 4 nats. The tolerance leaves room for rounding only: measured changes
    of the built-ins that pass are < 5e-10 nats (k-NN: jitter not mirrored by sign flips), ~1e-8 for
    the Gaussian (the column means, rounded at offset 1e12, enter its covariances squared) and
    ~1e-12 for KDE under one scale per side; a claim beyond the numerics (KDE under per-column maps:
    ~5e-3, neural estimators at offset 1e12: ~1e-3) fails. ``uncertainty``: ``stderr_`` a float ≥ 0
    or NaN and ``ci_`` a pair of floats around the estimate (NaN only with a NaN ``stderr_``);
    ``resampling_reproducible``: subsampling intervals (:func:`ibbench.uncertainty.resample_interval`)
    are identical under one seed.

    A check that does not apply raises :class:`SkipCheck` and is returned with status ``skip``
    (``passed`` stays True: it did not fail). For one pytest case per check use
    :func:`parametrize_with_checks`.

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

    Returns
    -------
    list of CheckResult
        One per check of :data:`ESTIMATOR_CHECKS`, in that order.
    """
    case = _EstimatorCase(
        estimator,
        n=n,
        tolerance=tolerance,
        random_state=random_state,
        invariance_n=invariance_n,
        invariance_tolerance=invariance_tolerance,
    )
    checker = _Checker()
    for name, fn in _ESTIMATOR_CHECKS.items():
        checker.run(name, _bind(fn, case))
    return checker.finish(case.label, raise_on_failure)


# --------------------------------------------------------------------------------------------------
# task checks


class _TaskCase:
    """A task under test; ``n`` is the sample size of its checks (None for a fixed population)."""

    def __init__(self, task: TaskLike) -> None:
        if isinstance(task, type):
            task = task(**_test_params(task))
        self.task: Any = task
        self.fixed = bool(getattr(task, "fixed_population", False))
        self.n: int | None = None if self.fixed else 13

    @property
    def label(self) -> str:
        return f"task {getattr(self.task, 'name', self.task)!r}"


def _check_task_attributes(c: _TaskCase) -> None:
    missing = [
        a
        for a in ("name", "params", "dim_x", "dim_y", "x_kind", "y_kind", "true_mi", "sample", "version")
        if not hasattr(c.task, a)
    ]
    assert not missing, f"missing attributes {missing}"
    for side in ("x_kind", "y_kind"):
        assert getattr(c.task, side) in ("continuous", "discrete"), f"{side}={getattr(c.task, side)!r}"


def _check_task_true_mi(c: _TaskCase) -> None:
    v = c.task.true_mi
    assert isinstance(v, float) and np.isfinite(v) and v >= 0, f"true_mi must be a finite float >= 0, got {v!r}"


def _check_task_params_rebuild(c: _TaskCase) -> None:
    import json

    try:
        text = canonical_json(c.task.params)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"params are not JSON-serialisable (canonical JSON, ibbench.serial): {exc}") from exc
    again = type(c.task)(**json.loads(text))
    assert again.params == c.task.params, f"rebuilding from params gave {again.params} != {c.task.params}"


def _check_task_shapes(c: _TaskCase) -> None:
    task, n = c.task, c.n
    X, Y = task.sample(n, random_state=0)
    if not c.fixed:
        assert len(X) == len(Y) == n, f"sample({n}) returned {len(X)}/{len(Y)} rows"
    assert len(X) == len(Y), f"sample({n}) returned {len(X)} rows of X but {len(Y)} of Y"
    assert X.shape[1] == task.dim_x and Y.shape[1] == task.dim_y, (
        f"shapes {X.shape}, {Y.shape} vs dim_x={task.dim_x}, dim_y={task.dim_y}"
    )
    assert np.isfinite(X).all() and np.isfinite(Y).all(), "non-finite samples"
    for side, A in (("x", X), ("y", Y)):
        if getattr(task, f"{side}_kind") == "discrete":
            assert np.array_equal(A, np.round(A)), f"{side}_kind is discrete but values are not integers"


def _check_task_deterministic(c: _TaskCase) -> None:
    a, b = c.task.sample(c.n, random_state=1), c.task.sample(c.n, random_state=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b)), "same random_state gave different samples"


def _check_task_seeds_differ(c: _TaskCase) -> None:
    if c.fixed:
        raise SkipCheck("fixed_population task: sample(None) is the whole population whatever the seed")
    a, b = c.task.sample(c.n, random_state=1), c.task.sample(c.n, random_state=2)
    assert not all(np.array_equal(p, q) for p, q in zip(a, b)), "different seeds gave identical samples"


def _check_task_none_rule(c: _TaskCase) -> None:
    if c.fixed:
        raise SkipCheck("fixed_population task: sample(None) is valid (its whole population, see shapes)")
    try:
        c.task.sample(None, random_state=0)
    except ValueError:
        return
    raise AssertionError("sample(None) must raise ValueError for a task that is not fixed_population")


_TASK_CHECKS: dict[str, Callable[[_TaskCase], None]] = {
    "attributes": _check_task_attributes,
    "true_mi": _check_task_true_mi,
    "params_rebuild": _check_task_params_rebuild,
    "shapes": _check_task_shapes,
    "deterministic": _check_task_deterministic,
    "seeds_differ": _check_task_seeds_differ,
    "none_rule": _check_task_none_rule,
}
#: Names of the task checks, in the order they run.
TASK_CHECKS: tuple[str, ...] = tuple(_TASK_CHECKS)


def check_task(task: TaskLike, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run the task conformance suite on a task instance or class (a class is instantiated with its
    ``get_test_params()``).

    Checks (names in :data:`TASK_CHECKS`): ``attributes`` required attributes; ``true_mi`` a finite
    float ≥ 0; ``params_rebuild`` params in canonical JSON that rebuild an equal task; ``shapes``
    sample shapes, finiteness, discrete sides integer-valued; ``deterministic`` same seed → same
    sample; ``seeds_differ`` different seeds → different samples (skipped for fixed-population
    tasks); ``none_rule`` ``sample(None)`` raises ``ValueError`` (skipped for fixed-population tasks,
    for which it returns the whole population). Returns one :class:`CheckResult` per check; raises
    ``AssertionError`` listing the failures if ``raise_on_failure``.
    """
    case = _TaskCase(task)
    checker = _Checker()
    for name, fn in _TASK_CHECKS.items():
        checker.run(name, _bind(fn, case))
    return checker.finish(case.label, raise_on_failure)


def _bind(fn: Callable[[Any], None], case: Any) -> Callable[[], None]:
    def run() -> None:
        fn(case)

    return run


# --------------------------------------------------------------------------------------------------
# one pytest case per check


def _is_task(obj: Any) -> bool:
    from ibbench.task import Task

    return isinstance(obj, Task) or (isinstance(obj, type) and issubclass(obj, Task))


@dataclass(frozen=True)
class Check:
    """One conformance check, callable on an estimator or a task: ``check(obj)`` returns if it
    passes, raises ``AssertionError`` if it fails and :class:`SkipCheck` if it does not apply.

    Made by :func:`estimator_checks`, :func:`task_checks` and :func:`parametrize_with_checks`.
    ``options`` are the keyword options of :func:`check_mi_estimator` (estimator checks only).
    """

    name: str
    kind: str  # "estimator" or "task"
    options: tuple[tuple[str, Any], ...] = ()

    def __call__(self, obj: Any) -> None:
        if self.kind == "task":
            _TASK_CHECKS[self.name](_TaskCase(obj))
        else:
            _ESTIMATOR_CHECKS[self.name](_EstimatorCase(obj, **dict(self.options)))

    def __repr__(self) -> str:
        return f"Check({self.name!r})"


def estimator_checks(**options: Any) -> list[Check]:
    """The estimator checks as :class:`Check` objects (``options``: see :func:`check_mi_estimator`)."""
    unknown = sorted(set(options) - set(ESTIMATOR_CHECK_OPTIONS))
    if unknown:
        raise TypeError(f"unknown estimator check options {unknown}; known: {list(ESTIMATOR_CHECK_OPTIONS)}")
    return [Check(name, "estimator", tuple(sorted(options.items()))) for name in ESTIMATOR_CHECKS]


def task_checks() -> list[Check]:
    """The task checks as :class:`Check` objects."""
    return [Check(name, "task") for name in TASK_CHECKS]


def _label(obj: Any) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return name
    return obj.__name__ if isinstance(obj, type) else type(obj).__name__


def parametrize_with_checks(
    objects: Sequence[Any],
    *,
    argnames: str = "estimator, check",
    expected_failed_checks: Callable[[Any], Mapping[str, str]] | None = None,
    **options: Any,
) -> pytest.MarkDecorator:
    """Pytest decorator: one test case per (estimator, check) and per (task, check).

    The ibbench counterpart of scikit-learn's ``sklearn.utils.estimator_checks.parametrize_with_checks``.
    Each item of ``objects`` is an estimator (instance, or class built with its
    ``get_test_params()``) or a task (likewise); it is paired with every check of its kind
    (:data:`ESTIMATOR_CHECKS` or :data:`TASK_CHECKS`). The test receives the object and a
    :class:`Check` and calls ``check(obj)``: the case passes, fails with the check's message, or is
    **skipped** with the reason when the check does not apply (:class:`SkipCheck`, e.g.
    ``symmetric`` for an estimator tagged ``symmetric=False``). Case ids are
    ``<name>-<check>`` (the object's ``name`` attribute, else its class name), so
    ``pytest -k "my-estimator and closed_form"`` selects one check.

    Use it in your own test suite::

        from ibbench.testing import parametrize_with_checks
        from my_package import MyEstimator, MyTask

        @parametrize_with_checks([MyEstimator, MyEstimator(k=5), MyTask])
        def test_ibbench_conformance(estimator, check):
            check(estimator)

    Parameters
    ----------
    objects : sequence of estimators and/or tasks (instances or classes)
    argnames : str, default "estimator, check"
        The two argument names of the decorated test.
    expected_failed_checks : callable, optional
        ``obj -> {check name: reason}``: those cases are marked ``xfail(strict=True)`` (a check
        that starts passing then fails the run, so the entry is removed when fixed).
    **options
        Keyword options of the estimator checks (``n``, ``tolerance``, ``random_state``,
        ``invariance_n``, ``invariance_tolerance``; see :func:`check_mi_estimator`).

    Returns
    -------
    pytest.MarkDecorator
        ``pytest.mark.parametrize(argnames, [...])``.
    """
    import pytest

    est_checks, tsk_checks = estimator_checks(**options), task_checks()
    params = []
    for obj in objects:
        checks = tsk_checks if _is_task(obj) else est_checks
        expected = dict(expected_failed_checks(obj)) if expected_failed_checks is not None else {}
        unknown = sorted(set(expected) - {c.name for c in checks})
        if unknown:
            raise ValueError(f"expected_failed_checks of {_label(obj)} names unknown checks {unknown}")
        for check in checks:
            marks = [pytest.mark.xfail(reason=expected[check.name], strict=True)] if check.name in expected else []
            params.append(pytest.param(obj, check, id=f"{_label(obj)}-{check.name}", marks=marks))
    return pytest.mark.parametrize(argnames, params)
