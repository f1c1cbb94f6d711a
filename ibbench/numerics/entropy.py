"""Plug-in (maximum-likelihood) entropies of discrete symbols, in nats.

Rows of an array are treated as symbols. Rows are mapped to integer codes with a contiguous
bytes view, which is much faster than ``np.unique(axis=0)``. Besides the plug-in entropy, the
bias-corrected Chao–Shen entropy of a count vector (:func:`chao_shen_entropy`); the NSB entropy is
in :mod:`ibbench.numerics.nsb`.
"""

from __future__ import annotations

import numpy as np


def row_codes(A: np.ndarray) -> np.ndarray:
    """Integer code per row of a 2-D array: equal rows get equal codes (codes are 0..k-1)."""
    A = np.ascontiguousarray(A)
    if A.ndim == 1:
        A = A[:, None]
    if A.dtype.kind in "iu" and A.size:
        packed = _mixed_radix(A)
        if packed is not None:  # one int64 per row: a table lookup or a numeric sort, not a byte sort
            span = int(packed.max()) + 1
            if span <= 8 * len(packed) + 1024:  # same codes as np.unique's inverse, in O(n + span)
                present = np.bincount(packed, minlength=span) > 0
                return (np.cumsum(present) - 1)[packed]
            _, codes = np.unique(packed, return_inverse=True)
            return codes.ravel()
    if A.dtype.kind == "f":
        A = A + 0.0  # fold -0.0 into +0.0 so the byte view compares values, not bit patterns
    if A.shape[1] == 1:
        _, codes = np.unique(A[:, 0], return_inverse=True)
        return codes.ravel()
    view = A.view(np.dtype((np.void, A.dtype.itemsize * A.shape[1]))).ravel()
    _, codes = np.unique(view, return_inverse=True)
    return codes.ravel()


def _mixed_radix(A: np.ndarray) -> np.ndarray | None:
    """Rows of an integer array as one int64 each (``Σ_j (a_j − min_j) · Π_{l<j} span_l``), or None
    when the product of the column spans does not fit in 62 bits."""
    lo = A.min(axis=0)
    spans = [int(hi) - int(low) + 1 for low, hi in zip(lo, A.max(axis=0))]
    if np.prod([float(x) for x in spans]) >= 2.0**62:
        return None
    packed = np.zeros(len(A), dtype=np.int64)
    mult = 1
    for j, span in enumerate(spans):
        packed += (A[:, j].astype(np.int64) - np.int64(lo[j])) * np.int64(mult)
        mult *= span
    return packed


def counts_entropy(counts: np.ndarray) -> float:
    """Plug-in entropy ``-sum p log p`` (nats) of a vector of counts."""
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    total = counts.sum()
    if total <= 0:
        return 0.0
    p = counts / total
    return float(-np.sum(p * np.log(p)))


def plugin_entropy(codes: np.ndarray, miller_madow: bool = False) -> float:
    """Plug-in entropy (nats) of integer symbol codes, optionally with the Miller–Madow correction.

    The Miller–Madow correction adds ``(K - 1) / (2 n)`` where ``K`` is the number of observed
    symbols (Miller 1955).
    """
    counts = np.bincount(np.asarray(codes, dtype=np.int64))
    h = counts_entropy(counts)
    if miller_madow:
        k = int(np.count_nonzero(counts))
        h += (k - 1) / (2.0 * counts.sum())
    return h


def plugin_mutual_info(cx: np.ndarray, cy: np.ndarray, miller_madow: bool = False) -> tuple[float, float, float]:
    """Plug-in ``(H(X), H(Y), H(X,Y))`` in nats from integer codes of both sides."""
    cx = np.asarray(cx, dtype=np.int64)
    cy = np.asarray(cy, dtype=np.int64)
    hx = plugin_entropy(cx, miller_madow)
    hy = plugin_entropy(cy, miller_madow)
    kx, ky = int(cx.max()) + 1, int(cy.max()) + 1
    if kx * ky < 2**62:  # joint symbol as one integer: bincount (small tables) or a numeric sort
        joint = cx * ky + cy
        counts = np.bincount(joint) if kx * ky <= 8 * len(joint) + 1024 else np.unique(joint, return_counts=True)[1]
        hxy = counts_entropy(counts)
        if miller_madow:
            hxy += (int(np.count_nonzero(counts)) - 1) / (2.0 * len(joint))
    else:
        hxy = plugin_entropy(row_codes(np.column_stack([cx, cy])), miller_madow)
    return hx, hy, hxy


def symbol_counts(cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occurrences of each observed symbol of X, of Y and of the pairs ``(x, y)`` (no zeros).

    ``cx``, ``cy`` are integer codes ``0…k−1`` of the rows (:func:`row_codes`).
    """
    cx = np.asarray(cx, dtype=np.int64)
    cy = np.asarray(cy, dtype=np.int64)
    counts_x, counts_y = np.bincount(cx), np.bincount(cy)
    joint = row_codes(np.column_stack([cx, cy]))
    counts_xy = np.bincount(joint)
    return counts_x[counts_x > 0], counts_y[counts_y > 0], counts_xy


def chao_shen_entropy(counts: np.ndarray) -> float:
    """Chao–Shen coverage-adjusted entropy (nats) of a vector of counts.

    Good–Turing sample coverage ``C = 1 − f1 / n`` (``f1`` singletons among ``n`` samples),
    coverage-adjusted probabilities ``p_C = C · n_i / n`` and the Horvitz–Thompson sum over the
    observed symbols ``H = −Σ p_C log p_C / (1 − (1 − p_C)^n)``, where ``1 − (1 − p_C)^n`` is the
    probability that symbol ``i`` appears in a sample of size ``n`` (Chao & Shen 2003). When every
    sample is a singleton (``f1 = n``, coverage 0) ``f1 = n − 1`` is used, so ``C = 1/n`` (the usual
    fix, as in Hausser & Strimmer's R package ``entropy``).

    References
    ----------
    A. Chao, T.-J. Shen, "Nonparametric estimation of Shannon's index of diversity when there are
    unseen species in sample", Environmental and Ecological Statistics 10, 429–443 (2003).
    J. Hausser, K. Strimmer, "Entropy inference and the James–Stein estimator", JMLR 10 (2009).
    """
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    n = counts.sum()
    if n <= 0:
        return 0.0
    singletons = float(np.count_nonzero(counts == 1))
    if singletons == n:
        singletons = n - 1.0  # all singletons: coverage 1/n instead of 0
    p = (1.0 - singletons / n) * counts / n
    with np.errstate(divide="ignore"):  # p = 1 (one symbol): log1p(-1) = -inf, inclusion 1
        inclusion = -np.expm1(n * np.log1p(-p))  # 1 − (1 − p)^n without cancellation for small p
    return float(-np.sum(p * np.log(p) / inclusion))
