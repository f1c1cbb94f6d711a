"""Kernel-density (Gaussian kernel) entropy estimators of MI: ``I = H(X) + H(Y) − H(X, Y)``.

Entropies are resubstitution estimates with leave-one-out densities,
``Ĥ = −(1/n) Σ_i log f̂_{-i}(z_i)``; the bandwidth is chosen by leave-one-out maximum likelihood
(``kde-ml``) or least-squares cross-validation (``kde-lse``), as in the KDE estimators of
Butakov et al. (2024). Numerics (chunked float32 kernel sums, bandwidth search) live in
:mod:`ibbench.numerics.kde`.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from ibbench.estimators.entropy_base import EntropyMIEstimator
from ibbench.numerics.kde import (
    BinnedKDE,
    LeaveOneOutKDE,
    fit_log_bandwidth,
    silverman_bandwidth,
    stationary_log_bandwidth,
    whiten,
)
from ibbench.numerics.kde_truncated import TruncatedKDE
from ibbench.params import Interval, StrOptions


class _GridTooFine(Exception):
    """The binned kernel sums cannot reach the bandwidths the search needs."""


class _KDEBase(EntropyMIEstimator):
    """Shared fit of the KDE estimators; subclasses define the bandwidth criterion."""

    # whitening makes it per-side affine in exact arithmetic, but a side transformed by a non-scalar
    # map is whitened up to a rotation, and float32 kernel sums and the bandwidth search (Brent to 2 %
    # in h) then resolve it differently (estimates move by up to ~5e-3 nats); one scale per side is exact.
    # Constant columns are dropped (EntropyMIEstimator's tag constant_columns="drop"): no density,
    # and whitening floors and the bandwidth search would turn them into arbitrary terms.
    tags = {"accepts_x": "continuous", "accepts_y": "continuous", "invariance": "per-side-scalar-affine"}
    #: search range of the bandwidth, relative to Silverman's rule on unit-scale data
    bandwidth_range = (1e-3, 4.0)
    #: log-spaced grid points scanned before the bounded Brent refinement
    n_grid = 8
    fitted_attribute = "bandwidth_"

    _parameter_constraints = {
        "whiten": ["boolean"],
        "separate_bandwidths": ["boolean"],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), None],
        "max_cache_bytes": [Interval(Integral, 0, None, closed="left")],
        "kernel_sums": [StrOptions({"auto", "exact", "binned", "truncated"})],
    }
    #: "auto" bins the kernel sums of spaces of at most this many dimensions (truncated sums above) ...
    binned_max_dim = 2
    #: ... when n exceeds this (above every n of a committed result: their estimates are unchanged)
    binned_min_n = 30_000

    def __init__(
        self,
        whiten: bool = True,
        separate_bandwidths: bool = False,
        bandwidth: float | None = None,
        max_cache_bytes: int = 1 << 28,
        kernel_sums: str = "auto",
    ) -> None:
        self.whiten = whiten
        self.separate_bandwidths = separate_bandwidths
        self.bandwidth = bandwidth
        self.max_cache_bytes = max_cache_bytes
        self.kernel_sums = kernel_sums

    def _criterion(self, kde: LeaveOneOutKDE, log_h: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_bandwidth(self, kde: LeaveOneOutKDE) -> float:
        if self.bandwidth is not None:
            return float(self.bandwidth)
        hs = silverman_bandwidth(kde.n, kde.d)
        lo, hi = np.log(hs * self.bandwidth_range[0]), np.log(hs * self.bandwidth_range[1])
        if isinstance(kde, BinnedKDE):
            # the grid limits the bandwidths binned sums can reach: search above that limit and
            # refuse an optimum at it (it may lie below)
            lo = max(lo, float(np.log(kde.min_bandwidth())))
            if lo >= hi:
                raise _GridTooFine(f"the binned kernel sums cannot reach the bandwidth range (h >= {np.exp(lo):.3g})")
        t = self._search_log_bandwidth(kde, float(np.log(hs)), lo, hi)
        if isinstance(kde, BinnedKDE) and lo > np.log(hs * self.bandwidth_range[0]) and t <= lo + 0.05:
            raise _GridTooFine(f"the fitted bandwidth {np.exp(t):.3g} is at the smallest the binned kernel sums reach")
        return float(np.exp(t))

    def _search_log_bandwidth(self, kde: LeaveOneOutKDE, t_silverman: float, lo: float, hi: float) -> float:
        """Minimise the criterion over ``log h`` in ``[lo, hi]`` (a grid, then bounded Brent)."""
        return fit_log_bandwidth(lambda t: self._criterion(kde, t), lo, hi, self.n_grid)

    def _kde(self, Z: np.ndarray, cache_bytes: int, h: float | None = None) -> LeaveOneOutKDE:
        """Kernel sums for ``Z`` as ``kernel_sums`` says; ``h``: the bandwidth, if already known."""
        n, d = Z.shape
        large = self.kernel_sums == "auto" and n > self.binned_min_n
        if self.kernel_sums == "truncated" or (large and d > self.binned_max_dim):
            return TruncatedKDE(Z)
        if self.kernel_sums == "binned" or large:  # large here: at most binned_max_dim dimensions
            kde = BinnedKDE(Z)
            if h is None or h >= kde.min_bandwidth():
                return kde
            if self.kernel_sums == "binned":
                raise ValueError(
                    f"kernel_sums='binned': bandwidth {h:.3g} is below the {kde.min_bandwidth():.3g} the grid "
                    f"of {d}-dimensional data reaches; use kernel_sums='exact'"
                )
        return self._unbinned(Z, cache_bytes)

    def _unbinned(self, Z: np.ndarray, cache_bytes: int) -> LeaveOneOutKDE:
        """Where binned sums cannot serve: truncated sums for "auto" on large samples, else exact ones."""
        if self.kernel_sums == "auto" and len(Z) > self.binned_min_n:
            return TruncatedKDE(Z)
        return LeaveOneOutKDE(Z, cache_bytes)

    def _prepare(self, A: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        if A.shape[1] == 0:
            return A, 0.0
        if self.whiten:
            # separate (block-diagonal) whitening: the MI is invariant, entropies shift by log|det|
            return whiten(A)
        # one bandwidth per space assumes comparable scales: fix the overall scale only
        s = float(np.sqrt(np.mean(A.var(axis=0)))) or 1.0
        return A / s, A.shape[1] * np.log(s)

    def _entropy_terms(self, Z: np.ndarray, space: str, fitted: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        # the bandwidth is fitted on the joint and reused for the marginals (Butakov et al.), unless
        # separate_bandwidths or there is no joint (a constant side): then each space fits its own
        if space == "xy" or self.separate_bandwidths or "xy" not in fitted:
            kde = self._kde(Z, self.max_cache_bytes, self.bandwidth)  # a fixed bandwidth: known now
            try:
                fitted[space] = self._fit_bandwidth(kde)
            except _GridTooFine as exc:
                if self.kernel_sums == "binned":
                    raise ValueError(f"kernel_sums='binned': {exc}; use kernel_sums='exact'") from None
                kde = self._unbinned(Z, self.max_cache_bytes)  # "auto": unbinned sums instead
                fitted[space] = self._fit_bandwidth(kde)
        else:
            # one evaluation at a known bandwidth: nothing to cache
            kde = self._kde(Z, 0, fitted["xy"])
            fitted[space] = fitted["xy"]
        return -kde.log_loo_density(fitted[space])

    def _pointwise_mi(self, hx: np.ndarray, hy: np.ndarray, hxy: np.ndarray) -> np.ndarray:
        # log f(x,y) − log f(x) − log f(y) with log f = −h, evaluated in that order (the same
        # rounding as the first implementation, so stderr_ is unchanged to the last bit)
        return -hxy + hx + hy


_SEARCH_DOC = """    bandwidth_search : {"auto", "grid", "stationary"}, default "auto"
        ``"grid"``: the criterion on 6 log-spaced bandwidths over ``[1e-3, 4]`` × Silverman's, then
        bounded Brent to 2 % in ``h``. ``"stationary"``: the zero of the likelihood's slope
        ``d/d log h (1/n) Σ_i log f̂_{-i}(z_i) = (1/n) Σ_i Σ_j K_ij |z_i − z_j|² / h² / Σ_j K_ij − d``
        (Duin 1976's stationarity condition), bracketed from Silverman's bandwidth and refined by
        Brent's root finder to 0.1 % in ``h``; it only evaluates bandwidths near the optimum (the
        grid's widest one needs every pair even with truncated sums), finds the grid's optimum
        wherever the likelihood is unimodal in ``log h``, and falls back to the grid when the slope
        has no zero in the range (e.g. tied data, whose likelihood grows without bound as ``h → 0``).
        ``"auto"``: stationary for ``n > 30 000`` with exact or truncated sums, grid otherwise.
"""

_PARAMS_DOC = """
    Parameters
    ----------
    whiten : bool, default True
        Centre and whiten X and Y separately (``Σ^{-1/2}``, eigenvalues floored at 1e-12 of the
        largest) so one scalar bandwidth suits every direction. The MI is invariant under these
        block-diagonal maps; the reported entropies are mapped back to the original scale.
        ``False`` only rescales each side by its root-mean variance.
    separate_bandwidths : bool, default False
        Fit one bandwidth per space (X, Y, joint) instead of fitting it on the joint and reusing it
        for the marginals (the default, as in Butakov et al.).
    bandwidth : float or None, default None
        A fixed bandwidth (on the whitened scale) instead of the fitted one.
    max_cache_bytes : int, default 2**28
        Memory for caching the float32 pairwise-distance matrix during the bandwidth search
        (n ≤ 8192 with the default; never for n > 20 000); above it, blocks are recomputed.
    kernel_sums : {"auto", "exact", "binned", "truncated"}, default "auto"
        How the leave-one-out kernel sums are computed. ``"exact"``: all ``n²`` pairs (float32
        kernel values, float64 distances). ``"binned"``: linear binning on a grid of spacing ``h/40``
        and an FFT convolution (:class:`~ibbench.numerics.kde.BinnedKDE`), ``O(n + G log G)``; each
        entropy moves by at most ``≈ (d/4)/1600`` nats on data smooth on the scale of ``h``
        (1.6e-4 in 1-D, 3.1e-4 in 2-D; the bound is in ``BinnedKDE``'s notes); it needs a grid of
        at most 2²⁴ nodes, so it is meant for 1- and 2-dimensional spaces. ``"truncated"``: each
        row summed over the k-d tree leaves that can matter, with a certified relative error of at
        most 1e-7 per row (:class:`~ibbench.numerics.kde_truncated.TruncatedKDE`); cheap where ``h``
        is small against the data's spread, no cheaper than exact at large ``h``. ``"auto"``: for
        ``n > 30 000``, binned for the spaces of at most 2 dimensions and truncated for larger ones
        (also where the bandwidth search runs into the grid's smallest bandwidth); exact for
        ``n <= 30 000`` (every committed result, so none changes).
{extra_params}
    Attributes
    ----------
    mutual_info_ : float
        The estimate (nats).
    entropy_x_, entropy_y_, entropy_xy_ : float
        Resubstitution entropy estimates (nats) on the original scale.
    bandwidth_ : dict
        Bandwidths used for ``"x"``, ``"y"``, ``"xy"`` (whitened scale).
    stderr_ : float
        Asymptotic standard error: standard deviation of the per-point terms
        ``log f̂_{-i}(x_i, y_i) − log f̂_{-i}(x_i) − log f̂_{-i}(y_i)`` over ``sqrt(n)`` (the influence
        function of ``I`` is ``log f(x,y)/(f(x)f(y)) − I``).

    Notes
    -----
    Degenerate input: constant columns are dropped first (no density; MI unchanged). If X or Y is
    constant, ``mutual_info_ = 0`` exactly, ``stderr_ = 0``, the constant side's entropy and the
    joint's are ``-inf`` and ``bandwidth_`` holds only the other side's own fitted bandwidth. Any
    ``n >= 2`` is accepted (tiny samples give finite, very noisy estimates).
    Ties (discrete-valued data): the bandwidth search is bounded below at ``10⁻³`` × Silverman's
    bandwidth, so estimates stay finite. ``kde-ml`` uses ordinary leave-one-out densities: points
    with exact duplicates pull ``h`` down, isolated points (their log-density falls like ``−1/h²``)
    push it up, and on purely discrete data with repeated symbols the estimate approaches the
    plug-in MI. ``kde-lse`` leaves all exact copies of a point out of its cross-validation density
    (otherwise LSCV diverges to ``−∞`` as ``h → 0`` on tied data while ignoring isolated points,
    whose resubstitution terms then explode); its bandwidth on discrete data is of the order of the
    symbol spacing, which smooths and underestimates the MI. Neither is meaningful on singular
    (mixed discrete/continuous or image-manifold) data; heavy tails make ``kde-lse`` undersmooth.
"""


class KDEMaxLikelihood(_KDEBase):
    """KDE entropy estimator of MI with the bandwidth chosen by leave-one-out maximum likelihood.

    The bandwidth maximises ``Σ_i log f̂_{-i}(z_i)``, which is the same as minimising the
    resubstitution entropy estimate itself; the search is over ``log h`` (grid, then bounded
    Brent). ``I = Ĥ(X) + Ĥ(Y) − Ĥ(X, Y)`` with Gaussian kernels.
    {params}

    References
    ----------
    I. A. Ahmad, P.-E. Lin, "A nonparametric estimation of the entropy for absolutely continuous
    distributions", IEEE Trans. Inf. Theory 22 (1976) (resubstitution estimate
    ``Ĥ = −(1/n) Σ log f̂(z_i)``). R. P. W. Duin, "On the choice of smoothing parameters for Parzen
    estimators of probability density functions", IEEE Trans. Comput. 25 (1976) (leave-one-out
    likelihood). I. Butakov et al., "Information bottleneck analysis of deep neural networks via
    lossy compression", ICLR 2024, Sec. 5 (KDE-ML; bandwidth fitted on the joint and reused).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(1000); y = x + rng.standard_normal(1000)
    >>> bool(abs(KDEMaxLikelihood().estimate(x, y) - 0.5 * np.log(2)) < 0.1)
    True
    """

    name = "kde-ml"
    # 2: constant columns dropped, constant side -> 0; 3: n > 30 000: truncated kernel sums where binned
    # ones cannot serve (3+ dimensions, or an optimum below the grid's reach) and the stationary-point
    # bandwidth search (n <= 30 000 unchanged)
    version = "3"
    n_grid = 6  # the likelihood criterion is smooth and unimodal in log h

    _parameter_constraints = {
        **_KDEBase._parameter_constraints,
        "bandwidth_search": [StrOptions({"auto", "grid", "stationary"})],
    }

    def __init__(
        self,
        whiten: bool = True,
        separate_bandwidths: bool = False,
        bandwidth: float | None = None,
        max_cache_bytes: int = 1 << 28,
        kernel_sums: str = "auto",
        bandwidth_search: str = "auto",
    ) -> None:
        super().__init__(whiten, separate_bandwidths, bandwidth, max_cache_bytes, kernel_sums)
        self.bandwidth_search = bandwidth_search

    def _criterion(self, kde: LeaveOneOutKDE, log_h: float) -> float:
        return -float(np.mean(kde.log_loo_density(float(np.exp(log_h)))))

    def _search_log_bandwidth(self, kde: LeaveOneOutKDE, t_silverman: float, lo: float, hi: float) -> float:
        if isinstance(kde, BinnedKDE):
            if self.bandwidth_search == "stationary":
                raise ValueError(
                    "bandwidth_search='stationary' needs the slope of the likelihood, which binned kernel sums "
                    "do not give: use kernel_sums='exact' or 'truncated' (or bandwidth_search='grid')"
                )
        elif self.bandwidth_search == "stationary" or (self.bandwidth_search == "auto" and kde.n > self.binned_min_n):
            t = stationary_log_bandwidth(lambda t: kde.log_likelihood_slope(float(np.exp(t))), t_silverman, lo, hi)
            if t is not None:
                return t
        return super()._search_log_bandwidth(kde, t_silverman, lo, hi)


class KDELeastSquares(_KDEBase):
    """KDE entropy estimator of MI with the bandwidth chosen by least-squares cross-validation.

    The bandwidth minimises ``∫f̂² − (2/n) Σ_i f̂_{-i}(z_i)`` (an unbiased estimate of the integrated
    squared error up to a constant), computed in closed form for Gaussian kernels; the entropy is
    then the leave-one-out resubstitution estimate at that bandwidth. LSCV has local minima, so the
    search scans a log-spaced grid before refining.
    {params}
    References
    ----------
    M. Rudemo, "Empirical choice of histograms and kernel density estimators", Scand. J. Statist. 9
    (1982); A. W. Bowman, "An alternative method of cross-validation for the smoothing of density
    estimates", Biometrika 71 (1984), eq. (2.1). I. Butakov et al., ICLR 2024, Sec. 5 (KDE-LSE).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(1000); y = x + rng.standard_normal(1000)
    >>> bool(abs(KDELeastSquares().estimate(x, y) - 0.5 * np.log(2)) < 0.1)
    True
    """

    name = "kde-lse"
    # 2: constant columns dropped, constant side -> 0; 3: n > 30 000: truncated kernel sums where binned
    # ones cannot serve (3+ dimensions, or an optimum below the grid's reach; n <= 30 000 unchanged)
    version = "3"

    def _criterion(self, kde: LeaveOneOutKDE, log_h: float) -> float:
        return kde.lscv(float(np.exp(log_h)))


KDEMaxLikelihood.__doc__ = (KDEMaxLikelihood.__doc__ or "").replace(
    "{params}", _PARAMS_DOC.replace("{extra_params}", _SEARCH_DOC)
)
KDELeastSquares.__doc__ = (KDELeastSquares.__doc__ or "").replace("{params}", _PARAMS_DOC.replace("{extra_params}", ""))
