"""Discrete tasks: categorical joint distributions with exactly known MI."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ibbench.params import Interval
from ibbench.task import Task


class CategoricalTask(Task):
    """X uniform over ``n_symbols`` categories, Y = X sent through a symmetric channel.

    With probability ``1 − flip`` Y equals X, otherwise Y is uniform over the other
    ``n_symbols − 1`` categories. The MI of this ``n_symbols``-ary symmetric channel with uniform
    input is ``log K − H_b(flip) − flip · log(K − 1)`` nats (Cover & Thomas, Sec. 7.2), where ``H_b``
    is the binary entropy. Both sides are integer codes ``0 … K−1`` (``x_kind = y_kind =
    "discrete"``).

    Parameters
    ----------
    n_symbols : int, default 4
        Number of categories K (>= 2).
    flip : float, default 0.2
        Probability that Y differs from X, in ``[0, 1]``.
    """

    name = "categorical"
    family = "discrete"
    x_kind = "discrete"
    y_kind = "discrete"
    dim_x = 1
    dim_y = 1

    _parameter_constraints = {
        "n_symbols": [Interval(Integral, 2, None, closed="left")],
        "flip": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, n_symbols=4, flip=0.2):
        if not isinstance(n_symbols, (int, np.integer)) or n_symbols < 2:
            raise ValueError(f"n_symbols must be an integer >= 2, got {n_symbols!r}")
        if not 0.0 <= flip <= 1.0:
            raise ValueError(f"flip must be a probability in [0, 1], got {flip!r}")
        self.n_symbols = int(n_symbols)
        self.flip = float(flip)

    def joint_table(self) -> np.ndarray:
        """The joint probability table ``p(x, y)``, shape ``(K, K)``."""
        k = self.n_symbols
        off = self.flip / (k - 1)
        table = np.full((k, k), off / k)
        np.fill_diagonal(table, (1.0 - self.flip) / k)
        return table

    def _true_mi(self) -> float:
        k, e = self.n_symbols, self.flip
        hb = -sum(p * np.log(p) for p in (e, 1.0 - e) if p > 0)
        return float(np.log(k) - hb - (e * np.log(k - 1) if e > 0 else 0.0))

    def _sample(self, n, rng):
        k = self.n_symbols
        x = rng.integers(0, k, n)
        flipped = rng.random(n) < self.flip
        shift = rng.integers(1, k, n)  # uniform over the other k-1 symbols
        y = np.where(flipped, (x + shift) % k, x)
        return x[:, None], y[:, None]

    @classmethod
    def get_test_params(cls):
        return {"n_symbols": 3, "flip": 0.3}


class RandomCategoricalTask(Task):
    """X, Y drawn from a fixed random joint table ``p(x, y)`` of size ``n_x × n_y``.

    The table is one draw from a symmetric Dirichlet distribution with the given ``concentration``
    over all ``n_x · n_y`` cells (seeded by ``table_seed``, so the task is a fixed distribution).
    Small concentration gives sparse tables (high MI), large concentration near-uniform tables
    (MI near 0). With hundreds of symbols per side this is the high-cardinality case where plug-in
    estimates are badly biased at moderate ``n``. ``true_mi`` is the exact sum
    ``Σ p(x,y) log p(x,y) / (p(x) p(y))`` over the table (Cover & Thomas eq. 2.28).

    Parameters
    ----------
    n_x, n_y : int, default 16
        Numbers of symbols of X and Y (>= 2).
    concentration : float, default 0.1
        Dirichlet concentration per cell (> 0).
    table_seed : int, default 0
        Seed of the table.

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. 2.28.
    """

    name = "categorical-random"
    family = "discrete"
    x_kind = "discrete"
    y_kind = "discrete"
    dim_x = 1
    dim_y = 1

    _parameter_constraints = {
        "n_x": [Interval(Integral, 2, None, closed="left")],
        "n_y": [Interval(Integral, 2, None, closed="left")],
        "concentration": [Interval(Real, 0, None, closed="neither")],
        "table_seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, n_x=16, n_y=16, concentration=0.1, table_seed=0):
        for label, k in (("n_x", n_x), ("n_y", n_y)):
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 2:
                raise ValueError(f"{label} must be an integer >= 2, got {k!r}")
        if not concentration > 0:
            raise ValueError(f"concentration must be > 0, got {concentration!r}")
        self.n_x = int(n_x)
        self.n_y = int(n_y)
        self.concentration = float(concentration)
        self.table_seed = int(table_seed)

    def joint_table(self) -> np.ndarray:
        """The joint probability table ``p(x, y)``, shape ``(n_x, n_y)`` (cached)."""
        table = self.__dict__.get("_table")
        if table is None:
            rng = np.random.default_rng(self.table_seed)
            # Dirichlet via normalised gammas; floor at the smallest normal float keeps log finite
            g = rng.standard_gamma(self.concentration, size=self.n_x * self.n_y)
            g = np.maximum(g, np.finfo(float).tiny)
            table = (g / g.sum()).reshape(self.n_x, self.n_y)
            self.__dict__["_table"] = table
        return table

    def _true_mi(self) -> float:
        p = self.joint_table()
        px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
        nz = p > 0
        return max(0.0, float(np.sum(p[nz] * (np.log(p[nz]) - np.log((px * py)[nz])))))

    def _sample(self, n, rng):
        cdf = np.cumsum(self.joint_table().ravel())
        cells = np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), cdf.size - 1)
        x, y = np.divmod(cells, self.n_y)
        return x[:, None], y[:, None]

    @classmethod
    def get_test_params(cls):
        return {"n_x": 5, "n_y": 3, "concentration": 0.5}


def class_gaussian_mi(n_classes: int, separation: float, step: float | None = None) -> float:
    """MI (nats) between a uniform class ``K ∈ {0…k−1}`` and ``Y | K ~ N(K · separation, 1)``.

    ``I = Σ_k p_k ∫ φ(y − μ_k) [log φ(y − μ_k) − log Σ_j p_j φ(y − μ_j)] dy`` by the trapezoidal
    rule on one grid over ``[−12, μ_max + 12]`` (the mass outside is below 1e-32). The integrand is
    analytic in a strip of half-width ≈ π/separation around the real axis (the mixture's complex
    zeros), so the trapezoidal rule converges geometrically, with error ≈ exp(−2π²/(separation·h)).
    The default step ``h = min(0.05, 0.5/separation)`` makes that below 1e-16; halving it changes
    the result by less than 1e-12, and the tests check agreement with adaptive quadrature
    (``scipy.integrate.quad``) of the mixture's differential entropy to 1e-12.

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. 8.45 (``I = h(Y) − h(Y|K)``);
    Trefethen & Weideman, "The exponentially convergent trapezoidal rule", SIAM Review 56, 2014.
    """
    from scipy.special import logsumexp

    if separation == 0:
        return 0.0  # identical components: Y independent of K
    if step is None:
        step = min(0.05, 0.5 / separation)
    means = separation * np.arange(n_classes, dtype=np.float64)
    y = np.arange(-12.0, means[-1] + 12.0 + step, step)
    log_p = -np.log(n_classes)
    total = 0.0
    for start in range(0, len(y), 4096):  # chunks keep the (grid × classes) block small
        q = -0.5 * (y[start : start + 4096, None] - means[None, :]) ** 2  # log φ_k + log sqrt(2π)
        log_mix = logsumexp(log_p + q, axis=1, keepdims=True)
        total += np.sum(np.exp(q) * (q - log_mix))
    total *= step * np.exp(log_p) / np.sqrt(2.0 * np.pi)
    return max(0.0, float(total))


class MixedClassGaussian(Task):
    """Discrete X (a uniform class label) with continuous Y: class-conditional Gaussians.

    ``X`` is uniform on ``{0, …, n_classes − 1}``; ``Y`` has ``dim_y`` coordinates, the first is
    ``X · separation + N(0, 1)`` and the others are independent N(0, 1) noise; with ``mixing_seed``
    set, Y is multiplied by a random orthogonal matrix (MI unchanged). The MI ranges from 0
    (``separation = 0``) to ``log n_classes`` (well separated classes); ``true_mi`` is the
    numerical integral of :func:`class_gaussian_mi` (precision better than 1e-12 nats).

    Parameters
    ----------
    n_classes : int, default 4
        Number of classes (>= 2).
    separation : float, default 1.5
        Distance between consecutive class means, in units of the noise standard deviation (>= 0).
    dim_y : int, default 1
        Dimension of Y.
    mixing_seed : int or None, default None
        Orthogonal mixing of Y; ``None`` = none.

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. 8.45; Gao, Kannan, Oh &
    Viswanath, "Estimating mutual information for discrete-continuous mixtures", NeurIPS 2017
    (the mixed setting).
    """

    name = "mixed-class-gaussian"
    family = "mixed"
    x_kind = "discrete"
    y_kind = "continuous"
    dim_x = 1

    _parameter_constraints = {
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "separation": [Interval(Real, 0, None, closed="left")],
        "dim_y": [Interval(Integral, 1, None, closed="left")],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, n_classes=4, separation=1.5, dim_y=1, mixing_seed=None):
        if not isinstance(n_classes, (int, np.integer)) or isinstance(n_classes, bool) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
        if not separation >= 0:
            raise ValueError(f"separation must be >= 0, got {separation!r}")
        if not isinstance(dim_y, (int, np.integer)) or isinstance(dim_y, bool) or dim_y < 1:
            raise ValueError(f"dim_y must be a positive integer, got {dim_y!r}")
        self.n_classes = int(n_classes)
        self.separation = float(separation)
        self.dim_y = int(dim_y)
        self.mixing_seed = mixing_seed

    def _true_mi(self) -> float:
        return class_gaussian_mi(self.n_classes, self.separation)

    def _sample(self, n, rng):
        from ibbench.tasks.gaussian import random_orthogonal

        x = rng.integers(0, self.n_classes, n)
        y = rng.standard_normal((n, self.dim_y))
        y[:, 0] += self.separation * x
        if self.mixing_seed is not None:
            y = y @ random_orthogonal(self.dim_y, np.random.default_rng(self.mixing_seed)).T
        return x[:, None], y

    @classmethod
    def get_test_params(cls):
        return {"n_classes": 3, "separation": 1.0, "dim_y": 2, "mixing_seed": 0}
