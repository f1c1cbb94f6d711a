"""The template ``MIEstimator.fit`` → ``_fit``: what a subclass gets for free, and legacy ``fit`` overrides."""

from __future__ import annotations

import inspect
import textwrap
from numbers import Real
from typing import Any

import numpy as np
import pytest

import ibbench
from ibbench import registry
from ibbench.base import MIEstimator
from ibbench.estimators.entropy_base import EntropyMIEstimator
from ibbench.params import Interval
from ibbench.testing import check_mi_estimator

#: The classical built-ins, all written on the template.
TEMPLATE_BUILTINS = ("gaussian", "ksg", "kl", "wkl", "kde-ml", "kde-lse", "binning", "binning-adaptive", "exact")

LEGACY_MODULE = '''
import numpy as np
from ibbench.base import MIEstimator


class LegacyCorrelationMI(MIEstimator):
    """First-contract estimator: overrides fit and validates with _validate_pair itself."""

    name = "test-legacy"
    version = "1"
    tags = {"accepts_x": "continuous", "accepts_y": "continuous"}

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, Y):
        X, Y = self._validate_pair(X, Y)
        r = np.corrcoef(X[:, 0], Y[:, 0])[0, 1] if X[:, 0].std() > 0 and Y[:, 0].std() > 0 else 0.0
        self.mutual_info_ = float(-0.5 * np.log1p(-min(r * r, 1 - 1e-15)) * self.scale)
        return self
'''


@pytest.fixture
def legacy(tmp_path, monkeypatch):
    """The legacy estimator as an importable module, registered as ``test-legacy``."""
    (tmp_path / "_legacy_estimator.py").write_text(textwrap.dedent(LEGACY_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, "test-legacy", "_legacy_estimator:LegacyCorrelationMI")
    return registry.get_estimator_class("test-legacy")


# --- (a) legacy estimators that override fit -------------------------------------------------------


def test_legacy_fit_override_passes_the_conformance_suite(legacy):
    assert "fit" in vars(legacy) and "_fit" not in vars(legacy)
    results = check_mi_estimator(legacy, raise_on_failure=False)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


def test_legacy_fit_override_runs_through_the_runner(legacy, tmp_path):
    store = tmp_path / "cells.sqlite"
    summary = ibbench.run(
        estimators="test-legacy,gaussian",
        tasks="gaussian-dense:dim=1;mi=0.5",
        n=300,
        seeds=2,
        store=store,
        backend="inline",
    )
    assert summary.statuses == {"ok": 4}, summary.statuses
    rows = ibbench.load_results(store)
    legacy_rows = rows[rows["estimator"] == "test-legacy"].sort_values("seed")
    gaussian_rows = rows[rows["estimator"] == "gaussian"].sort_values("seed")
    assert len(legacy_rows) == len(gaussian_rows) == 2
    # in one dimension the legacy correlation MI is the Gaussian baseline: same samples, same estimate
    np.testing.assert_allclose(legacy_rows["estimate"].to_numpy(), gaussian_rows["estimate"].to_numpy(), rtol=1e-9)


def test_legacy_fit_override_still_validates_through_validate_pair(legacy):
    with pytest.raises(ValueError, match="NaN"):
        legacy().fit(np.array([0.0, np.nan, 1.0]), np.array([1.0, 2.0, 3.0]))
    est = legacy().fit(np.arange(5.0), np.arange(5.0) ** 2)
    assert est.n_samples_ == 5


# --- (b) a subclass implementing only _fit ---------------------------------------------------------


class Recorder(MIEstimator):
    """Implements only ``_fit``: records what it receives; I = scale × |corr of the first columns|."""

    name = "test-recorder"
    version = "1"
    tags = {"stochastic": True}
    _parameter_constraints = {"scale": [Interval(Real, 0, None, closed="neither")], "random_state": ["random_state"]}

    def __init__(self, scale: float = 1.0, random_state: Any = None) -> None:
        self.scale = scale
        self.random_state = random_state

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self.seen_ = (X.copy(), Y.copy())
        self.rng_ = rng
        noise = rng.standard_normal()
        self.mutual_info_ = float(self.scale * abs(np.corrcoef(X[:, 0], Y[:, 0])[0, 1]) + 1e-3 * noise)


class DroppingRecorder(Recorder):
    tags = {"constant_columns": "drop"}

    def _fit_constant_side(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self.constant_side_ = (X.shape, Y.shape)
        super()._fit_constant_side(X, Y, rng)


def _pair(n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 2))
    return x, x + r.standard_normal((n, 2))


@pytest.mark.parametrize(
    ("X", "Y", "message"),
    [
        (np.array([[0.0], [np.nan], [1.0]]), np.ones((3, 1)), "NaN"),
        (np.zeros((5, 1)), np.zeros((4, 1)), "rows"),
        (np.zeros((1, 1)), np.zeros((1, 1)), "at least 2 samples"),
        (np.array([["a"], ["b"]]), np.zeros((2, 1)), "numeric"),
        (np.zeros((3, 1, 1)), np.zeros((3, 1)), "3-D"),
    ],
)
def test_fit_validates_the_data_before_fit_is_called(X, Y, message):
    est = Recorder(random_state=0)
    with pytest.raises(ValueError, match=message):
        est.fit(X, Y)
    assert not hasattr(est, "seen_")


def test_fit_passes_validated_float_arrays_and_sets_n_samples():
    x = np.arange(6)  # ints, 1-D
    y = np.array([True, False, True, True, False, False])
    est = Recorder(random_state=0).fit(x, y)
    X, Y = est.seen_
    assert X.dtype == Y.dtype == np.float64 and X.shape == Y.shape == (6, 1)
    np.testing.assert_array_equal(X[:, 0], x)
    assert est.n_samples_ == 6


def test_fit_validates_the_declared_parameters():
    with pytest.raises(ValueError, match="scale"):
        Recorder(scale=-1.0).fit(*_pair())
    with pytest.raises(ValueError, match="random_state"):
        Recorder(random_state="seed").fit(*_pair())


def test_min_samples_hook_and_its_message():
    class NeedsFive(Recorder):
        def _min_samples(self) -> int:
            return 5

    X, Y = _pair(4)
    with pytest.raises(ValueError, match="at least 5 samples are needed, got 4"):
        NeedsFive(random_state=0).fit(X, Y)
    assert NeedsFive(random_state=0).fit(*_pair(5)).n_samples_ == 5
    with pytest.raises(ValueError, match="at least 2 samples"):  # the generic minimum still comes first
        NeedsFive(random_state=0).fit(X[:1], Y[:1])

    class Explains(NeedsFive):
        def _min_samples_message(self, n: int) -> str:
            return f"five please, got {n}"

    with pytest.raises(ValueError, match="five please, got 4"):
        Explains(random_state=0).fit(X, Y)


def test_knn_estimators_keep_their_sample_size_message():
    x = np.random.default_rng(0).standard_normal(4)
    for name in ("ksg", "kl", "wkl"):
        with pytest.raises(ValueError, match="k=4 neighbours need at least 5 samples, got n=4"):
            ibbench.get_estimator(name, k=4, random_state=0).fit(x, x)


def test_constant_columns_are_kept_by_default():
    X, Y = _pair()
    Xc = np.column_stack([X, np.full(len(X), 7.0)])
    est = Recorder(random_state=0).fit(Xc, Y)
    np.testing.assert_array_equal(est.seen_[0], Xc)


def test_constant_columns_drop_policy():
    X, Y = _pair()
    Xc = np.column_stack([np.full(len(X), 7.0), X, np.full(len(X), -2.0)])
    est = DroppingRecorder(random_state=0).fit(Xc, Y)
    np.testing.assert_array_equal(est.seen_[0], X)  # only the constant columns are gone
    np.testing.assert_array_equal(est.seen_[1], Y)
    assert not hasattr(est, "constant_side_")
    assert est.mutual_info_ == Recorder(random_state=0).fit(X, Y).mutual_info_


@pytest.mark.parametrize("constant", ["x", "y", "both"])
def test_a_constant_side_gives_zero_through_fit_constant_side(constant):
    X, Y = _pair()
    if constant in ("x", "both"):
        X = np.full_like(X, 3.0)
    if constant in ("y", "both"):
        Y = np.full_like(Y, -1.0)
    est = DroppingRecorder(random_state=0).fit(X, Y)
    assert est.mutual_info_ == 0.0 and not hasattr(est, "seen_")
    shape_x, shape_y = est.constant_side_
    assert (shape_x[1] == 0) == (constant in ("x", "both")) and (shape_y[1] == 0) == (constant in ("y", "both"))
    assert est.n_samples_ == len(X)


def test_seeding_comes_for_free():
    X, Y = _pair()
    a, b = Recorder(random_state=3).fit(X, Y), Recorder(random_state=3).fit(X, Y)
    assert isinstance(a.rng_, np.random.Generator)
    assert a.mutual_info_ == b.mutual_info_
    assert Recorder(random_state=4).fit(X, Y).mutual_info_ != a.mutual_info_
    # a Generator is used as it is (draws continue from it), not re-seeded
    gen = np.random.default_rng(3)
    c = Recorder(random_state=gen).fit(X, Y)
    assert c.rng_ is gen and c.mutual_info_ == a.mutual_info_
    assert gen.standard_normal() == np.random.default_rng(3).standard_normal(2)[1]


def test_a_template_subclass_passes_the_conformance_suite():
    class CorrelationMI(MIEstimator):
        version = "1"
        tags = {"accepts_x": "continuous", "accepts_y": "continuous"}

        def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
            r = np.corrcoef(X[:, 0], Y[:, 0])[0, 1]
            self.mutual_info_ = float(-0.5 * np.log1p(-r * r))

    results = check_mi_estimator(CorrelationMI, raise_on_failure=False)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


# --- (c) neither _fit nor fit; (d) invalid tag ----------------------------------------------------


def test_a_class_implementing_neither_fit_nor_fit_hook_raises_clearly():
    class Nothing(MIEstimator):
        pass

    with pytest.raises(NotImplementedError, match=r"Nothing must implement _fit\(X, Y, rng\)"):
        Nothing().fit(*_pair())


@pytest.mark.parametrize("policy", ["remove", None, True])
def test_an_invalid_constant_columns_tag_raises(policy):
    class BadTag(Recorder):
        tags = {"constant_columns": policy}

    with pytest.raises(ValueError, match="constant_columns must be one of"):
        BadTag(random_state=0).fit(*_pair())


# --- the shared entropy base -----------------------------------------------------------------------


class GaussianEntropyMI(EntropyMIEstimator):
    """Per-point Gaussian log-densities with the ML covariance: the entropy combination must give
    the Gaussian (canonical-correlation) MI."""

    version = "1"
    fitted_attribute = "dims_"

    def _entropy_terms(self, Z: np.ndarray, space: str, fitted: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        fitted[space] = Z.shape[1]
        C = Z - Z.mean(axis=0)
        cov = C.T @ C / len(Z)
        maha = np.einsum("ij,jk,ik->i", C, np.linalg.inv(cov), C)
        return 0.5 * (maha + np.linalg.slogdet(2 * np.pi * cov)[1])


def test_entropy_base_combines_the_three_entropies():
    X, Y = _pair(400, seed=5)
    est = GaussianEntropyMI().fit(X, Y)
    assert est.mutual_info_ == pytest.approx(ibbench.get_estimator("gaussian").estimate(X, Y), rel=1e-9)
    assert est.mutual_info_ == pytest.approx(est.entropy_x_ + est.entropy_y_ - est.entropy_xy_, abs=1e-12)
    d = X.shape[1]
    assert est.entropy_x_ == pytest.approx(0.5 * np.linalg.slogdet(2 * np.pi * np.e * np.cov(X.T, bias=True))[1])
    assert est.entropy_xy_ < est.entropy_x_ + est.entropy_y_
    assert est.dims_ == {"x": d, "y": d, "xy": 2 * d} and list(est.dims_) == ["x", "y", "xy"]
    assert 0 < est.stderr_ < 0.2


def test_entropy_base_constant_side():
    X, Y = _pair(200)
    est = GaussianEntropyMI().fit(np.column_stack([X, np.ones(len(X))]), np.full((len(X), 1), 2.0))
    assert est.mutual_info_ == 0.0 and est.stderr_ == 0.0
    assert est.entropy_y_ == est.entropy_xy_ == -np.inf and np.isfinite(est.entropy_x_)
    assert est.dims_ == {"x": 2}  # the constant column was dropped before the estimate


# --- the built-ins use the template ---------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_BUILTINS)
def test_classical_builtins_implement_only_fit_hook(name):
    cls = registry.get_estimator_class(name)
    assert cls.fit is MIEstimator.fit
    source = inspect.getsource(inspect.getmodule(cls))
    for call in ("_validate_pair(", "validate_params(", "drop_constant_columns(", "as_generator(", "default_rng(self"):
        assert call not in source, f"{cls.__module__} calls {call}"
