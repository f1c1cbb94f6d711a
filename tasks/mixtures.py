"""Mixtures of Gaussians ("fine" distributions) whose MI is a Monte Carlo average of the pointwise MI.

A joint Gaussian mixture ``p(x, y) = Σ_k w_k N((x, y); μ_k, Σ_k)`` has Gaussian-mixture marginals
with the marginal components ``N(x; μ_k^x, Σ_k^xx)`` and ``N(y; μ_k^y, Σ_k^yy)`` and the same weights,
so the pointwise mutual information ``pmi(x, y) = log p(x, y) − log p(x) − log p(y)`` is exact
(logsumexp of component log-densities). The MI ``I = E_p[pmi]`` has no closed form; it is the mean
of ``pmi`` over ``mc_samples`` draws from ``p`` with the fixed seed ``mc_seed`` (Czyż et al. 2024,
Sec. 2), reported with its Monte Carlo standard error ``sd(pmi) / sqrt(mc_samples)`` as
``true_mi_stderr``. This is the one place in ibbench where a truth is a sample average: it is
deterministic (fixed seed, fixed chunking), required to have ``true_mi_stderr <= 0.01`` nats
(``ValueError`` otherwise), and scoring widens its tolerance by ``2 · true_mi_stderr``.

The truth is cached in-process (a module-level dict keyed by the task's canonical identity), so it
is computed once per task configuration and process, however many task objects are built.

References
----------
Czyż, Grabowski, Vogt, Beerenwinkel, Marx, "The Mixtures and the Neural Critics: On the Pointwise
Mutual Information Profiles of Fine Distributions", AISTATS 2024 (the X and AI distributions,
Fig. 1; fine distributions, Sec. 2).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import logsumexp

from ibbench.params import Interval
from ibbench.serial import canonical_json
from ibbench.task import Task

#: largest admissible Monte Carlo standard error of a mixture task's true MI (nats)
MAX_TRUE_MI_STDERR = 0.01
#: draws per chunk of the Monte Carlo integral (fixed: the truth must not depend on memory settings)
MC_CHUNK = 100_000

_TRUTH_CACHE: dict[str, tuple[float, float]] = {}


class _Gaussians:
    """Log-densities of the components ``N(μ_k, Σ_k)`` (Cholesky factors computed once)."""

    def __init__(self, means: np.ndarray, covs: np.ndarray) -> None:
        self.means = means
        self.chol = np.linalg.cholesky(covs)  # (K, d, d); LinAlgError for a covariance that is not PD
        d = means.shape[1]
        logdet = 2.0 * np.log(np.diagonal(self.chol, axis1=1, axis2=2)).sum(axis=1)
        self.log_norm = -0.5 * (d * np.log(2.0 * np.pi) + logdet)

    def log_pdf(self, z: np.ndarray) -> np.ndarray:
        """``(n, K)`` matrix of ``log N(z_i; μ_k, Σ_k)``."""
        out = np.empty((len(z), len(self.means)))
        for k, (mu, chol) in enumerate(zip(self.means, self.chol)):
            white = solve_triangular(chol, (z - mu).T, lower=True)  # L⁻¹ (z − μ), shape (d, n)
            out[:, k] = self.log_norm[k] - 0.5 * np.einsum("ij,ij->j", white, white)
        return out


class GaussianMixtureModel:
    """A joint Gaussian mixture of ``(X, Y)`` with exact joint and marginal log-densities.

    Parameters
    ----------
    means : array (K, d)
    covariances : array (K, d, d), symmetric positive definite
    weights : array (K,), positive, summing to 1
    dim_x : int
        The first ``dim_x`` coordinates are X, the others Y.
    """

    def __init__(self, means: np.ndarray, covariances: np.ndarray, weights: np.ndarray, dim_x: int) -> None:
        self.weights = weights
        self.dim_x = dim_x
        self.log_w = np.log(weights)
        self.joint = _Gaussians(means, covariances)
        self.x = _Gaussians(means[:, :dim_x], covariances[:, :dim_x, :dim_x])
        self.y = _Gaussians(means[:, dim_x:], covariances[:, dim_x:, dim_x:])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` joint draws ``(n, d)``: a component by its weight, then ``μ_k + L_k ε``."""
        labels = rng.choice(len(self.weights), size=n, p=self.weights)
        eps = rng.standard_normal((n, self.joint.means.shape[1]))
        return self.joint.means[labels] + np.einsum("nij,nj->ni", self.joint.chol[labels], eps)

    def pmi(self, z: np.ndarray) -> np.ndarray:
        """Pointwise MI ``log p(x, y) − log p(x) − log p(y)`` at the rows of ``z`` (Czyż et al. 2024, eq. 1)."""
        d = self.dim_x
        log_joint = logsumexp(self.log_w + self.joint.log_pdf(z), axis=1)
        log_x = logsumexp(self.log_w + self.x.log_pdf(z[:, :d]), axis=1)
        log_y = logsumexp(self.log_w + self.y.log_pdf(z[:, d:]), axis=1)
        return log_joint - log_x - log_y

    def mc_mutual_information(self, m: int, seed: int) -> tuple[float, float]:
        """``(mean, standard error)`` of ``pmi`` over ``m`` draws seeded by ``seed``, in chunks of :data:`MC_CHUNK`.

        Sums and sums of squares are accumulated in the shifted form (around the first chunk's mean)
        so the variance does not lose precision when the MI is large compared to its spread.
        """
        rng = np.random.default_rng(seed)
        total, total_sq, shift, done = 0.0, 0.0, None, 0
        while done < m:
            size = min(MC_CHUNK, m - done)
            values = self.pmi(self.sample(size, rng))
            if shift is None:
                shift = float(values.mean())
            centred = values - shift
            total += float(centred.sum())
            total_sq += float(centred @ centred)
            done += size
        mean = total / m
        var = max(total_sq / m - mean**2, 0.0) * m / max(m - 1, 1)
        return float(shift + mean), float(np.sqrt(var / m))  # type: ignore[operator]


def _as_float_array(value: Any, ndim: int, label: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{label} must be a nested list of numbers, got {value!r}") from exc
    if arr.ndim != ndim:
        raise ValueError(f"{label} must have {ndim} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{label} must be finite")
    return arr


class GaussianMixture(Task):
    """X, Y jointly a mixture of Gaussians; MI by Monte Carlo of the pointwise MI (fixed seed).

    ``p(x, y) = Σ_k w_k N((x, y); μ_k, Σ_k)``. The marginals are the mixtures of the marginal
    components with the same weights, so ``pmi(x, y) = log p(x, y) − log p(x) − log p(y)`` is exact
    and ``I(X;Y) = E_p[pmi]`` is its mean over ``mc_samples`` draws from ``p`` with seed ``mc_seed``
    (Czyż et al. 2024, Sec. 2). ``true_mi_stderr`` = ``sd(pmi) / sqrt(mc_samples)``; a configuration
    whose standard error exceeds 0.01 nats is rejected (``ValueError``: raise ``mc_samples``).
    Scoring widens the tolerance of such tasks by ``2 · true_mi_stderr``.

    Parameters
    ----------
    means : list of K lists of d = dim_x + dim_y floats
        Component means, X coordinates first.
    covariances : list of K d × d nested lists
        Component covariances (symmetric positive definite).
    weights : list of K floats or None
        Component weights (positive; normalised to sum to 1). None: equal weights.
    dim_x : int, default 1
        Number of X coordinates (``1 <= dim_x < d``).
    mc_samples : int, default 1_000_000
        Monte Carlo draws of the truth.
    mc_seed : int, default 0
        Seed of the Monte Carlo draws (independent of the sampling seed of a benchmark cell).

    Attributes
    ----------
    true_mi_stderr : float
        Monte Carlo standard error of ``true_mi`` (nats).

    References
    ----------
    Czyż, Grabowski, Vogt, Beerenwinkel, Marx, "The Mixtures and the Neural Critics: On the Pointwise
    Mutual Information Profiles of Fine Distributions", AISTATS 2024.
    """

    name = "gaussian-mixture"
    family = "mixture"
    version = "1"

    _parameter_constraints: dict[str, Any] = {
        "means": [list, tuple],
        "covariances": [list, tuple],
        "weights": [list, tuple, None],
        "dim_x": [Interval(Integral, 1, None, closed="left")],
        "mc_samples": [Interval(Integral, 2, None, closed="left")],
        "mc_seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        means=((-1.0, -1.0), (1.0, 1.0)),
        covariances=(((1.0, 0.0), (0.0, 1.0)), ((1.0, 0.0), (0.0, 1.0))),
        weights=None,
        dim_x=1,
        mc_samples=1_000_000,
        mc_seed=0,
    ):
        mu = _as_float_array(means, 2, "means")
        cov = _as_float_array(covariances, 3, "covariances")
        k, d = mu.shape
        if cov.shape != (k, d, d):
            raise ValueError(f"covariances must have shape ({k}, {d}, {d}) to match means, got {cov.shape}")
        if not np.allclose(cov, np.swapaxes(cov, 1, 2)):
            raise ValueError("covariances must be symmetric")
        if np.any(np.linalg.eigvalsh(cov) <= 0):
            raise ValueError("covariances must be positive definite")
        w = np.full(k, 1.0 / k) if weights is None else _as_float_array(weights, 1, "weights")
        if w.shape != (k,) or np.any(w <= 0):
            raise ValueError(f"weights must be {k} positive numbers, got {weights!r}")
        if not (isinstance(dim_x, (int, np.integer)) and 1 <= dim_x < d):
            raise ValueError(f"dim_x must be an integer in [1, {d - 1}], got {dim_x!r}")
        if not (isinstance(mc_samples, (int, np.integer)) and mc_samples >= 2):
            raise ValueError(f"mc_samples must be an integer >= 2, got {mc_samples!r}")
        self.means = mu.tolist()
        self.covariances = cov.tolist()
        self.weights = None if weights is None else w.tolist()
        self.dim_x, self.dim_y = int(dim_x), int(d - dim_x)
        self.mc_samples = int(mc_samples)
        self.mc_seed = int(mc_seed)
        self._model = GaussianMixtureModel(mu, cov, w / w.sum(), self.dim_x)

    @property
    def model(self) -> GaussianMixtureModel:
        """The mixture (components, exact log-densities, sampler)."""
        return self._model

    def _mc_truth(self) -> tuple[float, float]:
        key = canonical_json({"class": type(self).__qualname__, **self.identity()})
        if key not in _TRUTH_CACHE:
            mi, stderr = self.model.mc_mutual_information(self.mc_samples, self.mc_seed)
            if stderr > MAX_TRUE_MI_STDERR:
                raise ValueError(
                    f"task {self.name!r}: the Monte Carlo standard error of the true MI is {stderr:.3g} nats "
                    f"> {MAX_TRUE_MI_STDERR} with mc_samples={self.mc_samples}; raise mc_samples to about "
                    f"{int(np.ceil(self.mc_samples * (stderr / MAX_TRUE_MI_STDERR) ** 2 * 1.1))}"
                )
            _TRUTH_CACHE[key] = (mi, stderr)
        return _TRUTH_CACHE[key]

    def _true_mi(self) -> float:
        return self._mc_truth()[0]

    @property
    def true_mi_stderr(self) -> float:
        """Monte Carlo standard error ``sd(pmi) / sqrt(mc_samples)`` of :attr:`true_mi` (nats, <= 0.01)."""
        return self._mc_truth()[1]

    def _sample(self, n, rng):
        z = self.model.sample(n, rng)
        return z[:, : self.dim_x], z[:, self.dim_x :]

    @classmethod
    def get_test_params(cls):
        return {"mc_samples": 200_000}


def _rho_cov(var_x: float, var_y: float, rho: float) -> list[list[float]]:
    c = rho * np.sqrt(var_x * var_y)
    return [[var_x, c], [c, var_y]]


class MixtureX(GaussianMixture):
    """The X distribution (1+1): two zero-mean unit-variance Gaussians with correlations ``±correlation``.

    Equal weights; the samples form an X. Each component alone carries ``−½ log(1 − ρ²)`` nats, the
    mixture much less (its marginals are both standard normal, and the sign of the dependence is
    hidden). Parameters as in bmi's ``task_x`` (Czyż et al. 2024, Fig. 1; ρ = 0.9).

    Parameters
    ----------
    correlation : float, default 0.9
        ``ρ`` in ``[0, 1)``.
    mc_samples, mc_seed
        As for ``gaussian-mixture``.
    """

    name = "mixture-x"

    _parameter_constraints: dict[str, Any] = {
        "correlation": [Interval(Real, 0, 1, closed="left")],
        "mc_samples": [Interval(Integral, 2, None, closed="left")],
        "mc_seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, correlation=0.9, mc_samples=1_000_000, mc_seed=0):
        if not 0 <= correlation < 1:
            raise ValueError(f"correlation must be in [0, 1), got {correlation!r}")
        self.correlation = float(correlation)
        super().__init__(
            means=[[0.0, 0.0], [0.0, 0.0]],
            covariances=[_rho_cov(1.0, 1.0, s * self.correlation) for s in (1.0, -1.0)],
            weights=None,
            dim_x=1,
            mc_samples=mc_samples,
            mc_seed=mc_seed,
        )


class MixtureAI(GaussianMixture):
    """The AI distribution (1+1): six equally weighted Gaussians drawing the letters "A" and "I".

    The "I" is a vertical bar at x = 1 (variances 0.01, 0.2) with two horizontal serifs at y = ±1
    (variances 0.05, 0.001); the "A" is two slanted legs centred at x = −1.2 and −0.4 (variances 0.04
    and 0.2, correlations ±0.95) and a crossbar at (−0.8, −0.2) (variances 0.03, 0.001). Components
    as in bmi's ``task_ai`` (Czyż et al. 2024, Fig. 1).

    Parameters
    ----------
    mc_samples, mc_seed
        As for ``gaussian-mixture``.
    """

    name = "mixture-ai"

    _parameter_constraints: dict[str, Any] = {
        "mc_samples": [Interval(Integral, 2, None, closed="left")],
        "mc_seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, mc_samples=1_000_000, mc_seed=0):
        leg_var_x, leg_var_y, leg_corr = 0.04, 0.2, 0.95
        components = [
            ((1.0, 0.0), np.diag([0.01, 0.2])),  # I: bar
            ((1.0, 1.0), np.diag([0.05, 0.001])),  # I: top serif
            ((1.0, -1.0), np.diag([0.05, 0.001])),  # I: bottom serif
            ((-0.8, -0.2), np.diag([0.03, 0.001])),  # A: crossbar
            ((-1.2, 0.0), np.array(_rho_cov(leg_var_x, leg_var_y, leg_corr))),  # A: left leg
            ((-0.4, 0.0), np.array(_rho_cov(leg_var_x, leg_var_y, -leg_corr))),  # A: right leg
        ]
        super().__init__(
            means=[list(m) for m, _ in components],
            covariances=[c.tolist() for _, c in components],
            weights=None,
            dim_x=1,
            mc_samples=mc_samples,
            mc_seed=mc_seed,
        )


class MixtureInliers(GaussianMixture):
    """Correlated Gaussian diluted by independent "inliers" (``dim``+``dim``).

    With probability ``1 − inlier_fraction`` a pair is drawn from a Gaussian whose ``dim`` coordinate
    pairs ``(X_i, Y_i)`` have correlation ``correlation`` (unit variances), otherwise from the product
    of its marginals, ``N(0, I)``: the inliers look like the data on each side but carry no
    dependence. An equivalent of bmi's ``task_multinormal_sparse_w_inliers`` (Czyż et al. 2024,
    Sec. 5) with a simpler signal covariance (independent pairs instead of bmi's latent-variable model).

    Parameters
    ----------
    dim : int, default 2
        Dimension of each side.
    correlation : float, default 0.8
        Correlation of each signal pair, in ``[0, 1)``.
    inlier_fraction : float, default 0.2
        Weight of the independent component, in ``(0, 1)``.
    mc_samples, mc_seed
        As for ``gaussian-mixture``.
    """

    name = "mixture-inliers"

    _parameter_constraints: dict[str, Any] = {
        "dim": [Interval(Integral, 1, None, closed="left")],
        "correlation": [Interval(Real, 0, 1, closed="left")],
        "inlier_fraction": [Interval(Real, 0, 1, closed="neither")],
        "mc_samples": [Interval(Integral, 2, None, closed="left")],
        "mc_seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, dim=2, correlation=0.8, inlier_fraction=0.2, mc_samples=1_000_000, mc_seed=0):
        if not (isinstance(dim, (int, np.integer)) and dim >= 1):
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        if not 0 <= correlation < 1:
            raise ValueError(f"correlation must be in [0, 1), got {correlation!r}")
        if not 0 < inlier_fraction < 1:
            raise ValueError(f"inlier_fraction must be in (0, 1), got {inlier_fraction!r}")
        self.dim = int(dim)
        self.correlation = float(correlation)
        self.inlier_fraction = float(inlier_fraction)
        signal = np.eye(2 * self.dim)
        idx = np.arange(self.dim)
        signal[idx, self.dim + idx] = signal[self.dim + idx, idx] = self.correlation
        super().__init__(
            means=np.zeros((2, 2 * self.dim)).tolist(),
            covariances=[signal.tolist(), np.eye(2 * self.dim).tolist()],
            weights=[1.0 - self.inlier_fraction, self.inlier_fraction],
            dim_x=self.dim,
            mc_samples=mc_samples,
            mc_seed=mc_seed,
        )
