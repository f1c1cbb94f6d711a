"""pytest-benchmark microbenchmarks of the classical estimators (deselected by default).

Run: ``pytest tests/benchmarks/test_bench_classical.py -m benchmark --benchmark-enable``.
Budgets at n = 5000, 2+2 dims (issue 4): kl/wkl ≤ 0.05 s, kde-ml ≤ 2 s, kde-lse ≤ 6 s per MI point;
KSG ≥ 30× faster than a straightforward chunked O(n²) implementation at n = 20 000 (2+2 dims) and
≥ 5× at n = 5000 (5+5 dims). The speed-ups are measured here, not asserted in the default test run.
"""

import time

import numpy as np
import pytest
from scipy.special import digamma

import ibbench
from ibbench.tasks.gaussian import DenseGaussian

pytestmark = pytest.mark.benchmark


def _sample(dim, n):
    return DenseGaussian(dim=dim, mi=1.0).sample(n, random_state=0)


@pytest.mark.parametrize("name", ["binning", "binning-adaptive", "kl", "wkl", "ksg", "kde-ml", "kde-lse"])
def test_fit_time_n5000_2plus2(benchmark, name):
    X, Y = _sample(2, 5000)
    est = ibbench.get_estimator(name)
    benchmark.pedantic(est.fit, args=(X, Y), rounds=3, iterations=1)


def naive_ksg(X, Y, k=3, block=256):
    """The straightforward chunked O(n²) KSG (algorithm 1): per block of rows, pairwise max-norm
    distances by broadcasting, a full sort for the k-th neighbour, then counts."""
    n = len(X)
    Z = np.column_stack([X, Y])
    nx = np.empty(n)
    ny = np.empty(n)
    for s in range(0, n, block):
        e = min(n, s + block)
        dx = np.abs(X[s:e, None, :] - X[None, :, :]).max(-1)
        dy = np.abs(Y[s:e, None, :] - Y[None, :, :]).max(-1)
        dz = np.maximum(dx, dy)
        eps = np.sort(dz, axis=1)[:, k]  # column 0 is the point itself
        nx[s:e] = (dx < eps[:, None]).sum(1) - 1
        ny[s:e] = (dy < eps[:, None]).sum(1) - 1
    del Z
    return digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))


@pytest.mark.parametrize("dim,n,target", [(2, 20_000, 30.0), (5, 5000, 5.0)])
def test_ksg_speedup_over_naive(benchmark, dim, n, target):
    X, Y = _sample(dim, n)
    from ibbench._math.knn import prepare_knn_input

    rng = np.random.default_rng(0)
    Xp, Yp = prepare_knn_input(X, True, 1e-10, rng), prepare_knn_input(Y, True, 1e-10, rng)
    t0 = time.perf_counter()
    ref = naive_ksg(Xp, Yp)
    naive_seconds = time.perf_counter() - t0
    from ibbench.estimators.knn import choose_ksg_search, ksg_mi

    fast = benchmark.pedantic(ksg_mi, args=(Xp, Yp, 3, 1, choose_ksg_search(n, 2 * dim)), rounds=3, iterations=1)
    assert fast == pytest.approx(ref, abs=1e-12)  # identical estimate
    speedup = naive_seconds / benchmark.stats.stats.min
    benchmark.extra_info.update(naive_seconds=naive_seconds, speedup=speedup, target=target)
    assert speedup >= target, f"only {speedup:.1f}x faster than the naive O(n^2) KSG (target {target}x)"


@pytest.mark.parametrize("n", [1000, 10_000, 100_000])
def test_ksg_scaling_2plus2(benchmark, n):
    X, Y = _sample(2, n)
    est = ibbench.get_estimator("ksg", random_state=0)
    benchmark.pedantic(est.fit, args=(X, Y), rounds=1, iterations=1)
