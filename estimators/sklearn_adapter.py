"""scikit-learn's per-feature MI estimators (``mutual_info_regression``, ``mutual_info_classif``) in ibbench.

scikit-learn estimates the MI between *each single feature* and a target; it has no joint
estimator for several features. The adapter therefore takes one column per side (tag
``max_dim = 2``, so the runner skips tasks of higher dimension) and calls scikit-learn in process.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from ibbench.base import MIEstimator
from ibbench.params import Interval, StrOptions


def is_integer_valued(a: np.ndarray) -> bool:
    """Whether every entry is an integer below 2**53 in magnitude (beyond it every float64 is an
    integer and the test says nothing)."""
    return bool(np.all(a == np.round(a)) and np.max(np.abs(a)) < 2.0**53)


def unit_power_of_two(a: np.ndarray) -> np.ndarray:
    """``a · 2**-e`` with ``e`` chosen so that the standard deviation lies in ``[0.5, 1)`` (exact
    scaling; ``a`` must not be constant)."""
    return np.ldexp(a, -int(np.frexp(np.std(a))[1]))


class SklearnMI(MIEstimator):
    """scikit-learn's ``mutual_info_regression`` / ``mutual_info_classif`` for one feature and one target.

    Which scikit-learn estimator runs depends on the kinds of the two sides (``discrete_x``,
    ``discrete_y``; ``"auto"`` = discrete when every value is an integer, the rule of ``binning``):

    * both continuous: ``mutual_info_regression(X, y, discrete_features=False)``, the
      Kraskov–Stögbauer–Grassberger estimator, algorithm 1 (Kraskov et al. 2004, eq. 8) with the
      max-norm and ``n_neighbors`` neighbours;
    * one side discrete, the other continuous: Ross's nearest-neighbour estimator (Ross 2014),
      through ``mutual_info_regression(X, y, discrete_features=True)`` (discrete X) or
      ``mutual_info_classif(X, y, discrete_features=False)`` (discrete Y); samples whose symbol
      occurs once are ignored by scikit-learn, so a discrete side without any repeated symbol is a
      ``ValueError``;
    * both discrete: ``mutual_info_classif(X, y, discrete_features=True)``, the plug-in MI of the
      contingency table (``sklearn.metrics.mutual_info_score``; Cover & Thomas eq. 2.28).

    scikit-learn scales each continuous side to unit variance (without centring) and adds Gaussian
    noise of ``1e-10 · max(1, mean |x|)`` to break ties, drawn from ``random_state``: the adapter
    passes an integer seed drawn from its own generator (``rng.integers(0, 2**32)``), so the same
    ``random_state`` gives bit-identical estimates. scikit-learn clips negative estimates to 0.
    Before the call each continuous side is multiplied by the power of two that brings its standard
    deviation into ``[0.5, 1)``: exact, and undone by scikit-learn's scaling, so the result is
    scikit-learn's, but it keeps scikit-learn from taking a side with a standard deviation below
    2.2e-15 for constant (it then skips the scaling and its noise swamps the data). The
    noise scales with ``mean |x|``, so a large offset of a side (``x + 1e12``) swamps the data with
    noise: no invariance beyond a positive scale is claimed (tag ``invariance = "none"``).
    Constant columns are dropped first (a constant side gives ``I = 0``).

    Parameters
    ----------
    n_neighbors : int, default 3
        Neighbours of the k-NN estimators (``k`` of KSG and Ross).
    discrete_x, discrete_y : "auto" or bool, default "auto"
        Treat the side as discrete symbols; ``"auto"``: when all its values are integers.
    random_state : None, int or Generator
        Seeds the tie-breaking noise (through one integer seed passed to scikit-learn).

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (``≥ 0``: scikit-learn clips at 0).
    sklearn_function_ : str
        ``"mutual_info_regression"`` or ``"mutual_info_classif"`` (``"none"`` for a constant side).
    discrete_x_, discrete_y_ : bool
        The kinds used.
    sklearn_seed_ : int
        The seed passed to scikit-learn.

    References
    ----------
    A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information", Phys. Rev. E 69,
    066138 (2004), eq. (8).
    B. C. Ross, "Mutual information between discrete and continuous data sets", PLoS ONE 9(2),
    e87357 (2014).
    F. Pedregosa et al., "Scikit-learn: machine learning in Python", JMLR 12, 2825–2830 (2011);
    ``sklearn.feature_selection.mutual_info_regression``.
    """

    name = "sklearn-mi"
    version = "1"
    tags = {
        "accepts_x": "any",
        "accepts_y": "any",
        "stochastic": True,
        "max_dim": 2,
        "constant_columns": "drop",
    }
    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "discrete_x": [StrOptions({"auto"}), "boolean"],
        "discrete_y": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_neighbors: int = 3,
        discrete_x: Any = "auto",
        discrete_y: Any = "auto",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.discrete_x = discrete_x
        self.discrete_y = discrete_y
        self.random_state = random_state

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {"random_state": 0}

    def identity_parts(self) -> dict[str, Any]:
        """scikit-learn's ``major.minor`` version: its estimators, not ours, decide the result."""
        import sklearn

        return {"sklearn": ".".join(sklearn.__version__.split(".")[:2])}

    def _min_samples(self) -> int:
        return int(self.n_neighbors) + 1

    def _min_samples_message(self, n: int) -> str:
        k = int(self.n_neighbors)
        return f"n_neighbors={k} needs at least {k + 1} samples, got n={n}"

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

        for side, A in (("X", X), ("Y", Y)):
            if A.shape[1] != 1:
                raise ValueError(
                    f"sklearn-mi estimates the MI of one feature with one target, but {side} has "
                    f"{A.shape[1]} non-constant columns: scikit-learn has no joint estimator for several "
                    "columns (tag max_dim=2); use ksg for multivariate data"
                )
        x, y = X[:, 0], Y[:, 0]
        self.discrete_x_ = is_integer_valued(x) if self.discrete_x == "auto" else bool(self.discrete_x)
        self.discrete_y_ = is_integer_valued(y) if self.discrete_y == "auto" else bool(self.discrete_y)
        if self.discrete_x_ != self.discrete_y_:
            side, values = ("X", x) if self.discrete_x_ else ("Y", y)
            if np.unique(values, return_counts=True)[1].max() < 2:
                raise ValueError(
                    f"sklearn-mi: every symbol of the discrete side {side} occurs once; scikit-learn's "
                    f"discrete-continuous estimator ignores such samples: set discrete_{side.lower()}=False "
                    "or give more samples"
                )
        # a power of two per continuous side brings its standard deviation into [0.5, 1): exact in
        # floating point and cancelled by scikit-learn's own scaling, but scikit-learn treats a
        # feature whose standard deviation is below 10 · eps (2.2e-15) as constant and skips scaling it
        if not self.discrete_x_:
            X = unit_power_of_two(X)
        if not self.discrete_y_:
            y = unit_power_of_two(y)
        self.sklearn_seed_ = int(rng.integers(0, 2**32, dtype=np.uint64))
        kwargs = {"n_neighbors": int(self.n_neighbors), "random_state": self.sklearn_seed_}
        if self.discrete_y_:
            self.sklearn_function_ = "mutual_info_classif"
            labels = np.unique(y, return_inverse=True)[1].ravel()  # class labels 0…k−1 (only equality matters)
            mi = mutual_info_classif(X, labels, discrete_features=self.discrete_x_, **kwargs)
        else:
            self.sklearn_function_ = "mutual_info_regression"
            mi = mutual_info_regression(X, y, discrete_features=self.discrete_x_, **kwargs)
        self.mutual_info_ = float(mi[0])

    def _fit_constant_side(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        # a constant side is independent of the other: I = 0 exactly, without calling scikit-learn
        self.sklearn_function_, self.mutual_info_ = "none", 0.0
