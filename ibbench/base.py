"""The estimator contract: :class:`MIEstimator`, its capability tags and the shared input validation."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

#: Values a side-kind tag (``accepts_x`` / ``accepts_y``) may take.
KINDS = ("continuous", "discrete", "any")

DEFAULT_TAGS: dict[str, Any] = {
    "accepts_x": "any",  # continuous | discrete | any
    "accepts_y": "any",
    "stochastic": False,  # uses random_state (neural training, jitter, subsampling)
    "symmetric": True,  # I(X;Y) computed as I(Y;X) up to floating point
    "max_dim": None,  # largest dim_x + dim_y it is meant for; None = unlimited
    "requires": (),  # optional third-party packages (plugins); torch is a core dependency
}


def validate_pair(X, Y, *, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of samples and return them as 2-D float64 arrays ``(n, dx)``, ``(n, dy)``.

    Parameters
    ----------
    X, Y : array-like of shape (n,) or (n, d)
        Samples of the two variables; row ``i`` of ``X`` is paired with row ``i`` of ``Y``.
    min_samples : int, default 2
        Fewest rows accepted.

    Raises
    ------
    ValueError
        Non-numeric data, NaN or inf, fewer than ``min_samples`` rows, different row counts,
        zero columns or more than two dimensions. The message names the side and the problem.
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
            raise ValueError(f"{side} must be numeric (int or float), got dtype {arr.dtype}")
        if arr.ndim == 1:
            arr = arr[:, None]
        elif arr.ndim != 2:
            raise ValueError(f"{side} must be 1-D (n,) or 2-D (n, d), got {arr.ndim}-D shape {arr.shape}")
        if arr.shape[1] == 0:
            raise ValueError(f"{side} has shape {arr.shape}: at least one column is needed")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(
                f"{side} contains NaN or inf (first at row {bad[0]}, column {bad[1]}: {arr[tuple(bad)]})"
            )
        out.append(arr)
    X, Y = out
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} rows but Y has {len(Y)}: samples must be paired row by row")
    if len(X) < min_samples:
        raise ValueError(f"at least {min_samples} samples are needed, got {len(X)}")
    return X, Y


class MIEstimator(BaseEstimator):
    """Base class of all mutual-information estimators.

    Subclasses store their parameters in ``__init__`` (scikit-learn rule: no logic there), implement
    ``fit(X, Y)`` which validates with :meth:`_validate_pair`, sets ``mutual_info_`` (float, nats)
    and returns ``self``.

    Class attributes
    ----------------
    name : str
        Registry key (lower-case).
    version : str
        Bumped whenever the algorithm's output changes; part of every benchmark cell key.
    tags : dict
        Capability tags overriding :data:`DEFAULT_TAGS` (merged along the MRO, see :meth:`get_tags`).
    """

    name: str | None = None
    version: str = "0"
    tags: dict[str, Any] = {}

    def fit(self, X, Y):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement fit(X, Y)")

    def estimate(self, X, Y) -> float:
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
    def get_test_params(cls) -> dict[str, Any]:
        """Small, fast parameters for the shared conformance suite (override when defaults are slow)."""
        return {}

    def _validate_pair(self, X, Y, *, min_samples: int = 2) -> tuple[np.ndarray, np.ndarray]:
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
