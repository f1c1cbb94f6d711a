"""The fast exact kNN kernels of ``ibbench.numerics.knn`` against naive O(n²) numpy references.

Every kernel must return exactly what a full pairwise computation returns — the same integer
counts and bit-identical distances — including on tied values (discrete columns, duplicate rows),
zero radii and large offsets, where an inexact shortcut would move a point across a radius.
"""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from ibbench.numerics import knn


def _naive_maxnorm(A):
    """All pairwise max-norm distances, |a_j − b_j| term by term (the rounding of cdist and the tree)."""
    return np.max(np.abs(A[:, None, :] - A[None, :, :]), axis=2)


def _naive_counts(A, radii, strict):
    d = _naive_maxnorm(A)
    # strict: "< r", except that points at distance 0 always count (a zero radius — k duplicates —
    # counts the duplicates, as the k-d tree path of KSG always has); the point itself is one of them
    inside = (d < radii[:, None]) | (d == 0) if strict else d <= radii[:, None]
    return inside.sum(axis=1) - 1


def _samples():
    rng = np.random.default_rng(7)
    continuous = rng.standard_normal((400, 3))
    discrete = rng.integers(0, 4, (400, 3)).astype(float) * 0.25  # many exact ties, distances 0.25·m
    mixed = continuous.copy()
    mixed[::3] = discrete[::3]
    offset = rng.standard_normal((300, 2)) + 1e11  # rounding of x_j - x_i matters
    duplicates = np.repeat(rng.standard_normal((40, 2)), 10, axis=0)
    return {"continuous": continuous, "discrete": discrete, "mixed": mixed, "offset": offset, "duplicates": duplicates}


def _radii(A, kind):
    rng = np.random.default_rng(3)
    n = len(A)
    if kind == "random":
        return np.abs(rng.standard_normal(n)) * 0.3 * A.std()
    if kind == "zero":
        return np.zeros(n)
    # radii equal to an actual pairwise distance of each point: the tie case of KSG's eps
    d = _naive_maxnorm(A)
    return d[np.arange(n), rng.integers(0, n, n)]


@pytest.mark.parametrize("name", list(_samples()))
@pytest.mark.parametrize("kind", ["random", "zero", "at-a-distance"])
@pytest.mark.parametrize("strict", [True, False])
def test_bitset_and_sorted_counts_equal_naive_counts(name, kind, strict):
    A = _samples()[name]
    radii = _radii(A, kind)
    expected = _naive_counts(A, radii, strict)
    assert np.array_equal(knn.count_within_bitsets(A, radii, strict), expected)
    for j in range(A.shape[1]):  # one column: the sorted-interval path of count_within
        column = A[:, j : j + 1]
        r1 = _radii(column, kind)
        assert np.array_equal(knn.count_within(column, r1, knn.MAX_NORM, strict), _naive_counts(column, r1, strict))
    # the dispatching entry point gives the same as the k-d tree
    tree = knn.build_tree(A)
    fast = knn.count_within(A, radii, knn.MAX_NORM, strict)
    assert np.array_equal(fast, knn.count_within(A, radii, knn.MAX_NORM, strict, tree=tree))


def test_sorted_intervals_are_the_exact_sets():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(200), np.full(30, 0.5), rng.integers(0, 3, 100) * 0.1])
    radii = np.abs(rng.standard_normal(len(x))) * 0.2
    radii[::7] = np.abs(x[::7] - 0.5)  # radius exactly reaching the tied block at 0.5
    lo, hi = knn.sorted_intervals(x, radii)
    order = np.argsort(x, kind="stable")
    for i in range(len(x)):
        inside = np.abs(x - x[i]) <= radii[i]
        assert set(order[lo[i] : hi[i]]) == set(np.flatnonzero(inside))


def test_bitsets_refuse_samples_beyond_their_memory_bound():
    with pytest.raises(ValueError, match="count_within_bitsets needs n <="):
        knn.count_within_bitsets(np.zeros((knn.BITSET_MAX_N + 1, 1)), np.zeros(knn.BITSET_MAX_N + 1))


@pytest.mark.parametrize("d", [16, 21, 64, 130])
def test_gram_distances_equal_naive_and_tree_distances(d):
    rng = np.random.default_rng(d)
    Z = rng.standard_normal((500, d)) * rng.uniform(0.1, 5.0, d)
    Z[50:80] = Z[0]  # exact duplicates: zero distances
    Z[100:110] = Z[1] + 1e-10 * rng.standard_normal((10, d))  # jittered duplicates, far below the Gram error
    Z[200] = 1e3 * Z[2]  # a row of much larger norm
    k = 6
    got = knn.knn_distances_gram(Z, k, block_elements=20_000)  # several blocks
    # naive: every pair, squared terms summed as the tree sums them, full sort
    diff = Z[:, None, :] - Z[None, :, :]
    sq = knn.tree_sqeuclidean(diff.reshape(-1, d)).reshape(len(Z), len(Z))
    np.fill_diagonal(sq, np.inf)
    assert np.array_equal(got, np.sqrt(np.sort(sq, axis=1)[:, :k]))
    assert np.array_equal(got, cKDTree(Z).query(Z, k=k + 1)[0][:, 1:])
    assert np.array_equal(knn.knn_distances(Z, k), got)  # the dispatch picks the Gram path here


@pytest.mark.parametrize("d", [1, 3, 4, 7, 9])
def test_tree_sqeuclidean_is_the_tree_summation_order(d):
    rng = np.random.default_rng(d)
    Z = rng.standard_normal((300, d)) * np.logspace(0, 6, d)
    dist, idx = cKDTree(Z).query(Z, k=4)
    assert np.array_equal(np.sqrt(knn.tree_sqeuclidean((Z[:, None, :] - Z[idx]).reshape(-1, d))), dist.ravel())


@pytest.mark.parametrize("binary", [False, True])
def test_pruned_brute_force_counts_equal_naive_counts(binary, monkeypatch):
    """The column-subset pruning of ksg_counts_brute (many columns per side), incl. the full-block
    fallback that binary pixels trigger (all distances tie at 1)."""
    monkeypatch.setattr(knn, "PRUNE_MIN_DIM", 8)
    monkeypatch.setattr(knn, "PRUNE_COLUMNS", 3)
    rng = np.random.default_rng(1)
    n, d, k = 300, 12, 4
    if binary:
        X = rng.integers(0, 2, (n, d)).astype(float)
        Y = rng.integers(0, 2, (n, d)).astype(float)
    else:
        X = rng.standard_normal((n, d))
        Y = X + rng.standard_normal((n, d))
    dx, dy = _naive_maxnorm(X), _naive_maxnorm(Y)
    dj = np.maximum(dx, dy)
    np.fill_diagonal(dj, np.inf)
    eps = np.sort(dj, axis=1)[:, k - 1]
    expected = ((dx < eps[:, None]).sum(axis=1) - 1, (dy < eps[:, None]).sum(axis=1) - 1)
    for block_elements in (3000, knn.BLOCK_ELEMENTS):
        nx, ny = knn.ksg_counts_brute(X, Y, k, 1, block_elements=block_elements)
        assert np.array_equal(nx, expected[0]) and np.array_equal(ny, expected[1])


def test_thread_count_does_not_change_brute_force_counts(monkeypatch):
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((400, 6)), rng.integers(0, 3, (400, 6)).astype(float)
    many = knn.ksg_counts_brute(X, Y, 3, 1, block_elements=5000)
    monkeypatch.setattr(knn, "available_cpus", lambda: 1)
    one = knn.ksg_counts_brute(X, Y, 3, 1, block_elements=5000)
    assert all(np.array_equal(a, b) for a, b in zip(many, one, strict=True))


def test_popcount_fallback_without_numpy2_equals_bitwise_count(monkeypatch):
    """The NumPy 1.x path (unpackbits) counts the same bits as ``np.bitwise_count``."""

    words = np.random.default_rng(0).integers(0, 2**63, size=(7, 3), dtype=np.uint64)
    expected = np.array([sum(bin(int(w)).count("1") for w in row) for row in words])
    assert np.array_equal(knn._popcount_rows(words), expected)
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert np.array_equal(knn._popcount_rows(words), expected)
