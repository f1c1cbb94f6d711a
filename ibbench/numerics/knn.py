"""Nearest-neighbour numerics shared by the k-NN estimators (KL, weighted KL, KSG).

Low-dimensional queries go through ``scipy.spatial.cKDTree`` with ``workers=available_cpus()`` (memory O(n·k));
:func:`ksg_counts_brute` is the chunked brute-force path for high dimensions (memory O(block·n),
blocks spread over the available cores). Faster paths return exactly what the tree returns:

* one-dimensional counts (:func:`count_within` on a single column) are interval lengths in the
  sorted column (:func:`sorted_intervals`), with the interval ends checked with the same
  floating-point differences ``|x_j − x_i|`` the tree compares;
* Euclidean k-NN distances in high dimensions (:func:`knn_distances_gram`) pick candidates with
  BLAS Gram matrices and a rigorous rounding-error bound, then recompute the candidates' distances
  with the k-d tree's own floating-point formula (:func:`tree_sqeuclidean`), so the distances are
  bit-identical.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln

#: ``p`` of the Minkowski norm used by cKDTree for the max-norm
MAX_NORM = np.inf
#: float64 elements per block of the chunked brute-force searches (~16 MB per array)
BLOCK_ELEMENTS = 1 << 21


def log_unit_ball_volume(d: int, p: float = 2.0) -> float:
    """Log-volume of the unit ball of the ``p``-norm in ``d`` dimensions.

    ``p = 2``: ``pi^(d/2) / Gamma(d/2 + 1)``; ``p = inf``: the cube ``[-1, 1]^d`` of volume ``2^d``.
    """
    if np.isinf(p):
        return d * np.log(2.0)
    if p == 2:
        return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)
    return d * (np.log(2.0) + gammaln(1.0 + 1.0 / p)) - gammaln(1.0 + d / p)


def build_tree(Z: np.ndarray) -> cKDTree:
    """A k-d tree for exact queries; sliding-midpoint splits (``balanced_tree=False``) build and
    query about twice as fast as median splits on the data sizes used here, with identical results."""
    return cKDTree(Z, balanced_tree=False, compact_nodes=False)


def check_k(k: int, n: int) -> None:
    """``ValueError`` unless ``1 <= k <= n - 1``: the k-th nearest *other* point must exist."""
    if k < 1:
        raise ValueError(f"k must be a positive int, got k={k}")
    if k >= n:
        raise ValueError(f"k={k} neighbours need at least {k + 1} samples, got n={n} (k must be in [1, n-1])")


#: Euclidean k-NN distances use :func:`knn_distances_gram` from this many dimensions on (k-d trees
#: visit most leaves there; measured crossover on 2 cores, n = 5000)
GRAM_MIN_DIM = 16


def knn_distances(Z: np.ndarray, k: int, p: float = 2.0, tree: cKDTree | None = None) -> np.ndarray:
    """Distances from each row of ``Z`` to its 1st…k-th nearest other row, shape ``(n, k)``.

    Without a given ``tree``, Euclidean distances (``p = 2``) in :data:`GRAM_MIN_DIM` or more
    dimensions come from :func:`knn_distances_gram` (bit-identical to the tree's), all others from
    a k-d tree.
    """
    n = len(Z)
    check_k(k, n)
    if tree is None and p == 2 and Z.shape[1] >= GRAM_MIN_DIM:
        return knn_distances_gram(Z, k)
    tree = build_tree(Z) if tree is None else tree
    dist, _ = tree.query(Z, k=k + 1, p=p, workers=available_cpus())
    return np.ascontiguousarray(dist[:, 1:])


def count_within(
    Z: np.ndarray, radii: np.ndarray, p: float = 2.0, strict: bool = True, tree: cKDTree | None = None
) -> np.ndarray:
    """Number of *other* rows of ``Z`` within ``radii[i]`` of row ``i``.

    ``strict=True`` counts distances ``< r`` (KSG algorithm 1, eq. 8), ``False`` counts ``<= r``
    (algorithm 2, eq. 9). The strict inequality is realised with ``nextafter(r, 0)``, which is exact
    for floating-point distances. Without a given ``tree``, max-norm counts take the fastest exact
    path (:func:`maxnorm_count_path`), all with the tree's result: a single column in its sorted
    order (:func:`sorted_intervals`), a few thousand points with bitsets (:func:`count_within_bitsets`).
    """
    if tree is None and np.isinf(p) and Z.ndim == 2:
        path = maxnorm_count_path(*Z.shape)
        if path == "bitsets":
            return count_within_bitsets(Z, radii, strict)
    r = np.nextafter(radii, 0) if strict else np.asarray(radii, dtype=np.float64)
    if tree is None and np.isinf(p) and Z.ndim == 2 and Z.shape[1] == 1:
        lo, hi = sorted_intervals(Z[:, 0], r)
        return hi - lo - 1
    tree = build_tree(Z) if tree is None else tree
    counts = tree.query_ball_point(Z, r, p=p, return_length=True, workers=available_cpus())
    return np.asarray(counts, dtype=np.int64) - 1  # the point itself is always within its radius


def maxnorm_count_path(n: int, d: int) -> str:
    """``"sorted"``, ``"bitsets"`` or ``"tree"``: the faster exact max-norm count for n points in d dims.

    Measured on 2 cores: bitsets beat the k-d tree's ball counts from 2 dimensions at n = 5000
    (2× at d = 2, 9× at d = 5) and from 3 dimensions at n = 20 000 (their cost grows as d n²/64).
    """
    if d == 1:
        return "sorted"
    if n <= BITSET_MAX_N and (n <= 10_000 or d >= 3):
        return "bitsets"
    return "tree"


def sorted_intervals(x: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ``i``, the positions ``[lo_i, hi_i)`` in ``sort(x)`` of the ``j`` with ``|x_j − x_i| ≤ r_i``.

    The condition is evaluated as the k-d tree does, on the rounded difference ``fl(x_j − x_i)``.
    Rounding is monotone, so the rounded difference is non-decreasing in ``x_j`` and the points
    satisfying it form one interval of the sorted sample (ties are all in or all out). Binary search
    for ``x_i ∓ r_i`` (themselves rounded) finds the ends up to the few distinct values within
    rounding of them; each end is then moved, one distinct value at a time, until the exact
    condition holds inside and fails outside. ``radii`` must be non-negative.
    """
    x = np.asarray(x, dtype=np.float64)
    radii = np.asarray(radii, dtype=np.float64)
    sorted_x = np.sort(x)
    starts = np.flatnonzero(np.append(True, sorted_x[1:] != sorted_x[:-1]))
    values = sorted_x[starts]  # distinct values, ascending
    first = np.append(starts, len(x))  # sorted position where each distinct value starts
    m = len(values)

    def inside(index: np.ndarray, valid: np.ndarray) -> np.ndarray:
        return valid & (np.abs(values[np.clip(index, 0, m - 1)] - x) <= radii)

    lo = np.searchsorted(values, x - radii, "left")
    hi = np.searchsorted(values, x + radii, "right")
    # x_i itself is inside (|0| <= r_i), so lo stays below and hi above its position
    while (step := inside(lo - 1, lo > 0)).any():
        lo -= step
    while (step := ~inside(lo, lo < m) & (lo < m)).any():
        lo += step
    while (step := inside(hi, hi < m)).any():
        hi += step
    while (step := ~inside(hi - 1, hi > 0) & (hi > 0)).any():
        hi -= step
    return first[lo], first[hi]


#: largest sample for :func:`count_within_bitsets` (three n × n-bit arrays: 150 MB at this n)
BITSET_MAX_N = 20_000


def count_within_bitsets(A: np.ndarray, radii: np.ndarray, strict: bool = True) -> np.ndarray:
    """:func:`count_within` under the max-norm, one column at a time with bitsets; same counts.

    A point is within ``r_i`` of point ``i`` iff it is within ``r_i`` in every column, and in one
    column the points within reach form an interval of that column's sorted order
    (:func:`sorted_intervals`). With the prefix bitsets ``P[t]`` of the first ``t`` points in sorted
    order, that interval is the bitset ``P[hi_i] xor P[lo_i]``; the AND over the columns is the set of
    points within ``r_i``, and its population count the number (minus the point itself). Work
    O(d n²/64) word operations instead of O(d n²) distance terms, memory O(n²/8) bytes (``n`` at most
    :data:`BITSET_MAX_N`).
    """
    A = np.asarray(A, dtype=np.float64)
    n = len(A)
    if n > BITSET_MAX_N:
        raise ValueError(f"count_within_bitsets needs n <= {BITSET_MAX_N}, got n={n}")
    thresholds = np.nextafter(radii, 0) if strict else np.asarray(radii, dtype=np.float64)
    words = (n + 63) // 64
    ranks = np.arange(1, n + 1)
    within = np.full((n, words), np.iinfo(np.uint64).max, dtype=np.uint64)
    prefix = np.empty((n + 1, words), dtype=np.uint64)
    for column in A.T:
        order = np.argsort(column, kind="stable")
        lo, hi = sorted_intervals(column, thresholds)
        prefix.fill(0)
        prefix[ranks, order >> 6] = np.left_shift(np.uint64(1), (order & 63).astype(np.uint64))
        np.cumsum(prefix, axis=0, out=prefix)  # each row adds one new bit, so sums are ORs
        interval = prefix[hi]
        interval ^= prefix[lo]
        within &= interval
    return _popcount_rows(within) - 1


def _popcount_rows(words: np.ndarray) -> np.ndarray:
    """Number of set bits in each row of a ``uint64`` array (``np.bitwise_count`` needs NumPy 2)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    return np.unpackbits(words.view(np.uint8), axis=1).sum(axis=1, dtype=np.int64)


# --- Euclidean k-NN distances in high dimensions ---------------------------------------------------


def tree_sqeuclidean(diff: np.ndarray) -> np.ndarray:
    """Squared Euclidean norms of the rows of ``diff``, summed in ``scipy.spatial.cKDTree``'s order.

    The k-d tree accumulates ``diff_j²`` in four interleaved partial sums (``j mod 4``) over the
    first ``4⌊d/4⌋`` coordinates, adds them left to right and then the remaining coordinates one by
    one (scipy ``ckdtree`` ``sqeuclidean_distance_double``); repeating that order gives the same
    rounded value, so distances from this function equal the tree's bit for bit.
    """
    sq = diff * diff
    d = sq.shape[1]
    d4 = d - d % 4
    acc = np.zeros((len(sq), 4))
    for j in range(0, d4, 4):
        acc += sq[:, j : j + 4]
    total = ((acc[:, 0] + acc[:, 1]) + acc[:, 2]) + acc[:, 3]
    for j in range(d4, d):
        total += sq[:, j]
    return total


def knn_distances_gram(Z: np.ndarray, k: int, block_elements: int = BLOCK_ELEMENTS) -> np.ndarray:
    """Euclidean distances to the 1st…k-th nearest other row by blocked Gram matrices, shape ``(n, k)``.

    Identical to the k-d tree's distances (:func:`knn_distances` with a tree). For a block of rows,
    ``|b|² − 2 a·b`` (one BLAS product; the row's ``|a|²`` is a constant of the row) ranks every
    other row ``b`` by squared distance to within ``δ_a = 8 (d + 4) u (|a|² + max_b |b|²)`` (``u`` the
    unit roundoff: a dot product of length d errs by at most ``γ_d |a||b|``, Higham, *Accuracy and
    Stability of Numerical Algorithms*, 2nd ed., eq. 3.5, and so does the tree's own sum of squares).
    Every row among the k nearest, in exact arithmetic or in the tree's rounding, is then within
    ``2 δ_a`` of the k-th smallest approximation; only these candidates are recomputed with the
    tree's formula (:func:`tree_sqeuclidean`) and ranked. Memory O(block · n).
    """
    n, d = Z.shape
    check_k(k, n)
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    norms = np.einsum("ij,ij->i", Z, Z)
    minus_two_z = -2.0 * Z  # exact: a power-of-two scaling
    tol = 8.0 * (d + 4) * np.finfo(np.float64).eps * (norms + norms.max())
    out = np.empty((n, k))
    pair_chunk = max(1, block_elements // max(d, 1))
    for start, stop in block_ranges(n, block_elements):
        rows = np.arange(stop - start)
        approx = Z[start:stop] @ minus_two_z.T
        approx += norms  # |a − b|² − |a|² up to rounding
        approx[rows, rows + start] = np.inf  # a point is not its own neighbour
        kth = np.partition(approx, k - 1, axis=1)[:, k - 1]
        r, c = np.nonzero(approx <= (kth + 2.0 * tol[start:stop])[:, None])
        exact = np.concatenate(
            [
                tree_sqeuclidean(Z[start + r[s : s + pair_chunk]] - Z[c[s : s + pair_chunk]])
                for s in range(0, len(r), pair_chunk)
            ]
        )
        order = np.lexsort((exact, r))  # by row, then by distance
        r, exact = r[order], exact[order]
        first = np.searchsorted(r, rows)  # every row has at least k candidates
        out[start:stop] = np.sqrt(exact[first[:, None] + np.arange(k)])
    return out


def column_scale(A: np.ndarray) -> np.ndarray:
    """Column standard deviations of ``A``, with 1 for constant columns.

    A column counts as constant when its max equals its min, not when its std is 0: the std of a
    constant column is often ~1e-17 (the mean of n copies of a value is rounded), and dividing by
    it used to turn the column into ~1e15-sized values whose jitter swamped every real distance.
    """
    std = A.std(axis=0)
    return np.where((A.max(axis=0) > A.min(axis=0)) & (std > 0), std, 1.0)


def prepare_knn_input(A: np.ndarray, standardize: bool, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """Centre the columns, optionally scale them to unit variance, add ``jitter``-sized noise to break ties.

    Duplicate points (discrete data, saturated activations) make k-NN distances zero and counts
    ambiguous; a noise of ``jitter`` (default 1e-10, as scikit-learn does) times each column's
    standard deviation separates them without changing any distance that was not a tie by more
    than ~``jitter`` of the spread. The noise scales with the spread, never with the magnitude of
    the values, so a column ``a·x + b`` gets the same relative noise as ``x`` whatever ``b``.

    Centring comes first: for values much larger than their spread (``x + 1e11``) the subtraction of
    the rounded column mean is exact (both operands are within a factor of two), so the centred
    column is an exact shift of the input and the noise is added at full precision (added to the
    uncentred values it would be rounded away or, at scale 1e-10·|x|, swamp the signal). Distances
    are differences of values, so the shift leaves every one of them unchanged. What the estimators
    cannot undo is the rounding of the data themselves: ``x + b`` keeps about
    ``16 − log10(|b| / σ)`` significant digits of the deviations (4 at ``|b| / σ = 1e12``, the
    largest ratio the conformance suite checks). Constant columns are left unscaled
    (:func:`column_scale`); the estimators drop them before calling this.
    """
    A = A - A.mean(axis=0)
    scale = column_scale(A)
    if standardize:
        A = A / scale
        scale = np.ones_like(scale)
    if jitter > 0:
        A = A + (jitter * scale) * rng.standard_normal(A.shape)
    return A


# --- Kozachenko–Leonenko entropy and the weighted (Berrett–Samworth–Yuan) variant ---------------


def kl_entropy_terms(Z: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-point Kozachenko–Leonenko entropy terms (nats); their mean is the entropy estimate.

    Point ``i`` contributes ``Σ_j w_j [ψ(n) − ψ(j) + log V_d + d log ρ_{i,j}]`` where ``ρ_{i,j}`` is
    the Euclidean distance to its ``j``-th nearest other point and ``V_d`` the volume of the unit
    ball (Kraskov et al. 2004, eq. 20; Berrett, Samworth & Yuan 2019, eq. 2 with weights, eq. 4).
    ``weights=None`` is the plain estimator with the ``k``-th neighbour (``w = e_k``).

    Distances of exactly zero (duplicate rows; callers break ties with :func:`prepare_knn_input`)
    are floored at the smallest positive double so the terms stay finite.
    """
    n, d = Z.shape
    rho = knn_distances(Z, k, p=2.0)
    if weights is None:
        weights = np.zeros(k)
        weights[-1] = 1.0
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (k,):
        raise ValueError(f"weights must have shape ({k},), got {weights.shape}")
    used = np.flatnonzero(weights)
    log_rho = np.log(np.maximum(rho[:, used], np.finfo(np.float64).tiny))
    const = digamma(n) - digamma(used + 1.0) + log_unit_ball_volume(d, 2.0)
    return (d * log_rho + const) @ weights[used]


def wkl_weights(d: int, k: int) -> np.ndarray:
    """Weights ``w_1..w_k`` of the weighted Kozachenko–Leonenko estimator in dimension ``d``.

    The weights satisfy ``Σ_j w_j = 1`` and ``Σ_j w_j Γ(j + 2ℓ/d) / Γ(j) = 0`` for
    ``ℓ = 1, …, ⌊d/4⌋`` (Berrett, Samworth & Yuan 2019, eq. 4 and the set ``W^(k)`` of Sec. 3),
    which cancel the leading bias terms of the unweighted estimator. Following the paper the
    support is restricted to ``j ∈ {⌊k/d⌋, ⌊2k/d⌋, …, k} \\ {0}`` (widened to ``1…k`` when that is
    too small), and among the solutions the one of minimum Euclidean norm is returned. For
    ``d ≤ 3`` there is no constraint besides the sum and the plain estimator is already efficient,
    so ``w = e_k``.

    Raises
    ------
    ValueError
        If ``k < ⌊d/4⌋ + 1``: fewer neighbour orders than constraints.
    """
    d, k = int(d), int(k)
    if d < 1 or k < 1:
        raise ValueError(f"d and k must be positive, got d={d}, k={k}")
    n_constraints = d // 4
    w = np.zeros(k)
    if n_constraints == 0:
        w[-1] = 1.0
        return w
    if k < n_constraints + 1:
        raise ValueError(
            f"the weighted KL estimator in d={d} dimensions has {n_constraints + 1} weight constraints "
            f"and needs k >= {n_constraints + 1} neighbours, got k={k}"
        )
    support = np.unique([(ell * k) // d for ell in range(1, d + 1)])
    support = support[support > 0]
    if len(support) < n_constraints + 1:
        support = np.arange(1, k + 1)
    j = support.astype(np.float64)
    ells = np.arange(1, n_constraints + 1, dtype=np.float64)[:, None]
    A = np.vstack([np.ones_like(j), np.exp(gammaln(j + 2.0 * ells / d) - gammaln(j))])
    b = np.zeros(len(A))
    b[0] = 1.0
    w[support - 1] = np.linalg.pinv(A) @ b  # minimum-norm solution of the underdetermined system
    return w


# --- brute-force (chunked) max-norm neighbours for the KSG estimator in high dimensions ---------

_T = TypeVar("_T")


#: environment variable capping the CPUs a process's numeric kernels use (set in each cell process
#: by ``ibbench.cell_process.run_local`` to its share of the machine: CPUs // jobs)
CPUS_VARIABLE = "IBBENCH_CPUS"


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask where the OS has one, capped by ``$IBBENCH_CPUS``.

    Raises
    ------
    ValueError
        ``$IBBENCH_CPUS`` is set but not a positive integer.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cpus = os.cpu_count() or 1
    cap = os.environ.get(CPUS_VARIABLE)
    if cap is None or cap == "":
        return cpus
    if not (cap.strip().isascii() and cap.strip().isdigit()) or int(cap) < 1:
        raise ValueError(f"{CPUS_VARIABLE} must be a positive integer, got {cap!r}")
    return min(cpus, int(cap))


def block_ranges(n: int, block_elements: int = BLOCK_ELEMENTS) -> list[tuple[int, int]]:
    """``(start, stop)`` of row blocks such that a block of rows times ``n`` columns has about
    ``block_elements`` elements (at least one row per block)."""
    block = int(max(1, min(n, block_elements // max(n, 1))))
    return [(start, min(n, start + block)) for start in range(0, n, block)]


def map_blocks(fn: Callable[[int, int], _T], ranges: list[tuple[int, int]]) -> list[_T]:
    """``[fn(start, stop) for each range]``, spread over :func:`available_cpus` threads.

    The blocks are independent and their numpy/scipy kernels release the GIL, so threads share the
    work without copies; results keep the order of ``ranges`` (the outcome never depends on the
    number of threads).
    """
    workers = min(available_cpus(), len(ranges))
    if workers <= 1:
        return [fn(start, stop) for start, stop in ranges]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda r: fn(*r), ranges))


def joint_distance_block(
    X: np.ndarray, Y: np.ndarray, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Max-norm distances of rows ``start:stop`` to every row: ``(rows, dx, dy, dj)`` as yielded by
    :func:`joint_distance_blocks`."""
    from scipy.spatial.distance import cdist

    rows = np.arange(stop - start)
    dx = cdist(X[start:stop], X, "chebyshev")
    dy = cdist(Y[start:stop], Y, "chebyshev")
    dj = np.maximum(dx, dy)
    dj[rows, rows + start] = np.inf
    return rows, dx, dy, dj


def joint_distance_blocks(
    X: np.ndarray, Y: np.ndarray, block_elements: int = BLOCK_ELEMENTS
) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Max-norm distances of blocks of rows to every row, memory O(block · n).

    Yields ``(rows_slice, rows, dx, dy, dj)``: ``dx``/``dy`` the ``scipy.spatial.distance.cdist(...,
    "chebyshev")`` distances of the block's rows of X/Y to all rows, ``dj = max(dx, dy)`` the joint
    distances with each point's distance to itself set to ``inf`` (a point is not its own
    neighbour), ``rows = arange(block length)``.
    """
    for start, stop in block_ranges(len(X), block_elements):
        yield (slice(start, stop), *joint_distance_block(X, Y, start, stop))


def ksg_counts_brute(
    X: np.ndarray, Y: np.ndarray, k: int, algorithm: int = 1, block_elements: int = BLOCK_ELEMENTS
) -> tuple[np.ndarray, np.ndarray]:
    """Marginal neighbour counts ``(n_x, n_y)`` of the KSG estimator by chunked brute force.

    Identical to the k-d tree path (same floating-point max-norm distances ``max_j |a_j − b_j|``,
    computed by ``scipy.spatial.distance.cdist(..., "chebyshev")``): algorithm 1 counts other points
    with distance ``< ε_i`` (the k-th joint neighbour distance), algorithm 2 counts ``<= ε_{x,i}``,
    the largest X-distance among the k joint neighbours (Kraskov et al. 2004, eqs. 8, 9).
    Memory is O(block · n) per thread: rows are processed in blocks (:func:`map_blocks`), never an
    n × n matrix.

    The k-th smallest distance of a row is found without a full partition: the k-th smallest
    distance to a subset of the columns bounds it from above, so only the few candidates below that
    bound are sorted (algorithm 1 partitions the whole row instead when ties make the candidates
    many, as on binary pixels).
    """
    n = len(X)
    check_k(k, n)
    m = int(min(n, max(8 * (k + 1), 256)))  # columns that bound the k-th distance from above
    if algorithm == 1 and min(X.shape[1], Y.shape[1]) >= PRUNE_MIN_DIM:
        return _ksg_counts_pruned(X, Y, k, block_elements)

    def block_counts(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        rows, dx, dy, dj = joint_distance_block(X, Y, start, stop)
        bound = np.partition(dj[:, :m], k - 1, axis=1)[:, k - 1]
        below_bound = dj <= bound[:, None]
        if algorithm == 1 and np.count_nonzero(below_bound) > 4 * m * len(rows):
            eps = np.partition(dj, k - 1, axis=1)[:, k - 1]
        else:
            r, c = np.nonzero(below_bound)
            vals = dj[r, c]
            order = np.lexsort((vals, r))  # by row, then by distance
            r, c, vals = r[order], c[order], vals[order]
            first = np.searchsorted(r, rows)  # every row has at least k candidates
            if algorithm == 2:
                nb = c[first[:, None] + np.arange(k)]  # the k joint neighbours
                eps_x = np.max(dx[rows[:, None], nb], axis=1)
                eps_y = np.max(dy[rows[:, None], nb], axis=1)
                return (
                    np.count_nonzero(dx <= eps_x[:, None], axis=1) - 1,
                    np.count_nonzero(dy <= eps_y[:, None], axis=1) - 1,
                )
            eps = vals[first + k - 1]
        below = np.nextafter(eps, 0)[:, None]  # "< eps" exactly as in count_within(strict=True)
        return np.count_nonzero(dx <= below, axis=1) - 1, np.count_nonzero(dy <= below, axis=1) - 1

    counts = map_blocks(block_counts, block_ranges(n, block_elements))
    nx = np.concatenate([c[0] for c in counts]).astype(np.int64)
    ny = np.concatenate([c[1] for c in counts]).astype(np.int64)
    return nx, ny


#: each side needs this many columns for :func:`ksg_counts_brute` to prune with a column subset
PRUNE_MIN_DIM = 128
#: columns of each side in the pruning subset (cost ~ PRUNE_COLUMNS / d of a full distance block)
PRUNE_COLUMNS = 32
#: above this fraction of candidate pairs a block computes all distances instead (ties, binary data)
PRUNE_MAX_FRACTION = 0.1


#: values per chunk of :func:`_max_abs_pairs` (cache-sized: 4x faster than 16 MB chunks)
PAIR_CHUNK_ELEMENTS = 1 << 16


def _max_abs_pairs(A: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``max_j |A[r_t, j] − A[c_t, j]|`` for each pair, in cache-sized chunks."""
    chunk = max(1, PAIR_CHUNK_ELEMENTS // A.shape[1])
    out = np.empty(len(r))
    for s in range(0, len(r), chunk):
        out[s : s + chunk] = np.abs(A[r[s : s + chunk]] - A[c[s : s + chunk]]).max(axis=1)
    return out


def _ksg_counts_pruned(X: np.ndarray, Y: np.ndarray, k: int, block_elements: int) -> tuple[np.ndarray, np.ndarray]:
    """KSG algorithm 1 counts of :func:`ksg_counts_brute` for many columns per side, with pruning.

    The max-norm distance over a subset of columns (those of largest spread) is a lower bound of
    the full one, made of the same rounded terms ``|a_j − b_j|``. ``ε_i`` (k-th joint distance) is at
    most the k-th exact distance among the ``4k`` rows of smallest bound, so only pairs whose bound
    does not exceed that are candidates for the k nearest; only pairs whose bound is below ``ε_i``
    can count. Both candidate sets get their exact distances (the same floating-point values as
    ``cdist``), so the counts are identical; a block with more than :data:`PRUNE_MAX_FRACTION`
    candidates computes every distance instead.
    """
    from scipy.spatial.distance import cdist

    n = len(X)
    n_near = min(n - 1, 4 * k)
    sub_x = np.argsort(-X.std(axis=0), kind="stable")[:PRUNE_COLUMNS]
    sub_y = np.argsort(-Y.std(axis=0), kind="stable")[:PRUNE_COLUMNS]
    X_sub, Y_sub = np.ascontiguousarray(X[:, sub_x]), np.ascontiguousarray(Y[:, sub_y])
    X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)

    def count_below(A: np.ndarray, start: int, stop: int, bound: np.ndarray, below: np.ndarray) -> np.ndarray:
        """Other rows within ``below`` of rows ``start:stop`` of A; ``bound`` bounds their distances."""
        r, c = np.nonzero(bound <= below[:, None])
        if len(r) > PRUNE_MAX_FRACTION * bound.size:
            return np.count_nonzero(cdist(A[start:stop], A, "chebyshev") <= below[:, None], axis=1) - 1
        return np.bincount(r[_max_abs_pairs(A, r + start, c) <= below[r]], minlength=stop - start) - 1

    def block_counts(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.arange(stop - start)
        own = (rows, rows + start)
        lower_x = cdist(X_sub[start:stop], X_sub, "chebyshev")
        lower_y = cdist(Y_sub[start:stop], Y_sub, "chebyshev")
        lower = np.maximum(lower_x, lower_y)
        lower[own] = np.inf  # a point is not its own neighbour
        # exact distances to the `near` rows of smallest bound: their k-th bounds eps_i from above
        near = np.argpartition(lower, n_near - 1, axis=1)[:, :n_near]
        r, c = np.repeat(rows, n_near), near.ravel()
        near_dist = np.maximum(_max_abs_pairs(X, r + start, c), _max_abs_pairs(Y, r + start, c))
        upper = np.partition(near_dist.reshape(len(rows), n_near), k - 1, axis=1)[:, k - 1]
        r, c = np.nonzero(lower <= upper[:, None])
        if len(r) > PRUNE_MAX_FRACTION * lower.size:  # many near ties: all distances of the block
            _, dx, dy, dj = joint_distance_block(X, Y, start, stop)
            below = np.nextafter(np.partition(dj, k - 1, axis=1)[:, k - 1], 0)[:, None]
            return np.count_nonzero(dx <= below, axis=1) - 1, np.count_nonzero(dy <= below, axis=1) - 1
        dj = np.maximum(_max_abs_pairs(X, r + start, c), _max_abs_pairs(Y, r + start, c))
        order = np.lexsort((dj, r))  # by row, then by distance
        r, dj = r[order], dj[order]
        eps = dj[np.searchsorted(r, rows) + k - 1]  # every row has at least k candidates
        below = np.nextafter(eps, 0)  # "< eps" exactly as in count_within(strict=True)
        return count_below(X, start, stop, lower_x, below), count_below(Y, start, stop, lower_y, below)

    counts = map_blocks(block_counts, block_ranges(n, block_elements))
    nx = np.concatenate([c[0] for c in counts]).astype(np.int64)
    ny = np.concatenate([c[1] for c in counts]).astype(np.int64)
    return nx, ny
