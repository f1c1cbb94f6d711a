"""``estimator="auto"``: which estimator measures a layer's ``I(X;T)`` and ``I(T;Y)``.

* **exact** when the layer's activations are integer codes (a quantized layer, as in the QNN tasks
  of Lorenzen et al. 2022, or ``quantize=bits``): over the given inputs, X uniform over them and
  ``T = f(X)`` deterministic, ``I(X;T) = H(T)``, and ``I(T;Y)`` is a plug-in count when Y is integer
  labels too (:mod:`ibbench.information_plane.measure`);
* otherwise the estimator the committed leaderboards rank best for the pair's kind (continuous,
  discrete or mixed), the larger side's dimension and the sample size, among those whose median fit
  time is within ``time_budget`` seconds (:func:`ibbench.recommend.recommend`).

A registered estimator name (with ``estimator_params``) or an estimator object may be given
instead; the choice is made once per layer and side (at the first captured epoch) and kept for
every epoch, so a curve is drawn by one estimator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The name of the counting path (the plug-in ``exact`` estimator of the registry computes the same numbers).
EXACT = "exact"
SIDES = {"xt": "I(X;T)", "ty": "I(T;Y)"}


@dataclass(frozen=True)
class Choice:
    """The estimator measuring one side of one layer, and why.

    Attributes
    ----------
    layer : str
    side : {"xt", "ty"}
    estimator : str
        Registry name (``"exact"`` for the counting path; the class name of a given object).
    params : dict
        Parameters differing from the estimator's defaults.
    exact : bool
        True for the exact counting path.
    reason : str
    """

    layer: str
    side: str
    estimator: str
    params: dict[str, Any] = field(default_factory=dict)
    exact: bool = False
    reason: str = ""

    @property
    def label(self) -> str:
        """``ksg(k=5)`` style label."""
        inner = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.estimator}({inner})" if inner else self.estimator

    def __str__(self) -> str:
        return f"layer {self.layer}, {SIDES[self.side]}: {self.label} — {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the results)."""
        return {
            "layer": self.layer,
            "side": self.side,
            "estimator": self.estimator,
            "params": self.params,
            "exact": self.exact,
            "reason": self.reason,
        }


def is_codes(values: np.ndarray) -> bool:
    """Whether every value is an integer (integer or bool dtype, or integral floats): quantization codes or labels."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return True
    return bool(values.dtype.kind == "f" and np.isfinite(values).all() and (np.mod(values, 1.0) == 0).all())


def pair_kind(a: np.ndarray, b: np.ndarray) -> str:
    """``"discrete"`` (both sides integer-valued), ``"continuous"`` (neither) or ``"mixed"``."""
    da, db = is_codes(a), is_codes(b)
    return "discrete" if da and db else "continuous" if not (da or db) else "mixed"


def recommended(
    layer: str, side: str, a: np.ndarray, b: np.ndarray, time_budget: float | None, table: Any = None
) -> Choice:
    """The recommendation table's estimator for ``(a, b)`` (kind, larger dimension, n) within ``time_budget``."""
    from ibbench.recommend import candidates, recommend

    kind = pair_kind(a, b)
    dim = int(max(a.shape[1], b.shape[1]))
    n = int(len(a))
    try:
        rec = recommend(dim=dim, n=n, time_budget=time_budget, kind=kind, table=table)
        reason = rec.reason
    except ValueError as exc:  # nothing within the budget: the fastest candidate, said so
        if "time budget" not in str(exc):
            raise
        rec = min(candidates(dim, n, kind=kind, table=table), key=lambda c: c.median_seconds)
        reason = f"{rec.reason} No candidate fits the time budget of {time_budget:g} s: the fastest was taken."
    budget = "no time budget" if time_budget is None else f"time budget {time_budget:g} s per fit"
    return Choice(
        layer,
        side,
        rec.estimator,
        dict(rec.params),
        False,
        f"recommended for {kind} data, dim {dim}, n {n}, {budget} (regime {rec.regime}): {reason}",
    )


def choose(
    layer: str,
    side: str,
    a: np.ndarray,
    b: np.ndarray,
    estimator: Any = "auto",
    estimator_params: dict[str, Any] | None = None,
    *,
    time_budget: float | None = 1.0,
    noisy: bool = False,
) -> Choice:
    """The estimator of ``side`` (``"xt"``: ``a = X``, ``b = T``; ``"ty"``: ``a = T``, ``b = Y``) of ``layer``.

    Parameters
    ----------
    estimator : "auto", str or MIEstimator
        ``"auto"``: exact when T (and for ``"ty"`` also Y) are integer codes and no noise is added,
        else :func:`recommended`. A registry name or an estimator object is used as given.
    estimator_params : dict, optional
        Parameters of a named estimator (not with ``"auto"`` or an object).
    time_budget : float or None
        Seconds per fit the recommendation must fit in (None = no limit).
    noisy : bool
        T carries added noise (continuous by construction: never the exact path).
    """
    from ibbench.base import MIEstimator

    if isinstance(estimator, MIEstimator):
        if estimator_params:
            raise ValueError("estimator_params apply to a named estimator, not to an estimator object")
        from ibbench.identity import changed_params, default_params

        name = type(estimator).name or type(estimator).__name__
        # for the label and the ceiling only: every fit uses a clone of the object itself
        params = changed_params(estimator.get_params(deep=False), default_params(type(estimator)))
        return Choice(layer, side, name, params, False, "given as an estimator object")
    if not isinstance(estimator, str):
        raise ValueError(f"estimator must be 'auto', a registered name or an MIEstimator, got {estimator!r}")
    if estimator != "auto":
        from ibbench.registry import get_estimator_class

        cls = get_estimator_class(estimator)  # ValueError naming the unknown estimator
        params = cls.check_params(dict(estimator_params or {}))
        return Choice(layer, side, estimator, params, False, "given by the caller")
    if estimator_params:
        raise ValueError("estimator_params need a named estimator, not estimator='auto'")
    t = b if side == "xt" else a
    if not noisy and is_codes(t) and (side == "xt" or is_codes(b)):
        what = "H(T) by counting" if side == "xt" else "H(T) + H(Y) - H(T,Y) by counting"
        return Choice(
            layer,
            side,
            EXACT,
            {},
            True,
            f"T holds integer codes (a quantized layer): exact over the {len(t)} inputs, {what}",
        )
    return recommended(layer, side, a, b, time_budget)
