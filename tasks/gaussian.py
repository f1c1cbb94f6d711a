"""Jointly Gaussian tasks with closed-form mutual information.

For jointly Gaussian ``(X, Y)`` with covariance ``Σ``,
``I(X;Y) = ½ log det Σ_xx + ½ log det Σ_yy − ½ log det Σ`` (Cover & Thomas eq. 8.56).

The correlated tasks are built from ``d`` independent latent pairs ``(ξ_i, η_i)`` of correlation
``ρ = sqrt(1 − exp(−2 I / d))`` (:func:`sample_latent_pairs`), sampled as
``η = ρ ξ + exp(−I/d) ε`` so that high MI (tens of nats, ``1 − ρ²`` below machine precision) is
sampled exactly instead of through a near-singular Cholesky factor. The same latent pairs drive the
transform, Student-t and image tasks.
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral, Real

import numpy as np

from ibbench.params import Interval
from ibbench.task import Task


def gaussian_mi(cov: np.ndarray, dim_x: int) -> float:
    """Closed-form MI (nats) of a jointly Gaussian vector whose first ``dim_x`` coordinates are X."""
    _, ld = np.linalg.slogdet(cov)
    _, ldx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ldy = np.linalg.slogdet(cov[dim_x:, dim_x:])
    return 0.5 * (ldx + ldy - ld)


def pair_correlation(mi: float, n_pairs: int) -> float:
    """Correlation ρ of each of ``n_pairs`` independent pairs so that they carry ``mi`` nats in total.

    One pair with correlation ρ carries ``−½ log(1 − ρ²)`` nats, so ``ρ = sqrt(1 − exp(−2 I / d))``.
    """
    if mi < 0:
        raise ValueError(f"mi must be >= 0 nats, got {mi}")
    return float(np.sqrt(-np.expm1(-2.0 * mi / n_pairs)))


def sample_latent_pairs(
    n: int, dim_x: int, dim_y: int, mi: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal ``ξ`` (n, dim_x) and ``η`` (n, dim_y) whose first ``d = min(dim_x, dim_y)``
    coordinates form independent pairs carrying ``mi / d`` nats each; other coordinates are noise.

    ``η_i = ρ ξ_i + sqrt(1 − ρ²) ε_i`` with ``sqrt(1 − ρ²) = exp(−I/d)`` computed directly, so every
    marginal is exactly N(0, 1) and ``I(ξ; η) = −(d/2) log(1 − ρ²) = mi`` (Butakov et al. 2024, Sec. 5).

    References
    ----------
    Butakov, Tolmachev, Malanchuk et al., "Information Bottleneck Analysis of Deep Neural Networks
    via Lossy Compression", ICLR 2024, Sec. 5 (latent-pair construction).
    """
    d = min(dim_x, dim_y)
    rho = pair_correlation(mi, d)
    xi = rng.standard_normal((n, dim_x))
    eta = rng.standard_normal((n, dim_y))
    eta[:, :d] = rho * xi[:, :d] + np.exp(-mi / d) * eta[:, :d]
    return xi, eta


def mixing_matrices(dim_x: int, dim_y: int, mixing_seed) -> tuple[np.ndarray, np.ndarray] | None:
    """Haar-random orthogonal ``(Q_x, Q_y)`` from ``mixing_seed`` (``None`` → no mixing, returns None).

    Cached (read-only arrays): sampling calls it on every ``sample``.
    """
    if mixing_seed is None:
        return None
    return _mixing_matrices(int(dim_x), int(dim_y), int(mixing_seed))


@lru_cache(maxsize=64)
def _mixing_matrices(dim_x: int, dim_y: int, mixing_seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(mixing_seed)
    qx, qy = random_orthogonal(dim_x, rng), random_orthogonal(dim_y, rng)
    qx.setflags(write=False)
    qy.setflags(write=False)
    return qx, qy


def random_orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal ``d × d`` matrix (QR of a Gaussian matrix with sign fix)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


class _GaussianTask(Task):
    """Common sampling for Gaussian tasks defined by a joint covariance matrix."""

    family = "gaussian"
    dim_x: int
    dim_y: int

    def covariance(self) -> np.ndarray:  # pragma: no cover - abstract
        """The joint covariance of ``(X, Y)``, X first."""
        raise NotImplementedError

    def _true_mi(self) -> float:
        return gaussian_mi(self.covariance(), self.dim_x)

    def _sample(self, n, rng):
        cov = self.covariance()
        Z = rng.standard_normal((n, len(cov))) @ np.linalg.cholesky(cov).T
        return Z[:, : self.dim_x], Z[:, self.dim_x :]


class DenseGaussian(_GaussianTask):
    """X, Y each ``dim``-dimensional; every coordinate of X correlated with every coordinate of Y.

    Built from ``d = min(dim_x, dim_y)`` latent pairs ``(ξ_i, η_i)`` of correlation
    ``ρ = sqrt(1 − exp(−2 I / d))`` (so the pairs carry ``mi`` nats), then each side is multiplied
    by a random orthogonal matrix (seeded by ``mixing_seed``) so the dependence is spread densely
    over all coordinates. Orthogonal maps are invertible, so the MI stays ``mi``; ``true_mi`` is the
    latent-pair sum ``−(d/2) log(1 − ρ²) = mi`` (the tests check it against the closed form on
    :meth:`covariance`). Samples are drawn from the latent pairs (exact for any MI, also when
    ``1 − ρ²`` underflows), then mixed. High MI (≥ 10 nats) is just a large ``mi``.

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. 8.56; Czyż et al., "Beyond
    Normal: On the Evaluation of Mutual Information Estimators", NeurIPS 2023 (dense/sparse tasks).

    Parameters
    ----------
    dim : int, default 2
        Dimension of X (and of Y unless ``dim_y`` is given).
    mi : float, default 1.0
        Mutual information in nats.
    dim_y : int or None
        Dimension of Y (defaults to ``dim``).
    mixing_seed : int or None, default 0
        Seed of the orthogonal mixing; ``None`` disables mixing (independent latent pairs).
    """

    name = "gaussian-dense"
    version = "2"

    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "dim_y": [Interval(Integral, 1, None, closed="left"), None],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, dim=2, mi=1.0, dim_y=None, mixing_seed=0):
        self.dim = dim
        self.mi = float(mi)  # 4 and 4.0 must give the same task identity
        self.dim_x, self.dim_y = check_dims(dim, dim if dim_y is None else dim_y)
        self.mixing_seed = mixing_seed
        pair_correlation(mi, min(self.dim_x, self.dim_y))

    def covariance(self):
        dx, dy = self.dim_x, self.dim_y
        d = min(dx, dy)
        rho = pair_correlation(self.mi, d)
        cov = np.eye(dx + dy)
        cov[np.arange(d), dx + np.arange(d)] = rho
        cov[dx + np.arange(d), np.arange(d)] = rho
        mats = mixing_matrices(dx, dy, self.mixing_seed)
        if mats is not None:
            q = np.zeros((dx + dy, dx + dy))
            q[:dx, :dx], q[dx:, dx:] = mats
            cov = q @ cov @ q.T
            cov = 0.5 * (cov + cov.T)
        return cov

    def _true_mi(self):
        # d pairs with 1 − ρ² = exp(−2 mi / d) carry −(d/2) log(1 − ρ²) = mi nats exactly.
        return float(self.mi)

    def _sample(self, n, rng):
        xi, eta = sample_latent_pairs(n, self.dim_x, self.dim_y, self.mi, rng)
        mats = mixing_matrices(self.dim_x, self.dim_y, self.mixing_seed)
        if mats is not None:
            xi, eta = xi @ mats[0].T, eta @ mats[1].T
        return xi, eta

    @classmethod
    def get_test_params(cls):
        return {"dim": 2, "mi": 0.5}


class SparseGaussian(_GaussianTask):
    """Only the first ``n_interacting`` coordinates of X and Y are correlated (pairwise); the rest are
    independent noise dimensions. Each interacting pair carries ``mi / n_interacting`` nats.

    Parameters
    ----------
    dim : int, default 5
        Dimension of each side.
    mi : float, default 1.0
        Mutual information in nats.
    n_interacting : int, default 1
        Number of correlated coordinate pairs (``1 <= n_interacting <= dim``).
    """

    name = "gaussian-sparse"
    version = "2"

    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "n_interacting": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, dim=5, mi=1.0, n_interacting=1):
        self.dim = dim
        self.mi = float(mi)  # 4 and 4.0 must give the same task identity
        self.n_interacting = n_interacting
        self.dim_x, self.dim_y = check_dims(dim, dim)
        if not 1 <= n_interacting <= dim:
            raise ValueError(f"n_interacting must be in [1, dim={dim}], got {n_interacting}")
        pair_correlation(mi, n_interacting)

    def covariance(self):
        d, m = self.dim, self.n_interacting
        rho = pair_correlation(self.mi, m)
        cov = np.eye(2 * d)
        cov[np.arange(m), d + np.arange(m)] = rho
        cov[d + np.arange(m), np.arange(m)] = rho
        return cov

    def _true_mi(self):
        return float(self.mi)  # n_interacting pairs with 1 − ρ² = exp(−2 mi / m): −(m/2) log(1 − ρ²) = mi

    def _sample(self, n, rng):
        xi, eta = sample_latent_pairs(n, self.n_interacting, self.n_interacting, self.mi, rng)
        rest = rng.standard_normal((n, 2 * (self.dim - self.n_interacting)))
        k = self.dim - self.n_interacting
        return np.hstack([xi, rest[:, :k]]), np.hstack([eta, rest[:, k:]])

    @classmethod
    def get_test_params(cls):
        return {"dim": 3, "mi": 0.5, "n_interacting": 2}


class IndependentGaussian(_GaussianTask):
    """The null task: X and Y independent standard normals, ``I = 0``.

    Parameters
    ----------
    dim : int, default 2
        Dimension of each side.
    """

    name = "gaussian-independent"

    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, dim=2):
        self.dim = dim
        self.dim_x, self.dim_y = check_dims(dim, dim)

    def covariance(self):
        return np.eye(2 * self.dim)


def check_dims(dx, dy) -> tuple[int, int]:
    """``(dx, dy)`` as ints, or ``ValueError`` unless both are positive integers."""
    for label, d in (("dim", dx), ("dim_y", dy)):
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
            raise ValueError(f"{label} must be a positive integer, got {d!r}")
    return int(dx), int(dy)
