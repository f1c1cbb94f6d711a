"""Nearest-neighbour numerics shared by the k-NN estimators (KL, weighted KL, KSG).

Low-dimensional queries go through ``scipy.spatial.cKDTree`` with ``workers=-1`` (memory O(n·k));
:func:`ksg_counts_brute` is the chunked brute-force path for high dimensions (memory O(block·n)).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln

#: ``p`` of the Minkowski norm used by cKDTree for the max-norm
MAX_NORM = np.inf


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


def knn_distances(Z: np.ndarray, k: int, p: float = 2.0, tree: cKDTree | None = None) -> np.ndarray:
    """Distances from each row of ``Z`` to its 1st…k-th nearest other row, shape ``(n, k)``."""
    n = len(Z)
    check_k(k, n)
    tree = build_tree(Z) if tree is None else tree
    dist, _ = tree.query(Z, k=k + 1, p=p, workers=-1)
    return np.ascontiguousarray(dist[:, 1:])


def count_within(
    Z: np.ndarray, radii: np.ndarray, p: float = 2.0, strict: bool = True, tree: cKDTree | None = None
) -> np.ndarray:
    """Number of *other* rows of ``Z`` within ``radii[i]`` of row ``i``.

    ``strict=True`` counts distances ``< r`` (KSG algorithm 1, eq. 8), ``False`` counts ``<= r``
    (algorithm 2, eq. 9). The strict inequality is realised with ``nextafter(r, 0)``, which is exact
    for floating-point distances.
    """
    tree = build_tree(Z) if tree is None else tree
    r = np.nextafter(radii, 0) if strict else np.asarray(radii, dtype=np.float64)
    counts = tree.query_ball_point(Z, r, p=p, return_length=True, workers=-1)
    return np.asarray(counts, dtype=np.int64) - 1  # the point itself is always within its radius


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

#: float64 elements per block of the chunked brute-force search (~16 MB per array)
BLOCK_ELEMENTS = 1 << 21


def joint_distance_blocks(
    X: np.ndarray, Y: np.ndarray, block_elements: int = BLOCK_ELEMENTS
) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Max-norm distances of blocks of rows to every row, memory O(block · n).

    Yields ``(rows_slice, rows, dx, dy, dj)``: ``dx``/``dy`` the ``scipy.spatial.distance.cdist(...,
    "chebyshev")`` distances of the block's rows of X/Y to all rows, ``dj = max(dx, dy)`` the joint
    distances with each point's distance to itself set to ``inf`` (a point is not its own
    neighbour), ``rows = arange(block length)``.
    """
    from scipy.spatial.distance import cdist

    n = len(X)
    block = int(max(1, min(n, block_elements // n)))
    for start in range(0, n, block):
        stop = min(n, start + block)
        rows = np.arange(stop - start)
        dx = cdist(X[start:stop], X, "chebyshev")
        dy = cdist(Y[start:stop], Y, "chebyshev")
        dj = np.maximum(dx, dy)
        dj[rows, rows + start] = np.inf
        yield slice(start, stop), rows, dx, dy, dj


def ksg_counts_brute(
    X: np.ndarray, Y: np.ndarray, k: int, algorithm: int = 1, block_elements: int = BLOCK_ELEMENTS
) -> tuple[np.ndarray, np.ndarray]:
    """Marginal neighbour counts ``(n_x, n_y)`` of the KSG estimator by chunked brute force.

    Identical to the k-d tree path (same floating-point max-norm distances ``max_j |a_j − b_j|``,
    computed by ``scipy.spatial.distance.cdist(..., "chebyshev")``): algorithm 1 counts other points
    with distance ``< ε_i`` (the k-th joint neighbour distance), algorithm 2 counts ``<= ε_{x,i}``,
    the largest X-distance among the k joint neighbours (Kraskov et al. 2004, eqs. 8, 9).
    Memory is O(block · n): rows are processed in blocks, never an n × n matrix.

    The k-th smallest distance of a row is found without a full partition: the k-th smallest
    distance to a subset of the columns bounds it from above, so only the few candidates below that
    bound are sorted.
    """
    n = len(X)
    check_k(k, n)
    m = int(min(n, max(8 * (k + 1), 256)))  # columns that bound the k-th distance from above
    nx = np.empty(n, dtype=np.int64)
    ny = np.empty(n, dtype=np.int64)
    for block, rows, dx, dy, dj in joint_distance_blocks(X, Y, block_elements):
        bound = np.partition(dj[:, :m], k - 1, axis=1)[:, k - 1]
        r, c = np.nonzero(dj <= bound[:, None])
        vals = dj[r, c]
        order = np.lexsort((vals, r))  # by row, then by distance
        r, c, vals = r[order], c[order], vals[order]
        first = np.searchsorted(r, rows)  # every row has at least k candidates
        if algorithm == 1:
            eps = vals[first + k - 1]
            below = np.nextafter(eps, 0)[:, None]  # "< eps" exactly as in count_within(strict=True)
            nx[block] = np.count_nonzero(dx <= below, axis=1) - 1
            ny[block] = np.count_nonzero(dy <= below, axis=1) - 1
        else:
            nb = c[first[:, None] + np.arange(k)]  # the k joint neighbours
            eps_x = np.max(dx[rows[:, None], nb], axis=1)
            eps_y = np.max(dy[rows[:, None], nb], axis=1)
            nx[block] = np.count_nonzero(dx <= eps_x[:, None], axis=1) - 1
            ny[block] = np.count_nonzero(dy <= eps_y[:, None], axis=1) - 1
    return nx, ny
