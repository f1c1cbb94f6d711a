"""Template for your own ibbench estimator: copy this file, rename the class, replace ``_fit``.

Check it with ``ibbench check my_estimator:HistogramMI`` (run from the folder holding the file);
benchmark it by registering it as a plug-in (see README, "Add your own estimator").

This example is a real estimator: the plug-in MI of an equal-width histogram, with the Miller–Madow
bias correction of each entropy. You only write ``_fit``: the inherited ``fit`` checks the
parameters against ``_parameter_constraints``, validates the data (clear ``ValueError`` for NaN/inf,
too few samples, mismatched rows, wrong dimensionality, non-numeric dtypes), applies the
``constant_columns`` tag, makes the random generator from ``random_state`` and then calls ``_fit``.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from ibbench import MIEstimator
from ibbench.params import Interval


def miller_madow_entropy(codes: np.ndarray) -> float:
    """Plug-in entropy (nats) of the rows of ``codes`` (one symbol per row) plus ``(K − 1)/(2n)``."""
    _, counts = np.unique(codes, axis=0, return_counts=True)
    n = int(counts.sum())
    p = counts / n
    return float(-np.sum(p * np.log(p)) + (len(counts) - 1) / (2 * n))


class HistogramMI(MIEstimator):
    r"""Mutual information of an equal-width histogram with Miller–Madow corrected entropies (nats).

    Each column is cut into ``n_bins`` equal-width bins over its own ``[min, max]`` (the maximum
    falls into the last bin, a constant column into bin 0); a row of bin indices is one symbol.
    With ``K`` the number of occupied cells and ``n`` the sample size, each entropy is the plug-in
    estimate plus Miller's first-order bias correction,

    .. math:: \hat H_{MM} = -\sum_j \hat p_j \log \hat p_j + \frac{K - 1}{2n},

    and ``I = Ĥ_MM(X) + Ĥ_MM(Y) − Ĥ_MM(X, Y)``. The correction removes the ``O(1/n)`` bias of the
    plug-in entropies, not the discretisation error of the bins: the estimate depends on
    ``n_bins``. On continuous data it equals the built-in ``binning`` with
    ``per_dimension=True, miller_madow=True``; unlike it, integer-valued data are binned too
    (symbols stay distinct as long as a column has at most ``n_bins`` equally spaced values).

    Parameters
    ----------
    n_bins : int, default 8
        Bins per column.

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (every estimator must set this in ``_fit``).
    entropy_x_, entropy_y_, entropy_xy_ : float
        The corrected entropies of the binned X, Y and joint (nats).
    n_samples_ : int
        Set by the inherited ``fit``.

    References
    ----------
    G. A. Miller, "Note on the bias of information estimates", in H. Quastler (ed.), *Information
    Theory in Psychology: Problems and Methods*, Free Press, 1955, pp. 95–100 (the bias
    ``(K − 1)/(2n)`` of the plug-in entropy, the correction above).
    L. Paninski, "Estimation of entropy and mutual information", Neural Computation 15 (2003),
    1191–1253 (the "Miller–Madow" estimator and its analysis).
    T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., eq. (2.45)
    (``I = H(X) + H(Y) − H(X, Y)``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 1000)
    >>> round(HistogramMI(n_bins=4).estimate(x, x), 4)  # log 4 + (4 + 4 - 4 - 1) / 2000
    1.3878
    """

    # 1. Identity. `name` is the registry key you choose; bump `version` whenever results change,
    #    because it is part of every benchmark cell's key (old results are then not reused).
    name = "histogram-mm"
    version = "1"
    # 2. Capability tags: what data it accepts, whether it uses randomness, and the maps of each side
    #    that leave the estimate unchanged (checked by `ibbench check`). Bins over each column's own
    #    range move with a positive scale and shift of that column. Other tags: "constant_columns"
    #    ("drop" to have `fit` remove constant columns first, e.g. for density-based estimators).
    tags = {"accepts_x": "any", "accepts_y": "any", "stochastic": False, "invariance": "per-column-positive-affine"}
    # 3. Each parameter's type and range (scikit-learn notation, see ibbench.params): `fit` rejects
    #    invalid values with the parameter's name and casts 8.0 to 8 before cells are keyed.
    _parameter_constraints = {"n_bins": [Interval(Integral, 1, None, closed="left")]}

    # 4. __init__ only stores parameters, under the same names (scikit-learn rule: no logic here).
    #    A stochastic estimator takes `random_state` and uses the `rng` given to `_fit`.
    def __init__(self, n_bins: int = 8) -> None:
        self.n_bins = n_bins

    # 5. Small, fast parameters for the conformance suite (defaults are fine here).
    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {}

    # 6. _fit receives validated float64 arrays X (n, dx) and Y (n, dy) and the generator `rng`;
    #    it sets `mutual_info_` as a Python float in nats (and any other fitted attributes).
    #    Optional hooks: `_min_samples()` when more than 2 samples are needed (e.g. k + 1).
    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        bins_x, bins_y = self._bin(X), self._bin(Y)
        hx, hy = miller_madow_entropy(bins_x), miller_madow_entropy(bins_y)
        hxy = miller_madow_entropy(np.column_stack([bins_x, bins_y]))
        self.entropy_x_, self.entropy_y_, self.entropy_xy_ = hx, hy, hxy
        self.mutual_info_ = float(hx + hy - hxy)

    def _bin(self, A: np.ndarray) -> np.ndarray:
        """Bin index (0…n_bins−1) of every entry, equal-width bins over each column's range."""
        n_bins = int(self.n_bins)
        lo, hi = A.min(axis=0), A.max(axis=0)
        width = np.where(hi > lo, hi - lo, 1.0)
        return np.clip(np.floor((A - lo) / width * n_bins).astype(np.int64), 0, n_bins - 1)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5000)
    y = 0.8 * x + 0.6 * rng.standard_normal(5000)
    print(HistogramMI().estimate(x, y), -0.5 * np.log(1 - 0.8**2))
