"""pytest-benchmark microbenchmarks of the shared hot kernels in ``ibbench.numerics``.

kNN radii and counts (:mod:`ibbench.numerics.knn`: k-d tree queries, the chunked brute-force KSG
counts, Kozachenko–Leonenko terms), plug-in entropies (:mod:`ibbench.numerics.entropy`: row codes
via the bytes view, bincount entropy) and leave-one-out KDE log-densities (:mod:`ibbench.numerics.kde`).
Each benchmark also checks its result against an independent brute-force reference on a slice, so a
fast-but-wrong kernel fails. Estimator-level timings live in ``test_bench_classical.py`` /
``test_bench_neural.py``; exact MI per qnn snapshot in ``test_bench_qnn.py``.

Run: ``pytest tests/benchmarks -m benchmark --benchmark-enable -p no:randomly`` (docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from ibbench.numerics import entropy, knn

pytestmark = pytest.mark.benchmark


def _measure(benchmark, fn, *args, n):
    """Time ``fn(*args)``; sizes of 10^5 and above take seconds, so three rounds are enough."""
    if n >= 100_000:
        return benchmark.pedantic(fn, args=args, rounds=3, iterations=1)
    return benchmark(fn, *args)


def _brute_kth(Z, rows, k, metric):
    d = cdist(Z[rows], Z, metric)
    d[np.arange(len(rows)), rows] = np.inf
    return np.sort(d, axis=1)[:, k - 1]


@pytest.mark.parametrize("n,dim", [(10_000, 2), (10_000, 5), (100_000, 2)])
def test_knn_radii_maxnorm(benchmark, gaussian_pair, n, dim):
    """k-th neighbour max-norm radius in the joint space (the KSG ε_i), k = 3."""
    X, Y = gaussian_pair(n, dim)
    Z = np.column_stack([X, Y])
    dist = _measure(benchmark, knn.knn_distances, Z, 3, knn.MAX_NORM, n=n)
    rows = np.arange(0, n, n // 50)
    np.testing.assert_allclose(dist[rows, -1], _brute_kth(Z, rows, 3, "chebyshev"), rtol=0, atol=0)


@pytest.mark.parametrize("n,dim", [(10_000, 2), (100_000, 2)])
def test_count_within_marginal(benchmark, gaussian_pair, n, dim):
    """Marginal counts n_x(i) = #{j ≠ i: |x_i − x_j|_∞ < ε_i} (KSG eq. 8)."""
    X, Y = gaussian_pair(n, dim)
    radii = knn.knn_distances(np.column_stack([X, Y]), 3, knn.MAX_NORM)[:, -1]
    counts = _measure(benchmark, knn.count_within, X, radii, knn.MAX_NORM, True, n=n)
    rows = np.arange(0, n, n // 50)
    ref = (cdist(X[rows], X, "chebyshev") < radii[rows, None]).sum(axis=1) - 1
    np.testing.assert_array_equal(counts[rows], ref)


@pytest.mark.parametrize("n,dim", [(2000, 10), (5000, 10)])
def test_ksg_counts_brute(benchmark, gaussian_pair, n, dim):
    """Chunked brute-force KSG counts (the high-dimensional path), 10+10 dims; equal to the tree path."""
    X, Y = gaussian_pair(n, dim)
    nx, ny = benchmark(knn.ksg_counts_brute, X, Y, 3)
    radii = knn.knn_distances(np.column_stack([X, Y]), 3, knn.MAX_NORM)[:, -1]
    np.testing.assert_array_equal(nx, knn.count_within(X, radii, knn.MAX_NORM, True))
    np.testing.assert_array_equal(ny, knn.count_within(Y, radii, knn.MAX_NORM, True))
    # and against scipy's pairwise distances on a slice (independent of ibbench's kNN code)
    rows = np.arange(0, n, n // 50)
    eps = _brute_kth(np.column_stack([X, Y]), rows, 3, "chebyshev")
    np.testing.assert_array_equal(nx[rows], (cdist(X[rows], X, "chebyshev") < eps[:, None]).sum(axis=1) - 1)
    np.testing.assert_array_equal(ny[rows], (cdist(Y[rows], Y, "chebyshev") < eps[:, None]).sum(axis=1) - 1)


@pytest.mark.parametrize("n,dim", [(10_000, 4), (100_000, 4)])
def test_kl_entropy_terms(benchmark, gaussian_pair, n, dim):
    """Kozachenko–Leonenko per-point terms (Euclidean k-th neighbour, k = 5) of a d-dim sample."""
    X, Y = gaussian_pair(n, dim // 2)
    Z = np.column_stack([X, Y])
    terms = _measure(benchmark, knn.kl_entropy_terms, Z, 5, n=n)
    rows = np.arange(0, n, n // 50)
    rho = _brute_kth(Z, rows, 5, "euclidean")
    from scipy.special import digamma

    ref = digamma(n) - digamma(5) + knn.log_unit_ball_volume(dim) + dim * np.log(rho)
    np.testing.assert_allclose(terms[rows], ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,width,levels", [(4096, 10, 16), (4096, 5, 256), (100_000, 8, 16)])
def test_row_codes(benchmark, quantized_activations, n, width, levels):
    """Integer code per distinct row (bytes view) of a quantized layer vs ``np.unique(axis=0)``."""
    T = quantized_activations(n, width, levels)
    codes = benchmark(entropy.row_codes, T)
    _, ref = np.unique(T, axis=0, return_inverse=True)
    # same partition of the rows: codes and ref determine each other
    pairs = np.unique(np.column_stack([codes, ref.ravel()]), axis=0)
    assert len(pairs) == codes.max() + 1 == ref.max() + 1


@pytest.mark.parametrize("n,width,levels", [(4096, 10, 16), (100_000, 8, 16)])
def test_plugin_entropy_of_rows(benchmark, quantized_activations, n, width, levels):
    """H(T) of a quantized layer: row codes + bincount entropy (the exact-MI building block)."""
    T = quantized_activations(n, width, levels)
    h = benchmark(lambda: entropy.plugin_entropy(entropy.row_codes(T)))
    _, counts = np.unique(T, axis=0, return_counts=True)
    p = counts / n
    assert h == pytest.approx(-np.sum(p * np.log(p)), rel=1e-12)


@pytest.mark.parametrize("n", [10_000, 1_000_000])
def test_plugin_mutual_info(benchmark, n):
    """Plug-in (H(X), H(Y), H(X,Y)) of integer codes with 64 x 64 symbols."""
    rng = np.random.default_rng(0)
    cx = rng.integers(0, 64, n)
    cy = (cx + rng.integers(0, 8, n)) % 64
    hx, hy, hxy = _measure(benchmark, entropy.plugin_mutual_info, cx, cy, n=n)

    def h(counts):
        p = counts[counts > 0] / n
        return -np.sum(p * np.log(p))

    # plug-in entropies of the histograms (bincount): the same sums in another order, so 1e-12
    assert hx == pytest.approx(h(np.bincount(cx)), rel=1e-12)
    assert hy == pytest.approx(h(np.bincount(cy)), rel=1e-12)
    assert hxy == pytest.approx(h(np.bincount(cx * 64 + cy)), rel=1e-12)
    # Y = X + U mod 64 with U uniform on 8 values: I = H(Y) - H(U) = log 64 - log 8 = log 8; the
    # plug-in's upward bias is ~(64*8 - 64 - 64 + 1)/(2n) = 0.019 nats at n = 10^4, sd ~ 0.01
    assert hx + hy - hxy == pytest.approx(np.log(8), abs=0.06)


@pytest.mark.parametrize("n,cached", [(5000, True), (5000, False), (20_000, False)])
def test_kde_loo_log_density(benchmark, gaussian_pair, n, cached):
    """Leave-one-out Gaussian-KDE log-densities at a fixed bandwidth (2+2 dims), from the cached
    float32 distance matrix or recomputed block by block; checked against float64 logsumexp."""
    from scipy.special import logsumexp

    from ibbench.numerics.kde import LeaveOneOutKDE

    X, Y = gaussian_pair(n, 2)
    Z = np.column_stack([X, Y])
    kde = LeaveOneOutKDE(Z, max_cache_bytes=(1 << 28) if cached else 0)
    h = 0.4
    logf = _measure(benchmark, kde.log_loo_density, h, n=5 * n)  # seconds per call: 3 rounds
    rows = np.arange(0, n, n // 50)
    D = cdist(Z[rows], Z, "sqeuclidean")
    D[np.arange(len(rows)), rows] = np.inf
    ref = logsumexp(-D / (2 * h * h), axis=1) - np.log(n - 1) - 0.5 * Z.shape[1] * np.log(2 * np.pi * h * h)
    # float32 kernel sums (each >= 1 after the nearest-neighbour shift): relative error ~1e-6
    np.testing.assert_allclose(logf[rows], ref, rtol=0, atol=1e-5)
