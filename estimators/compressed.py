"""Compression wrappers: reduce each side with PCA or an autoencoder, then estimate MI on the latents.

MI is invariant under injective maps applied to each side separately, so a lossless compressor
``X → f(X)`` keeps ``I(f(X); g(Y)) = I(X; Y)`` while turning a high-dimensional problem (image
pixels lying near a low-dimensional manifold) into a low-dimensional one that k-NN or kernel
estimators can handle. A lossy compressor can only lose information (data-processing inequality),
so compression errs towards underestimation. The inner estimator is named by its registry key and a
params dict (the CLI's and the benchmark grid's form: a cell stays JSON-serialisable), or given as
an estimator object, as scikit-learn meta-estimators take one.

torch is imported only when the autoencoder is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import clone

from ibbench.base import MIEstimator
from ibbench.numerics.random import derive_seed
from ibbench.params import Interval, IntSequence, StrOptions

__all__ = ["Compressed", "CompressedPCA", "CompressedAE"]

_COMPRESSORS = ("pca", "ae")


class Compressed(MIEstimator):
    """Compress X and Y separately (PCA or autoencoder), then run a registered estimator on the latents.

    Each side is reduced to ``n_components_*`` dimensions by the chosen compressor fitted on that
    side's own samples; the inner estimator (registry key ``estimator`` built with
    ``estimator_params``, or an estimator object) estimates ``I(z_x; z_y)``. By the data-processing
    inequality the result targets a value ``≤ I(X; Y)``, with equality when the compressor is
    injective on the data's support (e.g. images rendered from a low-dimensional latent).

    - ``"pca"``: ``sklearn.decomposition.PCA`` (full SVD, deterministic); latents are the principal
      component scores.
    - ``"ae"``: an autoencoder per side with a ``tanh`` bottleneck of size ``n_components_*``,
      trained by Adam on the mean squared reconstruction error. With an ``image_shape_*`` the
      encoder is convolutional (two stride-2 3×3 convolutions, 16 and 32 channels, then an MLP), the
      decoder an MLP; without one both are MLPs. Inputs are standardised first (per column for
      vectors, one global mean/std for images). Weights, batches and everything else are drawn from
      a seeded ``torch.Generator``; the fit runs with deterministic algorithms and ``n_threads``
      threads.

    Parameters
    ----------
    estimator : str or MIEstimator, default "ksg"
        Registry key of the inner estimator, or an (unfitted) estimator object. An object is cloned
        before fitting (it is never modified; the fitted clone is ``estimator_``), and its
        parameters appear in ``get_params(deep=True)`` as ``estimator__<name>`` (settable with
        ``set_params``), as for scikit-learn meta-estimators. Either way the inner estimator's
        identity (name, version, non-default parameters) is part of the cell key.
    estimator_params : dict or None
        Parameters of the inner estimator named by a registry key (must be None for an object).
        When the inner estimator is stochastic and no ``random_state`` is given here (for an
        object: its ``random_state`` is None), one derived from this wrapper's ``random_state`` is
        passed.
    compressor : {"pca", "ae"}, default "pca"
    n_components_x, n_components_y : int or None
        Latent dimension of each side, capped at the side's dimension (so one setting serves tasks of
        several sizes); None keeps the side's dimension (for PCA a rotation, which changes no MI).
    image_shape_x, image_shape_y : sequence of int, "auto" or None
        ``(H, W)`` or ``(C, H, W)`` of a side whose rows are flattened (row-major) images
        (autoencoder only; ignored by PCA); ``prod(shape)`` must equal the side's dimension.
        ``"auto"`` treats a side of dimension ``W²`` with ``W ≥ 8`` as one ``W × W`` image and any
        other side as a vector (so one setting serves a suite mixing image and vector tasks).
    hidden : int, default 128
        Width of the autoencoder's hidden layers.
    n_epochs : int, default 60
        Autoencoder training epochs per side.
    batch_size : int, default 128
        Autoencoder mini-batch size.
    lr : float, default 1e-3
        Adam learning rate of the autoencoder.
    n_threads : int or None, default 1
        Torch threads inside the autoencoder fit (restored afterwards).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where the autoencoders are trained (see
        :func:`ibbench.estimators.torch_utils.resolve_device`; "cuda" without a GPU raises
        ``ValueError``). CPU training is bit-deterministic, GPU training need not be. The resolved
        device is ``device_``, part of the cell key and of the compression cache key when it is
        not the CPU. The inner estimator's device is its own parameter.
    random_state : None, int or numpy Generator
        Seeds the autoencoders and the inner estimator's seed.

    Attributes
    ----------
    mutual_info_ : float
        The inner estimator's estimate on the latents (nats).
    estimator_ : MIEstimator
        The fitted inner estimator.
    n_components_x_, n_components_y_ : int
        Latent dimensions used.
    reconstruction_error_x_, reconstruction_error_y_ : float
        Mean absolute reconstruction error of each side in the input's units (pixel MAE for
        images); 0 means the compressor lost nothing measurable on the sample.
    history_ : dict
        Autoencoder only: ``{"x": [...], "y": [...]}`` training MSE (standardised units) per epoch.
    compression_seconds_x_, compression_seconds_y_ : float
        Seconds the compression of each side cost when it was computed: measured in this fit, or
        the cost recorded with a reused cache entry.
    device_ : str
        Autoencoder only: the device the autoencoders were trained on.
    cache_hit_ : bool
        True if the codes of either side were read from the on-disk cache instead of computed.
    cached_seconds_ : float
        Sum of the recorded costs of the cache entries reused in this fit (0.0 when everything was
        computed), so that ``fit`` seconds + ``cached_seconds_`` is what the fit would have cost
        with a cold cache. Any estimator that reuses cached work may set ``cache_hit_`` and
        ``cached_seconds_``; the benchmark rows record them (see :mod:`ibbench.execution`).

    References
    ----------
    I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov, K. Andreev, "Information
    bottleneck analysis of deep neural networks via lossy compression", ICLR 2024: §3 (MI of
    compressed representations, eq. (2) and its bounds) and §5 (PCA / autoencoder compression of
    synthetic images before KL/KDE estimation).
    """

    name: str | None = None
    version = "1"
    # PCA on unstandardised data is not per-column invariant, the autoencoder's image scaling is global,
    # and at offsets ~1e12 × spread the rounded column means move PCA directions by ~1e-6 and the
    # autoencoder's float32 inputs by ~1e-4 (estimates move by 1e-4…1e-2)
    tags = {
        "accepts_x": "continuous",
        "accepts_y": "continuous",
        "stochastic": True,
        "symmetric": False,
        "invariance": "none",
    }
    _parameter_constraints = {
        "estimator": [str, MIEstimator],
        "estimator_params": [dict, None],
        "compressor": [StrOptions(set(_COMPRESSORS))],
        "n_components_x": [Interval(Integral, 1, None, closed="left"), None],
        "n_components_y": [Interval(Integral, 1, None, closed="left"), None],
        "image_shape_x": [None, StrOptions({"auto"}), IntSequence(min_len=2, max_len=3)],
        "image_shape_y": [None, StrOptions({"auto"}), IntSequence(min_len=2, max_len=3)],
        "hidden": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: str | MIEstimator = "ksg",
        estimator_params: dict[str, Any] | None = None,
        compressor: str = "pca",
        n_components_x: int | None = None,
        n_components_y: int | None = None,
        image_shape_x: str | Sequence[int] | None = None,
        image_shape_y: str | Sequence[int] | None = None,
        hidden: int = 128,
        n_epochs: int = 60,
        batch_size: int = 128,
        lr: float = 1e-3,
        n_threads: int | None = 1,
        device: str = "cpu",
        random_state: Any = None,
    ):
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.compressor = compressor
        self.n_components_x = n_components_x
        self.n_components_y = n_components_y
        self.image_shape_x = image_shape_x
        self.image_shape_y = image_shape_y
        self.hidden = hidden
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {"n_components_x": 1, "n_components_y": 1, "estimator_params": {"k": 3}, "random_state": 0}

    @classmethod
    def bound_for(cls, params: dict[str, Any]) -> str:
        """The inner estimator's bound kind: MI of the codes is bounded as the inner estimator bounds it."""
        from ibbench.registry import get_estimator_class

        inner = params.get("estimator", "ksg")
        if isinstance(inner, MIEstimator):
            return inner.bound_for(inner.get_params(deep=False))
        return str(get_estimator_class(str(inner)).bound_for(dict(params.get("estimator_params") or {})))

    #: keyed through :meth:`identity_parts` (the inner estimator's identity, the resolved device), not as raw params
    identity_nested_params = ("estimator", "estimator_params", "device")

    def identity_parts(self) -> dict[str, Any]:
        """Nested parts of the cell key: the inner estimator's identity (name, version, non-default
        params cast to their declared types, its own parts), the compression cache's format and,
        for the autoencoder on a device other than the CPU, the resolved device.

        A registry key with ``estimator_params`` and an estimator object with the same parameters
        have the same identity."""
        from ibbench.identity import estimator_identity, registered_estimator_identity

        inner: dict[str, Any]
        try:
            if isinstance(self.estimator, str):
                inner = registered_estimator_identity(self.estimator, self.estimator_params)
            else:
                est = self.estimator
                cast = type(est).check_params(est.get_params(deep=False))
                inner = estimator_identity(_object_name(est), clone(est).set_params(**cast))
        except Exception:  # noqa: BLE001 - an invalid inner estimator fails in fit; the key stays computable
            inner = {"name": repr(self.estimator), "params": repr(self.estimator_params)}
        parts: dict[str, Any] = {"estimator": inner, "cache_format": _CACHE_FORMAT}
        device = self._param("device", "cpu")
        if self.compressor == "ae" and device != "cpu":  # torch is imported only off the default
            from ibbench.estimators.torch_utils import device_identity

            parts.update(device_identity(device))
        return parts

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Own parameters as in the base, and the inner estimator's: its name must be registered and
        ``estimator_params`` valid for it (cast to its declared types, so ``{"k": 3.0}`` and
        ``{"k": 3}`` are one cell); a bad inner value is a ``ValueError`` before any cell runs."""
        params = super().check_params(params)
        name = params.get("estimator", "ksg")
        inner_params = params.get("estimator_params")
        if isinstance(name, MIEstimator):  # an object: its own parameters must be valid
            if inner_params is not None:
                raise ValueError(
                    f"estimator {cls.name!r}: estimator_params must be None when estimator is an "
                    f"object (set the parameters on the object), got {inner_params!r}"
                )
            try:
                type(name).check_params(name.get_params(deep=False))
            except ValueError as exc:
                raise ValueError(f"estimator {cls.name!r}: inner estimator: {exc}") from exc
            return params
        from ibbench.registry import get_estimator_class

        try:
            inner_cls = get_estimator_class(name)
        except ValueError as exc:
            raise ValueError(f"estimator {cls.name!r}: inner estimator: {exc}") from exc
        if inner_params is not None and hasattr(inner_cls, "check_params"):
            try:
                params["estimator_params"] = inner_cls.check_params(dict(inner_params))
            except ValueError as exc:
                raise ValueError(f"estimator {cls.name!r}: estimator_params: {exc}") from exc
        return params

    def _param(self, name: str, default: Any) -> Any:
        """A parameter that subclasses may not expose (they then use the default)."""
        return getattr(self, name, default)

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        # parameters were validated and cast by MIEstimator.fit (check_params, inner estimator included)
        kx = _n_components(self.n_components_x, X)
        ky = _n_components(self.n_components_y, Y)
        seeds = rng.integers(0, 2**31 - 1, size=3)
        if self.compressor == "pca":
            cx, cy = _compress_side("pca", X, kx), _compress_side("pca", Y, ky)
        else:
            shape_x = _image_shape(self._param("image_shape_x", None), X.shape[1], "x")
            shape_y = _image_shape(self._param("image_shape_y", None), Y.shape[1], "y")
            cfg = dict(
                hidden=int(self._param("hidden", 128)),
                n_epochs=int(self._param("n_epochs", 60)),
                batch_size=int(self._param("batch_size", 128)),
                lr=float(self._param("lr", 1e-3)),
                n_threads=self._param("n_threads", 1),
            )
            self.device_ = "cpu"
            if self._param("device", "cpu") != "cpu":
                from ibbench.estimators.torch_utils import resolve_device

                self.device_ = str(resolve_device(self._param("device", "cpu")))
            if self.device_ != "cpu":  # in the compression cache key only off the CPU, so CPU entries keep their keys
                cfg["device"] = self.device_
            cx = _compress_side("ae", X, kx, shape=shape_x, seed=int(seeds[0]), **cfg)
            cy = _compress_side("ae", Y, ky, shape=shape_y, seed=int(seeds[1]), **cfg)
            self.history_ = {"x": cx.history, "y": cy.history}
        inner = self._inner(int(seeds[2]))
        inner.fit(cx.codes, cy.codes)
        self.estimator_ = inner
        self.n_components_x_, self.n_components_y_ = kx, ky
        self.reconstruction_error_x_, self.reconstruction_error_y_ = cx.error, cy.error
        self.compression_seconds_x_, self.compression_seconds_y_ = cx.seconds, cy.seconds
        self.cache_hit_ = cx.hit or cy.hit
        self.cached_seconds_ = sum((c.seconds for c in (cx, cy) if c.hit), 0.0)
        self.mutual_info_ = float(inner.mutual_info_)

    def _inner(self, seed: int) -> MIEstimator:
        """A fresh, unfitted inner estimator: built from the registry key and ``estimator_params``, or a
        clone of the estimator object; a stochastic one without a ``random_state`` gets ``derive_seed(seed)``."""
        if not isinstance(self.estimator, str):
            inner: MIEstimator = clone(self.estimator)
            if inner.get_tags().get("stochastic") and inner.get_params(deep=False).get("random_state", 0) is None:
                inner.set_params(random_state=derive_seed(seed))
            return inner
        from ibbench.registry import get_estimator_class

        cls = get_estimator_class(self.estimator)
        params = dict(self.estimator_params or {})
        inner = cls(**params)
        tags = cls.get_tags() if hasattr(cls, "get_tags") else {}
        if tags.get("stochastic") and "random_state" in inner.get_params() and "random_state" not in params:
            inner.set_params(random_state=derive_seed(seed))
        return inner


def _object_name(est: MIEstimator) -> str:
    """The name an estimator object is keyed under: its registry ``name``, else its class's path."""
    cls = type(est)
    return cls.name or f"{cls.__module__}.{cls.__qualname__}"


def _n_components(k: int | None, A: np.ndarray) -> int:
    """Latent dimension of a side: ``k`` (a validated positive int) capped at its dimension; None keeps it."""
    d = A.shape[1]
    return d if k is None else min(int(k), d)


def _image_shape(shape: str | Sequence[int] | None, d: int, side: str) -> tuple[int, ...] | None:
    if shape is None:
        return None
    if isinstance(shape, str):
        if shape != "auto":
            raise ValueError(f"image_shape_{side} must be None, 'auto' or (H, W) / (C, H, W), got {shape!r}")
        side_len = math.isqrt(d)
        return (1, side_len, side_len) if side_len * side_len == d and side_len >= 8 else None
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError as exc:
        raise ValueError(f"image_shape_{side} must be (H, W) or (C, H, W), got {shape!r}") from exc
    if len(shape) == 2:
        shape = (1,) + shape
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape_{side} must be (H, W) or (C, H, W) of positive ints, got {shape!r}")
    if math.prod(shape) != d:
        raise ValueError(f"image_shape_{side}={shape} has {math.prod(shape)} pixels but {side.upper()} has {d} columns")
    return shape


def _pca(A: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """PCA scores with ``k`` components and the mean absolute reconstruction error."""
    from sklearn.decomposition import PCA

    k = min(k, len(A))
    with np.errstate(invalid="ignore", divide="ignore"):  # constant side: sklearn's variance ratio is 0/0
        pca = PCA(n_components=k, svd_solver="full").fit(A)
    Z = pca.transform(A)
    err = np.mean(np.abs(pca.inverse_transform(Z) - A))
    return Z, float(err)


class _Codes(NamedTuple):
    """One side's compression: codes, reconstruction MAE, training history, compute cost, cache hit."""

    codes: np.ndarray
    error: float
    history: list[float]
    seconds: float
    hit: bool


def _compress_side(method: str, A: np.ndarray, k: int, **config: Any) -> _Codes:
    """Codes, reconstruction MAE, training history and compute cost of one side, through the on-disk cache.

    Compression is deterministic given the data and the configuration (PCA by full SVD; the
    autoencoder trained single-threaded with deterministic torch algorithms and a seeded generator),
    so the codes are cached under ``$IBBENCH_CACHE/compression`` keyed by the sha256 of the data's
    bytes and shape, the configuration and the versions of ibbench, this wrapper and the numerical
    libraries. Cells that share a sample and a compressor but differ in the inner estimator (a
    benchmark grid over estimators) then train each autoencoder once. ``IBBENCH_CACHE=off``
    disables the cache, and so does an unwritable cache directory. On the same machine a cache hit
    returns exactly what a fresh computation would (floating-point results may differ across CPUs,
    so do not share one cache directory between different hosts if bit-equality matters).

    Each entry also records the wall-clock seconds its computation took, and a hit returns that
    recorded cost with ``hit=True``, so a fit can report what it would have cost with a cold cache.
    An entry written before costs were recorded (it has no ``seconds``) counts as unusable: it is
    recomputed and rewritten in place. An entry that cannot be read (truncated or corrupt file, missing
    arrays, codes of the wrong shape) is deleted with a ``RuntimeWarning`` naming its file, then
    recomputed, so a damaged cache never fails a cell twice. The codes of such an entry are the same,
    so ``_CACHE_FORMAT`` (part of this cache's key and of the benchmark cells' keys, see :meth:`identity_parts`) stays
    unchanged: no stored cell is invalidated and no orphaned entries are left behind.
    """
    import time

    from ibbench.cache import cache_enabled

    def compute() -> _Codes:
        t0 = time.perf_counter()
        history: list[float]
        if method == "pca":
            Z, err = _pca(A, k)
            history = []
        else:
            from ibbench.estimators.torch_utils import fit_autoencoder

            Z, err, history = fit_autoencoder(A, k, **config)
        return _Codes(Z, float(err), [float(h) for h in history], time.perf_counter() - t0, False)

    n_threads = config.get("n_threads", 1)
    if not cache_enabled() or (method == "ae" and n_threads != 1):  # multi-threaded training may not repeat exactly
        return compute()
    import hashlib
    import json

    import ibbench
    from ibbench.cache import cache_root, file_lock, save_npz_atomic

    versions = {
        "numpy": np.__version__,
        "ibbench": ibbench.__version__,
        "compressed": Compressed.version,
        "cache_format": _CACHE_FORMAT,
    }
    if method == "ae":
        import torch

        versions["torch"] = torch.__version__
    else:
        import sklearn

        versions["sklearn"] = sklearn.__version__
    key = {
        "method": method,
        "k": k,
        "data_shape": list(A.shape),
        "dtype": str(A.dtype),
        "versions": versions,
        "config": {name: list(v) if isinstance(v, tuple) else v for name, v in config.items()},
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode())
    digest.update(np.ascontiguousarray(A).tobytes())
    path = cache_root() / "compression" / f"{digest.hexdigest()[:32]}.npz"
    try:
        with file_lock(path.with_suffix(".lock")):
            if path.exists():
                try:
                    with np.load(path) as z:
                        if "seconds" in z.files:  # entries without a recorded cost are recomputed below
                            codes, error, history, seconds = z["codes"], z["error"], z["history"], z["seconds"]
                            width = min(k, len(A)) if method == "pca" else k  # as _pca / fit_autoencoder return
                            if codes.shape != (len(A), width) or error.shape or seconds.shape or history.ndim != 1:
                                raise ValueError(f"codes of shape {codes.shape} for {len(A)} rows and k={k}")
                            return _Codes(codes, float(error), [float(h) for h in history], float(seconds), True)
                except Exception as exc:  # noqa: BLE001 - truncated / corrupt file, missing arrays, wrong shapes
                    import warnings

                    warnings.warn(
                        f"compression cache entry {path} is unreadable or corrupt "
                        f"({type(exc).__name__}: {exc}); deleted and recomputed",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    path.unlink(missing_ok=True)
            result = compute()
            save_npz_atomic(
                path,
                codes=result.codes,
                error=np.float64(result.error),
                history=np.asarray(result.history, dtype=np.float64),
                seconds=np.float64(result.seconds),
            )
    except OSError:  # unwritable or full cache directory: compute without the cache rather than fail the cell
        result = compute()
    return result


#: Bumped whenever the cached entries' meaning changes (invalidates old entries).
_CACHE_FORMAT = "1"


class CompressedPCA(Compressed):
    """:class:`Compressed` with ``compressor="pca"``: PCA to ``n_components_*`` dimensions per side,
    then the inner estimator (default ``ksg``) on the principal-component scores.

    Parameters
    ----------
    estimator : str or MIEstimator, default "ksg"
    estimator_params : dict or None
    n_components_x, n_components_y : int or None
    random_state : None, int or numpy Generator

    See :class:`Compressed` for the meaning of the parameters and the fitted attributes.

    References
    ----------
    I. Butakov et al., "Information bottleneck analysis of deep neural networks via lossy
    compression", ICLR 2024, §5 (PCA compression of synthetic images).
    """

    name = "compressed-pca"
    compressor = "pca"

    def __init__(
        self,
        estimator: str | MIEstimator = "ksg",
        estimator_params: dict[str, Any] | None = None,
        n_components_x: int | None = None,
        n_components_y: int | None = None,
        random_state: Any = None,
    ):
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.n_components_x = n_components_x
        self.n_components_y = n_components_y
        self.random_state = random_state


class CompressedAE(Compressed):
    """:class:`Compressed` with ``compressor="ae"``: a tanh-bottleneck autoencoder per side
    (convolutional encoder when ``image_shape_*`` is given), then the inner estimator on the codes.

    Parameters
    ----------
    estimator : str or MIEstimator, default "ksg"
    estimator_params : dict or None
    n_components_x, n_components_y : int or None
    image_shape_x, image_shape_y : sequence of int or None
    hidden : int, default 128
    n_epochs : int, default 60
    batch_size : int, default 128
    lr : float, default 1e-3
    n_threads : int or None, default 1
    random_state : None, int or numpy Generator

    See :class:`Compressed` for the meaning of the parameters and the fitted attributes.

    References
    ----------
    I. Butakov et al., "Information bottleneck analysis of deep neural networks via lossy
    compression", ICLR 2024, §5 (convolutional autoencoder with a tanh bottleneck of the intrinsic
    dimension, trained on each side's samples).
    """

    name = "compressed-ae"
    compressor = "ae"

    def __init__(
        self,
        estimator: str | MIEstimator = "ksg",
        estimator_params: dict[str, Any] | None = None,
        n_components_x: int | None = None,
        n_components_y: int | None = None,
        image_shape_x: str | Sequence[int] | None = None,
        image_shape_y: str | Sequence[int] | None = None,
        hidden: int = 128,
        n_epochs: int = 60,
        batch_size: int = 128,
        lr: float = 1e-3,
        n_threads: int | None = 1,
        device: str = "cpu",
        random_state: Any = None,
    ):
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.n_components_x = n_components_x
        self.n_components_y = n_components_y
        self.image_shape_x = image_shape_x
        self.image_shape_y = image_shape_y
        self.hidden = hidden
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {
            "n_components_x": 1,
            "n_components_y": 1,
            "estimator_params": {"k": 3},
            "hidden": 16,
            "n_epochs": 4,
            "random_state": 0,
        }
