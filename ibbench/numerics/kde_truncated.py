"""Leave-one-out Gaussian kernel sums over each point's neighbourhood, with a certified error bound.

:class:`TruncatedKDE` gives the same quantities as :class:`~ibbench.numerics.kde.LeaveOneOutKDE`
(row-shifted leave-all-copies-out log kernel sums) without visiting all ``n²`` pairs: the sample is
cut into the leaves of a k-d tree, and for each query leaf only the reference leaves that can
contribute more than a tolerance are summed. It is meant for spaces of 3 or more dimensions at large
``n``, where a grid (:class:`~ibbench.numerics.kde.BinnedKDE`) does not fit. Each block of pairs is a
small float64 matrix product plus ``exp`` and a row sum in numpy (vectorised, no GIL), spread over
threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from threadpoolctl import threadpool_limits

from ibbench.numerics.kde import BLOCK_ELEMENTS, LeaveOneOutKDE, exact_copies
from ibbench.numerics.knn import available_cpus

#: points per leaf of the k-d tree (the granularity of the reference points kept)
LEAF_SIZE = 32
#: largest rounding error of a pair's exponent allowed in the matrix-product form (else direct differences)
MAX_ROUNDING = 1e-9
_U64 = float(np.finfo(np.float64).eps) / 2
#: exponent of a left-out pair (the point itself, its copies): exp gives exactly 0, and 0 · it stays finite
_LEFT_OUT = np.float32(-1e30)
#: bound on each row's relative truncation error ``(S − S̃) / S̃``
TRUNCATION_TOLERANCE = 1e-7


def kd_leaves(Z: np.ndarray, leaf_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Order the rows of ``Z`` so each k-d tree leaf is contiguous; return ``(order, bounds)``.

    Nodes are split at the median of their widest coordinate until they hold at most ``leaf_size``
    points; ``bounds[k] = (start, stop)`` of leaf ``k`` in the ordered sample.
    """
    order = np.arange(len(Z))
    stack, leaves = [(0, len(Z))], []
    while stack:
        start, stop = stack.pop()
        if stop - start <= leaf_size:
            leaves.append((start, stop))
            continue
        points = Z[order[start:stop]]
        axis = int(np.argmax(points.max(axis=0) - points.min(axis=0)))
        half = (stop - start) // 2
        order[start:stop] = order[start:stop][np.argpartition(points[:, axis], half)]
        stack += [(start, start + half), (start + half, stop)]
    return order, np.array(sorted(leaves), dtype=np.int64).reshape(-1, 2)


class TruncatedKDE(LeaveOneOutKDE):
    """:class:`LeaveOneOutKDE` whose kernel sums skip the pairs too far apart to matter.

    Each row's sum is shifted by its nearest included neighbour, ``S̃_i = Σ_j exp(−(D_ij − D_i,min) / 2h²)``,
    so ``S̃_i ≥ 1``. For a query leaf ``Q``, a reference leaf ``L`` at box gap ``g_QL`` can add at most
    ``|L| exp(−(g_QL² − max_{i∈Q} D_i,min) / 2h²)`` to any of ``Q``'s shifted sums; the farthest leaves are
    dropped while these bounds add up to at most ``tolerance``. Every dropped pair is thus counted, and
    each row's relative truncation error is at most ``tolerance`` (the nearest neighbour is always kept,
    because its leaf's gap is at most ``D_i,min``).

    Rounding: a block's pairs are float64 products ``|q|² + |r|² − 2 q·r`` with ``q``, ``r`` centred on
    the query box, so the pairs that carry a sum have small ``|q|`` and ``|r|`` and the rounding
    ``~4u (|q| + |r|)² / 2h²`` (``u = 2⁻⁵³``) stays far below the tolerance; ``exp`` then runs in float32,
    which changes each kernel value by a relative ``x · 2⁻²⁴`` for an exponent ``x`` (about 1e-7 for the
    pairs that carry a sum, the same size as the truncation). Each ``log`` sum is thus within a few
    1e-7 of the exact one, and an entropy, a mean of them, moves by no more
    (tests/test_kde_fast.py checks against dense float64 sums, including far-off clusters).

    Cost: the pairs within roughly ``sqrt(2 log(n / tolerance)) · h`` of each other (plus the leaves'
    granularity), instead of all ``n²``: large savings where ``h`` is small against the data's spread,
    none at bandwidths comparable to it. Memory ``O(n)`` plus, per thread, one chunk of at most
    ``max(2²⁰, 1024 · rows)`` pairs.

    Parameters
    ----------
    Z : ndarray (n, d)
        The sample (float64).
    tolerance : float, default 1e-7
        Bound on each row's relative truncation error.
    leaf_size : int, default 32
        Points per k-d tree leaf.
    n_threads : int or None, default None
        Threads for the blocks (``None``: the CPUs this process may use). The sums do not depend on
        it. The threads run with BLAS limited to one thread (``threadpoolctl``, process-wide while a
        sum runs).

    References
    ----------
    A. G. Gray, A. W. Moore, "Nonparametric density estimation: toward computational tractability",
    SIAM Data Mining 2003 (tree-based kernel sums with node-distance error bounds); J. L. Bentley,
    "Multidimensional binary search trees used for associative searching", CACM 18 (1975) (k-d tree).
    """

    def __init__(
        self,
        Z: np.ndarray,
        tolerance: float = TRUNCATION_TOLERANCE,
        leaf_size: int = LEAF_SIZE,
        n_threads: int | None = None,
    ) -> None:
        self.Z = np.ascontiguousarray(Z, dtype=np.float64)
        self.n, self.d = self.Z.shape
        if self.n < 2:
            raise ValueError(f"leave-one-out KDE needs at least 2 samples, got {self.n}")
        if not 0 < tolerance < 1:
            raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
        if isinstance(leaf_size, bool) or not isinstance(leaf_size, (int, np.integer)) or leaf_size < 1:
            raise ValueError(f"leaf_size must be a positive int, got {leaf_size!r}")
        if n_threads is not None and (
            isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1
        ):
            raise ValueError(f"n_threads must be a positive int or None, got {n_threads!r}")
        self.tolerance = float(tolerance)
        self.n_threads = int(n_threads) if n_threads is not None else available_cpus()
        self._cache = None
        self._recent: list[tuple[float, bool, np.ndarray, np.ndarray]] = []  # the last 3 evaluations
        # exact duplicates, with the same leave-all-copies-out bookkeeping as LeaveOneOutKDE
        inverse, n_dup = exact_copies(self.Z)
        self.n_dup = n_dup.astype(np.float64)
        self.n_used = self.n - 1.0 - self.n_dup
        order, self._leaves = kd_leaves(self.Z, leaf_size)
        self._order = order
        self._sorted = self.Z[order]
        self._sorted_t = np.ascontiguousarray(self._sorted.T)
        self._uid = inverse[order]
        self._dup_sorted = n_dup[order] > 0
        starts, stops = self._leaves[:, 0], self._leaves[:, 1]
        self._sizes = stops - starts
        self._low = np.minimum.reduceat(self._sorted, starts, axis=0)
        self._high = np.maximum.reduceat(self._sorted, starts, axis=0)
        self.dmin = np.empty(self.n)
        self.dmin[order] = self._nearest_other(n_dup[order])

    def _nearest_other(self, n_dup: np.ndarray) -> np.ndarray:
        """Squared distance of each (ordered) point to its nearest point that is not a left-out copy."""
        tree = cKDTree(self._sorted)
        out = np.empty(self.n)
        for copies in np.unique(n_dup):  # the (copies + 2)-th neighbour: itself and its copies come first
            rows = np.flatnonzero(n_dup == copies)
            dist, _ = tree.query(self._sorted[rows], k=[int(copies) + 2])
            out[rows] = dist[:, 0] ** 2
        return out

    def log_kernel_sums(self, h: float | tuple[float, ...]) -> np.ndarray:
        """As :meth:`LeaveOneOutKDE.log_kernel_sums`, summed over each row's neighbourhood."""
        hs = np.atleast_1d(np.asarray(h, dtype=np.float64))
        out = np.stack([self._sums(float(hm))[0] for hm in hs])
        return out[0] if np.ndim(h) == 0 else out

    def log_likelihood_slope(self, h: float) -> float:
        """See :meth:`LeaveOneOutKDE.log_likelihood_slope` (the same neighbourhoods as the sums)."""
        log_sums, weighted = self._sums(float(h), moments=True)
        return self._slope(log_sums, weighted, h)

    def _sums(self, h: float, moments: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Log shifted-back sums and, with ``moments``, ``Σ_j K_ij D_ij / h² / S_i`` (rows in input order).

        The last three results are kept: a bandwidth search ends by evaluating the density at a
        bandwidth where it evaluated the slope."""
        for h_done, with_moments, log_done, weighted_done in self._recent:
            if h_done == h and (with_moments or not moments):
                return log_done, weighted_done
        log_sums, weighted = np.empty(self.n), np.empty(self.n)
        dmin_sorted = self.dmin[self._order]

        def run(leaves: range) -> None:
            for leaf in leaves:
                start, stop = self._leaves[leaf]
                s, w = self._leaf_sums(leaf, dmin_sorted[start:stop], h, moments)
                log_sums[start:stop], weighted[start:stop] = s, w

        # query blocks are single leaves: larger ones gather fewer reference copies per row but keep
        # more far pairs (one leaf was fastest on 4-D samples of 10⁵ points)
        chunks = np.array_split(np.arange(len(self._leaves)), min(self.n_threads, len(self._leaves)))
        with threadpool_limits(1), ThreadPoolExecutor(len(chunks)) as pool:
            list(pool.map(run, [range(c[0], c[-1] + 1) for c in chunks if len(c)]))
        unsorted_sums, unsorted_weighted = np.empty(self.n), np.empty(self.n)
        unsorted_sums[self._order], unsorted_weighted[self._order] = log_sums, weighted
        self._recent = [*self._recent[-2:], (h, moments, unsorted_sums, unsorted_weighted)]
        return unsorted_sums, unsorted_weighted

    def _kept_leaves(self, low: np.ndarray, high: np.ndarray, dmin_max: float, inv: float) -> np.ndarray:
        """Reference leaves for the query box ``[low, high]`` whose dropping the tolerance does not cover (sorted)."""
        gap = np.maximum(0.0, np.maximum(self._low - high, low - self._high))
        gap2 = np.einsum("ij,ij->i", gap, gap)
        with np.errstate(over="ignore"):  # near leaves: +inf, never dropped
            bound = self._sizes * np.exp(-(gap2 - dmin_max) * inv)
        # leaves below tolerance / (2 · leaves) are dropped outright (together at most tolerance / 2); the
        # rest of the budget drops the farthest of the leaves below the tolerance
        small = bound <= 0.5 * self.tolerance / len(bound)
        middle = np.flatnonzero(~small & (bound <= 0.5 * self.tolerance))
        middle = middle[np.argsort(-gap2[middle], kind="stable")]
        n_dropped = int(np.searchsorted(np.cumsum(bound[middle]), 0.5 * self.tolerance, side="right"))
        keep = ~small
        keep[middle[:n_dropped]] = False
        return np.flatnonzero(keep)

    def _leaf_sums(self, leaf: int, dmin: np.ndarray, h: float, moments: bool) -> tuple[np.ndarray, np.ndarray]:
        """Sums of the rows of query leaf ``leaf`` (see :meth:`_sums`)."""
        inv = 0.5 / (h * h)
        start, stop = self._leaves[leaf]
        low, high = self._low[leaf], self._high[leaf]
        kept = self._kept_leaves(low, high, float(dmin.max()), inv)
        sizes = self._sizes[kept]
        offsets = np.cumsum(sizes) - sizes
        index = np.arange(int(sizes.sum())) + np.repeat(self._leaves[kept, 0] - offsets, sizes)
        own = int(offsets[np.searchsorted(kept, leaf)])  # the query leaf is always kept (gap 0)
        # centred on the query box, so |q| and the |r| of the pairs that matter are small and the
        # rounding of |q|² + |r|² − 2 q·r (≤ 4u(|q| + |r|)² with u = 2⁻⁵³) stays far below the tolerance;
        # a chunk where it could not (a leaf spanning far-apart points) takes direct differences
        centre = 0.5 * (low + high)
        Q = self._sorted[start:stop] - centre
        q2 = np.einsum("ij,ij->i", Q, Q)
        q_norm = float(np.sqrt(q2.max()))
        q_term = (q2 - dmin) * inv
        Q *= 2 * inv
        rows = np.arange(stop - start)
        copies = self._dup_sorted[start:stop].any()
        shifted, moment = np.zeros(stop - start), np.zeros(stop - start)
        width = max(1024, BLOCK_ELEMENTS // (stop - start))  # columns per chunk: memory stays bounded
        for lo in range(0, len(index), width):
            columns = index[lo : lo + width]
            raw = np.take(self._sorted_t, columns, axis=1)
            R = raw - centre[:, None]
            r2 = np.einsum("ij,ij->j", R, R)
            # X = −x with x_ij = (D_ij − D_i,min) / 2h²
            if 4 * _U64 * (q_norm + float(np.sqrt(r2.max()))) ** 2 * inv <= MAX_ROUNDING:
                X = Q @ R
                X -= q_term[:, None]
                X -= (r2 * inv)[None, :]
            else:
                X = (cdist(self._sorted[start:stop], raw.T, "sqeuclidean") - dmin[:, None]) * -inv
            # exp in float32: rounding x to float32 changes exp(−x) by a relative x·2⁻²⁴ (≲ 1e-7 for
            # the pairs that carry the sum)
            X = X.astype(np.float32)
            mine = (own + rows >= lo) & (own + rows < lo + len(columns))
            X[rows[mine], own + rows[mine] - lo] = _LEFT_OUT  # the point itself
            if copies:  # its exact copies (leave-all-copies-out)
                X[self._uid[start:stop, None] == self._uid[columns][None, :]] = _LEFT_OUT
            E = np.exp(X)
            shifted += E.sum(axis=1, dtype=np.float64)
            if moments:
                moment += np.einsum("ij,ij->i", E, X, dtype=np.float64)
        log_sums = np.log(shifted) - dmin * inv
        # Σ_j K_ij D_ij / h² over the shifted sum: D_ij / h² = −2 X_ij + D_i,min / h² (left-out pairs: E = 0)
        weighted = -2.0 * moment / shifted + dmin * 2 * inv if moments else moment
        return log_sums, weighted
