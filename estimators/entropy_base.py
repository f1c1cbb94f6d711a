"""Shared fit of the estimators that combine three differential-entropy estimates into MI.

``I(X; Y) = H(X) + H(Y) − H(X, Y)`` (Cover & Thomas, Sec. 8.5): a subclass says how a
side is prepared (:meth:`EntropyMIEstimator._prepare`, e.g. standardised, jittered or whitened)
and how one entropy is estimated per point (:meth:`EntropyMIEstimator._entropy_terms`);
:class:`EntropyMIEstimator` runs them on X, Y and the joint, maps the entropies back to the
original scale, combines them and derives the standard error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ibbench.base import MIEstimator

#: The three spaces whose entropies make up the MI, in the order of the fitted ``{space: ...}`` dicts.
SPACES = ("x", "y", "xy")


class EntropyMIEstimator(MIEstimator):
    """MI from three differential-entropy estimates: ``I = Ĥ(X) + Ĥ(Y) − Ĥ(X, Y)``.

    Subclasses implement :meth:`_entropy_terms` (per-point terms ``h_i`` whose mean is the entropy
    estimate of one space) and may override :meth:`_prepare` (a map applied to each side before
    the estimates, with the log-Jacobian that maps entropies back) and :meth:`_pointwise_mi`.
    ``_fit`` prepares X then Y (in that order, with the one generator of the fit), estimates the
    joint entropy first (so a marginal may reuse what the joint fitted, e.g. a bandwidth), then
    those of X and Y, and sets the fitted attributes below.

    Constant columns are dropped before (tag ``constant_columns = "drop"``): a constant has no
    density. When a whole side is constant the sides are independent, so ``I = 0`` exactly; that
    side's entropy (a point mass) and the joint's are ``-inf`` and the other side's is estimated
    alone.

    Attributes
    ----------
    mutual_info_ : float
        The estimate (nats).
    entropy_x_, entropy_y_, entropy_xy_ : float
        Entropy estimates (nats) on the original scale (``-inf`` for a constant side and the joint).
    stderr_ : float
        Asymptotic standard error: standard deviation of the per-point terms ``h_x,i + h_y,i −
        h_xy,i`` over ``sqrt(n)`` (the influence function of ``I`` is ``log f(x,y)/(f(x)f(y)) − I``);
        0 when a side is constant.
    <fitted_attribute> : dict
        What :meth:`_entropy_terms` recorded per space (``"x"``, ``"y"``, ``"xy"``; only the
        non-constant sides when a side is constant), under the name :attr:`fitted_attribute`.
    """

    tags = {"constant_columns": "drop"}
    #: Name of the ``{space: value}`` fitted attribute filled by :meth:`_entropy_terms` (e.g. ``weights_``).
    fitted_attribute: str = "entropy_details_"

    def _prepare(self, A: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Side ``A`` on the scale its entropies are estimated on, and the log-Jacobian ``log|det M|``
        of that map, added back to every entropy involving the side (default: unchanged, 0).

        Called for X, then for Y, also for a constant side (with zero columns) when the other is
        not; random draws must come from ``rng``.
        """
        return A, 0.0

    def _entropy_terms(self, Z: np.ndarray, space: str, fitted: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        """Per-point entropy terms ``h_i`` of the prepared sample ``Z`` (n, d), ``Ĥ = mean(h_i)``.

        ``space`` is ``"xy"`` (called first), ``"x"`` or ``"y"``; ``fitted`` collects per-space
        details (``fitted[space] = ...``, stored as :attr:`fitted_attribute`), and already holds
        those of the joint when a marginal is estimated.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _entropy_terms(Z, space, fitted, rng)")

    def _pointwise_mi(self, hx: np.ndarray, hy: np.ndarray, hxy: np.ndarray) -> np.ndarray:
        """Per-point MI terms (their standard deviation gives ``stderr_``): ``h_x,i + h_y,i − h_xy,i``."""
        return hx + hy - hxy

    def _store_fitted(self, fitted: dict[str, Any]) -> None:
        setattr(self, self.fitted_attribute, {key: fitted[key] for key in SPACES if key in fitted})

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        X, offset_x = self._prepare(X, rng)
        Y, offset_y = self._prepare(Y, rng)
        fitted: dict[str, Any] = {}
        terms = {"xy": self._entropy_terms(np.column_stack([X, Y]), "xy", fitted, rng)}
        for key, A in (("x", X), ("y", Y)):
            terms[key] = self._entropy_terms(A, key, fitted, rng)
        self._store_fitted(fitted)
        hx = terms["x"].mean() + offset_x
        hy = terms["y"].mean() + offset_y
        hxy = terms["xy"].mean() + offset_x + offset_y
        self._set_entropies(hx, hy, hxy)
        pointwise = self._pointwise_mi(terms["x"], terms["y"], terms["xy"])
        self.stderr_ = float(np.std(pointwise, ddof=1) / np.sqrt(len(X)))

    def _fit_constant_side(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        # a constant side is independent of the other: I = 0 exactly; a point mass has differential
        # entropy -inf (so has the joint); a non-constant side is estimated alone
        sides = [self._prepare(A, rng) for A in (X, Y)]
        fitted: dict[str, Any] = {}
        h = [-np.inf, -np.inf]
        for i, (key, (A, offset)) in enumerate(zip(("x", "y"), sides, strict=True)):
            if A.shape[1]:
                h[i] = float(self._entropy_terms(A, key, fitted, rng).mean() + offset)
        self._store_fitted(fitted)
        self.entropy_x_, self.entropy_y_, self.entropy_xy_ = h[0], h[1], -np.inf
        self.mutual_info_, self.stderr_ = 0.0, 0.0
