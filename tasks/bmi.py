"""The distributions of bmi's benchmark v1 (Czyż et al., "Beyond Normal", NeurIPS 2023).

Three task classes reproduce the 40 tasks of ``bmi.benchmark.BENCHMARK_TASKS_LIST`` (package
``benchmark-mi``; the mapping bmi id → task and parameters is :data:`ibbench.bmi_tasks.BMI_V1_TASKS`,
documented in docs/bmi.md):

* :class:`BmiGaussian` — bmi's multinormal tasks (dense equicorrelated, "2-pair" sparse, and the
  bivariate normal as the 1 × 1 dense case) and the maps bmi applies to them: normal CDF, half-cube,
  wiggly, spiral, spiral ∘ normal CDF, the bimodal-mixture quantile map and the Swiss-roll embedding.
* :class:`BmiStudentT` — multivariate Student-t with identity dispersion, optionally ``asinh``.
* :class:`BmiAdditiveUniform` — ``X ~ U(0, 1)``, ``Y = X + N``, ``N ~ U(−ε, ε)``.

Every map acts on X and on Y separately and is injective, so the true MI is that of the base
distribution (Kraskov et al. 2004, eq. 45; Czyż et al. 2023, Sec. 2). ``rescale=True`` standardises
each column of a drawn sample by its sample mean and standard deviation, as bmi's v1 workflow does
before handing samples to the estimators (``transform_rescale``); a per-column affine map leaves the
MI unchanged.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import digamma, gammaln, log_ndtr, ndtr, ndtri_exp

from ibbench.numerics.columns import standardize_columns
from ibbench.params import Interval, StrOptions
from ibbench.task import Task
from ibbench.tasks.gaussian import gaussian_mi

# -- the maps (bmi's definitions, our code) ---------------------------------------------------


def half_cube(x: np.ndarray) -> np.ndarray:
    """``x ↦ x |x|^{1/2}`` (Czyż et al. 2023, Sec. 4)."""
    return x * np.sqrt(np.abs(x))


def half_cube_inverse(y: np.ndarray) -> np.ndarray:
    """Inverse of :func:`half_cube`: ``y ↦ sign(y) |y|^{2/3}``."""
    return np.sign(y) * np.abs(y) ** (2.0 / 3.0)


#: The wiggly maps ``x + Σ a sin(ω x + φ)`` of bmi's 1 × 1 wiggly task, X and Y side; ``Σ |a ω| < 1``
#: (0.839 and 0.467), so both are strictly increasing.
WIGGLY_X = ((0.4, 1.0, 0.0), (0.2, 1.7, 1.0), (0.03, 3.3, -2.5))
WIGGLY_Y = ((-0.4, 0.4, 0.0), (0.17, 1.3, 3.5), (0.02, 4.3, -2.5))


def wiggly(x: np.ndarray, terms: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """``x + Σ a sin(ω x + φ)`` over ``terms = ((a, ω, φ), ...)``."""
    out = np.array(x, dtype=np.float64, copy=True)
    for a, w, phase in terms:
        out += a * np.sin(w * x + phase)
    return out


def wiggly_inverse(y: np.ndarray, terms: tuple[tuple[float, float, float], ...], iterations: int = 64) -> np.ndarray:
    """Inverse of :func:`wiggly` by bisection on ``[y − Σ|a|, y + Σ|a|]`` (the map is increasing)."""
    bound = sum(abs(a) for a, _, _ in terms)
    lo, hi = y - bound, y + bound
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = wiggly(mid, terms) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def spiral_plane(x: np.ndarray, i: int, j: int, speed: float) -> np.ndarray:
    """bmi's spiral: rotate each row in the plane ``(i, j)`` by the angle ``speed · ‖x‖²``.

    This is ``x ↦ exp(speed ‖x‖² A) x`` with ``A`` the so(n) generator ``A[j, i] = 1 = −A[i, j]``.
    The rotation keeps ``‖x‖``, so :func:`spiral_plane_inverse` rotates back by the same angle.
    """
    x = np.asarray(x, dtype=np.float64)
    return _rotate(x, i, j, speed * np.sum(x * x, axis=1))


def spiral_plane_inverse(y: np.ndarray, i: int, j: int, speed: float) -> np.ndarray:
    """Inverse of :func:`spiral_plane`."""
    y = np.asarray(y, dtype=np.float64)
    return _rotate(y, i, j, -speed * np.sum(y * y, axis=1))


def _rotate(x: np.ndarray, i: int, j: int, angle: np.ndarray) -> np.ndarray:
    out = x.copy()
    c, s = np.cos(angle), np.sin(angle)
    out[:, i] = c * x[:, i] - s * x[:, j]
    out[:, j] = s * x[:, i] + c * x[:, j]
    return out


def swiss_roll(u: np.ndarray) -> np.ndarray:
    """bmi's Swiss-roll embedding of ``u ∈ (0, 1)`` (shape (n, 1)) into the plane (shape (n, 2)).

    ``t = 1.5 π (1 + 2u)``, ``(t cos t, t sin t) / 21``.
    """
    t = 1.5 * np.pi * (1.0 + 2.0 * u[:, 0])
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 21.0


def swiss_roll_inverse(x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`swiss_roll`: ``t = 21 ‖x‖`` (t > 0), ``u = (t / 1.5π − 1) / 2``."""
    t = 21.0 * np.hypot(x[:, 0], x[:, 1])
    return ((t / (1.5 * np.pi) - 1.0) / 2.0)[:, None]


#: The Gaussian mixtures of bmi's bimodal task, ``(weights, means)`` with unit variances:
#: X side ``0.3 N(0, 1) + 0.7 N(5, 1)``, Y side ``0.5 N(−1, 1) + 0.5 N(3, 1)``.
BIMODAL_X = ((0.3, 0.7), (0.0, 5.0))
BIMODAL_Y = ((0.5, 0.5), (-1.0, 3.0))

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
#: Grid of :func:`normal_to_mixture`'s starting points: this many points from ``min μ − 40`` to
#: ``max μ + 40`` (beyond, ``Φ(z)`` is below 1e-300 and the bracket alone starts the iteration).
_GRID_POINTS = 4001
_GRID_MARGIN = 40.0
#: a cap only: from the grid the safeguarded Newton iteration converges in 2–3 steps
_NEWTON_MAX_ITERATIONS = 100


def mixture_cdf(x: np.ndarray, mixture: tuple[tuple[float, ...], tuple[float, ...]]) -> np.ndarray:
    """CDF of a unit-variance Gaussian mixture ``(weights, means)``."""
    weights, means = mixture
    return sum(w * ndtr(x - m) for w, m in zip(weights, means))


def _log_tail_and_density(
    x: np.ndarray, sign: np.ndarray, log_w: np.ndarray, mu: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(log G(x), log f(x))`` of the mixture, ``G = F`` where ``sign = +1`` and ``G = S = 1 − F`` where −1."""
    u = sign * (x - mu)
    log_tail = np.logaddexp.reduce(log_w + log_ndtr(u), axis=0)
    log_density = np.logaddexp.reduce(log_w - 0.5 * u * u, axis=0) - _LOG_SQRT_2PI
    return log_tail, log_density


def normal_to_mixture(z: np.ndarray, mixture: tuple[tuple[float, ...], tuple[float, ...]]) -> np.ndarray:
    """``F⁻¹(Φ(z))`` with ``F`` the mixture CDF: maps a standard normal to the mixture, monotonically.

    Bmi's bimodal task applies ``F⁻¹`` to the uniform ``Φ(z)``. The equation is solved in log space
    on the side of the nearer tail (``log F(x) = log Φ(z)`` for ``z ≤ 0``, ``log S(x) = log Φ(−z)``
    otherwise, ``S = 1 − F``), which keeps both tails exact, by Newton's method safeguarded by
    bisection (``rtsafe``, Press et al., *Numerical Recipes*, 3rd ed., Sec. 9.4): the root lies in
    ``[z + min μ, z + max μ]`` (there every component CDF is at most, resp. at least, ``Φ(z)``), each
    evaluation shrinks that bracket, and a Newton step leaving it is replaced by its midpoint. The
    iteration starts from linear interpolation of ``z ↦ x`` tabulated on a grid of x
    (``z = Φ⁻¹(F(x))``, from the nearer tail with ``ndtri_exp``) and stops at a Newton step below
    ``1e-9 · max(1, |x|)``; quadratic convergence puts the returned root within a few ulps.
    """
    weights, means = mixture
    log_w = np.log(np.asarray(weights, dtype=np.float64))[:, None]
    mu = np.asarray(means, dtype=np.float64)[:, None]
    z = np.asarray(z, dtype=np.float64).ravel()
    # G = F (sign +1) below the median of Φ, G = S (sign −1) above
    sign = np.where(z > 0, -1.0, 1.0)
    target = log_ndtr(-np.abs(z))
    lo, hi = z + mu.min(), z + mu.max()
    x_grid = np.linspace(mu.min() - _GRID_MARGIN, mu.max() + _GRID_MARGIN, _GRID_POINTS)
    log_cdf, _ = _log_tail_and_density(x_grid, np.ones_like(x_grid), log_w, mu)
    log_sf, _ = _log_tail_and_density(x_grid, -np.ones_like(x_grid), log_w, mu)
    z_grid = np.where(log_cdf < log_sf, ndtri_exp(log_cdf), -ndtri_exp(log_sf))
    x = np.clip(np.interp(z, z_grid, x_grid), lo, hi)
    active = np.arange(z.size)
    for _ in range(_NEWTON_MAX_ITERATIONS):
        xa, s = x[active], sign[active]
        log_tail, log_density = _log_tail_and_density(xa, s, log_w, mu)
        residual = log_tail - target[active]
        too_small = s * residual < 0
        lo[active] = np.where(too_small, xa, lo[active])
        hi[active] = np.where(too_small, hi[active], xa)
        # d log G / dx = sign · f / G
        step = s * residual * np.exp(log_tail - log_density)
        new = xa - step
        inside = (new >= lo[active]) & (new <= hi[active])
        new = np.where(inside, new, 0.5 * (lo[active] + hi[active]))
        x[active] = new
        active = active[np.abs(new - xa) > 1e-9 * np.maximum(1.0, np.abs(new))]
        if active.size == 0:
            break
    return x


def _rescaled(task: Task, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if getattr(task, "rescale", False):
        return standardize_columns(X), standardize_columns(Y)
    return X, Y


# -- tasks -------------------------------------------------------------------------------------

_GAUSSIAN_TRANSFORMS = ("none", "cdf", "halfcube", "wiggly", "spiral", "spiral-cdf", "bimodal", "swissroll")


class BmiGaussian(Task):
    """bmi's multinormal tasks and their transformed versions (Czyż et al. 2023, Sec. 4 and App. D).

    Base distribution (standard-normal marginals):

    * ``structure="dense"``: every off-diagonal correlation (within X, within Y and across) equals
      ``correlation`` (bmi: 0.5; the 1 × 1 case with 0.75 is bmi's bivariate normal).
    * ``structure="2pair"``: ``Cor(X_1, Y_1) = Cor(X_2, Y_2) = correlation``, all other coordinates
      independent (bmi's ``multinormal-sparse-…-2-2.0``: its latent model with λ = η = 2, ε = 1 gives
      correlation ``λ² / (1 + λ²) = 0.8``).

    Then ``transform`` on both sides (the truth is the base Gaussian MI, ``½ log det Σ_xx
    + ½ log det Σ_yy − ½ log det Σ``):

    * ``"cdf"``: ``Φ`` coordinate-wise (uniform marginals); ``"halfcube"``: :func:`half_cube`;
    * ``"wiggly"``: :func:`wiggly` with :data:`WIGGLY_X` on X and :data:`WIGGLY_Y` on Y;
    * ``"spiral"``: :func:`spiral_plane` in the plane (0, 1) of X with speed ``1/dim_x`` and (1, 2) of
      Y with speed ``1/dim_y`` (needs ``dim_x ≥ 2``, ``dim_y ≥ 3``); ``"spiral-cdf"``: ``Φ`` first;
    * ``"bimodal"`` (1 × 1): :func:`normal_to_mixture` with :data:`BIMODAL_X` / :data:`BIMODAL_Y`;
    * ``"swissroll"`` (1 × 1): X ↦ :func:`swiss_roll` of ``Φ(X)`` (2-D), Y ↦ ``Φ(Y)``.

    Parameters
    ----------
    structure : {"dense", "2pair"}, default "dense"
    dim_x, dim_y : int, default 1
        Dimensions of the base Gaussian (``"2pair"`` needs both ≥ 2).
    correlation : float, default 0.75
        The dense off-diagonal correlation, or the correlation of each of the two pairs.
    transform : str, default "none"
        One of ``none, cdf, halfcube, wiggly, spiral, spiral-cdf, bimodal, swissroll``.
    rescale : bool, default False
        Standardise each column of every sample (bmi's v1 workflow, ``transform_rescale``;
        :func:`~ibbench.numerics.columns.standardize_columns`).

    References
    ----------
    Czyż, Grabowski, Vogt, Beerenwinkel & Marx, "Beyond Normal: On the Evaluation of Mutual
    Information Estimators", NeurIPS 2023; Cover & Thomas, *Elements of Information Theory*, 2nd
    ed., eq. 8.56; Kraskov, Stögbauer & Grassberger, Phys. Rev. E 69, 2004, eq. 45.
    """

    name = "bmi-gaussian"
    family = "bmi"

    _parameter_constraints = {
        "structure": [StrOptions({"dense", "2pair"})],
        "dim_x": [Interval(Integral, 1, None, closed="left")],
        "dim_y": [Interval(Integral, 1, None, closed="left")],
        "correlation": [Interval(Real, 0, 1, closed="left")],
        "transform": [StrOptions(set(_GAUSSIAN_TRANSFORMS))],
        "rescale": ["boolean"],
    }

    def __init__(self, structure="dense", dim_x=1, dim_y=1, correlation=0.75, transform="none", rescale=False):
        self.structure = structure
        self.dim_x_base, self.dim_y_base = int(dim_x), int(dim_y)
        self.correlation = float(correlation)
        self.transform = transform
        self.rescale = bool(rescale)
        self._check()
        self.dim_x = 2 if transform == "swissroll" else self.dim_x_base
        self.dim_y = self.dim_y_base

    # the base dimensions are the parameters; dim_x of the task is 2 for the Swiss roll
    @property
    def params(self):
        return {
            "structure": self.structure,
            "dim_x": self.dim_x_base,
            "dim_y": self.dim_y_base,
            "correlation": self.correlation,
            "transform": self.transform,
            "rescale": self.rescale,
        }

    def _check(self) -> None:
        dx, dy, t = self.dim_x_base, self.dim_y_base, self.transform
        if self.structure not in ("dense", "2pair"):
            raise ValueError(f"structure must be 'dense' or '2pair', got {self.structure!r}")
        if t not in _GAUSSIAN_TRANSFORMS:
            raise ValueError(f"transform must be one of {_GAUSSIAN_TRANSFORMS}, got {t!r}")
        if min(dx, dy) < 1:
            raise ValueError(f"dim_x and dim_y must be >= 1, got {dx}, {dy}")
        if not 0 <= self.correlation < 1:
            raise ValueError(f"correlation must be in [0, 1), got {self.correlation}")
        if self.structure == "2pair" and min(dx, dy) < 2:
            raise ValueError(f"structure '2pair' needs dim_x, dim_y >= 2, got {dx}, {dy}")
        if t in ("bimodal", "swissroll") and (dx, dy) != (1, 1):
            raise ValueError(f"transform {t!r} is defined for dim_x = dim_y = 1, got {dx}, {dy}")
        if t in ("spiral", "spiral-cdf") and (dx < 2 or dy < 3):
            raise ValueError(f"transform {t!r} needs dim_x >= 2 and dim_y >= 3, got {dx}, {dy}")

    def covariance(self) -> np.ndarray:
        """The joint covariance (= correlation) matrix of the base Gaussian, X first."""
        dx, dy, rho = self.dim_x_base, self.dim_y_base, self.correlation
        if self.structure == "dense":
            return (1.0 - rho) * np.eye(dx + dy) + rho
        cov = np.eye(dx + dy)
        for i in range(2):
            cov[i, dx + i] = cov[dx + i, i] = rho
        return cov

    def _true_mi(self) -> float:
        return gaussian_mi(self.covariance(), self.dim_x_base)

    def sample_base(self, n: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """The untransformed, unscaled Gaussian ``(X, Y)`` of the same draw as ``sample(n, random_state)``."""
        base = BmiGaussian(self.structure, self.dim_x_base, self.dim_y_base, self.correlation)
        return base.sample(n, random_state)

    def _gaussian(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        dx, dy, rho = self.dim_x_base, self.dim_y_base, self.correlation
        if self.structure == "dense":
            # a shared standard normal U: Z_i = sqrt(ρ) U + sqrt(1 − ρ) E_i has unit variances and
            # pairwise correlation ρ
            shared = rng.standard_normal((n, 1))
            Z = np.sqrt(rho) * shared + np.sqrt(1.0 - rho) * rng.standard_normal((n, dx + dy))
            return Z[:, :dx], Z[:, dx:]
        X = rng.standard_normal((n, dx))
        Y = rng.standard_normal((n, dy))
        Y[:, :2] = rho * X[:, :2] + np.sqrt(1.0 - rho * rho) * Y[:, :2]
        return X, Y

    def _sample(self, n, rng):
        X, Y = self._gaussian(n, rng)
        t = self.transform
        if t == "cdf":
            X, Y = ndtr(X), ndtr(Y)
        elif t == "halfcube":
            X, Y = half_cube(X), half_cube(Y)
        elif t == "wiggly":
            X, Y = wiggly(X, WIGGLY_X), wiggly(Y, WIGGLY_Y)
        elif t in ("spiral", "spiral-cdf"):
            if t == "spiral-cdf":
                X, Y = ndtr(X), ndtr(Y)
            X = spiral_plane(X, 0, 1, 1.0 / self.dim_x_base)
            Y = spiral_plane(Y, 1, 2, 1.0 / self.dim_y_base)
        elif t == "bimodal":
            X = normal_to_mixture(X, BIMODAL_X)[:, None]
            Y = normal_to_mixture(Y, BIMODAL_Y)[:, None]
        elif t == "swissroll":
            X, Y = swiss_roll(ndtr(X)), ndtr(Y)
        return _rescaled(self, X, Y)

    @classmethod
    def get_test_params(cls):
        return {"structure": "2pair", "dim_x": 2, "dim_y": 3, "correlation": 0.8, "transform": "spiral"}


def student_identity_mi(dim_x: int, dim_y: int, df: float) -> float:
    """MI (nats) of the multivariate Student-t with identity dispersion:
    ``f(ν) + f(ν + d_x + d_y) − f(ν + d_x) − f(ν + d_y)``, ``f(x) = log Γ(x/2) − (x/2) ψ(x/2)``
    (the Gaussian term of the dispersion vanishes; Arellano-Valle et al. 2013, Sec. 3)."""

    def f(x: float) -> float:
        return float(gammaln(x / 2.0) - (x / 2.0) * digamma(x / 2.0))

    return f(df) + f(df + dim_x + dim_y) - f(df + dim_x) - f(df + dim_y)


class BmiStudentT(Task):
    """bmi's ``student-identity`` tasks: ``(X, Y) = Z / sqrt(W / ν)``, ``Z ~ N(0, I)``, ``W ~ χ²_ν``.

    X and Y are uncorrelated but dependent through the shared scale ``W``; ``transform="asinh"``
    applies ``asinh`` coordinate-wise (bmi's ``asinh-student-identity``). Without transform and
    rescaling the samples are those of ``student-t`` with ``scale_mi=0, mixing_seed=None`` (same
    draws, tested).

    Parameters
    ----------
    dim_x, dim_y : int, default 1
    df : float, default 1.0
        Degrees of freedom ν > 0.
    transform : {"none", "asinh"}, default "none"
    rescale : bool, default False
        Standardise each column of every sample (bmi's v1 workflow).

    References
    ----------
    Arellano-Valle, Contreras-Reyes & Genton, "Shannon entropy and mutual information for
    multivariate skew-elliptical distributions", Scand. J. Stat. 40, 2013, Sec. 3; Czyż et al.,
    "Beyond Normal", NeurIPS 2023, Sec. 4 (Student-t and asinh tasks).
    """

    name = "bmi-student-t"
    family = "bmi"

    _parameter_constraints = {
        "dim_x": [Interval(Integral, 1, None, closed="left")],
        "dim_y": [Interval(Integral, 1, None, closed="left")],
        "df": [Interval(Real, 0, None, closed="neither")],
        "transform": [StrOptions({"none", "asinh"})],
        "rescale": ["boolean"],
    }

    def __init__(self, dim_x=1, dim_y=1, df=1.0, transform="none", rescale=False):
        self.dim_x, self.dim_y = int(dim_x), int(dim_y)
        self.df = float(df)
        self.transform = transform
        self.rescale = bool(rescale)
        if min(self.dim_x, self.dim_y) < 1 or not self.df > 0 or transform not in ("none", "asinh"):
            raise ValueError(f"bmi-student-t: invalid dim_x={dim_x}, dim_y={dim_y}, df={df}, transform={transform!r}")

    def _true_mi(self):
        return student_identity_mi(self.dim_x, self.dim_y, self.df)

    def _sample(self, n, rng):
        X = rng.standard_normal((n, self.dim_x))
        Y = rng.standard_normal((n, self.dim_y))
        w = np.sqrt(rng.chisquare(self.df, size=(n, 1)) / self.df)
        X, Y = X / w, Y / w
        if self.transform == "asinh":
            X, Y = np.arcsinh(X), np.arcsinh(Y)
        return _rescaled(self, X, Y)

    @classmethod
    def get_test_params(cls):
        return {"dim_x": 2, "dim_y": 2, "df": 2.0, "transform": "asinh"}


def additive_uniform_mi(epsilon: float) -> float:
    """``I(X; X + N)`` for ``X ~ U(0, 1)``, ``N ~ U(−ε, ε)``: ``ε − log 2ε`` for ``ε ≤ ½``, else ``1/(4ε)``.

    ``I = h(Y) − h(N)`` with ``h(N) = log 2ε``; the density of Y is a trapezoid whose two linear
    ramps contribute ``ε`` (ε ≤ ½) or ``log 2ε + 1/(4ε)`` (ε > ½) to ``h(Y)``.
    """
    return epsilon - float(np.log(2.0 * epsilon)) if epsilon <= 0.5 else 0.25 / epsilon


class BmiAdditiveUniform(Task):
    """bmi's ``1v1-additive`` task: ``X ~ U(0, 1)``, ``Y = X + N`` with ``N ~ U(−ε, ε)`` independent.

    Parameters
    ----------
    epsilon : float, default 0.75
        Half-width of the uniform noise (> 0).
    rescale : bool, default False
        Standardise each column of every sample (bmi's v1 workflow).

    References
    ----------
    Czyż et al., "Beyond Normal", NeurIPS 2023, App. D (additive uniform noise; closed form
    :func:`additive_uniform_mi`).
    """

    name = "bmi-additive-uniform"
    family = "bmi"

    _parameter_constraints = {
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "rescale": ["boolean"],
    }

    def __init__(self, epsilon=0.75, rescale=False):
        self.epsilon = float(epsilon)
        self.rescale = bool(rescale)
        if not self.epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        self.dim_x = self.dim_y = 1

    def _true_mi(self):
        return additive_uniform_mi(self.epsilon)

    def _sample(self, n, rng):
        X = rng.uniform(0.0, 1.0, size=(n, 1))
        Y = X + rng.uniform(-self.epsilon, self.epsilon, size=(n, 1))
        return _rescaled(self, X, Y)

    @classmethod
    def get_test_params(cls):
        return {"epsilon": 0.1}
