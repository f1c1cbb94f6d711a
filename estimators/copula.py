"""Gaussian-copula mutual information (GCMI, Ince et al. 2017).

Each column is replaced by its normal scores (ranks mapped through the inverse standard-normal CDF),
and the MI of the Gaussian with the covariance of those scores is reported, with the analytic bias
correction of the Gaussian entropies. The rank transform makes the estimate invariant under any
strictly monotone map of each column; for one-dimensional X and Y the Gaussian step makes it a lower
bound on the MI (the Gaussian maximises the joint entropy for a given covariance while the marginals
are exactly normal).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, ndtri

from ibbench.base import MIEstimator


def copula_normal_scores(A: np.ndarray) -> np.ndarray:
    """Normal scores ``Φ⁻¹(r / (n + 1))`` of each column of ``A`` (shape ``(n, d)``).

    ``r`` are the ranks 1…n of the column; tied values get their average rank
    (:func:`average_ranks`), so equal inputs map to equal scores, the map does not
    depend on the order of the rows and reversing a column's order negates its scores. ``r / (n + 1)``
    lies strictly inside (0, 1), so every score is finite.
    """
    return ndtri(average_ranks(A) / (len(A) + 1.0))


def average_ranks(A: np.ndarray) -> np.ndarray:
    """Ranks 1…n of each column of ``A`` (shape ``(n, d)``), ties given the mean of their ranks.

    Equal to ``scipy.stats.rankdata(A, method="average", axis=0)``, about four times faster.
    """
    n = len(A)
    columns = np.ascontiguousarray(A.T)
    # the order among tied values does not matter (they all get the same mean rank): no stable sort needed
    order = np.argsort(columns, axis=1)
    ranks = np.empty_like(columns)
    for j, column in enumerate(columns):
        values = column[order[j]]
        start = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
        size = np.diff(np.r_[start, n])
        ranks[j, order[j]] = np.repeat(start + 0.5 * (size + 1), size)  # mean of start+1 … start+size
    return ranks.T


def gaussian_entropy_bias(d: int, n: int) -> float:
    """Expected excess of the plug-in Gaussian entropy ``½ log det S + const`` over the true one, in nats.

    ``S`` is the unbiased ((n − 1)-normalised) sample covariance of ``n`` draws from a ``d``-variate
    normal. ``(n − 1) S`` is Wishart with ``n − 1`` degrees of freedom, so
    ``E[log det S] = log det Σ + d log(2 / (n − 1)) + Σ_{i=1}^{d} ψ((n − i) / 2)`` and the bias is half
    of the last two terms (the bias correction of Ince et al. 2017; derived by Misra, Singh &
    Demchuk 2005 from the Wishart distribution of ``(n − 1) S``).
    Needs ``n > d``.
    """
    i = np.arange(1, d + 1)
    return float(0.5 * (d * np.log(2.0 / (n - 1.0)) + np.sum(digamma((n - i) / 2.0))))


class GaussianCopulaMI(MIEstimator):
    """Gaussian-copula mutual information (GCMI) with the analytic bias correction (nats).

    1. Copula transform: every column of X and Y is replaced by its normal scores
       ``Φ⁻¹(r_i / (n + 1))`` (:func:`copula_normal_scores`; ranks ``r_i`` = 1…n, ties get their average
       rank), which makes each marginal approximately standard normal (the copula normalisation of
       Ince et al. 2017).
    2. Gaussian MI of the scores: ``I = H(X) + H(Y) − H(X, Y)`` with the Gaussian entropies
       ``H = Σ_j log L_jj + (d/2) log(2πe)`` computed from the Cholesky factor ``L`` of the
       (n − 1)-normalised covariance (Ince et al. 2017; Cover & Thomas eq. 8.56).
    3. Bias correction (``bias_correction=True``): each entropy minus its expected excess
       ``½ [d log(2/(n − 1)) + Σ_{i=1}^{d} ψ((n − i)/2)]`` (:func:`gaussian_entropy_bias`, exact for
       Gaussian data; the correction of Ince et al. 2017, after Misra et al. 2005).

    The paper's code reports bits; this estimator reports nats. The estimate is the MI of the Gaussian
    copula fitted to the data: exact (up to sampling) when the copula is Gaussian, i.e. for any strictly
    monotone map of each column of jointly Gaussian data (``gaussian-cdf``, ``gaussian-asinh``,
    ``gaussian-halfcube``, ``gaussian-wiggly``). For one-dimensional X and Y it is a lower bound
    otherwise: the scores' marginals are normal, and the Gaussian has the largest joint entropy for
    their covariance (Ince et al. 2017). For multivariate sides the bound is not guaranteed (the
    normal scores of a side need not be jointly normal, so ``H(X)`` is overestimated too); measured
    below the truth on ``gaussian-spiral`` (2+2, 0.03 vs 1.0 nats) and ``student-t`` (2+2, df 3: 0.95
    vs 1.11), above it on 256-pixel ``images-bumps`` at n = 1000 (12 vs 2 nats). Ranks resolve
    strong dependence only as far as the sample allows: on a Gaussian at 6 nats (1+1 dims) the
    estimate is 5.29 at n = 1000 and 5.78 at n = 5000 (measured, seed 0).

    Ties (discrete-valued data) are given their average rank, a deterministic choice that keeps equal
    values equal; the scores then take a few distinct values per column and the estimate is that of a
    Gaussian with their covariance, finite unless the joint covariance of the scores is singular.

    Degenerate input: constant columns are dropped first (tag ``constant_columns = "drop"``; a
    constant side gives exactly 0 and no entropies). The bias correction needs ``n ≥ d_x + d_y + 2`` samples and the
    copula covariance must be non-singular (smallest eigenvalue of the correlation matrix above
    ``1e-10`` times the largest): otherwise ``fit`` raises ``ValueError`` naming the problem (for
    example a column that is a monotone function of another, including identical discrete columns,
    whose copula MI is infinite).

    Invariance (tag ``"per-column-affine"``): ranks are unchanged by ``x_j → a_j x_j + b_j`` with
    ``a_j > 0`` and reversed with ``a_j < 0``, which negates the scores and leaves the Gaussian MI
    unchanged. In fact any strictly monotone map of a column leaves the estimate unchanged.

    Parameters
    ----------
    bias_correction : bool, default True
        Subtract the analytic bias of each Gaussian entropy (step 3).

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (not clipped at 0).
    entropy_x_, entropy_y_, entropy_xy_ : float
        The (corrected) Gaussian entropies of the normal scores, in nats.

    References
    ----------
    R. A. A. Ince, B. L. Giordano, C. Kayser, G. A. Rousselet, J. Gross, P. G. Schyns, "A statistical
    framework for neuroimaging data analysis based on mutual information estimated via a Gaussian
    copula", Human Brain Mapping 38 (2017), 1541–1573, the description of the Gaussian-copula MI
    estimate (copula normalisation, Gaussian MI via Cholesky log-determinants, bias correction of the
    Gaussian entropies).
    T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., eq. (8.56).
    N. Misra, H. Singh, E. Demchuk, "Estimation of the entropy of a multivariate normal distribution",
    J. Multivariate Anal. 92 (2005), 324–342 (the expectation of the log-determinant).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(5000); y = x + rng.standard_normal(5000)
    >>> est = GaussianCopulaMI()
    >>> bool(abs(est.estimate(np.exp(x), y**3) - 0.5 * np.log(2)) < 0.05)
    True
    """

    name = "gcmi"
    version = "1"
    tags = {
        "accepts_x": "continuous",
        "accepts_y": "continuous",
        "invariance": "per-column-affine",
        "constant_columns": "drop",
    }
    _parameter_constraints = {"bias_correction": ["boolean"]}

    def __init__(self, bias_correction: bool = True) -> None:
        self.bias_correction = bias_correction

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {}

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        n, dx, dy = len(X), X.shape[1], Y.shape[1]
        d = dx + dy
        if n < d + 2:
            raise ValueError(
                f"gcmi needs at least dx + dy + 2 = {d + 2} samples for the covariance and its bias "
                f"correction, got n={n}"
            )
        Z = copula_normal_scores(np.column_stack([X, Y]))
        cov = np.cov(Z, rowvar=False).reshape(d, d)
        sd = np.sqrt(np.diag(cov))
        eig = np.linalg.eigvalsh(cov / np.outer(sd, sd))
        if not eig[0] > 1e-10 * eig[-1]:
            rank = int(np.sum(eig > 1e-10 * eig[-1]))
            raise ValueError(
                f"the covariance of the copula normal scores is singular (numerical rank {rank} of {d}), "
                "e.g. a column is a monotone function of another: the Gaussian-copula MI is undefined"
            )
        h = [self._entropy(cov[s, s], n) for s in (slice(0, dx), slice(dx, d), slice(0, d))]
        self._set_entropies(*h)

    def _entropy(self, cov: np.ndarray, n: int) -> float:
        d = len(cov)
        h = np.sum(np.log(np.diag(np.linalg.cholesky(cov)))) + 0.5 * d * np.log(2.0 * np.pi * np.e)
        return float(h - gaussian_entropy_bias(d, n)) if self.bias_correction else float(h)
