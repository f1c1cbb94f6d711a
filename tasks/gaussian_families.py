"""Gaussian task families of their own leaderboard section: high dimension and high MI.

* ``high-dim``: a fixed MI spread over ``dim`` latent pairs (dense: every coordinate of X interacts
  with every coordinate of Y) or carried by two pairs among ``dim − 2`` noise coordinates (sparse), at
  2 … 1000 dimensions per side, to show where each estimator breaks as the dimension grows.
* ``high-mi``: MI up to tens of nats at 1 or 2 dimensions per side, to show each estimator's ceiling
  (nonparametric estimators saturate near ``log n``).

The tasks are the Gaussian tasks of :mod:`ibbench.tasks.gaussian` under their own name and family,
so the truth is the latent-pair sum ``−(d/2) log(1 − ρ²) = mi`` exactly (never a log-determinant of a
near-singular or 2000 × 2000 covariance). The dense high-dimensional task replaces the Haar mixing of
``gaussian-dense`` (a QR of a ``dim × dim`` matrix: seconds at ``dim = 1000``) by a randomised
orthonormal DCT, ``O(n dim log dim)`` per sample and equally exact.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.fft

from ibbench.params import Interval
from ibbench.tasks.gaussian import DenseGaussian, SparseGaussian, check_dims, pair_correlation, sample_latent_pairs

#: Seed offset of the Y side's mixing (the X side uses ``mixing_seed`` itself).
_Y_SEED_OFFSET = 1_000_003


def dct_mixing_parts(dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random signs ``s`` (dim,) and permutation ``p`` (dim,) of the randomised DCT ``Q = P C S``.

    ``C`` is the orthonormal DCT-II matrix, ``S = diag(s)``, ``P`` permutes the outputs by ``p``.
    """
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=dim)
    return signs, rng.permutation(dim)


def dct_mix(Z: np.ndarray, seed: int) -> np.ndarray:
    """Rows of ``Z`` (n, dim) mapped by the orthogonal ``Q = P C S`` of :func:`dct_mixing_parts`.

    ``x_j = Σ_i C_{p_j i} s_i z_i``: each output coordinate mixes (almost) every input coordinate
    (DCT-II entries ``sqrt(2/d) cos(π k (2i + 1) / 2d)``, zero only where ``k (2i + 1) ≡ d mod 2d``;
    the ``k = 0`` row ``1/sqrt(d)``).
    """
    signs, perm = dct_mixing_parts(Z.shape[1], seed)
    return scipy.fft.dct(Z * signs, type=2, norm="ortho", axis=1)[:, perm]


def dct_mixing_matrix(dim: int, seed: int) -> np.ndarray:
    """The ``dim × dim`` matrix ``Q`` with ``dct_mix(Z) = Z @ Q.T`` (for tests and :meth:`covariance`)."""
    return dct_mix(np.eye(dim), seed).T


class HighDimDenseGaussian(DenseGaussian):
    """Dense high-dimensional Gaussian: ``mi`` nats over ``dim`` latent pairs, randomised-DCT mixed.

    ``dim`` independent pairs ``(ξ_i, η_i)`` of correlation ``ρ = sqrt(1 − exp(−2 mi / dim))`` (each
    carries ``mi / dim`` nats), then ``X = Q_x ξ`` and ``Y = Q_y η`` with randomised orthonormal DCTs
    ``Q = P C S`` (random signs ``S``, DCT-II ``C``, random output permutation ``P``; seeds
    ``mixing_seed`` and ``mixing_seed + 1000003``), so every coordinate of X is correlated with every
    coordinate of Y. Orthogonal maps keep the MI, so ``true_mi = mi`` exactly at any dimension (the
    tests check it against ``−½ Σ log(1 − ρ_i²)`` and the log-determinant closed form of
    :meth:`covariance`). Sampling costs ``O(n dim log dim)``: no ``dim × dim`` factorisation.
    Family ``high-dim`` (its own leaderboard section; suite ``highdim``).

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. 8.56; Czyż et al., "Beyond
    Normal: On the Evaluation of Mutual Information Estimators", NeurIPS 2023 (dense/sparse tasks).

    Parameters
    ----------
    dim : int, default 10
        Dimension of X and of Y.
    mi : float, default 1.0
        Mutual information in nats.
    mixing_seed : int, default 0
        Seed of the signs and permutations of the two DCT mixings.
    """

    name = "gaussian-highdim-dense"
    family = "high-dim"
    version = "1"

    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "mixing_seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, dim=10, mi=1.0, mixing_seed=0):
        self.dim = dim
        self.mi = float(mi)
        self.dim_x, self.dim_y = check_dims(dim, dim)
        self.mixing_seed = mixing_seed
        pair_correlation(mi, self.dim_x)

    def covariance(self):
        d = self.dim_x
        rho = pair_correlation(self.mi, d)
        qx = dct_mixing_matrix(d, int(self.mixing_seed))
        qy = dct_mixing_matrix(d, int(self.mixing_seed) + _Y_SEED_OFFSET)
        cov = np.eye(2 * d)
        cov[:d, d:] = rho * qx @ qy.T
        cov[d:, :d] = cov[:d, d:].T
        return cov

    def _sample(self, n, rng):
        xi, eta = sample_latent_pairs(n, self.dim_x, self.dim_y, self.mi, rng)
        seed = int(self.mixing_seed)
        return dct_mix(xi, seed), dct_mix(eta, seed + _Y_SEED_OFFSET)

    @classmethod
    def get_test_params(cls):
        return {"dim": 3, "mi": 0.5}


class HighDimSparseGaussian(SparseGaussian):
    """Sparse high-dimensional Gaussian: ``mi`` nats in ``n_interacting`` coordinate pairs, the other
    ``dim − n_interacting`` coordinates of each side independent noise.

    The sampling and exact truth of ``gaussian-sparse`` (each interacting pair has correlation
    ``ρ = sqrt(1 − exp(−2 mi / n_interacting))``) in the family ``high-dim`` (suite ``highdim``);
    two interacting pairs by default, as bmi's sparse tasks (Czyż et al. 2023).

    Parameters
    ----------
    dim : int, default 10
        Dimension of each side.
    mi : float, default 1.0
        Mutual information in nats.
    n_interacting : int, default 2
        Number of correlated coordinate pairs (``1 <= n_interacting <= dim``).
    """

    name = "gaussian-highdim-sparse"
    family = "high-dim"
    version = "1"

    def __init__(self, dim=10, mi=1.0, n_interacting=2):
        super().__init__(dim=dim, mi=mi, n_interacting=n_interacting)

    @classmethod
    def get_test_params(cls):
        return {"dim": 3, "mi": 0.5, "n_interacting": 2}


class HighMIGaussian(DenseGaussian):
    """High-MI Gaussian at low dimension: ``mi`` nats (up to tens) over ``dim`` latent pairs.

    The sampling and exact truth of ``gaussian-dense`` (``η = ρ ξ + exp(−mi/dim) ε`` with
    ``1 − ρ² = exp(−2 mi / dim)`` taken directly, so ``mi = 20`` at ``dim = 1`` — ``1 − ρ² ≈ 4e-18``,
    below float64 resolution of ``ρ`` — is still sampled exactly) in the family ``high-mi`` (suite
    ``highmi``): nonparametric estimators saturate near ``log n``, so the leaderboard shows each
    estimator's ceiling.

    Parameters
    ----------
    dim : int, default 1
        Dimension of X and of Y.
    mi : float, default 10.0
        Mutual information in nats.
    mixing_seed : int or None, default 0
        Seed of the Haar orthogonal mixing of each side; ``None`` disables it.
    """

    name = "gaussian-highmi"
    family = "high-mi"
    version = "1"

    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, dim=1, mi=10.0, mixing_seed=0):
        super().__init__(dim=dim, mi=mi, mixing_seed=mixing_seed)

    @classmethod
    def get_test_params(cls):
        return {"dim": 1, "mi": 15.0}
