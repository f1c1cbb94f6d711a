"""Fast leave-one-out kernel sums of the KDE estimators (binned + FFT; truncated over k-d tree leaves)
and the stationary-point bandwidth search, against exact sums and the grid search."""

import numpy as np
import pytest

from ibbench.estimators.kde import KDELeastSquares, KDEMaxLikelihood
from ibbench.numerics.kde import (
    BinnedKDE,
    LeaveOneOutKDE,
    silverman_bandwidth,
    stationary_log_bandwidth,
    whiten,
)
from ibbench.numerics.kde_truncated import TruncatedKDE


def _sample(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "gaussian":
        Z = rng.standard_normal((n, d))
    elif kind == "mixture":  # two clusters of very different spread
        Z = np.concatenate([0.3 * rng.standard_normal((n // 2, d)), 3.0 + rng.standard_normal((n - n // 2, d))])
    else:  # heavy tails: isolated points far out
        Z = rng.standard_t(3, (n, d))
    return whiten(Z)[0]


def _naive(Z: np.ndarray, h: float, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact leave-one-out ``log Σ_{j≠i} K(z_i − z_j)`` by a dense numpy sum (float64, each row shifted
    by its largest term against underflow) and the row bound ``B_i = (spacing²/4) Σ_k E_K|u_k²/h² − 1|``
    of the binned sums."""
    U2 = (Z[:, None, :] - Z[None, :, :]) ** 2 / h**2  # (n, n, d)
    A = -0.5 * U2.sum(axis=2)
    np.fill_diagonal(A, -np.inf)
    top = A.max(axis=1, keepdims=True)
    K = np.exp(A - top)  # kernel values over the row's largest
    S = K.sum(axis=1)
    B = 0.25 * spacing**2 * np.einsum("ij,ijk->i", K, np.abs(U2 - 1.0)) / S
    return np.log(S) + top[:, 0], B


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("kind", ["gaussian", "mixture", "student-t"])
def test_binned_sums_are_within_the_stated_row_bound(d, kind):
    rng = np.random.default_rng(d * 10 + len(kind))
    n = 2000
    Z = _sample(kind, n, d, rng)
    kde = BinnedKDE(Z)
    for factor in (0.5, 1.0, 3.0):
        h = factor * silverman_bandwidth(n, d)
        if h < kde.min_bandwidth():
            continue
        exact, bound = _naive(Z, h, kde.spacing)
        binned = kde.log_kernel_sums(h)
        assert np.all(np.abs(binned - exact) <= bound + 1e-9), np.max(np.abs(binned - exact) / bound)
        # an entropy is a mean over rows: it moves by at most the mean bound, and by < 1e-3 nats
        assert abs(np.mean(binned - exact)) <= min(np.mean(bound), 1e-3)
        if kind != "student-t":  # smooth on the scale h: the mean bound is about (d/4) spacing²
            assert np.mean(bound) <= 1.5 * d / 4 * kde.spacing**2


def test_duplicates_and_isolated_points_match_the_exact_class():
    rng = np.random.default_rng(5)
    Z = np.round(rng.standard_normal((3000, 2)), 2)  # many exact ties
    Z[:3] = [[9.0, 9.0], [-9.0, 0.0], [0.0, 9.5]]  # isolated: summed exactly (below the floor)
    exact, binned = LeaveOneOutKDE(Z), BinnedKDE(Z)
    assert binned.n_dup.sum() > 0 and np.array_equal(binned.n_dup, exact.n_dup)
    h = silverman_bandwidth(3000, 2)
    for copies_out in (False, True):
        a, b = exact.log_loo_density(h, copies_out), binned.log_loo_density(h, copies_out)
        # summed exactly (float64 here, float32 kernel values in LeaveOneOutKDE)
        assert np.allclose(a[:3], b[:3], rtol=1e-6, atol=0)
        assert abs(np.mean(a - b)) < 1e-3 and np.max(np.abs(a - b)) < 1e-2


def test_grid_limit():
    Z = np.random.default_rng(0).standard_normal((500, 2))
    kde = BinnedKDE(Z)
    h = kde.min_bandwidth()
    assert kde.grid_nodes(h) <= 2**24 < kde.grid_nodes(0.99 * h)
    with pytest.raises(ValueError, match="grid"):
        kde.log_kernel_sums(0.9 * h)
    with pytest.raises(ValueError, match="spacing"):
        BinnedKDE(Z, spacing=0.0)


@pytest.mark.parametrize("estimator", [KDEMaxLikelihood, KDELeastSquares])
def test_estimator_binned_matches_exact(estimator):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1500, 1))
    y = x + rng.standard_normal((1500, 1))
    exact = estimator(kernel_sums="exact").fit(x, y)
    binned = estimator(kernel_sums="binned").fit(x, y)
    # different bandwidth searches (the binned one starts at the grid's smallest h) find the same
    # optimum to Brent's 2 % in h; both criteria are flat there
    assert binned.mutual_info_ == pytest.approx(exact.mutual_info_, abs=1e-3)
    for attr in ("entropy_x_", "entropy_y_", "entropy_xy_"):
        assert getattr(binned, attr) == pytest.approx(getattr(exact, attr), abs=1e-3)


def test_auto_bins_only_large_low_dimensional_samples():
    rng = np.random.default_rng(1)
    auto = KDEMaxLikelihood()
    assert auto.binned_min_n == 30_000 and auto.binned_max_dim == 2
    assert type(auto._kde(rng.standard_normal((2000, 2)), 0)) is LeaveOneOutKDE  # n <= 30 000: unchanged
    auto.binned_min_n = 100  # the same rule on small samples
    big = rng.standard_normal((101, 2))
    assert type(auto._kde(big, 0)) is BinnedKDE
    assert type(auto._kde(big[:100], 0)) is LeaveOneOutKDE
    assert type(auto._kde(np.column_stack([big, big[:, :1]]), 0)) is TruncatedKDE  # 3-D: truncated
    assert type(auto._kde(big, 0, h=1e-6)) is TruncatedKDE  # below the grid's smallest bandwidth
    assert type(KDEMaxLikelihood(kernel_sums="exact")._kde(big, 0)) is LeaveOneOutKDE
    fixed = KDEMaxLikelihood(bandwidth=1e-6)
    fixed.binned_min_n = 100
    assert np.isfinite(fixed.fit(big[:, :1], big[:, 1:]).mutual_info_)  # below the grid: exact sums


def test_binned_refuses_what_its_grid_cannot_reach():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 2))
    with pytest.raises(ValueError, match="kernel_sums='exact'"):
        KDEMaxLikelihood(kernel_sums="binned").fit(x, x + rng.standard_normal((300, 2)))  # 4-D joint
    with pytest.raises(ValueError, match="kernel_sums"):
        KDEMaxLikelihood(kernel_sums="fft").fit(x, x)


@pytest.mark.parametrize("d", [3, 4])
@pytest.mark.parametrize("kind", ["gaussian", "mixture", "student-t"])
def test_truncated_sums_match_dense_float64(d, kind):
    rng = np.random.default_rng(d * 10 + len(kind))
    n = 1500
    Z = _sample(kind, n, d, rng)
    kde = TruncatedKDE(Z, leaf_size=8)
    for factor in (1e-3, 0.1, 1.0, 3.0):
        h = factor * silverman_bandwidth(n, d)
        exact, _ = _naive(Z, h, 0.0)
        # truncation: relative 1e-7 per row by construction; exp in float32: ~1e-7 · the mean exponent
        assert np.max(np.abs(kde.log_kernel_sums(h) - exact)) < 2e-6


def test_truncated_sums_keep_their_precision_far_from_the_origin():
    # two tight clusters 2000 apart: |z|²/h² ~ 1e14, so blocks must be centred locally (a global
    # centring left errors of 0.06 at h = 1e-4)
    rng = np.random.default_rng(17)
    Z = np.concatenate([1000 + 0.01 * rng.standard_normal((700, 3)), -1000 + 0.01 * rng.standard_normal((701, 3))])
    kde = TruncatedKDE(Z, leaf_size=16)
    for h in (1e-4, 1e-3):
        # the other cluster adds exp(−2000² / 2h²) = 0: exact float64 sums per (re-centred) cluster
        exact = np.concatenate([_naive(Z[:700] - 1000, h, 0.0)[0], _naive(Z[700:] + 1000, h, 0.0)[0]])
        assert np.max(np.abs(kde.log_kernel_sums(h) - exact)) < 2e-6


def test_truncated_sums_skip_far_leaves():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((20000, 3))
    kde = TruncatedKDE(Z, leaf_size=16)
    dmin = kde.dmin[kde._order]

    def kept_pairs(h):
        total = 0
        for leaf, (start, stop) in enumerate(kde._leaves):
            kept = kde._kept_leaves(kde._low[leaf], kde._high[leaf], float(dmin[start:stop].max()), 0.5 / h**2)
            total += (stop - start) * kde._sizes[kept].sum()
        return total / len(Z) ** 2

    small, moderate = kept_pairs(0.02), kept_pairs(0.2)
    assert small < 0.1 and small < moderate < 0.5  # small h: small neighbourhoods
    assert kept_pairs(100.0) == 1.0  # h far above the spread: every pair counts


def test_truncated_duplicates_match_the_exact_class():
    rng = np.random.default_rng(5)
    Z = np.round(rng.standard_normal((2000, 3)), 1)  # many exact ties
    Z[:2] = [[9.0, 9.0, 9.0], [-9.0, 0.0, 9.0]]  # isolated points
    exact, truncated = LeaveOneOutKDE(Z), TruncatedKDE(Z)
    assert truncated.n_dup.sum() > 0 and np.array_equal(truncated.n_dup, exact.n_dup)
    assert np.allclose(truncated.dmin, exact.dmin, rtol=1e-12, atol=0)
    for h in (0.01, 0.3):
        for copies_out in (False, True):
            a, b = exact.log_loo_density(h, copies_out), truncated.log_loo_density(h, copies_out)
            assert np.max(np.abs(a - b)) < 2e-6  # float32 kernel values in both
        assert truncated.log_likelihood_slope(h) == pytest.approx(exact.log_likelihood_slope(h), rel=1e-5)


@pytest.mark.parametrize("kde_class", [LeaveOneOutKDE, TruncatedKDE])
def test_likelihood_slope_is_the_derivative_of_the_mean_log_density(kde_class):
    rng = np.random.default_rng(7)
    Z = whiten(rng.standard_t(5, (800, 3)))[0]
    kde = kde_class(Z)
    for h in (0.05, 0.3, 1.5):
        # central difference of the dense float64 reference (independent of both classes)
        eps = 1e-4

        def mean_log_density(t, h=h):
            g = h * np.exp(t)
            return np.mean(_naive(Z, g, 0.0)[0]) - 3 * np.log(g)

        numeric = (mean_log_density(eps) - mean_log_density(-eps)) / (2 * eps)
        assert kde.log_likelihood_slope(h) == pytest.approx(numeric, rel=1e-5, abs=1e-5)


def test_stationary_search_finds_the_likelihood_maximum_of_a_fine_grid():
    rng = np.random.default_rng(11)
    Z = whiten(rng.standard_normal((1500, 4)) ** 3)[0]  # skewed, heavy-tailed
    kde = LeaveOneOutKDE(Z)
    hs = silverman_bandwidth(1500, 4)
    t = stationary_log_bandwidth(lambda t: kde.log_likelihood_slope(float(np.exp(t))), np.log(hs), -10, 3)
    grid = np.log(hs) + np.linspace(-2.0, 1.0, 301)  # steps of 0.01 in log h
    likelihood = [np.mean(kde.log_loo_density(float(np.exp(g)))) for g in grid]
    assert t is not None and abs(t - grid[int(np.argmax(likelihood))]) <= 0.01
    # no sign change in range: None (the estimator then falls back to the grid search)
    assert stationary_log_bandwidth(lambda t: 1.0 - t, 5.0, 2.0, 4.0) is None
    assert stationary_log_bandwidth(lambda t: 1.0 - t, -3.0, -5.0, 4.0) == pytest.approx(1.0, abs=1e-3)


def test_estimator_truncated_matches_exact_and_auto_uses_it_on_large_samples():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2000, 2))
    y = x + rng.standard_normal((2000, 2))
    exact = KDEMaxLikelihood(kernel_sums="exact", bandwidth_search="stationary").fit(x, y)
    truncated = KDEMaxLikelihood(kernel_sums="truncated", bandwidth_search="stationary").fit(x, y)
    assert truncated.bandwidth_["xy"] == pytest.approx(exact.bandwidth_["xy"], rel=1e-4)
    assert truncated.mutual_info_ == pytest.approx(exact.mutual_info_, abs=1e-5)
    # the stationary point is the grid search's optimum, found to 0.1 % in h instead of 2 %
    grid = KDEMaxLikelihood(kernel_sums="exact", bandwidth_search="grid").fit(x, y)
    assert grid.bandwidth_["xy"] == pytest.approx(exact.bandwidth_["xy"], rel=0.03)
    assert grid.mutual_info_ == pytest.approx(exact.mutual_info_, abs=0.01)
    auto = KDEMaxLikelihood()
    auto.binned_min_n = 1000  # the large-sample rule on a small sample
    fitted = auto.fit(x, y)
    assert fitted.bandwidth_["xy"] == pytest.approx(exact.bandwidth_["xy"], rel=1e-4)
    assert fitted.mutual_info_ == pytest.approx(exact.mutual_info_, abs=5e-4)  # binned 2-D marginals
    lse = KDELeastSquares(kernel_sums="truncated").fit(x, y)
    assert lse.mutual_info_ == pytest.approx(KDELeastSquares(kernel_sums="exact").fit(x, y).mutual_info_, abs=1e-5)
    with pytest.raises(ValueError, match="bandwidth_search"):
        KDEMaxLikelihood(bandwidth_search="newton").fit(x, y)
    with pytest.raises(ValueError, match="binned kernel sums"):
        KDEMaxLikelihood(kernel_sums="binned", bandwidth_search="stationary").fit(x[:, :1], y[:, :1])
    with pytest.raises(ValueError, match="tolerance"):
        TruncatedKDE(x, tolerance=0.0)
    for bad in ({"leaf_size": 2.5}, {"leaf_size": 0}, {"n_threads": 0}, {"n_threads": -3}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TruncatedKDE(x, **bad)
