"""Gaussian-kernel density numerics: leave-one-out log-densities, bandwidth criteria, whitening.

All pairwise work is chunked by rows. Squared distances are computed in float64 and shifted by each
row's nearest-neighbour distance before they are stored in float32, so the kernel sums
``Σ_j exp(−(D_ij − D_i,min) / (2h²))`` (each ≥ 1) lose no precision where it matters and never
underflow, whatever the bandwidth. The shifted matrix is cached when it fits in
``max_cache_bytes`` (never above n = 20 000); otherwise each block is recomputed per evaluation,
so memory stays O(block · n).

Ties: for the bandwidth criteria, exact duplicates of a point are left out of its leave-one-out
sum together with the point ("leave all copies out", normalised by the number of points used);
otherwise duplicates make both criteria diverge as ``h → 0`` on discrete-valued data. Densities
for the entropy are the ordinary leave-one-out ones. Continuous data have no duplicates, so for
them both are the ordinary leave-one-out estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.spatial.distance import cdist

#: float32 elements per row block of the kernel sums (~4 MB, stays in cache)
BLOCK_ELEMENTS = 1 << 20
#: largest n for which an n × n matrix may ever be held
MAX_DENSE_N = 20_000


def whiten(A: np.ndarray, floor: float = 1e-12) -> tuple[np.ndarray, float]:
    """Centre and whiten the columns of ``A``; return ``(A_white, log_det)``.

    ``A_white = (A − mean) V Λ^{-1/2}`` with ``Σ = V Λ Vᵀ`` the sample covariance; eigenvalues below
    ``floor · max(λ)`` are raised to it (rank-deficient data stays finite). ``log_det = ½ Σ log λ``
    is the log-Jacobian to add to an entropy estimated on ``A_white`` to get the entropy of ``A``
    (``h(AW) = h(A) + log|det W|``).
    """
    centred = A - A.mean(axis=0)
    cov = np.atleast_2d(np.cov(centred, rowvar=False))
    lam, vec = np.linalg.eigh(cov)
    lam = np.maximum(lam, floor * max(float(lam.max()), np.finfo(np.float64).tiny))
    return centred @ (vec / np.sqrt(lam)), 0.5 * float(np.sum(np.log(lam)))


def silverman_bandwidth(n: int, d: int) -> float:
    """Silverman's rule ``(4 / (d + 2))^{1/(d+4)} n^{-1/(d+4)}`` for unit-variance data."""
    return (4.0 / (d + 2.0)) ** (1.0 / (d + 4.0)) * n ** (-1.0 / (d + 4.0))


class LeaveOneOutKDE:
    """Leave-one-out Gaussian-kernel quantities of a fixed sample ``Z`` (n, d) at any bandwidth.

    ``f_{-i}(z_i) = 1/(n−1) Σ_{j≠i} (2πh²)^{-d/2} exp(−|z_i − z_j|² / (2h²))``.

    Parameters
    ----------
    Z : ndarray (n, d)
        The sample (float64).
    max_cache_bytes : int, default 2**28
        Cache the float32 shifted distance matrix when it fits (and ``n <= 20 000``).
    """

    def __init__(self, Z: np.ndarray, max_cache_bytes: int = 1 << 28) -> None:
        self.Z = np.ascontiguousarray(Z, dtype=np.float64)
        self.n, self.d = self.Z.shape
        if self.n < 2:
            raise ValueError(f"leave-one-out KDE needs at least 2 samples, got {self.n}")
        self.block = int(max(1, min(self.n, BLOCK_ELEMENTS // self.n)))
        cache = self.n <= MAX_DENSE_N and 4 * self.n * self.n <= max_cache_bytes
        self._cache: np.ndarray | None = None
        # per row: shift (nearest included squared distance), number of points in its LOO sum,
        # number of exact duplicates left out (needed by ∫f̂², which uses every point)
        self.dmin = np.empty(self.n)
        self.n_used = np.empty(self.n)
        self.n_dup = np.empty(self.n)
        if cache:  # every later evaluation reads float32 only
            self._cache = np.empty((self.n, self.n), dtype=np.float32)
        for start, stop in self._ranges():
            D = self._prepared_block(start, stop)
            if self._cache is not None:
                np.subtract(D, self.dmin[start:stop, None], out=self._cache[start:stop], casting="same_kind")

    def _ranges(self) -> Iterator[tuple[int, int]]:
        for start in range(0, self.n, self.block):
            yield start, min(self.n, start + self.block)

    def _prepared_block(self, start: int, stop: int) -> np.ndarray:
        """Squared distances of rows start:stop to all rows (float64); +inf for the point itself and
        its exact duplicates (leave-all-copies-out), unless a row has no other distinct point."""
        D = cdist(self.Z[start:stop], self.Z, "sqeuclidean")  # direct differences: no cancellation
        rows = np.arange(stop - start)
        D[rows, rows + start] = np.inf
        dup = D == 0.0
        n_dup = np.count_nonzero(dup, axis=1)
        if n_dup.any():
            keep = n_dup >= self.n - 1  # only copies of itself: fall back to ordinary leave-one-out
            dup[keep] = False
            n_dup[keep] = 0
            D[dup] = np.inf
        self.dmin[start:stop] = D.min(axis=1)
        self.n_used[start:stop] = self.n - 1 - n_dup
        self.n_dup[start:stop] = n_dup
        return D

    def _shifted_block(self, start: int, stop: int) -> np.ndarray:
        """Row-shifted float32 squared distances ``D_ij − min_j D_ij`` of rows start:stop."""
        if self._cache is not None:
            return self._cache[start:stop]
        D = self._prepared_block(start, stop)
        return (D - self.dmin[start:stop, None]).astype(np.float32)

    def log_kernel_sums(self, h: float | tuple[float, ...]) -> np.ndarray:
        """``log Σ_j exp(−|z_i − z_j|² / (2h²))`` over the points in row ``i``'s leave-out sum;
        several ``h`` share one pass. Returns shape (n,) for a scalar ``h``, else (len(h), n).
        """
        hs = np.atleast_1d(np.asarray(h, dtype=np.float64))
        out = np.empty((len(hs), self.n))
        buf = np.empty((self.block, self.n), dtype=np.float32)
        for start, stop in self._ranges():
            D = self._shifted_block(start, stop)
            dmin = self.dmin[start:stop]
            b = buf[: stop - start]
            for m, hm in enumerate(hs):
                np.multiply(D, np.float32(-0.5 / hm**2), out=b)
                np.exp(b, out=b)
                # each sum is >= 1 (the nearest neighbour contributes exp(0)): no underflow
                out[m, start:stop] = np.log(b.sum(axis=1)) - dmin * (0.5 / hm**2)
        return out[0] if np.ndim(h) == 0 else out

    def log_loo_density(self, h: float, leave_copies_out: bool = False) -> np.ndarray:
        """``log f_{-i}(z_i)`` for every ``i`` at bandwidth ``h``.

        ``leave_copies_out=True`` also leaves out the exact duplicates of ``z_i`` (used by the
        bandwidth criteria, which would otherwise diverge as ``h → 0`` on tied data).
        """
        ls = self.log_kernel_sums(h)
        if leave_copies_out:
            used = self.n_used
        else:  # put the duplicates' kernel values exp(0) = 1 back into the sums
            with np.errstate(divide="ignore"):
                ls = np.logaddexp(ls, np.log(self.n_dup))
            used = self.n - 1.0
        return ls - np.log(used) - 0.5 * self.d * np.log(2.0 * np.pi * h * h)

    def lscv(self, h: float) -> float:
        """Least-squares cross-validation score ``∫f̂² − (2/n) Σ_i f_{-i}(z_i)`` (Rudemo 1982), with
        exact duplicates left out of the cross-validation densities (see the module notes).

        For the Gaussian kernel ``∫f̂² = n^{-2} Σ_{i,j} φ_{√2 h}(z_i − z_j)`` (all pairs: the
        diagonal and exact duplicates contribute ``φ_{√2 h}(0)`` each).
        """
        n, d = self.n, self.d
        ls2, ls1 = self.log_kernel_sums((np.sqrt(2.0) * h, h))
        zero_pairs = n + float(self.n_dup.sum())
        log_int = -0.5 * d * np.log(4.0 * np.pi * h * h) + np.log(zero_pairs + np.exp(ls2).sum()) - 2.0 * np.log(n)
        log_cv = np.log(2.0 / n) + _logsumexp(ls1 - np.log(self.n_used) - 0.5 * d * np.log(2.0 * np.pi * h * h))
        with np.errstate(over="ignore"):  # h → 0 in high d: ±inf, which the search treats as invalid
            return (
                float(np.exp(log_int) - np.exp(log_cv))
                if max(log_int, log_cv) < 700
                else (np.inf if log_int >= log_cv else -np.inf)
            )


def _logsumexp(a: np.ndarray) -> float:
    m = float(np.max(a))
    return m + float(np.log(np.sum(np.exp(a - m))))


def fit_log_bandwidth(
    objective: Callable[[float], float], lo: float, hi: float, n_grid: int = 8, xatol: float = 0.02
) -> float:
    """Minimise ``objective(log h)`` over ``[lo, hi]``: a log-spaced grid, then bounded Brent.

    The grid guards against the local minima least-squares CV is known for; Brent then refines
    inside the two grid cells around the best grid point to ``xatol`` in ``log h`` (2 % in ``h``;
    the criteria are flat at their optimum, so the entropy error this leaves is second order).
    """

    def safe(t: float) -> float:  # ±inf/NaN mark degenerate bandwidths: never chosen
        v = float(objective(t))
        return v if np.isfinite(v) else np.inf

    grid = np.linspace(lo, hi, n_grid)
    values = np.array([safe(t) for t in grid])
    best = int(np.argmin(values))
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, n_grid - 1)]
    res = minimize_scalar(safe, bounds=(left, right), method="bounded", options={"xatol": xatol})
    return float(res.x) if np.isfinite(res.fun) and res.fun <= values[best] else float(grid[best])
