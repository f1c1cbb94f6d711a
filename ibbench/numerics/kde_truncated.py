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

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits

from ibbench.numerics.kde import LeaveOneOutKDE

#: points per leaf of the k-d tree (the granularity of the reference points kept)
LEAF_SIZE = 32
#: exponent of a left-out pair (the point itself, its copies): exp gives exactly 0, and 0 · it stays finite
_LEFT_OUT = np.float32(-1e30)
#: rows per query block: consecutive leaves (a subtree) whose kept references are gathered once
QUERY_ROWS = 32
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

    Rounding: blocks are float64 matrix products ``|q|² + |r|² − 2 q·r`` of the centred data; their
    rounding (``~4u (|q| + |r|)² / 2h²``, ``u = 2⁻⁵³``) is negligible next to the tolerance, so each ``log``
    sum is within ``tolerance`` (plus float64 rounding) of the exact one; an entropy, a mean of them,
    moves by no more (tests/test_kde_truncated.py checks against dense float64 sums).

    Cost: the pairs within roughly ``sqrt(2 log(n / tolerance)) · h`` of each other (plus the leaves'
    granularity), instead of all ``n²``: large savings where ``h`` is small against the data's spread,
    none at bandwidths comparable to it. Memory ``O(n)`` plus one block per thread.

    Parameters
    ----------
    Z : ndarray (n, d)
        The sample (float64).
    tolerance : float, default 1e-7
        Bound on each row's relative truncation error.
    leaf_size : int, default 32
        Points per k-d tree leaf.
    n_threads : int or None, default None
        Threads for the blocks (``None``: the number of CPUs). The sums do not depend on it.

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
        if leaf_size < 1:
            raise ValueError(f"leaf_size must be at least 1, got {leaf_size}")
        self.tolerance = float(tolerance)
        self.n_threads = max(1, int(n_threads or os.cpu_count() or 1))
        self._cache = None
        self._recent: list[tuple[float, bool, np.ndarray, np.ndarray]] = []  # the last 3 evaluations
        # exact duplicates, with the same leave-all-copies-out bookkeeping as LeaveOneOutKDE
        _, inverse, counts = np.unique(self.Z, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        n_dup = counts[inverse] - 1
        n_dup[n_dup >= self.n - 1] = 0  # only copies of itself: ordinary leave-one-out
        self.n_dup = n_dup.astype(np.float64)
        self.n_used = self.n - 1.0 - self.n_dup
        order, self._leaves = kd_leaves(self.Z, leaf_size)
        self._order = order
        self._sorted = self.Z[order] - self.Z.mean(axis=0)  # centred: see the rounding note in _block_sums
        self._sorted_t = np.ascontiguousarray(self._sorted.T)
        self._norms = np.einsum("ij,ij->i", self._sorted, self._sorted)
        self._uid = inverse[order]
        self._dup_sorted = n_dup[order] > 0
        starts, stops = self._leaves[:, 0], self._leaves[:, 1]
        self._sizes = stops - starts
        self._low = np.minimum.reduceat(self._sorted, starts, axis=0)
        self._high = np.maximum.reduceat(self._sorted, starts, axis=0)
        # query blocks: runs of consecutive leaves (siblings in the tree) of at most QUERY_ROWS rows
        first = np.flatnonzero(np.diff(starts // QUERY_ROWS, prepend=-1))
        self._blocks = np.column_stack([first, np.append(first[1:], len(starts))])
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

        def run(blocks: range) -> None:
            for block in blocks:
                first, last = self._blocks[block]
                start, stop = self._leaves[first, 0], self._leaves[last - 1, 1]
                s, w = self._block_sums(first, last, dmin_sorted[start:stop], h, moments)
                log_sums[start:stop], weighted[start:stop] = s, w

        chunks = np.array_split(np.arange(len(self._blocks)), min(self.n_threads, len(self._blocks)))
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

    def _block_sums(
        self, first: int, last: int, dmin: np.ndarray, h: float, moments: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sums of the rows of query leaves ``first:last`` (see :meth:`_sums`)."""
        inv = 0.5 / (h * h)
        start, stop = self._leaves[first, 0], self._leaves[last - 1, 1]
        low, high = self._low[first:last].min(axis=0), self._high[first:last].max(axis=0)
        kept = self._kept_leaves(low, high, float(dmin.max()), inv)
        sizes = self._sizes[kept]
        offsets = np.cumsum(sizes) - sizes
        index = np.arange(int(sizes.sum())) + np.repeat(self._leaves[kept, 0] - offsets, sizes)
        # the query rows are consecutive leaves, all kept (gap 0): they sit together in `index`
        own = int(offsets[np.searchsorted(kept, first)])
        # x_ij = (D_ij − D_i,min) / 2h² = (|q|² − D_i,min + |r|² − 2 q·r) / 2h², in float64: on centred data
        # the rounding of this form, ~4u(|q| + |r|)² / 2h² with u = 2⁻⁵³, stays far below the tolerance
        X = (self._sorted[start:stop] * (2 * inv)) @ np.take(self._sorted_t, index, axis=1)
        X -= ((self._norms[start:stop] - dmin) * inv)[:, None]
        X -= (np.take(self._norms, index) * inv)[None, :]
        # exp in float32: rounding x to float32 changes exp(−x) by a relative x·2⁻²⁴ (~1e-7 where it matters)
        X = X.astype(np.float32)
        rows = np.arange(stop - start)
        X[rows, own + rows] = _LEFT_OUT  # the point itself
        if self._dup_sorted[start:stop].any():  # its exact copies (leave-all-copies-out)
            X[self._uid[start:stop, None] == self._uid[index][None, :]] = _LEFT_OUT
        E = np.exp(X)
        shifted = E.sum(axis=1, dtype=np.float64)
        log_sums = np.log(shifted) - dmin * inv
        if not moments:
            return log_sums, np.zeros(stop - start)
        # Σ_j K_ij D_ij / h² over the shifted sum: D_ij / h² = −2 X_ij + D_i,min / h² (left-out pairs: E = 0)
        weighted = -2.0 * np.einsum("ij,ij->i", E, X, dtype=np.float64) / shifted + dmin * 2 * inv
        return log_sums, weighted
