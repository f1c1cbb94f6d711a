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

    def log_likelihood_slope(self, h: float) -> float:
        """``d/d log h`` of the mean leave-one-out log-density ``(1/n) Σ_i log f_{-i}(z_i)`` (ordinary
        leave-one-out, duplicates included), at bandwidth ``h``.

        ``log f_{-i} = log Σ_{j≠i} K_ij − d log h + const`` with ``K_ij = exp(−D_ij / 2h²)``, and
        ``d K_ij / d log h = K_ij D_ij / h²``, so the slope is ``(1/n) Σ_i Σ_j K_ij D_ij / h² / Σ_j K_ij − d``:
        zero where the kernel-weighted mean squared distance to the other points is ``d h²`` (the
        stationarity condition of the likelihood bandwidth, Duin 1976).
        """
        inv = 0.5 / (h * h)
        log_sums, weighted = np.empty(self.n), np.empty(self.n)
        for start, stop in self._ranges():
            D = self._shifted_block(start, stop)
            dmin = self.dmin[start:stop]
            K = np.exp(D * np.float32(-inv))
            shifted = K.sum(axis=1, dtype=np.float64)
            log_sums[start:stop] = np.log(shifted) - dmin * inv
            with np.errstate(invalid="ignore"):  # inf · 0 for the point itself: its K is 0
                KD = np.where(K > 0, K * D, np.float32(0.0))
            weighted[start:stop] = KD.sum(axis=1, dtype=np.float64) / shifted / (h * h) + dmin / (h * h)
        return self._slope(log_sums, weighted, h)

    def _slope(self, log_sums: np.ndarray, weighted: np.ndarray, h: float) -> float:
        """The slope from leave-all-copies-out ``log S_i`` and ``T_i / S_i = Σ_j K_ij D_ij / h² / S_i``:
        the copies (``D = 0``) add ``n_dup_i`` to ``S_i`` and nothing to ``T_i``."""
        with np.errstate(divide="ignore"):
            share = np.exp(log_sums - np.logaddexp(log_sums, np.log(self.n_dup)))  # S_i / (S_i + n_dup_i)
        return float(np.mean(weighted * share)) - self.d

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


def exact_copies(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(value_id, n_dup)`` per row: the id of its distinct value and how many other rows equal it.

    ``n_dup`` is the count left out with the row (leave-all-copies-out); it is 0 where every other
    row is a copy (nothing else would be left: ordinary leave-one-out, as in :class:`LeaveOneOutKDE`).
    """
    _, inverse, counts = np.unique(Z, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    n_dup = counts[inverse] - 1
    n_dup[n_dup >= len(Z) - 1] = 0
    return inverse, n_dup


#: grid spacing of :class:`BinnedKDE`, as a fraction of the bandwidth
BINNED_SPACING = 1.0 / 40.0
#: kernel support of :class:`BinnedKDE` in bandwidths (the dropped tail ``exp(−7²/2)`` is ~2e-11)
BINNED_CUTOFF = 7.0
#: most grid nodes (padding included) one binned convolution may use (~130 MB of float64)
MAX_GRID_NODES = 1 << 24
#: rows whose binned leave-one-out sum falls below this are summed exactly instead
EXACT_ROW_FLOOR = 1e-3


class BinnedKDE(LeaveOneOutKDE):
    """:class:`LeaveOneOutKDE` whose kernel sums come from linear binning and an FFT convolution.

    The sample is linearly binned onto a grid of spacing ``δ = spacing · h`` (each point's mass
    split over the ``2^d`` corners of its cell, Jones & Lotwick 1984), the grid is convolved with
    the Gaussian kernel sampled on the grid (cut at ``BINNED_CUTOFF · h``) by FFT, and the result is
    interpolated back to each point with the same linear weights; each point's own contribution
    through the grid (``Π_k ((1−t_k)² + t_k² + 2 t_k (1−t_k) e^{−spacing²/2})``) is subtracted exactly,
    so the sums are leave-one-out. Cost ``O(n 2^d + G log G)`` for ``G`` grid nodes, instead of
    ``O(n²)``. Grids beyond ``MAX_GRID_NODES`` are refused (:meth:`min_bandwidth`); rows whose sum
    is below ``EXACT_ROW_FLOOR`` (isolated points, where the FFT's absolute rounding and the
    binning error of far pairs are not small relative to the sum) are summed exactly.

    Error bound. Binning and interpolation replace each pair's kernel ``K(u)``, ``u = z_i − z_j``, by
    its mean over the grid corners, ``E K(u + e)``, with independent corner offsets ``e`` of mean 0 and
    variance at most ``δ²/2`` per coordinate (``t(1−t)δ² ≤ δ²/4`` from each end). A second-order Taylor
    expansion of the Gaussian in ``e`` bounds the
    relative error of row ``i``'s sum by ``B_i = (spacing²/4) Σ_k E_K|u_k²/h² − 1|`` (``E_K``: mean over
    the row's neighbours weighted by their kernel values). ``B_i`` is small where the density is
    smooth on the scale ``h`` (the weighted neighbours then spread like the kernel); the entropy
    estimate ``−mean log f̂`` moves by at most ``mean_i B_i``, which is ``≈ (d/4) spacing²``
    (1.6e-4 in 1-D, 3.1e-4 in 2-D with the default spacing 1/40) on smooth data.
    tests/test_kde_fast.py checks ``|log S̃_i − log S_i| ≤ B_i`` row by row against exact sums.

    Parameters
    ----------
    Z : ndarray (n, d)
        The sample (float64).
    spacing : float, default 1/40
        Grid spacing relative to the bandwidth.

    References
    ----------
    M. C. Jones, H. W. Lotwick, "On the errors involved in computing the empirical characteristic
    function", J. Statist. Comput. Simul. 17 (1983); M. P. Wand, "Fast computation of multivariate
    kernel estimators", J. Comput. Graph. Statist. 3 (1994) (linear binning and FFT convolution).
    """

    def __init__(self, Z: np.ndarray, spacing: float = BINNED_SPACING) -> None:
        self.Z = np.ascontiguousarray(Z, dtype=np.float64)
        self.n, self.d = self.Z.shape
        if self.n < 2:
            raise ValueError(f"leave-one-out KDE needs at least 2 samples, got {self.n}")
        if not 0 < spacing <= 0.5:
            raise ValueError(f"spacing must be in (0, 0.5], got {spacing}")
        self.spacing = float(spacing)
        self.block = int(max(1, min(self.n, BLOCK_ELEMENTS // self.n)))
        self._cache = None
        # exact duplicates, with the same leave-all-copies-out bookkeeping as LeaveOneOutKDE
        _, n_dup = exact_copies(self.Z)
        self.n_dup = n_dup.astype(np.float64)
        self.n_used = self.n - 1.0 - self.n_dup
        self.dmin = np.zeros(self.n)  # unused: binned sums need no shift
        self._low = self.Z.min(axis=0)
        self._span = self.Z.max(axis=0) - self._low
        self._half_width = int(np.ceil(BINNED_CUTOFF / self.spacing))

    def grid_nodes(self, h: float) -> float:
        """Nodes of the padded grid of one convolution at bandwidth ``h``."""
        delta = self.spacing * h
        return float(np.prod(np.floor(self._span / delta) + 2 + 2 * self._half_width))

    def min_bandwidth(self) -> float:
        """Smallest bandwidth whose grid has at most ``MAX_GRID_NODES`` nodes (bisection in log h)."""
        lo, hi = -50.0, 50.0
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if self.grid_nodes(float(np.exp(mid))) <= MAX_GRID_NODES else (mid, hi)
        return float(np.exp(hi))

    def log_kernel_sums(self, h: float | tuple[float, ...]) -> np.ndarray:
        """As :meth:`LeaveOneOutKDE.log_kernel_sums`, from binned sums (see the class notes)."""
        hs = np.atleast_1d(np.asarray(h, dtype=np.float64))
        out = np.empty((len(hs), self.n))
        for m, hm in enumerate(hs):
            sums = self._binned_sums(float(hm)) - self.n_dup  # each copy contributes exp(0) = 1 exactly
            exact = np.flatnonzero(sums < EXACT_ROW_FLOOR)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[m] = np.log(sums)
            if exact.size:
                out[m, exact] = self._exact_log_sums(exact, float(hm))
        return out[0] if np.ndim(h) == 0 else out

    def _binned_sums(self, h: float) -> np.ndarray:
        """Leave-one-out sums ``Σ_{j≠i} K(z_i − z_j)`` (duplicates included) by binning and FFT."""
        if self.grid_nodes(h) > MAX_GRID_NODES:
            raise ValueError(
                f"bandwidth {h:.3g} needs a grid of {self.grid_nodes(h):.3g} nodes (> {MAX_GRID_NODES}); "
                f"the binned kernel sums need h >= {self.min_bandwidth():.3g} here"
            )
        delta = self.spacing * h
        shape = (np.floor(self._span / delta) + 2).astype(np.int64)
        position = (self.Z - self._low) / delta
        cell = np.minimum(np.floor(position).astype(np.int64), shape - 2)
        frac = position - cell
        strides = np.cumprod(np.concatenate(([1], shape[::-1][:-1])))[::-1]  # C order
        offsets = np.array(np.meshgrid(*[[0, 1]] * self.d, indexing="ij")).reshape(self.d, -1).T
        corners = [(cell + offset) @ strides for offset in offsets]
        weights = [np.prod(np.where(offset == 1, frac, 1.0 - frac), axis=1) for offset in offsets]
        grid = np.zeros(int(np.prod(shape)))
        for index, weight in zip(corners, weights):
            grid += np.bincount(index, weight, minlength=grid.size)
        smoothed = self._convolve(grid.reshape(shape)).ravel()
        sums = np.zeros(self.n)
        for index, weight in zip(corners, weights):
            sums += weight * smoothed[index]
        # the point's own mass, spread and gathered through the grid: subtracted to leave it out
        neighbour = np.exp(-0.5 * self.spacing**2)
        own = np.prod((1.0 - frac) ** 2 + frac**2 + 2.0 * neighbour * frac * (1.0 - frac), axis=1)
        return sums - own

    def _convolve(self, grid: np.ndarray) -> np.ndarray:
        """``grid`` convolved with the Gaussian kernel sampled on it (cut at ``BINNED_CUTOFF · h``).

        A circular FFT convolution of length ``N ≥ m + L`` per axis (``m`` nodes, kernel half-width ``L``)
        equals the linear one on the ``m`` nodes. The kernel is separable and even: its transform is
        the outer product of the axes' real 1-D transforms, so only the grid is transformed.
        """
        from scipy import fft

        half = self._half_width
        taps = np.exp(-0.5 * (self.spacing * np.arange(half + 1)) ** 2)
        sizes = [fft.next_fast_len(m + half, real=True) for m in grid.shape]
        spectrum = fft.rfftn(grid, s=sizes)
        for axis, size in enumerate(sizes):
            wrapped = np.zeros(size)
            wrapped[: half + 1] = taps
            wrapped[size - half :] = taps[1:][::-1]
            factor = fft.rfft(wrapped).real if axis == len(sizes) - 1 else fft.fft(wrapped).real
            shape = [1] * len(sizes)
            shape[axis] = len(factor)
            spectrum *= factor.reshape(shape)
        return fft.irfftn(spectrum, s=sizes)[tuple(slice(0, m) for m in grid.shape)]

    def _exact_log_sums(self, rows: np.ndarray, h: float) -> np.ndarray:
        """Exact ``log`` leave-all-copies-out sums of ``rows`` (as LeaveOneOutKDE, shifted by the row minimum)."""
        out = np.empty(len(rows))
        for start in range(0, len(rows), self.block):
            chunk = rows[start : start + self.block]
            D = cdist(self.Z[chunk], self.Z, "sqeuclidean")
            D[np.arange(len(chunk)), chunk] = np.inf
            has_dup = self.n_dup[chunk] > 0
            D[has_dup] = np.where(D[has_dup] == 0.0, np.inf, D[has_dup])
            dmin = D.min(axis=1)
            out[start : start + len(chunk)] = np.log(np.exp(-(D - dmin[:, None]) / (2 * h * h)).sum(axis=1)) - dmin / (
                2 * h * h
            )
        return out


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


def stationary_log_bandwidth(
    slope: Callable[[float], float], t0: float, lo: float, hi: float, step: float = 0.1, xtol: float = 1e-3
) -> float | None:
    """The zero of ``slope(log h)`` (a likelihood maximum: ``slope`` falls through 0) nearest ``t0``.

    Walks from ``t0`` in the direction of ascent with steps growing from ``step`` (×1.6 each) until
    the sign changes, then refines the bracket with Brent's root finder to ``xtol`` in ``log h``.
    Returns None if the sign does not change within ``[lo, hi]`` (the caller falls back to a grid).
    Every evaluation lies near the path to the zero, so far fewer are needed than by a grid over
    the whole range; values are memoised.

    References
    ----------
    R. P. Brent, *Algorithms for Minimization without Derivatives*, Prentice-Hall 1973, ch. 4.
    """
    from scipy.optimize import brentq

    memo: dict[float, float] = {}

    def f(t: float) -> float:
        if t not in memo:
            memo[t] = float(slope(t))
        return memo[t]

    a = min(max(t0, lo), hi)
    direction = 1.0 if f(a) > 0 else -1.0
    while True:
        b = min(max(a + direction * step, lo), hi)
        if b == a:
            return None
        if (f(b) > 0) != (f(a) > 0):
            break
        a, step = b, 1.6 * step
    if not (np.isfinite(f(a)) and np.isfinite(f(b))):
        return None
    return float(brentq(f, min(a, b), max(a, b), xtol=xtol))
