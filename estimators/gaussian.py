"""Gaussian (canonical-correlation) baseline: MI of the fitted joint normal distribution."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ibbench.base import MIEstimator
from ibbench.params import Interval
from ibbench.uncertainty import gaussian_mi_stderr


class GaussianMI(MIEstimator):
    """Mutual information of the Gaussian with the sample's covariance (the CCA baseline).

    ``I = ½ log det Σ_xx + ½ log det Σ_yy − ½ log det Σ`` (Cover & Thomas eq. 8.56 applied to the
    joint and the marginals), equivalently ``−½ Σ_i log(1 − ρ_i²)`` over the canonical correlations
    ρ_i. Exact in the limit for Gaussian data, a lower bound on MI-by-correlation otherwise.

    Singular covariance policy: constant columns carry no information and are dropped first (a
    constant is independent of everything, so MI is unchanged). If the remaining correlation matrix
    is still numerically singular (smallest eigenvalue below ``1e-10`` times the largest, as for
    image pixels with numerical rank below their count) the estimate is undefined and ``fit``
    raises ``ValueError`` — unless ``ridge > 0``, which adds ``ridge`` to the diagonal of the
    correlation matrices (shrinkage towards independence) and makes the estimate finite but
    dependent on the choice of ``ridge``.

    Parameters
    ----------
    ridge : float, default 0.0
        Diagonal loading of the correlation matrices; 0 means no regularisation (and an error on
        singular covariance).

    Attributes
    ----------
    mutual_info_ : float
    canonical_correlations_ : ndarray
        Canonical correlations, largest first.
    stderr_ : float
        Delta-method standard error (:func:`ibbench.uncertainty.gaussian_mi_stderr`: the standard
        deviation of the influence function ``½ (xᵀS_xx⁻¹x + yᵀS_yy⁻¹y − zᵀS⁻¹z)`` over ``sqrt(n)``,
        ``→ sqrt(Σ ρ_i²/n)`` for Gaussian data); 0 when a side is constant.
    ci_ : tuple of float
        95% normal interval ``mutual_info_ ± 1.96·stderr_``.

    References
    ----------
    H. Hotelling, "Relations between two sets of variates", Biometrika 1936.
    T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., eq. (8.56).
    """

    name = "gaussian"
    version = "2"
    # canonical correlations are invariant under invertible affine maps of each side
    # constant columns are dropped by MIEstimator.fit (tag constant_columns="drop"), see the class notes
    tags = {
        "accepts_x": "continuous",
        "accepts_y": "continuous",
        "invariance": "per-side-affine",
        "constant_columns": "drop",
    }

    _parameter_constraints = {"ridge": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, ridge: float = 0.0) -> None:
        self.ridge = ridge

    def _fit_constant_side(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        # one side constant: independent, no canonical correlations
        self.canonical_correlations_ = np.zeros(0)
        self.mutual_info_ = 0.0
        self.stderr_ = 0.0

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        dx = X.shape[1]
        corr = np.corrcoef(np.column_stack([X, Y]), rowvar=False) + self.ridge * np.eye(dx + Y.shape[1])
        eig = np.linalg.eigvalsh(corr)
        if self.ridge == 0 and eig[0] <= 1e-10 * eig[-1]:
            rank = int(np.sum(eig > 1e-10 * eig[-1]))
            few = (
                f"; n={len(X)} samples cannot determine a {len(eig)}-dimensional covariance (need n > {len(eig)})"
                if len(X) <= len(eig)
                else ""
            )
            raise ValueError(
                f"the joint covariance is singular (numerical rank {rank} of {len(eig)}){few}: the Gaussian "
                "MI is undefined; reduce the dimension (e.g. compressed-pca) or pass ridge > 0"
            )
        cxx, cyy, cxy = corr[:dx, :dx], corr[dx:, dx:], corr[:dx, dx:]
        # whiten both sides: the singular values of Lx^-1 Cxy Ly^-T are the canonical correlations
        lx, ly = np.linalg.cholesky(cxx), np.linalg.cholesky(cyy)
        m = np.linalg.solve(lx, np.linalg.solve(ly, cxy.T).T)
        rho = np.clip(np.linalg.svd(m, compute_uv=False), 0.0, 1.0 - 1e-15)
        self.canonical_correlations_ = rho
        self.mutual_info_ = float(-0.5 * np.sum(np.log1p(-(rho**2))))
        self.stderr_ = gaussian_mi_stderr(X, Y, float(self.ridge))
