"""Kernel-density (Gaussian kernel) entropy estimators of MI: ``I = H(X) + H(Y) − H(X, Y)``.

Entropies are resubstitution estimates with leave-one-out densities,
``Ĥ = −(1/n) Σ_i log f̂_{-i}(z_i)``; the bandwidth is chosen by leave-one-out maximum likelihood
(``kde-ml``) or least-squares cross-validation (``kde-lse``), as in the KDE estimators of
Butakov et al. (2024). Numerics (chunked float32 kernel sums, bandwidth search) live in
:mod:`ibbench._math.kde`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ibbench._math.kde import LeaveOneOutKDE, fit_log_bandwidth, silverman_bandwidth, whiten
from ibbench.base import MIEstimator, drop_constant_columns
from ibbench.params import Interval


class _KDEBase(MIEstimator):
    """Shared fit of the KDE estimators; subclasses define the bandwidth criterion."""

    # whitening makes it per-side affine in exact arithmetic, but a side transformed by a non-scalar
    # map is whitened up to a rotation, and float32 kernel sums and the bandwidth search (Brent to 2 %
    # in h) then resolve it differently (estimates move by up to ~5e-3 nats); one scale per side is exact
    tags = {"accepts_x": "continuous", "accepts_y": "continuous", "invariance": "per-side-scalar-affine"}
    #: search range of the bandwidth, relative to Silverman's rule on unit-scale data
    bandwidth_range = (1e-3, 4.0)
    #: log-spaced grid points scanned before the bounded Brent refinement
    n_grid = 8

    _parameter_constraints = {
        "whiten": ["boolean"],
        "separate_bandwidths": ["boolean"],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), None],
        "max_cache_bytes": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, whiten=True, separate_bandwidths=False, bandwidth=None, max_cache_bytes=1 << 28):
        self.whiten = whiten
        self.separate_bandwidths = separate_bandwidths
        self.bandwidth = bandwidth
        self.max_cache_bytes = max_cache_bytes

    def _criterion(self, kde: LeaveOneOutKDE, log_h: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_bandwidth(self, kde: LeaveOneOutKDE) -> float:
        if self.bandwidth is not None:
            return float(self.bandwidth)
        hs = silverman_bandwidth(kde.n, kde.d)
        lo, hi = np.log(hs * self.bandwidth_range[0]), np.log(hs * self.bandwidth_range[1])
        return float(np.exp(fit_log_bandwidth(lambda t: self._criterion(kde, t), lo, hi, self.n_grid)))

    def fit(self, X, Y):
        self.validate_params()
        X, Y = self._validate_pair(X, Y)
        if self.bandwidth is not None and not (np.isscalar(self.bandwidth) and self.bandwidth > 0):
            raise ValueError(f"bandwidth must be None or a positive float, got {self.bandwidth!r}")
        # constant columns have no density and are independent of everything: drop them (MI is
        # unchanged), or whitening floors and the bandwidth search turn them into arbitrary terms
        X, Y = drop_constant_columns(X), drop_constant_columns(Y)
        sides, offsets = [], []
        for A in (X, Y):
            if A.shape[1] == 0:
                log_det = 0.0
            elif self.whiten:
                # separate (block-diagonal) whitening: the MI is invariant, entropies shift by log|det|
                A, log_det = whiten(A)
            else:
                # one bandwidth per space assumes comparable scales: fix the overall scale only
                s = float(np.sqrt(np.mean(A.var(axis=0)))) or 1.0
                A, log_det = A / s, A.shape[1] * np.log(s)
            sides.append(A)
            offsets.append(log_det)
        X, Y = sides
        if X.shape[1] == 0 or Y.shape[1] == 0:
            # a constant side is independent of the other: I = 0 exactly; a point mass has
            # differential entropy -inf (so has the joint); a non-constant side is estimated alone
            h, self.bandwidth_ = [-np.inf, -np.inf], {}
            for i, (key, A) in enumerate((("x", X), ("y", Y))):
                if A.shape[1]:
                    kde = LeaveOneOutKDE(A, self.max_cache_bytes)
                    self.bandwidth_[key] = self._fit_bandwidth(kde)
                    h[i] = float(-kde.log_loo_density(self.bandwidth_[key]).mean() + offsets[i])
            self.entropy_x_, self.entropy_y_, self.entropy_xy_ = h[0], h[1], -np.inf
            self.mutual_info_, self.stderr_ = 0.0, 0.0
            return self
        joint = LeaveOneOutKDE(np.column_stack([X, Y]), self.max_cache_bytes)
        h_xy = self._fit_bandwidth(joint)
        log_f_xy = joint.log_loo_density(h_xy)
        del joint
        log_f, hs = [], []
        for A in (X, Y):
            kde = LeaveOneOutKDE(A, self.max_cache_bytes if self.separate_bandwidths else 0)
            h = self._fit_bandwidth(kde) if self.separate_bandwidths else h_xy
            hs.append(h)
            log_f.append(kde.log_loo_density(h))
        self.bandwidth_ = {"x": hs[0], "y": hs[1], "xy": h_xy}
        hx = -log_f[0].mean() + offsets[0]
        hy = -log_f[1].mean() + offsets[1]
        hxy = -log_f_xy.mean() + offsets[0] + offsets[1]
        self._set_entropies(hx, hy, hxy)
        pointwise = log_f_xy - log_f[0] - log_f[1]
        self.stderr_ = float(np.std(pointwise, ddof=1) / np.sqrt(len(X)))
        return self


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
    version = "2"  # 2: constant columns dropped, constant side -> 0
    n_grid = 6  # the likelihood criterion is smooth and unimodal in log h

    def _criterion(self, kde, log_h):
        return -float(np.mean(kde.log_loo_density(float(np.exp(log_h)))))


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
    version = "2"  # 2: constant columns dropped, constant side -> 0

    def _criterion(self, kde, log_h):
        return kde.lscv(float(np.exp(log_h)))


KDEMaxLikelihood.__doc__ = KDEMaxLikelihood.__doc__.replace("{params}", _PARAMS_DOC)
KDELeastSquares.__doc__ = KDELeastSquares.__doc__.replace("{params}", _PARAMS_DOC)
