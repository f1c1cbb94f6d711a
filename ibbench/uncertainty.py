"""Uncertainty of an MI estimate: analytic standard errors and resampling intervals.

Every fitted estimator carries ``stderr_`` (float) and ``ci_`` (95% interval ``(low, high)``).
:meth:`ibbench.base.MIEstimator.fit` calls :func:`complete_uncertainty` after ``_fit``: an
estimator that set ``stderr_`` from theory gets the normal interval ``estimate ± z·stderr_``
(:func:`normal_interval`); one that set neither gets ``nan`` / ``(nan, nan)``.

Analytic standard errors, all of the form ``sd(ψ_i) / sqrt(n)`` with ``ψ_i`` the estimated
influence function of the estimate at row ``i`` (the nonparametric delta method; van der Vaart,
*Asymptotic Statistics*, 1998, Ch. 20):

* plug-in MI of discrete symbols (:func:`plugin_mi_stderr`): ``ψ_i = log p̂(x_i, y_i) / (p̂(x_i)
  p̂(y_i))``, the pointwise MI (Basharin 1959 for the entropy; Paninski 2003, Sec. 4, for the
  delta-method variance of plug-in information estimates);
* Gaussian MI ``−½ log det R + ½ log det R_xx + ½ log det R_yy`` (:func:`gaussian_mi_stderr`):
  ``ψ_i = ½ (x_iᵀ S_xx⁻¹ x_i + y_iᵀ S_yy⁻¹ y_i − z_iᵀ S⁻¹ z_i)`` of the centred rows (the influence
  function of ``log det S`` is ``zᵀ S⁻¹ z − d``);
* the mean of per-batch values (:func:`batch_mean_stderr`), for neural bounds evaluated on held-out
  mini-batches.

Resampling on request (:func:`resample_interval`): **subsampling** (Politis & Romano 1994) refits
the estimator on ``B`` subsamples of ``b`` rows drawn without replacement (by default half-samples,
:func:`default_subsample_size`) and rescales their spread by the rate ``sqrt(n)``. The naive
bootstrap is not used: resampling with replacement duplicates rows, which puts zero distances into
k-NN and kernel estimators and biases every replicate. The **jackknife** (delete-a-group, Tukey
1958) is offered for smooth estimators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ibbench.base import MIEstimator

#: Standard normal quantile of the two-sided 95% interval.
Z95 = 1.959963984540054
#: Resampling methods of :func:`resample_interval`.
METHODS = ("subsampling", "jackknife")
#: Version of the resampling code: part of the identity of a cell that requests resampling.
RESAMPLING_VERSION = "1"
#: Default cost bound: the replicates of :func:`resample_interval` cost at most this many plain fits.
COST_FACTOR = 5.0
#: Groups of the delete-a-group jackknife (each fit on ``(G−1)/G`` of the rows: ``G`` fits cost at most
#: ``G`` plain fits).
JACKKNIFE_GROUPS = 5


def normal_quantile(level: float) -> float:
    """``z`` with ``P(|N(0,1)| ≤ z) = level``."""
    from scipy.stats import norm

    _check_level(level)
    return float(norm.ppf(0.5 + level / 2.0))


def _check_level(level: float) -> None:
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")


def normal_interval(estimate: float, stderr: float, level: float = 0.95) -> tuple[float, float]:
    """``estimate ± z·stderr`` (``z`` the two-sided normal quantile of ``level``); NaNs when ``stderr`` is NaN."""
    z = Z95 if level == 0.95 else normal_quantile(level)
    if not math.isfinite(stderr) or not math.isfinite(estimate):
        return (math.nan, math.nan)
    return (float(estimate - z * stderr), float(estimate + z * stderr))


def clear_uncertainty(est: Any) -> None:
    """Remove ``stderr_`` and ``ci_`` of an earlier fit (called by ``fit`` before ``_fit``)."""
    for attr in ("stderr_", "ci_"):
        est.__dict__.pop(attr, None)


def complete_uncertainty(est: Any) -> None:
    """Give a fitted estimator ``stderr_`` and ``ci_`` when its ``_fit`` did not set them.

    No ``stderr_``: ``stderr_ = nan`` (none available). ``stderr_`` but no ``ci_``: the 95% normal
    interval around ``mutual_info_``. An estimator that set both keeps them.
    """
    stderr = getattr(est, "stderr_", None)
    stderr = math.nan if stderr is None else float(stderr)
    est.stderr_ = stderr
    if getattr(est, "ci_", None) is None:
        est.ci_ = normal_interval(float(est.mutual_info_), stderr)


def batch_mean_stderr(values: Any) -> float:
    """Standard error ``sd(v) / sqrt(m)`` of the mean of ``m`` per-batch values (NaN for ``m < 2``).

    For an estimate averaged over ``m`` disjoint batches of held-out rows (batch means: the batch
    values are independent given the fitted model, so their mean has variance ``Var(v)/m``).
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return math.nan
    return float(np.std(v, ddof=1) / math.sqrt(v.size))


def plugin_mi_stderr(codes_x: np.ndarray, codes_y: np.ndarray) -> float:
    """Delta-method standard error of the plug-in MI of integer symbol codes ``codes_x``, ``codes_y``.

    ``I = Σ p log p/(p_x p_y)`` is a smooth function of the cell probabilities; its first-order
    (delta-method) variance is ``Var(log p(X,Y) / (p(X) p(Y))) / n`` — the influence function of
    ``I`` is the pointwise MI minus ``I``, the derivative terms of the marginals summing to a
    constant. Estimated with the empirical probabilities. The MI counterpart of Basharin's (1959)
    entropy variance ``(Σ p log² p − H²)/n``; Paninski (2003), Sec. 4. Degenerate at independence
    (the pointwise MI is then 0 to first order and the error is of order ``1/n``, not ``1/sqrt(n)``).

    References
    ----------
    G. P. Basharin, "On a statistical estimate for the entropy of a sequence of independent random
    variables", Theory Probab. Appl. 4, 333–336 (1959).
    L. Paninski, "Estimation of entropy and mutual information", Neural Computation 15, 1191–1253 (2003).
    """
    cx, cy = np.asarray(codes_x, dtype=np.int64), np.asarray(codes_y, dtype=np.int64)
    n = len(cx)
    if n < 2:
        return math.nan
    count_x, count_y = np.bincount(cx)[cx], np.bincount(cy)[cy]
    _, joint = np.unique(cx * (int(cy.max()) + 1) + cy, return_inverse=True)
    count_xy = np.bincount(joint.ravel())[joint.ravel()]
    pointwise = np.log(count_xy * float(n) / (count_x.astype(float) * count_y))
    return float(np.std(pointwise, ddof=1) / math.sqrt(n))


def gaussian_mi_stderr(X: np.ndarray, Y: np.ndarray, ridge: float = 0.0) -> float:
    """Delta-method standard error of the Gaussian MI ``½ log det R_xx + ½ log det R_yy − ½ log det R``.

    The influence function of ``log det S`` (``S`` a covariance) at a centred row ``z`` is
    ``zᵀ S⁻¹ z − d`` (``d log det S = tr(S⁻¹ dS)``), so that of the Gaussian MI is
    ``ψ(z) = ½ (xᵀ S_xx⁻¹ x + yᵀ S_yy⁻¹ y − zᵀ S⁻¹ z)`` up to a constant (``d_x + d_y − d = 0``); the
    standard error is ``sd(ψ_i)/sqrt(n)``. It needs no Gaussianity (it is the sandwich variance of the
    functional); for Gaussian data it tends to ``sqrt(Σ ρ_i² / n)`` over the canonical correlations
    (for one pair the classical ``Var(r) ≈ (1 − ρ²)²/n`` through ``d/dr [−½ log(1 − r²)] = r/(1 − r²)``).
    Correlation matrices are used (the MI is scale-free); with ``ridge > 0`` the ridged matrices,
    which ignores the randomness of the standardisation (approximate).

    References
    ----------
    T. W. Anderson, *An Introduction to Multivariate Statistical Analysis*, 3rd ed. (2003), Sec. 12.4
    (asymptotic distribution of the canonical correlations). A. W. van der Vaart, *Asymptotic
    Statistics* (1998), Ch. 20 (influence functions and the delta method).
    """
    Z = np.column_stack([X, Y])
    n, dx = len(Z), X.shape[1]
    if n < 3:
        return math.nan
    Z = Z - Z.mean(axis=0)
    Z = Z / Z.std(axis=0, ddof=1)
    corr = (Z.T @ Z) / (n - 1) + ridge * np.eye(Z.shape[1])

    def quadratic(A: np.ndarray, C: np.ndarray) -> np.ndarray:
        w = np.linalg.solve(np.linalg.cholesky(C), A.T)  # rows of A whitened by C
        return np.sum(w**2, axis=0)

    psi = 0.5 * (quadratic(Z[:, :dx], corr[:dx, :dx]) + quadratic(Z[:, dx:], corr[dx:, dx:]) - quadratic(Z, corr))
    return float(np.std(psi, ddof=1) / math.sqrt(n))


# ------------------------------------------------------------------------------------- resampling
@dataclass
class ResampleResult:
    """An estimate with a resampling interval (from :func:`resample_interval`).

    Attributes
    ----------
    estimate : float
        The estimate on all ``n`` rows.
    stderr : float
        Standard error of ``estimate`` from the replicates (see :func:`resample_interval`).
    ci : tuple of float
        The interval at ``level``.
    level : float
    method : str
        ``"subsampling"`` or ``"jackknife"``.
    replicates : ndarray
        The estimates of the ``B`` refits (subsamples, or leave-one-group-out fits).
    n : int
        Rows of the full sample.
    subsample_size : int
        Rows of each refit (``b`` for subsampling, ``n − n/G`` for the jackknife).
    """

    estimate: float
    stderr: float
    ci: tuple[float, float]
    level: float
    method: str
    replicates: np.ndarray = field(repr=False)
    n: int
    subsample_size: int

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The interval at another ``level`` from the same replicates."""
        return resampled_interval(self.method, self.estimate, self.replicates, self.n, self.subsample_size, level)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what a benchmark cell stores in its ``extra``)."""
        return {
            "method": self.method,
            "stderr": self.stderr,
            "ci_low": self.ci[0],
            "ci_high": self.ci[1],
            "level": self.level,
            "n": self.n,
            "subsample_size": self.subsample_size,
            "replicates": [float(v) for v in self.replicates],
        }


def resampled_stderr(method: str, replicates: Any, n: int, subsample_size: int) -> float:
    """Standard error of the full-sample estimate from the replicate estimates.

    ``subsampling``: ``sqrt(b / (n − b)) · sd(θ̂_b)``. The rate ``sqrt(n)`` of Politis & Romano turns
    the spread of the size-``b`` estimates into that of the size-``n`` one (factor ``sqrt(b/n)``);
    the extra ``1/sqrt(1 − b/n)`` corrects for drawing without replacement from the sample (the
    finite-population factor; with it this is the delete-``d`` jackknife variance of Shao & Wu 1989,
    ``d = n − b``). ``jackknife`` (``G`` groups): ``sqrt((G − 1)/G · Σ (θ̂_(g) − θ̄)²)``.
    """
    reps = np.asarray(replicates, dtype=float)
    if reps.size < 2 or not np.all(np.isfinite(reps)):
        return math.nan
    if method == "subsampling":
        return float(math.sqrt(subsample_size / (n - subsample_size)) * np.std(reps, ddof=1))
    if method == "jackknife":
        g = reps.size
        return float(math.sqrt((g - 1) / g * np.sum((reps - reps.mean()) ** 2)))
    raise ValueError(f"unknown resampling method {method!r}; known: {', '.join(METHODS)}")


def resampled_interval(
    method: str, estimate: float, replicates: Any, n: int, subsample_size: int, level: float = 0.95
) -> tuple[float, float]:
    """The interval at ``level`` from stored replicates (what a cell stores suffices).

    ``estimate ± q·stderr`` (:func:`resampled_stderr`) with ``q`` the Student ``t_{B−1}`` quantile of
    ``B`` replicates (the standard error rests on ``B − 1`` degrees of freedom; about 10 by default). The
    symmetric interval is used rather than the quantiles of the subsampling distribution: with ten
    replicates there are no tail quantiles to speak of.
    """
    _check_level(level)
    stderr = resampled_stderr(method, replicates, n, subsample_size)
    if not math.isfinite(stderr):
        return (math.nan, math.nan)
    from scipy.stats import t

    q = float(t.ppf(0.5 + level / 2.0, len(replicates) - 1))
    return (float(estimate - q * stderr), float(estimate + q * stderr))


def uncertainty_identity(method: str | None) -> dict[str, str] | None:
    """The cell-identity entry of a requested resampling ``method`` (None when none is requested).

    ``ValueError`` for a method not in :data:`METHODS`.
    """
    if method is None:
        return None
    if method not in METHODS:
        raise ValueError(f"unknown uncertainty method {method!r}; known: {', '.join(METHODS)}")
    return {"method": method, "version": RESAMPLING_VERSION}


def default_subsample_size(n: int) -> int:
    """``b = ⌊n/2⌋`` (half-sampling: the delete-``n/2`` jackknife of Shao & Wu 1989, consistent for
    asymptotically normal estimators).

    Chosen over the ``b = n^{2/3}`` of the asymptotic theory (``b/n → 0``, needed only for
    non-normal limits) because the ``sqrt(n)`` rescaling assumes the variance scales as ``1/n`` between
    ``b`` and ``n``, which k-NN estimators do not do at small ``b``. Measured for KSG (k = 3, 1+1 Gaussian,
    I = 0.5, n = 1000, 50–100 seeds): with ``b = 100`` the stderr averaged 0.032 against a seed-to-seed sd of
    0.040 (95% coverage 0.90); with ``b = 500`` 0.036 against 0.037 (coverage 0.95). Pass
    ``subsample_size`` for another choice."""
    return n // 2


def fit_cost(size: int, model: str) -> float:
    """Relative cost of one fit on ``size`` rows under a ``fit_cost`` tag: ``"n log n"`` or ``"fixed"``."""
    if model == "fixed":
        return 1.0
    if model == "n log n":
        return size * math.log(max(size, 2))
    raise ValueError(f"unknown fit_cost tag {model!r}; use 'n log n' or 'fixed'")


def default_replicates(n: int, subsample_size: int, cost_model: str = "n log n") -> int:
    """Most subsamples whose refits cost at most :data:`COST_FACTOR` plain fits: ``⌊5 c(n) / c(b)⌋``.

    ``c`` is the estimator's cost model (tag ``fit_cost``): ``n log n`` (k-NN trees, sorting) gives
    11 half-samples at ``n = 1000`` and 10 at ``n = 10⁴``; ``"fixed"`` (a neural fit of a fixed number of
    steps, whatever ``n``) gives 5. At least 2. Fixed costs per fit (thread start-up, validation) are not
    in the model: an estimator dominated by them costs ``B`` plain fits instead.
    """
    ratio = COST_FACTOR * fit_cost(n, cost_model) / fit_cost(subsample_size, cost_model)
    return max(2, int(ratio + 1e-9))  # 1e-9: an exact ratio is not rounded down


def _replicate_estimator(estimator: MIEstimator, rng: np.random.Generator, keep_seed: bool = False) -> MIEstimator:
    """A clone of ``estimator`` whose ``random_state`` (if any) is drawn from ``rng`` (with ``keep_seed``:
    only when the estimator's own is None)."""
    from sklearn.base import clone

    est = clone(estimator)
    params = est.get_params(deep=False)
    if "random_state" in params and not (keep_seed and params["random_state"] is not None):
        est.set_params(random_state=int(rng.integers(2**63 - 1)))
    return est


def resample_interval(
    estimator: MIEstimator,
    X: Any,
    Y: Any,
    method: str = "subsampling",
    n_replicates: int | None = None,
    level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    *,
    subsample_size: int | None = None,
    estimate: float | None = None,
) -> ResampleResult:
    """A resampling standard error and interval of ``estimator``'s estimate on ``(X, Y)``.

    ``method="subsampling"`` (Politis & Romano 1994): ``B`` subsamples of ``b`` rows drawn without
    replacement, the estimator refitted on each; the standard error is
    ``sqrt(b/(n − b)) · sd(θ̂_b)`` (rate ``sqrt(n)`` with the finite-population correction, see
    :func:`resampled_stderr`) and the interval ``θ̂_n ± t_{B−1}·stderr`` (:func:`resampled_interval`).
    Valid for estimators that are asymptotically normal at rate ``sqrt(n)`` (k-NN, KDE, plug-in on a
    fixed alphabet); unlike the naive bootstrap it never duplicates rows, which would create zero k-NN
    distances. Defaults: ``b = ⌊n/2⌋`` (:func:`default_subsample_size`, half-sampling) and ``B`` bounded
    so that the refits cost at most 5 plain fits under the estimator's ``fit_cost`` tag
    (:func:`default_replicates`: 11 at ``n = 1000`` for ``n log n``).

    ``method="jackknife"``: delete-a-group jackknife with ``G = n_replicates`` groups (default 5,
    hence at most 5 plain fits), each fit leaving one random group out; for estimators that are
    smooth functions of the sample (plug-in, Gaussian). Interval with Student ``t_{G−1}`` quantiles.

    Parameters
    ----------
    estimator : MIEstimator
        Configured (fitted or not); never modified: every refit uses a clone, a stochastic clone
        seeded from ``random_state``.
    X, Y : array-like
        The sample (validated like ``fit``).
    method : {"subsampling", "jackknife"}
    n_replicates : int, optional
        ``B`` subsamples or ``G`` jackknife groups (at least 2); default as above.
    level : float, default 0.95
        Level of ``ci`` (others from :meth:`ResampleResult.interval`).
    random_state : None, int or Generator
        Seeds the subsamples / groups and the replicate fits: the same seed gives the same result.
    subsample_size : int, optional
        ``b`` (subsampling only); between the estimator's minimum sample size and ``n − 1``.
    estimate : float, optional
        The estimate on all rows if already computed (saves one fit); else a clone is fitted on all
        rows, with the estimator's own ``random_state`` when it has one.

    Returns
    -------
    ResampleResult

    Raises
    ------
    ValueError
        Unknown method, bad ``level`` / ``n_replicates`` / ``subsample_size``, or a sample too small
        for subsamples the estimator accepts.

    References
    ----------
    D. N. Politis, J. P. Romano, "Large sample confidence regions based on subsamples under minimal
    assumptions", Ann. Statist. 22, 2031–2050 (1994). J. Shao, C. F. J. Wu, "A general theory for
    jackknife variance estimation", Ann. Statist. 17, 1176–1197 (1989). J. W. Tukey, "Bias and
    confidence in not-quite large samples", Ann. Math. Statist. 29, 614 (1958).
    """
    from ibbench.base import validate_pair
    from ibbench.numerics.random import as_generator

    if method not in METHODS:
        raise ValueError(f"unknown resampling method {method!r}; known: {', '.join(METHODS)}")
    _check_level(level)
    if n_replicates is not None and (
        isinstance(n_replicates, bool) or not isinstance(n_replicates, (int, np.integer)) or n_replicates < 2
    ):
        raise ValueError(f"n_replicates must be an integer >= 2, got {n_replicates!r}")
    X, Y = validate_pair(X, Y)
    n = len(X)
    smallest = estimator._min_samples() if hasattr(estimator, "_min_samples") else 2
    rng = as_generator(random_state)
    if estimate is None:
        # the estimator's own seed when it has one: the estimate is then what estimator.fit(X, Y) gives
        estimate = float(_replicate_estimator(estimator, rng, keep_seed=True).fit(X, Y).mutual_info_)
    if method == "subsampling":
        b = default_subsample_size(n) if subsample_size is None else int(subsample_size)
        if subsample_size is None:
            b = max(b, smallest)
        if not smallest <= b < n:
            raise ValueError(
                f"subsample_size must be in [{smallest}, n - 1 = {n - 1}] (the estimator needs at least "
                f"{smallest} rows), got {b}; n = {n} rows are too few to subsample"
                if subsample_size is None
                else f"subsample_size must be in [{smallest}, n - 1 = {n - 1}], got {b}"
            )
        tags = estimator.get_tags() if hasattr(estimator, "get_tags") else {}
        B = default_replicates(n, b, tags.get("fit_cost", "n log n")) if n_replicates is None else int(n_replicates)
        reps = np.empty(B)
        for j in range(B):
            rows = np.sort(rng.choice(n, size=b, replace=False))
            reps[j] = _replicate_estimator(estimator, rng).fit(X[rows], Y[rows]).mutual_info_
    else:
        G = JACKKNIFE_GROUPS if n_replicates is None else int(n_replicates)
        if n - math.ceil(n / G) < smallest:
            raise ValueError(f"n = {n} rows are too few for a {G}-group jackknife (each fit needs {smallest})")
        groups = np.array_split(rng.permutation(n), G)
        reps = np.empty(G)
        for g, left_out in enumerate(groups):
            keep = np.setdiff1d(np.arange(n), left_out)
            reps[g] = _replicate_estimator(estimator, rng).fit(X[keep], Y[keep]).mutual_info_
        b = n - min(len(g) for g in groups)
    ci = resampled_interval(method, estimate, reps, n, b, level)
    stderr = resampled_stderr(method, reps, n, b)
    return ResampleResult(float(estimate), stderr, ci, float(level), method, reps, n, b)
