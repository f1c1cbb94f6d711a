"""``I(X;T)`` and ``I(T;Y)`` of one captured layer: exact counts, estimates with uncertainty, remedies, flags.

**What is measured.** For a deterministic network on ``N`` inputs with X uniform over them, a layer
``T = f(X)`` has ``I(X;T) = H(T)``. With continuous activations almost every layer is injective on
the inputs, and then ``I(X;T) = H(X)`` (``log N`` for distinct inputs) at every epoch whatever the
weights: an estimate of ``I(X;T)`` measures the estimator's bias, not compression (Saxe et al.
2018; Lorenzen et al. 2022, Sec. 1). :func:`injective` detects this. The accepted remedies, offered
as options, give ``I(X;T)`` a meaning:

* ``quantize=bits``: the layer's values are binned into ``2**bits`` levels over its range at that
  epoch (:func:`quantize`), and the MI of the binned layer is counted exactly;
* ``noise=sigma``: ``T + Z`` with ``Z ~ N(0, σ² I)`` drawn from a seeded generator
  (:func:`add_noise`); ``I(X; T + Z)`` is finite and set by ``σ``, and the estimator measures it.

**Uncertainty.** The exact count over the given inputs has none (``stderr = 0``). An estimate
carries the estimator's ``stderr_`` / ``ci_`` (:mod:`ibbench.uncertainty`), a subsampling interval
when the estimator has none (Politis & Romano 1994), or, with ``repeats > 1``, the spread of
repeated fits over estimator seeds and noise draws.

**Ceilings.** Some estimators cannot exceed a known value (:data:`CEILINGS`): an estimate within
the table's margin of it is flagged, because the truth may be anywhere above.

References
----------
A. M. Saxe et al., "On the information bottleneck theory of deep learning", ICLR 2018, Sec. 2.
S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized) Neural
Networks", ICLR 2022, Sec. 3, eqs. (3)–(4).
D. McAllester, K. Stratos, "Formal limitations on the measurement of mutual information", AISTATS
2020 (no distribution-free lower bound exceeds ``O(log n)``).
B. Poole et al., "On variational bounds of mutual information", ICML 2019, Sec. 2.3 (InfoNCE ≤ log batch).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ibbench.information_plane.choose import Choice
from ibbench.numerics.entropy import counts_entropy, row_codes
from ibbench.numerics.random import derive_seed

#: Known ceilings: ``(estimator names, ceiling, margin in nats, why)``. ``"log n"``: sample size;
#: ``"log batch"``: ``log min(batch_size, n)``. An estimate within ``margin`` of the ceiling is flagged.
CEILINGS: tuple[tuple[tuple[str, ...], str, float, str], ...] = (
    (
        ("exact", "binning", "binning-adaptive", "chao-shen", "nsb", "bmi-histogram"),
        "log n",
        1e-9,
        "a count over n samples cannot exceed log n (reached when T is injective on them)",
    ),
    (
        ("ksg", "ksg-lnc", "kl", "wkl", "mixed-ksg", "sklearn-mi", "bmi-ksg"),
        "log n",
        0.5,
        "k-NN estimates saturate near log n (McAllester & Stratos 2020)",
    ),
    (("infonce", "bmi-infonce"), "log batch", 1.0, "InfoNCE cannot exceed log of its batch (Poole et al. 2019)"),
)
#: Half-samples of the subsampling interval used when an estimator has no ``stderr_`` (``uncertainty="auto"``):
#: five fits on n/2 rows cost about 2.5 plain fits (the default of ``resample_interval`` costs 5).
FALLBACK_REPLICATES = 5
#: Compression wrappers: the ceiling is their inner estimator's.
WRAPPERS = ("compressed-pca", "compressed-ae")


def ceiling_of(name: str, params: dict[str, Any], n: int) -> tuple[float, float, str] | None:
    """``(ceiling, margin, why)`` of estimator ``name`` with ``params`` on ``n`` samples, or None if none is known."""
    if name in WRAPPERS:
        inner = params.get("estimator", "ksg")
        return ceiling_of(inner, params.get("estimator_params") or {}, n) if isinstance(inner, str) else None
    for names, kind, margin, why in CEILINGS:
        if name in names:
            size = n if kind == "log n" else min(int(params.get("batch_size", 512)), n)
            return math.log(size), margin, f"{kind} = {math.log(size):.3g} nats: {why}"
    return None


def entropy(codes: np.ndarray) -> float:
    """Plug-in entropy (nats) of the rows of ``codes`` (each distinct row a symbol)."""
    return counts_entropy(np.bincount(row_codes(np.asarray(codes))))


def exact_information(t_codes: np.ndarray, labels: np.ndarray | None) -> tuple[float, float | None]:
    """``(I(X;T), I(T;Y))`` in nats of a layer's integer codes over the inputs (X uniform over them).

    ``I(X;T) = H(T)`` because ``T`` is a function of ``X``; ``I(T;Y) = H(T) + H(Y) − H(T, Y)`` by
    counting when ``labels`` are given (None otherwise). Lorenzen et al. (2022), eqs. (3)–(4).
    """
    h_t = entropy(t_codes)
    if labels is None:
        return h_t, None
    labels = np.asarray(labels).reshape(len(labels), -1)
    h_ty = entropy(np.hstack([row_codes(t_codes)[:, None], row_codes(labels)[:, None]]))
    return h_t, max(h_t + entropy(labels) - h_ty, 0.0)


def quantize(t: np.ndarray, bits: int) -> np.ndarray:
    """Integer codes ``0 … 2**bits − 1`` of ``t`` on ``2**bits`` evenly spaced levels over ``[min t, max t]``.

    One range for the whole layer (all units), as the quantized layers of Lorenzen et al. (2022),
    Sec. 3, here taken from the values at hand; a constant layer gets code 0.
    """
    lo, hi = float(np.min(t)), float(np.max(t))
    levels = 2 ** int(bits) - 1
    if hi <= lo:
        return np.zeros(t.shape, dtype=np.int64)
    return np.rint((t - lo) * (levels / (hi - lo))).astype(np.int64)


def add_noise(t: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``t + σ Z`` with ``Z`` standard normal from ``numpy.random.default_rng(seed)``."""
    return t + sigma * np.random.default_rng(seed).standard_normal(t.shape)


def injective(x: np.ndarray, t: np.ndarray) -> bool:
    """Whether ``t`` separates every pair of distinct input rows (as many distinct rows in ``t`` as in ``x``)."""
    return int(row_codes(t).max()) == int(row_codes(x).max())


def _build(estimator: Any, choice: Choice, seed: int) -> Any:
    from sklearn.base import clone

    from ibbench.base import MIEstimator
    from ibbench.registry import get_estimator_class

    if isinstance(estimator, MIEstimator):
        est = clone(estimator)
    else:
        est = get_estimator_class(choice.estimator)(**choice.params)
    if "random_state" in est.get_params(deep=False) and est.get_params(deep=False)["random_state"] is None:
        est.set_params(random_state=seed)
    return est


def estimate(
    choice: Choice,
    a: np.ndarray,
    b: np.ndarray,
    *,
    estimator: Any,
    seeds: list[int],
    noise: float | None,
    noise_seeds: list[int],
    resampling: str | None = None,
) -> dict[str, Any]:
    """One estimated point: the estimator of ``choice`` on ``(a, b)``, repeated once per seed.

    With noise the T side (``b`` for ``"xt"``, ``a`` for ``"ty"``) gets a fresh draw per repeat.
    ``resampling`` (``"subsampling"`` or ``"jackknife"``, one seed only) replaces the estimator's own
    interval by :func:`ibbench.uncertainty.resample_interval`'s; ``"auto"`` keeps the estimator's
    own and falls back to subsampling with :data:`FALLBACK_REPLICATES` half-samples when it has none.
    Returns ``mi``, ``stderr``, ``ci_low``, ``ci_high``, ``uncertainty`` (``"estimator"``,
    ``"repeats"``, the resampling method or ``"none"``), ``seconds`` (per fit) and the compression
    wrappers' reconstruction errors.
    """
    from ibbench.uncertainty import Z95, resample_interval

    values, fits = [], []
    start = time.perf_counter()
    for seed, noise_seed in zip(seeds, noise_seeds, strict=True):
        aa, bb = a, b
        if noise is not None:
            if choice.side == "xt":
                bb = add_noise(b, noise, noise_seed)
            else:
                aa = add_noise(a, noise, noise_seed)
        est = _build(estimator, choice, seed).fit(aa, bb)
        values.append(float(est.mutual_info_))
        fits.append(est)
    seconds = (time.perf_counter() - start) / len(seeds)
    first = fits[0]
    own = float(getattr(first, "stderr_", math.nan))
    if resampling == "auto" and len(values) == 1 and not math.isfinite(own):
        resampling, replicates = "subsampling", FALLBACK_REPLICATES
    else:
        replicates = None
    if resampling in ("subsampling", "jackknife"):
        res = resample_interval(
            _build(estimator, choice, seeds[0]),
            aa,
            bb,
            resampling,
            n_replicates=replicates,
            random_state=seeds[0],
            estimate=values[0],
        )
        mi, stderr, ci, source = values[0], res.stderr, res.ci, resampling
    elif len(values) > 1:
        mi = float(np.mean(values))
        stderr = float(np.std(values, ddof=1) / math.sqrt(len(values)))
        ci, source = (mi - Z95 * stderr, mi + Z95 * stderr), "repeats"
    else:
        mi, stderr = values[0], own
        ci = tuple(getattr(first, "ci_", (math.nan, math.nan)))
        source = "estimator" if math.isfinite(stderr) else "none"
    return {
        "mi": mi,
        "stderr": stderr,
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
        "uncertainty": source,
        "seconds": seconds,
        "reconstruction_error_x": float(getattr(first, "reconstruction_error_x_", math.nan)),
        "reconstruction_error_y": float(getattr(first, "reconstruction_error_y_", math.nan)),
    }


def point_seeds(base: int, layer: int, epoch: int, repeats: int) -> tuple[list[int], list[list[int]]]:
    """Seeds of one (layer, epoch): per repeat the noise seed (shared by both sides, one draw of T + Z)
    and per side (``xt``, ``ty``) the estimator seeds."""
    noise = [derive_seed(base, layer, epoch, r, 0) for r in range(repeats)]
    est = [[derive_seed(base, layer, epoch, r, 1 + side) for r in range(repeats)] for side in range(2)]
    return noise, est


def injective_warning(layer: str, hit: list[int], total: int, n: int, h_x: float) -> str:
    """The item-3 warning for ``layer``, injective at the epochs ``hit`` of ``total``."""
    return (
        f"layer {layer}: T is a deterministic, injective function of the {n} inputs at {len(hit)} of {total} "
        f"epochs (first {hit[0]}), so there I(X;T) = H(X) = {h_x:.4g} nats whatever the weights (log N = "
        f"{math.log(n):.4g} for N distinct inputs): the estimates of I(X;T) measure the estimator's bias, "
        "not compression (Saxe et al. 2018; Lorenzen et al. 2022). Remedies: quantize=bits (exact MI of the "
        "binned layer) or noise=sigma (I(X;T+Z) is then finite and defined by the noise scale)."
    )
