"""k-nearest-neighbour MI estimators: Kraskov–Stögbauer–Grassberger (KSG)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from ibbench._math.knn import MAX_NORM, count_within, prepare_knn_input
from ibbench._math.random import as_generator
from ibbench.base import MIEstimator


class KSG(MIEstimator):
    """Kraskov–Stögbauer–Grassberger k-NN mutual-information estimator (algorithms 1 and 2).

    Works in the joint space with the max-norm. Algorithm 1 (eq. 8 of Kraskov et al.):
    ``I = ψ(k) + ψ(n) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩`` where ``ε_i`` is twice the distance to the
    k-th joint neighbour and ``n_x`` counts points strictly closer than ``ε_i / 2`` in X.
    Algorithm 2 (eq. 9): ``I = ψ(k) − 1/k + ψ(n) − ⟨ψ(n_x) + ψ(n_y)⟩`` where ``n_x`` counts points
    within ``ε_x,i / 2``, the largest X-distance among the k joint neighbours.

    Neighbour search uses ``scipy.spatial.cKDTree`` (``workers=-1``), memory O(n·k).

    Parameters
    ----------
    k : int, default 3
        Number of neighbours.
    algorithm : {1, 2}, default 1
        KSG algorithm.
    standardize : bool, default True
        Scale each column to unit variance first (MI is invariant, the max-norm is not).
    jitter : float, default 1e-10
        Relative size of seeded Gaussian noise that breaks ties between duplicate points; 0 disables.
    random_state : None, int or Generator
        Seeds the jitter.

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (not clipped at 0).

    References
    ----------
    A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information", Phys. Rev. E 69,
    066138 (2004), eqs. (8) and (9).
    """

    name = "ksg"
    version = "1"
    tags = {"accepts_x": "continuous", "accepts_y": "continuous", "stochastic": True}

    def __init__(self, k=3, algorithm=1, standardize=True, jitter=1e-10, random_state=None):
        self.k = k
        self.algorithm = algorithm
        self.standardize = standardize
        self.jitter = jitter
        self.random_state = random_state

    @classmethod
    def get_test_params(cls):
        return {"k": 3, "random_state": 0}

    def fit(self, X, Y):
        X, Y = self._validate_pair(X, Y)
        n, k = len(X), int(self.k)
        if not 1 <= k < n:
            raise ValueError(f"k must be in [1, n-1] = [1, {n - 1}], got k={self.k}")
        if self.algorithm not in (1, 2):
            raise ValueError(f"algorithm must be 1 or 2, got {self.algorithm!r}")
        rng = as_generator(self.random_state)
        X = prepare_knn_input(X, self.standardize, self.jitter, rng)
        Y = prepare_knn_input(Y, self.standardize, self.jitter, rng)
        self.mutual_info_ = float(ksg_mi(X, Y, k, self.algorithm))
        return self


def ksg_mi(X: np.ndarray, Y: np.ndarray, k: int, algorithm: int = 1) -> float:
    """KSG estimate (nats) on prepared 2-D float arrays; see :class:`KSG`."""
    n = len(X)
    joint = np.column_stack([X, Y])
    dist, idx = cKDTree(joint).query(joint, k=k + 1, p=MAX_NORM, workers=-1)
    if algorithm == 1:
        eps = dist[:, -1]
        nx = count_within(X, eps, p=MAX_NORM, strict=True)
        ny = count_within(Y, eps, p=MAX_NORM, strict=True)
        return digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    neighbours = idx[:, 1:]
    eps_x = np.max(np.abs(X[neighbours] - X[:, None, :]), axis=(1, 2))
    eps_y = np.max(np.abs(Y[neighbours] - Y[:, None, :]), axis=(1, 2))
    nx = count_within(X, eps_x, p=MAX_NORM, strict=False)
    ny = count_within(Y, eps_y, p=MAX_NORM, strict=False)
    return digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny))
