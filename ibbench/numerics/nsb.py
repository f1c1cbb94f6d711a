"""The Nemenman–Shafee–Bialek (NSB) Bayesian entropy estimator of a vector of counts, in nats.

Notation of Nemenman, Shafee & Bialek (NIPS 2002): ``K`` bins with counts ``n_i``, ``N = Σ n_i``,
a symmetric Dirichlet prior of concentration ``β`` per bin and ``κ = Kβ``. For a fixed ``β`` the
posterior is ``Dirichlet(n_i + β)`` and its mean entropy is (Wolpert & Wolf 1995)::

    ⟨H⟩_β = ψ(N + κ + 1) − Σ_i (n_i + β) / (N + κ) · ψ(n_i + β + 1).

The a-priori expected entropy is ``ξ(β) = ψ(κ + 1) − ψ(β + 1)``; the NSB prior over
``β`` is flat in ``ξ``, ``P(β) ∝ dξ/dβ = K ψ₁(κ + 1) − ψ₁(β + 1)``, and the evidence of the
counts is ``P(n | β) = Γ(κ) / Γ(N + κ) · Π_i Γ(n_i + β) / Γ(β)``. The estimate is the
posterior mean::

    H_NSB = ∫ dβ ρ(β | n) ⟨H⟩_β / ∫ dβ ρ(β | n),    ρ(β | n) = dξ/dβ · P(n | β).

Both integrals are taken over ``t = log β`` (``dβ = β dt``) with ``scipy.integrate.tanhsinh``
(double-exponential quadrature, relative tolerance :data:`RTOL`; the trapezoidal rule on
:data:`FALLBACK_POINTS` points when it does not converge, which happens only with ~1e10 samples or
more, where rounding noise of ``log ρ`` exceeds the tolerance) on the interval where
``log ρ + t`` lies within :data:`LOG_WINDOW` of its maximum; everything is evaluated
in logs with ``gammaln`` (empty bins contribute ``Γ(β)/Γ(β) = 1`` to the evidence and only enter
``κ`` and ``⟨H⟩_β``). Counts are grouped by value (``f_m`` bins hold ``m`` samples), so one
evaluation costs O(number of distinct count values).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import tanhsinh
from scipy.special import digamma, gammaln, zeta

#: The integrand ``ρ(β | n) β`` is integrated where its log is within this of its maximum; the
#: mass left out is below ``e^-40 ≈ 4e-18`` of the total times the width of the tails in ``t``.
LOG_WINDOW = 40.0
#: Search range of ``t = log β`` (β from 2e-22 to 5e21): beyond it the evidence is flat (β → ∞, the
#: uniform distribution) or the prior vanishes (β → 0) in every case met in practice.
T_MIN, T_MAX = -50.0, 50.0
#: Relative tolerance of the two integrals, and absolute tolerance (nats) of the entropy.
RTOL, ATOL = 1e-11, 1e-13
#: Points of the trapezoidal rule used when tanh-sinh does not converge (see :func:`nsb_entropy`).
FALLBACK_POINTS = 4001


class _NSBPosterior:
    """``log ρ(β | n) + log β`` and ``⟨H⟩_β`` as functions of ``t = log β`` for fixed counts
    (``t`` a float or an array)."""

    def __init__(self, counts: np.ndarray, alphabet_size: int) -> None:
        counts = np.asarray(counts, dtype=np.int64)
        counts = counts[counts > 0]
        values, multiplicity = np.unique(counts, return_counts=True)
        self.m = values.astype(np.float64)  # distinct count values m
        self.f = multiplicity.astype(np.float64)  # f_m: bins holding m samples
        self.K = float(alphabet_size)
        self.n_empty = float(alphabet_size - counts.size)
        self.N = float(counts.sum())

    def log_weight(self, t: np.ndarray | float) -> np.ndarray:
        """``log(dξ/dβ) + log P(n | β) + log β`` (the last term is the Jacobian of ``β = e^t``)."""
        beta = np.exp(np.asarray(t, dtype=np.float64))
        observed = np.sum(self.f * _log_rising(beta[..., None], self.m), axis=-1)
        evidence = observed - _log_rising(self.K * beta, self.N)
        return np.asarray(np.log(_dxi_dbeta(beta, self.K)) + evidence + t)

    def mean_entropy(self, t: np.ndarray | float) -> np.ndarray:
        """``⟨H⟩_β``: posterior-mean entropy under ``Dirichlet(n_i + β)`` (Wolpert & Wolf 1995)."""
        beta = np.exp(np.asarray(t, dtype=np.float64))
        total = self.N + self.K * beta
        b = beta[..., None]
        observed = np.sum(self.f * (self.m + b) * digamma(self.m + b + 1.0), axis=-1)
        empty = self.n_empty * beta * digamma(beta + 1.0)
        return np.asarray(digamma(total + 1.0) - (observed + empty) / total)


#: Above this argument the differences below use asymptotic series: ``gammaln(x + m) − gammaln(x)``
#: and ``K ψ₁(Kβ + 1) − ψ₁(β + 1)`` cancel to a relative precision of ``1e-16 · x log x`` and
#: ``1e-16 · β`` when evaluated directly.
ASYMPTOTIC_FROM = 1e3


def _stirling_tail(z: np.ndarray) -> np.ndarray:
    """``1/(12z) − 1/(360z³) + 1/(1260z⁵)``: Stirling's series of ``log Γ`` after its leading terms."""
    return np.asarray(1.0 / (12.0 * z) - 1.0 / (360.0 * z**3) + 1.0 / (1260.0 * z**5))


def _log_rising(x: np.ndarray | float, m: np.ndarray | float) -> np.ndarray:
    """``log Γ(x + m) − log Γ(x)`` (log of the rising factorial), broadcast, stable for large ``x``.

    For ``x ≥`` :data:`ASYMPTOTIC_FROM` Stirling's series ``log Γ(x) = (x − ½) log x − x + ½ log 2π
    + 1/(12x) − 1/(360x³) + 1/(1260x⁵) − …`` (truncation error below 1e-24 there) gives
    ``(x − ½) log1p(m/x) + m log(x + m) − m + S(x + m) − S(x)`` without cancellation.
    """
    x, m = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    out = np.asarray(gammaln(x + m) - gammaln(x))
    big = x >= ASYMPTOTIC_FROM
    if np.any(big):
        xb, mb = x[big], m[big]
        out[big] = (
            (xb - 0.5) * np.log1p(mb / xb) + mb * np.log(xb + mb) - mb + _stirling_tail(xb + mb) - _stirling_tail(xb)
        )
    return out


def _dxi_dbeta(beta: np.ndarray, k: float) -> np.ndarray:
    """``dξ/dβ = K ψ₁(Kβ + 1) − ψ₁(β + 1)`` , stable for large ``β``.

    With ``ψ₁(x + 1) = ψ₁(x) − 1/x²`` and ``ψ₁(x) ~ 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷)``
    the leading terms cancel exactly: ``dξ/dβ ~ (1 − 1/K)/(2β²) − (1 − 1/K²)/(6β³) + (1 − 1/K⁴)/(30β⁵)
    − (1 − 1/K⁶)/(42β⁷)`` (relative truncation error below 1e-20 for ``β ≥`` :data:`ASYMPTOTIC_FROM`).
    """
    beta = np.asarray(beta, dtype=np.float64)
    direct = k * zeta(2.0, k * beta + 1.0) - zeta(2.0, beta + 1.0)  # ψ₁(x) = ζ(2, x)
    series = (
        (1.0 - 1.0 / k) / (2.0 * beta**2)
        - (1.0 - 1.0 / k**2) / (6.0 * beta**3)
        + (1.0 - 1.0 / k**4) / (30.0 * beta**5)
        - (1.0 - 1.0 / k**6) / (42.0 * beta**7)
    )
    return np.asarray(np.where(beta < ASYMPTOTIC_FROM, direct, series))


def nsb_entropy(counts: np.ndarray, alphabet_size: int | None = None) -> float:
    """NSB posterior-mean entropy (nats) of ``counts`` over an alphabet of ``alphabet_size`` symbols.

    Parameters
    ----------
    counts : array of int
        Occurrences of each symbol (zeros allowed; they count as empty bins only through
        ``alphabet_size``).
    alphabet_size : int, optional
        ``K``, the number of possible symbols, at least the number of non-zero counts; default
        (None) the number of non-zero counts.

    Returns
    -------
    float
        ``H_NSB``; exactly 0 when ``K = 1`` (then ``ξ ≡ 0`` and no prior exists).

    Raises
    ------
    ValueError
        ``alphabet_size`` below the number of observed symbols, or no samples.
    """
    counts = np.asarray(counts)
    observed = int(np.count_nonzero(counts))
    if observed == 0:
        raise ValueError("NSB entropy needs at least one sample")
    k = observed if alphabet_size is None else int(alphabet_size)
    if k < observed:
        raise ValueError(f"alphabet_size={k} is smaller than the {observed} distinct symbols observed")
    if k == 1:
        return 0.0
    post = _NSBPosterior(counts, k)
    a, b, peak = _integration_window(post)

    def weight(t: np.ndarray) -> np.ndarray:
        return np.exp(post.log_weight(t) - peak)

    def weighted_entropy(t: np.ndarray) -> np.ndarray:
        return weight(t) * post.mean_entropy(t)

    # double-exponential (tanh-sinh) quadrature, vectorised over the nodes, with error control; the
    # entropy integral also stops at ATOL nats (relative to the normalisation), for entropies near 0
    norm = tanhsinh(weight, a, b, rtol=RTOL)
    weighted = tanhsinh(weighted_entropy, a, b, rtol=RTOL, atol=ATOL * float(norm.integral))
    if norm.status == 0 and weighted.status == 0:
        return float(weighted.integral / norm.integral)
    # not converged: with ~1e10 samples or more, log ρ carries rounding noise of 1e-16 · N log N
    # (a difference of log-gamma sums of that size), which an error-controlled rule cannot resolve;
    # the trapezoidal rule on a fine grid of the window averages it out
    grid = np.linspace(a, b, FALLBACK_POINTS)
    w = weight(grid)
    return float(np.trapezoid(w * post.mean_entropy(grid), grid) / np.trapezoid(w, grid))


def _integration_window(post: _NSBPosterior) -> tuple[float, float, float]:
    """``(a, b, peak)``: the largest value ``peak`` of ``log ρ + t`` on a grid of ``t = log β``
    (spacing 0.25) and the grid points just outside the outermost ones within :data:`LOG_WINDOW` of it."""
    grid = np.linspace(T_MIN, T_MAX, 401)
    values = post.log_weight(grid)
    peak = float(np.max(values))
    inside = np.flatnonzero(values >= peak - LOG_WINDOW)
    first, last = max(int(inside[0]) - 1, 0), min(int(inside[-1]) + 1, len(grid) - 1)
    return float(grid[first]), float(grid[last]), peak
