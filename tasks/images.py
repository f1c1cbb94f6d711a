"""Synthetic image tasks with known MI: Gaussian bumps and rectangles (Butakov et al., ICLR 2024).

Construction: latents ``ξ, η`` of dimension ``d`` are ``d`` independent Gaussian
pairs carrying ``mi / d`` nats each (:func:`~ibbench.tasks.gaussian.sample_latent_pairs`),
optionally mixed by a random orthogonal matrix per side, mapped to (0, 1) with the normal CDF Φ,
and rendered into ``W × W`` images — X from ξ, Y from η. Every step is injective (the tests decode
images back to their parameters), so ``I(X; Y) = I(ξ; η) = mi``.

Images are returned flattened row-major to ``(n, W·W)`` float arrays with pixel values in [0, 1].
:meth:`ImageTask.sample_latents` returns the (0, 1) parameters of the same draw (the "ideal
compressor" of the compression experiments) and :meth:`ImageTask.render` draws images from
parameters.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import ndtr

from ibbench.params import Interval
from ibbench.task import Task
from ibbench.tasks.gaussian import mixing_matrices, pair_correlation, sample_latent_pairs


def render_bumps(params: np.ndarray, size: int) -> np.ndarray:
    """Gaussian-bump images ``exp(−10((g_i − μ_1)² + (g_j − μ_2)²))`` on the grid ``g = linspace(0, 1, W)``.

    Parameters
    ----------
    params : array of shape (n, 2)
        Bump centres ``(μ_1, μ_2)`` in (0, 1); ``μ_1`` moves along rows (first image axis).
    size : int
        Image side ``W``.

    Returns
    -------
    images : array of shape (n, W, W)

    References
    ----------
    Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks via Lossy
    Compression", ICLR 2024, Sec. 5 (Gaussian-bump images).
    """
    params = np.asarray(params, dtype=np.float64)
    g = np.linspace(0.0, 1.0, size)
    a = np.exp(-10.0 * (g[None, :] - params[:, 0:1]) ** 2)
    b = np.exp(-10.0 * (g[None, :] - params[:, 1:2]) ** 2)
    return a[:, :, None] * b[:, None, :]


def rectangle_edges(u0: np.ndarray, u1: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Left and right edges on one axis from uniforms ``u0, u1``: minimal width ``m = 2/W``,
    ``left = (1 − m)(1 − sqrt(1 − u0))``, ``right = u1 (1 − left − m) + left + m``."""
    m = 2.0 / size
    left = (1.0 - m) * (1.0 - np.sqrt(1.0 - u0))
    right = u1 * (1.0 - left - m) + left + m
    return left, right


def _axis_coverage(left: np.ndarray, right: np.ndarray, size: int) -> np.ndarray:
    # Fraction of each pixel interval [i/W, (i+1)/W] covered by [left, right], shape (n, W).
    lo = np.arange(size) / size
    hi = (np.arange(size) + 1) / size
    overlap = np.minimum(right[:, None], hi[None, :]) - np.maximum(left[:, None], lo[None, :])
    return np.clip(overlap * size, 0.0, 1.0)


def render_rectangles(params: np.ndarray, size: int) -> np.ndarray:
    """Anti-aliased axis-aligned rectangles: pixel value = fraction of the pixel's area covered.

    Parameters
    ----------
    params : array of shape (n, 4)
        Uniforms ``(u0_rows, u1_rows, u0_cols, u1_cols)`` in (0, 1), turned into edges by
        :func:`rectangle_edges`. Pixel ``(i, j)`` covers ``[i/W, (i+1)/W] × [j/W, (j+1)/W]``.
    size : int
        Image side ``W``.

    Returns
    -------
    images : array of shape (n, W, W)

    References
    ----------
    Butakov et al., ICLR 2024, Sec. 5 (rectangle images).
    """
    params = np.asarray(params, dtype=np.float64)
    r = _axis_coverage(*rectangle_edges(params[:, 0], params[:, 1], size), size)
    c = _axis_coverage(*rectangle_edges(params[:, 2], params[:, 3], size), size)
    return r[:, :, None] * c[:, None, :]


class ImageTask(Task):
    """Base of the image tasks: latent pairs → Φ → renderer, X from ξ and Y from η.

    Parameters
    ----------
    size : int, default 16
        Image side ``W`` (Butakov et al. use 16 and 32); ``dim_x = dim_y = W²``.
    mi : float, default 1.0
        Mutual information in nats (0 … 10 in the paper).
    mixing_seed : int or None, default None
        Orthogonal mixing of each side's Gaussian latents before Φ; ``None`` = none (as in the
        paper's main experiments).

    References
    ----------
    Butakov, Tolmachev, Malanchuk, Neopryatnaya, Frolov & Andreev, "Information Bottleneck Analysis
    of Deep Neural Networks via Lossy Compression", ICLR 2024, Sec. 5.
    """

    family = "images"
    latent_dim = 0

    _parameter_constraints = {
        "size": [Interval(Integral, 4, None, closed="left")],
        "mi": [Interval(Real, 0, None, closed="left")],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, size=16, mi=1.0, mixing_seed=None):
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 4:
            raise ValueError(f"size must be an integer >= 4 (pixels per side), got {size!r}")
        pair_correlation(mi, self.latent_dim)  # validates mi >= 0
        self.size = int(size)
        self.mi = float(mi)  # 4 and 4.0 must give the same task identity
        self.mixing_seed = mixing_seed
        self.dim_x = self.dim_y = self.size * self.size

    def _true_mi(self) -> float:
        return float(self.mi)  # injective rendering of latents carrying exactly mi nats

    def render(self, params: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Images ``(n, W, W)`` from (0, 1) parameters ``(n, latent_dim)``."""
        raise NotImplementedError

    def _latents(self, n, rng):
        d = self.latent_dim
        xi, eta = sample_latent_pairs(n, d, d, self.mi, rng)
        mats = mixing_matrices(d, d, self.mixing_seed)
        if mats is not None:
            xi, eta = xi @ mats[0].T, eta @ mats[1].T
        return ndtr(xi), ndtr(eta)

    def sample_latents(self, n: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """The (0, 1) image parameters ``(U, V)``, each ``(n, latent_dim)``, of the same draw as
        ``sample(n, random_state)`` (the ideal compressor of the compression experiments)."""
        from ibbench.numerics.random import as_generator

        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        return self._latents(int(n), as_generator(random_state))

    def _sample(self, n, rng):
        u, v = self._latents(n, rng)
        return self.render(u).reshape(n, -1), self.render(v).reshape(n, -1)

    @classmethod
    def get_test_params(cls):
        return {"size": 8, "mi": 1.0}


class GaussianBumpImages(ImageTask):
    """Gaussian-bump images (latent dimension 2): a bump centred at the (0, 1) latent parameters.

    Pixel ``(i, j) = exp(−10((g_i − μ_1)² + (g_j − μ_2)²))`` with ``g = linspace(0, 1, W)``
    (:func:`render_bumps`).

    Parameters and references: see :class:`ImageTask`.
    """

    name = "images-bumps"
    latent_dim = 2

    def render(self, params):
        return render_bumps(params, self.size)


class RectangleImages(ImageTask):
    """Rectangle images (latent dimension 4): an anti-aliased axis-aligned rectangle of width and
    height at least ``2/W`` whose edges come from the (0, 1) latents (:func:`render_rectangles`).

    Parameters and references: see :class:`ImageTask`.
    """

    name = "images-rectangles"
    latent_dim = 4

    def render(self, params):
        return render_rectangles(params, self.size)


class ImageLatents(Task):
    """The ideal compressor of an image task: its (0, 1) image parameters instead of the pixels.

    ``sample(n, random_state=s)`` returns exactly the parameters ``(U, V)`` from which
    ``image_task(size=W, mi, mixing_seed).sample(n, random_state=s)`` renders its images, for any
    ``W`` (the latents do not depend on the image size). Since rendering is injective,
    ``I(U; V) = I(X; Y) = mi``: an estimator run here shows what it would report after a perfect,
    lossless compression to the intrinsic dimension — the reference curve of Butakov et al.'s
    compression experiments.

    Parameters
    ----------
    mi : float, default 1.0
        Mutual information in nats.
    mixing_seed : int or None, default None
        As in the image task.

    References
    ----------
    Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks via Lossy
    Compression", ICLR 2024, Sec. 5 (estimates on the true latents as the ideal compression).
    """

    family = "images"
    role = "reference"  # oracle inputs: shown beside the image task, never ranked
    image_task: type[ImageTask] = ImageTask

    @property
    def reference_for(self) -> str:
        return self.image_task.name

    _parameter_constraints = {
        "mi": [Interval(Real, 0, None, closed="left")],
        "mixing_seed": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, mi=1.0, mixing_seed=None):
        pair_correlation(mi, self.image_task.latent_dim)  # validates mi >= 0
        self.mi = float(mi)
        self.mixing_seed = mixing_seed
        self.dim_x = self.dim_y = self.image_task.latent_dim

    def identity_depends(self) -> dict:
        """The image task's version: its code draws these latents."""
        return {"image_task": f"{self.image_task.name}@{self.image_task.version}"}

    def images(self, size: int = 16) -> ImageTask:
        """The image task whose draws these latents parametrise."""
        return self.image_task(size=size, mi=self.mi, mixing_seed=self.mixing_seed)

    def _true_mi(self) -> float:
        return float(self.mi)

    def _sample(self, n, rng):
        return self.images()._latents(n, rng)

    @classmethod
    def get_test_params(cls):
        return {"mi": 1.0}


class GaussianBumpLatents(ImageLatents):
    """The bump centres ``(μ_1, μ_2)`` of ``images-bumps`` (2 + 2 dimensions): its ideal compressor.

    Parameters and references: see :class:`ImageLatents`.
    """

    name = "images-bumps-latents"
    image_task = GaussianBumpImages


class RectangleLatents(ImageLatents):
    """The four edge uniforms of ``images-rectangles`` (4 + 4 dimensions): its ideal compressor.

    Parameters and references: see :class:`ImageLatents`.
    """

    name = "images-rectangles-latents"
    image_task = RectangleImages
