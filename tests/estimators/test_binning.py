"""Binning estimators: bin assignment vs numpy's histograms, plug-in MI vs an exact discretised
Gaussian, invariances (relabelling, monotone maps, symmetry) and the discrete-side rule."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from ibbench.estimators.binning import AdaptiveBinning, Binning, equal_mass_bin_codes, uniform_bin_codes
from ibbench.estimators.discrete import ExactMI


def _mi_from_table(counts):
    """Plug-in MI (nats) of a 2-D contingency table (independent of the estimator's code path)."""
    p = counts / counts.sum()
    px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / (px @ py)[nz])))


def test_perfect_dependence_gives_log_bins():
    x = np.linspace(0.0, 1.0, 1000)
    # 10 equal-width bins of 100 points each: I = H = log 10 exactly
    assert Binning(n_bins=10).estimate(x, x) == pytest.approx(np.log(10), abs=1e-12)
    assert AdaptiveBinning(n_bins=10).estimate(x, x) == pytest.approx(np.log(10), abs=1e-12)


@pytest.mark.parametrize("n_bins", [5, 30])
def test_uniform_bins_match_numpy_histogram2d(n_bins):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3000)
    y = x + rng.standard_normal(3000)
    counts, _, _ = np.histogram2d(x, y, bins=n_bins)  # equal-width bins over each variable's range
    # same bins, same counts: identical up to floating-point summation order
    assert Binning(n_bins=n_bins).estimate(x, y) == pytest.approx(_mi_from_table(counts), abs=1e-12)


def test_per_dimension_bins_match_histogramdd():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2000, 2)) * [1.0, 10.0]
    y = X[:, :1] + rng.standard_normal((2000, 1))
    codes = uniform_bin_codes(X, 6, per_dimension=True)
    counts, _ = np.histogramdd(X, bins=6)
    ref = np.zeros((6, 6))
    np.add.at(ref, (codes[:, 0], codes[:, 1]), 1)
    assert np.array_equal(ref, counts)
    # with one global range the narrow first column falls into few bins: a different estimate
    a = Binning(n_bins=6, per_dimension=True).estimate(X, y)
    b = Binning(n_bins=6, per_dimension=False).estimate(X, y)
    assert abs(a - b) > 0.05


def test_global_range_is_shared_by_all_columns():
    A = np.array([[0.0, 0.0], [1.0, 10.0]])
    assert uniform_bin_codes(A, 10).tolist() == [[0, 0], [1, 9]]  # range [0, 10] for both columns
    assert uniform_bin_codes(A, 10, per_dimension=True).tolist() == [[0, 0], [9, 9]]


def test_equal_mass_bins_are_equally_filled():
    rng = np.random.default_rng(2)
    A = rng.standard_exponential((1000, 3))
    codes = equal_mass_bin_codes(A, 8)
    for j in range(3):
        assert np.bincount(codes[:, j]).tolist() == [125] * 8


def test_adaptive_binning_matches_exact_mi_of_the_discretised_gaussian():
    """At the population quantiles, the binned MI is a 2-D normal-CDF sum (exact to ~1e-7); the plug-in
    estimate at n = 20000 with 8x8 bins is within its bias (~49/(2n) = 0.001) plus noise."""
    rho, n_bins, n = 0.8, 8, 20_000
    edges = norm.ppf(np.linspace(0, 1, n_bins + 1))
    edges[0], edges[-1] = -12.0, 12.0
    mvn = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    F = np.array([[mvn.cdf([a, b]) for b in edges] for a in edges])
    cells = np.diff(np.diff(F, axis=0), axis=1)
    truth = _mi_from_table(np.clip(cells, 0, None))
    rng = np.random.default_rng(3)
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    est = AdaptiveBinning(n_bins=n_bins).estimate(x, y)
    assert est == pytest.approx(truth, abs=0.02)  # sd of the plug-in MI at this n is ~0.005


def test_adaptive_binning_is_invariant_to_monotone_maps():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(500)
    y = x + rng.standard_normal(500)
    a = AdaptiveBinning(n_bins=10).estimate(x, y)
    assert AdaptiveBinning(n_bins=10).estimate(np.exp(x), y**3) == pytest.approx(a, abs=1e-12)


@pytest.mark.parametrize("cls", [Binning, AdaptiveBinning, ExactMI])
def test_relabelling_discrete_symbols_does_not_change_the_estimate(cls):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, 800)
    y = (x + rng.integers(0, 2, 800)) % 6
    perm = rng.permutation(6) * 7 + 3  # an injective relabelling to other integers
    a = cls().estimate(x, y)
    assert cls().estimate(perm[x], y) == pytest.approx(a, abs=1e-12)
    # integer data are used as symbols: binning equals the exact plug-in MI
    assert a == pytest.approx(ExactMI().estimate(x, y), abs=1e-12)


@pytest.mark.parametrize("cls", [Binning, AdaptiveBinning])
def test_symmetry(cls):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((700, 2))
    Y = X @ rng.standard_normal((2, 3)) + rng.standard_normal((700, 3))
    assert cls(n_bins=7).estimate(X, Y) == pytest.approx(cls(n_bins=7).estimate(Y, X), abs=1e-12)


def test_discrete_side_flags():
    x = np.repeat(np.arange(4), 50).astype(float)
    y = x * 0.5
    est = Binning(n_bins=2).fit(x, y)
    assert est.binned_ == (False, True)  # x integer-valued, y not
    assert Binning(n_bins=2, discrete_y=True).fit(x, y).binned_ == (False, False)
    with pytest.raises(ValueError, match="discrete_x"):
        Binning(discrete_x="maybe").fit(x, y)
    with pytest.raises(ValueError, match="n_bins"):
        Binning(n_bins=0).fit(x, y)


def test_miller_madow_reduces_the_upward_bias_on_independent_data():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal(1000), rng.standard_normal(1000)
    plain = Binning(n_bins=10).estimate(x, y)
    corrected = Binning(n_bins=10, miller_madow=True).estimate(x, y)
    # plug-in bias ~ (K-1)^2/(2n) = 0.04 nats for 10x10 bins; Miller-Madow removes most of it
    assert plain > 0.02 and abs(corrected) < plain
