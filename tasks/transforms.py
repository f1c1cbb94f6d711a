"""Invertible transforms of Gaussian tasks (MI unchanged) and the multivariate Student-t task.

Mutual information is invariant under injective (here: smooth, invertible) maps applied to X and
Y separately: ``I(f(X); g(Y)) = I(X; Y)`` (Kraskov et al. 2004, eq. 45; Czyż et al. 2023, Sec. 2).
Each transform task samples :class:`~ibbench.tasks.gaussian.DenseGaussian` pairs (latent pairs,
optional orthogonal mixing) and applies the same map to both sides, so ``true_mi`` is the Gaussian
``mi``. The maps and their inverses are exposed in :data:`TRANSFORMS` (used by the tests to verify
invertibility).

The Student-t task has a closed form of its own (:func:`student_t_mi`).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import digamma, gammaln, ndtr, ndtri

from ibbench.params import Interval
from ibbench.task import Task
from ibbench.tasks.gaussian import DenseGaussian, check_dims, gaussian_mi, mixing_matrices, sample_latent_pairs

# -- the maps ---------------------------------------------------------------------------------

#: Wiggly map ``x + Σ a_k sin(ω_k x + φ_k)``: Σ a_k ω_k = 0.85 < 1, so the derivative is ≥ 0.15.
_WIGGLE = ((0.3, 2.0, 0.0), (0.05, 5.0, 1.0))


def _halfcube(x):
    return np.sign(x) * np.abs(x) ** 1.5


def _halfcube_inv(y):
    return np.sign(y) * np.abs(y) ** (2.0 / 3.0)


def _wiggly(x):
    out = np.array(x, dtype=np.float64, copy=True)
    for a, w, phase in _WIGGLE:
        out += a * np.sin(w * x + phase)
    return out


def _wiggly_inv(y, iterations: int = 60):
    # The map is strictly increasing with f(x) - x bounded by Σ a_k, so bisection on
    # [y - Σa, y + Σa] converges; 60 halvings reach float64 resolution.
    bound = sum(a for a, _, _ in _WIGGLE)
    lo, hi = y - bound, y + bound
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = _wiggly(mid) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _spiral_angle(x, speed):
    return speed * np.sum(x * x, axis=1, keepdims=True)


def _rotate_pairs(x, angle):
    # Rotate coordinate pairs (0,1), (2,3), ... by `angle` (per row); an odd last coordinate stays.
    out = np.array(x, dtype=np.float64, copy=True)
    c, s = np.cos(angle), np.sin(angle)
    m = (x.shape[1] // 2) * 2
    a, b = x[:, 0:m:2], x[:, 1:m:2]
    out[:, 0:m:2] = c * a - s * b
    out[:, 1:m:2] = s * a + c * b
    return out


def spiral(x, speed: float = 0.5):
    """Spiral: rotate each row by the angle ``speed · ‖x‖²`` in the planes (0,1), (2,3), … .

    Rotations keep ``‖x‖``, so the inverse rotates back by the same angle computed from the
    output (:func:`spiral_inverse`). For one-dimensional data the map is the identity.
    """
    x = np.asarray(x, dtype=np.float64)
    return _rotate_pairs(x, _spiral_angle(x, speed))


def spiral_inverse(y, speed: float = 0.5):
    """Inverse of :func:`spiral`."""
    y = np.asarray(y, dtype=np.float64)
    return _rotate_pairs(y, -_spiral_angle(y, speed))


#: name -> (forward, inverse), both acting on arrays of shape (n, d).
TRANSFORMS = {
    "cdf": (ndtr, ndtri),
    "halfcube": (_halfcube, _halfcube_inv),
    "asinh": (np.arcsinh, np.sinh),
    "spiral": (spiral, spiral_inverse),
    "wiggly": (_wiggly, _wiggly_inv),
}


class _TransformedGaussian(Task):
    """A :class:`DenseGaussian` pair with the map :attr:`transform` applied to X and to Y.

    Parameters
    ----------
    dim : int, default 2
        Dimension of X (and of Y unless ``dim_y`` is given).
    mi : float, default 1.0
        Mutual information in nats (of the Gaussian, unchanged by the invertible map).
    dim_y : int or None
        Dimension of Y (defaults to ``dim``).
    mixing_seed : int or None, default 0
        Seed of the orthogonal mixing of the Gaussian before the map; ``None`` = no mixing.

    References
    ----------
    Kraskov, Stögbauer & Grassberger, "Estimating mutual information", Phys. Rev. E 69, 2004,
    eq. 45 (invariance under reparametrisation); Czyż, Grabowski, Vogt, Beerenwinkel & Marx,
    "Beyond Normal: On the Evaluation of Mutual Information Estimators", NeurIPS 2023, Sec. 4
    (half-cube, asinh, spiral, normal-CDF and wiggly tasks).
    """

    family = "transforms"
    transform = ""
    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "dim_y": [Interval(Integral, 1, None, closed="left"), None],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, dim=2, mi=1.0, dim_y=None, mixing_seed=0):
        self.dim = dim
        self.mi = float(mi)  # 4 and 4.0 must give the same task identity
        self.mixing_seed = mixing_seed
        self._base = DenseGaussian(dim=dim, mi=mi, dim_y=dim_y, mixing_seed=mixing_seed)
        # like DenseGaussian: the parameter dim_y=None resolves to dim (params report the int)
        self.dim_x, self.dim_y = self._base.dim_x, self._base.dim_y

    def _true_mi(self):
        return self._base.true_mi

    def sample_latents(self, n, random_state=None):
        """The untransformed Gaussian ``(X, Y)`` of the same draw as ``sample(n, random_state)``."""
        return self._base.sample(n, random_state)

    def _sample(self, n, rng):
        X, Y = self._base._sample(n, rng)
        forward = TRANSFORMS[self.transform][0]
        return forward(X), forward(Y)

    @classmethod
    def get_test_params(cls):
        return {"dim": 2, "mi": 0.5}


class CdfGaussian(_TransformedGaussian):
    """Normal CDF ``Φ`` applied to every coordinate: uniform marginals on (0, 1), MI unchanged.

    Parameters and references: see :class:`_TransformedGaussian`.
    """

    name = "gaussian-cdf"
    transform = "cdf"


class HalfCubeGaussian(_TransformedGaussian):
    """Half-cube ``x ↦ sign(x)|x|^{3/2}`` on every coordinate (heavier tails), MI unchanged.

    Parameters and references: see :class:`_TransformedGaussian`.
    """

    name = "gaussian-halfcube"
    transform = "halfcube"


class AsinhGaussian(_TransformedGaussian):
    """``asinh`` on every coordinate (lighter, logarithmic tails), MI unchanged.

    Parameters and references: see :class:`_TransformedGaussian`.
    """

    name = "gaussian-asinh"
    transform = "asinh"


class SpiralGaussian(_TransformedGaussian):
    """Spiral: each side rotated by the angle ``0.5·‖x‖²`` (:func:`spiral`), MI unchanged.

    Needs ``dim >= 2`` to do anything (the 1-D spiral is the identity).

    Parameters and references: see :class:`_TransformedGaussian`.
    """

    name = "gaussian-spiral"
    transform = "spiral"


class WigglyGaussian(_TransformedGaussian):
    """Wiggly monotone map ``x + 0.3 sin(2x) + 0.05 sin(5x + 1)`` on every coordinate.

    Its derivative is at least ``1 − 0.6 − 0.25 = 0.15 > 0``, so it is invertible; MI unchanged.

    Parameters and references: see :class:`_TransformedGaussian`.
    """

    name = "gaussian-wiggly"
    transform = "wiggly"


# -- Student-t ---------------------------------------------------------------------------------


def student_t_mi(scale: np.ndarray, dim_x: int, df: float) -> float:
    """MI (nats) of the multivariate Student-t with scale matrix ``scale`` and ``df`` degrees of freedom.

    ``I = I_Gauss(scale) + f(ν) + f(ν + d_x + d_y) − f(ν + d_x) − f(ν + d_y)`` with
    ``f(x) = log Γ(x/2) − (x/2) ψ(x/2)``, where ``I_Gauss`` is the Gaussian closed form applied to the
    scale matrix. The correction is positive: X and Y share the random scale even when the scale
    matrix is block-diagonal.

    References
    ----------
    Arellano-Valle, Contreras-Reyes & Genton, "Shannon entropy and mutual information for
    multivariate skew-elliptical distributions", Scand. J. Stat. 40, 2013, Sec. 3 (entropy of the
    multivariate t); Czyż et al., NeurIPS 2023, Appendix (MI of the Student-t task).
    """
    scale = np.asarray(scale, dtype=np.float64)
    dy = len(scale) - dim_x

    def f(x):
        return gammaln(x / 2.0) - (x / 2.0) * digamma(x / 2.0)

    correction = f(df) + f(df + dim_x + dy) - f(df + dim_x) - f(df + dy)
    return float(gaussian_mi(scale, dim_x) + correction)


class StudentT(Task):
    """Multivariate Student-t ``(X, Y) = Z / sqrt(W / ν)`` with ``Z ~ N(0, Σ)``, ``W ~ χ²_ν``.

    ``Σ`` is the covariance of :class:`DenseGaussian` with the given ``dim``, ``scale_mi`` and
    mixing, so ``scale_mi`` is the MI the pair would have if it were Gaussian; the shared scale
    ``W`` adds a positive amount (see :func:`student_t_mi`). With ``scale_mi = 0`` X and Y are
    uncorrelated but dependent. ``true_mi`` is the closed form.

    Parameters
    ----------
    dim : int, default 2
        Dimension of X (and of Y unless ``dim_y`` is given).
    df : float, default 3.0
        Degrees of freedom ``ν > 0`` (small = heavy tails; ν → ∞ gives the Gaussian).
    scale_mi : float, default 1.0
        Gaussian MI of the scale matrix, nats.
    dim_y : int or None
        Dimension of Y (defaults to ``dim``).
    mixing_seed : int or None, default 0
        Orthogonal mixing of each side (MI unchanged); ``None`` = none.

    References
    ----------
    Arellano-Valle, Contreras-Reyes & Genton, Scand. J. Stat. 40, 2013; Czyż et al., "Beyond
    Normal", NeurIPS 2023 (Student-t tasks).
    """

    name = "student-t"
    family = "transforms"

    _parameter_constraints = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "df": [Interval(Real, 0, None, closed="neither")],
        "scale_mi": [Interval(Real, 0, None, closed="left")],
        "dim_y": [Interval(Integral, 1, None, closed="left"), None],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, dim=2, df=3.0, scale_mi=1.0, dim_y=None, mixing_seed=0):
        if not (isinstance(df, (int, float, np.number)) and not isinstance(df, bool) and df > 0):
            raise ValueError(f"df must be a positive number, got {df!r}")
        self.dim = dim
        self.df = float(df)
        self.scale_mi = float(scale_mi)
        self.mixing_seed = mixing_seed
        self.dim_x, self.dim_y = check_dims(dim, dim if dim_y is None else dim_y)
        self._base = DenseGaussian(dim=dim, mi=scale_mi, dim_y=dim_y, mixing_seed=mixing_seed)

    def scale_matrix(self) -> np.ndarray:
        """The scale matrix ``Σ`` of ``(X, Y)``, X first."""
        return self._base.covariance()

    def _true_mi(self):
        return student_t_mi(self.scale_matrix(), self.dim_x, float(self.df))

    def _sample(self, n, rng):
        xi, eta = sample_latent_pairs(n, self.dim_x, self.dim_y, self.scale_mi, rng)
        mats = mixing_matrices(self.dim_x, self.dim_y, self.mixing_seed)
        if mats is not None:
            xi, eta = xi @ mats[0].T, eta @ mats[1].T
        w = np.sqrt(rng.chisquare(self.df, size=(n, 1)) / self.df)
        return xi / w, eta / w

    @classmethod
    def get_test_params(cls):
        return {"dim": 2, "df": 4.0, "scale_mi": 0.5}
