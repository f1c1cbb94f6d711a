"""The estimator contract: :class:`MIEstimator`, its capability tags and the shared input validation."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ibbench.numerics.random import as_generator
from ibbench.uncertainty import clear_uncertainty, complete_uncertainty

#: Values a side-kind tag (``accepts_x`` / ``accepts_y``) may take.
KINDS = ("continuous", "discrete", "any")

DEFAULT_TAGS: dict[str, Any] = {
    "accepts_x": "any",  # continuous | discrete | any
    "accepts_y": "any",
    "stochastic": False,  # uses random_state (neural training, jitter, subsampling)
    "symmetric": True,  # I(X;Y) computed as I(Y;X) up to floating point
    "max_dim": None,  # largest dim_x + dim_y it is meant for; None = unlimited
    "requires": (),  # optional third-party packages (plugins); torch is a core dependency
    "invariance": "none",  # maps of each side that leave the estimate unchanged (ibbench.testing.INVARIANCES)
    # what MIEstimator.fit does with constant columns before _fit: "keep" them, or "drop" them and
    # give I = 0 (via _fit_constant_side) when a whole side is constant
    "constant_columns": "keep",
    # what mutual_info_ is: an "estimate" (ranked on accuracy), or a "lower" / "upper" bound; estimators
    # tagged "upper" are reported beside the rankings, never ranked (ibbench.scoring)
    "bound": "estimate",
    # how the cost of a fit grows with n: "n log n" (default) or "fixed" (a fixed number of training
    # steps); bounds the default number of refits of ibbench.uncertainty.resample_interval
    "fit_cost": "n log n",
}

#: Values of the ``bound`` tag.
BOUND_KINDS = ("estimate", "lower", "upper")

#: Values of the ``constant_columns`` tag.
CONSTANT_COLUMN_POLICIES = ("keep", "drop")


#: Largest magnitude accepted in the data. Sums of ``n`` squared differences of values up to 1e150
#: stay below the float64 maximum (1.8e308) for any n below 4e7, so variances, covariances and
#: squared distances cannot overflow (beyond ~1e154 they do, and estimators silently return NaN,
#: 0 or a constant-column answer).
MAX_ABS = 1e150
#: Smallest spread (max − min) accepted in a non-constant column: squared differences of 1e-150
#: (1e-300) are still normal float64 numbers; below it variances underflow to 0 and a varying column
#: looks constant.
MIN_SPREAD = 1e-150
#: Integers beyond 2**53 are not all representable as float64 (distinct symbols would merge).
MAX_EXACT_INT = 2**53


def validate_pair(X: Any, Y: Any, *, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of samples and return them as 2-D float64 arrays ``(n, dx)``, ``(n, dy)``.

    Policy for degenerate but valid input (shared by every estimator): bool and integer dtypes are
    converted to float64; constant columns and duplicated rows are accepted (each estimator's
    docstring says how it treats them); values must lie within ``±MAX_ABS`` (1e150) and every
    non-constant column must vary by at least ``MIN_SPREAD`` (1e-150) — outside that range float64
    variances and squared distances overflow or underflow, so the data are rejected with a message
    suggesting to rescale (MI does not change when one side is multiplied by a constant).

    Parameters
    ----------
    X, Y : array-like of shape (n,) or (n, d)
        Samples of the two variables; row ``i`` of ``X`` is paired with row ``i`` of ``Y``.
    min_samples : int, default 2
        Fewest rows accepted.

    Raises
    ------
    ValueError
        Non-numeric data (object, string, complex dtypes), NaN or inf, fewer than ``min_samples``
        rows, different row counts, zero columns, more than two dimensions, magnitudes beyond
        1e150, a column varying by less than 1e-150, or integers beyond 2**53. The message names
        the side and the problem.
    """
    out = []
    for side, A in (("X", X), ("Y", Y)):
        try:
            arr = np.asarray(A)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{side} cannot be converted to an array: {exc}") from exc
        if arr.dtype == bool:
            arr = arr.astype(np.float64)
        if arr.dtype.kind not in "iuf":
            hint = " (convert it with np.asarray(..., dtype=float))" if arr.dtype == object else ""
            raise ValueError(f"{side} must be numeric (int or float), got dtype {arr.dtype}{hint}")
        if arr.ndim == 1:
            arr = arr[:, None]
        elif arr.ndim != 2:
            raise ValueError(f"{side} must be 1-D (n,) or 2-D (n, d), got {arr.ndim}-D shape {arr.shape}")
        if arr.shape[1] == 0:
            raise ValueError(f"{side} has shape {arr.shape}: at least one column is needed")
        if arr.dtype.kind in "iu" and arr.size and (arr.max() > MAX_EXACT_INT or arr.min() < -MAX_EXACT_INT):
            raise ValueError(
                f"{side} has integers beyond ±2**53, which float64 cannot represent exactly "
                "(distinct values would merge); relabel the symbols, e.g. with "
                "np.unique(..., return_inverse=True)"
            )
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(f"{side} contains NaN or inf (first at row {bad[0]}, column {bad[1]}: {arr[tuple(bad)]})")
        if arr.size:
            _check_scale(side, arr)
        out.append(arr)
    X, Y = out
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} rows but Y has {len(Y)}: samples must be paired row by row")
    if len(X) < min_samples:
        raise ValueError(f"at least {min_samples} samples are needed, got {len(X)}")
    return X, Y


def _check_scale(side: str, arr: np.ndarray) -> None:
    """``ValueError`` when a column of ``arr`` exceeds ``MAX_ABS`` or varies by less than ``MIN_SPREAD``."""
    hi, lo = arr.max(axis=0), arr.min(axis=0)
    big = np.flatnonzero(np.maximum(hi, -lo) > MAX_ABS)
    if big.size:
        j = int(big[0])
        raise ValueError(
            f"{side} column {j} has values up to {max(hi[j], -lo[j]):.3g} in magnitude; values beyond "
            f"±{MAX_ABS:.0e} overflow float64 variances and squared distances: rescale {side} (MI is "
            "unchanged when a side is multiplied by a constant)"
        )
    spread = hi - lo  # <= 2e150: no overflow
    small = np.flatnonzero((spread > 0) & (spread < MIN_SPREAD))
    if small.size:
        j = int(small[0])
        raise ValueError(
            f"{side} column {j} varies only by {spread[j]:.3g} (max - min); variations below {MIN_SPREAD:.0e} "
            f"underflow in float64 variances and squared distances: rescale {side} (MI is unchanged "
            "when a side is multiplied by a constant)"
        )


def drop_constant_columns(A: np.ndarray) -> np.ndarray:
    """The columns of a 2-D array ``A`` that are not constant (possibly none).

    A constant column is independent of everything, so dropping it leaves ``I(X; Y)`` unchanged.
    Density-based estimators (Gaussian, Kozachenko–Leonenko, KDE) must drop it: a constant has no
    density, and the finite stand-ins of their tie remedies (jitter, eigenvalue floors, bandwidth
    bounds) add terms that do not cancel between ``H(X)``, ``H(Y)`` and ``H(X, Y)``.
    """
    return A[:, A.max(axis=0) > A.min(axis=0)]


class MIEstimator(BaseEstimator):
    """Base class of all mutual-information estimators.

    Subclasses store their parameters in ``__init__`` (scikit-learn rule: no logic there), declare
    them in ``_parameter_constraints`` and implement ``_fit(X, Y, rng)``, which sets
    ``mutual_info_`` (float, nats). The public :meth:`fit` is a template (as sktime's ``fit`` →
    ``_fit``): it checks the parameters, validates the data (:func:`validate_pair`), applies the
    ``constant_columns`` tag, turns ``random_state`` into a generator once and then calls ``_fit``.

    Optional hooks: :meth:`_min_samples` (and :meth:`_min_samples_message`) when more than two
    samples are needed, :meth:`_fit_constant_side` for the fitted attributes of a constant side
    under ``constant_columns="drop"``.

    Estimators written against the first contract, which override ``fit`` itself and call
    :meth:`_validate_pair`, keep working unchanged.

    Class attributes
    ----------------
    name : str
        Registry key (lower-case).
    version : str
        Bumped whenever the algorithm's output changes; part of every benchmark cell key.
    tags : dict
        Capability tags overriding :data:`DEFAULT_TAGS` (merged along the MRO, see :meth:`get_tags`).
        ``invariance`` names a group of transformations, applied to X and Y separately,
        under which the estimate (with default parameters) is unchanged up to rounding, as checked by
        the conformance suite (offsets up to 1e12 times the spread, tolerance 1e-6 nats):
        ``"none"`` (default), ``"per-side-scalar-affine"`` (``x → a·x + b``, one scalar ``a ≠ 0`` and
        ``b`` for all columns of a side), ``"per-column-positive-affine"`` (``x_j → a_j x_j + b_j``,
        ``a_j > 0``), ``"per-column-affine"`` (``a_j ≠ 0``), ``"per-side-affine"`` (``x → M x + b``,
        ``M`` invertible) or ``"per-side-injective"`` (any injective map of a side's rows); each of the
        last three includes the groups before it. Declare a smaller group (or ``"none"``) when the
        numerics fall short of the mathematics.
    """

    name: str | None = None
    version: str = "0"
    tags: dict[str, Any] = {}
    #: ``{parameter: [constraint, ...]}`` in scikit-learn's spelling (see :mod:`ibbench.params`);
    #: declared parameters are validated and cast by :meth:`check_params` / :meth:`validate_params`.
    _parameter_constraints: dict[str, Any] = {}

    def _min_samples(self) -> int:
        """Fewest samples :meth:`fit` accepts (default 2; may depend on the parameters, e.g. ``k + 1``)."""
        return 2

    def _min_samples_message(self, n: int) -> str:
        """Message of the ``ValueError`` :meth:`fit` raises for ``n < _min_samples()`` samples;
        override it to say which parameter asks for them (e.g. ``"k=3 neighbours need ..."``)."""
        return f"at least {self._min_samples()} samples are needed, got {n}"

    def fit(self, X: Any, Y: Any) -> MIEstimator:
        """Estimate the mutual information between paired samples ``X`` and ``Y``.

        Parameters
        ----------
        X, Y : array-like of shape (n,) or (n, d)
            Paired samples; see :func:`validate_pair` for what is accepted.

        Returns
        -------
        self
            With ``mutual_info_`` (nats) and the estimator's other fitted attributes set, always
            including ``stderr_`` (float, NaN when no standard error is available) and ``ci_``
            (95% interval ``(low, high)``; ``estimate ± 1.96·stderr_`` unless ``_fit`` set its own):
            see :func:`ibbench.uncertainty.complete_uncertainty`.

        Raises
        ------
        ValueError
            Invalid parameters (named), invalid data (see :func:`validate_pair`), fewer samples
            than :meth:`_min_samples` or an invalid ``constant_columns`` tag.
        NotImplementedError
            The subclass implements neither ``_fit`` nor ``fit``.
        """
        if type(self)._fit is MIEstimator._fit:
            raise NotImplementedError(f"{type(self).__name__} must implement _fit(X, Y, rng) (or override fit)")
        policy = self.get_tags()["constant_columns"]
        if policy not in CONSTANT_COLUMN_POLICIES:
            raise ValueError(
                f"{type(self).__name__}: tag constant_columns must be one of {CONSTANT_COLUMN_POLICIES}, got {policy!r}"
            )
        self.validate_params()
        min_samples = self._min_samples()
        # the shape and value checks (and the generic "at least 2 samples") first, then the
        # estimator's own minimum with its own message
        X, Y = self._validate_pair(X, Y, min_samples=min(min_samples, 2))
        if len(X) < min_samples:
            raise ValueError(self._min_samples_message(len(X)))
        rng = as_generator(getattr(self, "random_state", None))
        clear_uncertainty(self)  # a refit must not keep the interval of an earlier fit
        if policy == "drop":
            # a constant column is independent of everything: dropping it leaves I(X;Y) unchanged
            X, Y = drop_constant_columns(X), drop_constant_columns(Y)
            if X.shape[1] == 0 or Y.shape[1] == 0:
                self._fit_constant_side(X, Y, rng)
                complete_uncertainty(self)
                return self
        self._fit(X, Y, rng)
        complete_uncertainty(self)
        return self

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        """Compute the estimate on validated data and set ``mutual_info_`` (and other fitted attributes).

        ``X`` (n, dx) and ``Y`` (n, dy) are float64 arrays (constant columns dropped under the
        ``constant_columns="drop"`` tag); ``rng`` is the generator made from ``random_state`` (use
        it for every random draw).
        """
        raise NotImplementedError  # pragma: no cover - see fit

    def _fit_constant_side(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        """Called instead of :meth:`_fit` when a whole side is constant (``constant_columns="drop"``):
        the sides are independent, so ``I = 0`` exactly; override to set other fitted attributes."""
        self.mutual_info_ = 0.0

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` validated against ``_parameter_constraints`` and cast to the declared types.

        ``ValueError`` naming the estimator and the parameter for an unknown name, a value of the
        wrong type or out of range, or a NaN / infinite float; ``3.0`` becomes ``3`` for an int
        parameter (see :func:`ibbench.params.check_parameters`). The runner calls it before
        building an estimator, so labels and cell keys see the cast values.
        """
        from ibbench.params import check_parameters, unknown_parameters

        owner = f"estimator {cls.name!r}" if cls.name else f"estimator {cls.__name__}"
        unknown = unknown_parameters(cls, params)
        if unknown:
            known = ", ".join(p for p in inspect.signature(cls.__init__).parameters if p != "self")
            raise ValueError(f"{owner}: unknown parameter(s) {', '.join(unknown)}; known: {known or 'none'}")
        return check_parameters(cls._parameter_constraints, params, owner)

    def validate_params(self) -> dict[str, Any]:
        """Check this instance's parameters (:meth:`check_params`) and return them cast; call it first in ``fit``."""
        return self.check_params(self.get_params(deep=False))

    def estimate(self, X: Any, Y: Any) -> float:
        """Fit on ``(X, Y)`` and return the mutual-information estimate in nats."""
        return float(self.fit(X, Y).mutual_info_)

    @classmethod
    def get_tags(cls) -> dict[str, Any]:
        """Capability tags: :data:`DEFAULT_TAGS` updated by every ``tags`` dict along the MRO."""
        merged = dict(DEFAULT_TAGS)
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("tags", {}))
        return merged

    @classmethod
    def bound_for(cls, params: dict[str, Any]) -> str:
        """What an estimate of this estimator built with ``params`` is: ``"estimate"``, ``"lower"`` or
        ``"upper"`` bound. The ``bound`` tag; an estimator that delegates to another (the compression
        wrappers) answers for its inner estimator. Scoring uses it to keep upper bounds out of rankings."""
        return str(cls.get_tags()["bound"])

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        """Small, fast parameters for the shared conformance suite (override when defaults are slow)."""
        return {}

    def _validate_pair(self, X: Any, Y: Any, *, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """Shared validation (:func:`validate_pair`); also records ``n_samples_``."""
        X, Y = validate_pair(X, Y, min_samples=min_samples)
        self.n_samples_ = len(X)
        return X, Y

    def _set_entropies(self, hx: float, hy: float, hxy: float) -> None:
        """Store ``entropy_x_``, ``entropy_y_``, ``entropy_xy_`` and ``mutual_info_ = hx + hy - hxy``."""
        self.entropy_x_, self.entropy_y_, self.entropy_xy_ = float(hx), float(hy), float(hxy)
        self.mutual_info_ = float(hx + hy - hxy)


def accepts(tag_value: str, kind: str) -> bool:
    """Whether an estimator whose side tag is ``tag_value`` accepts data of ``kind``."""
    if tag_value == "any" or kind == tag_value:
        return True
    # continuous estimators accept discrete-valued numeric data (ties handled by a remedy)
    return tag_value == "continuous" and kind == "discrete"
