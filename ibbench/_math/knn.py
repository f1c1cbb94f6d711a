"""Nearest-neighbour numerics shared by the k-NN estimators (KL, weighted KL, KSG).

All queries go through ``scipy.spatial.cKDTree`` with ``workers=-1``; memory stays O(n·k).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import gammaln

#: ``p`` of the Minkowski norm used by cKDTree for the max-norm
MAX_NORM = np.inf


def log_unit_ball_volume(d: int, p: float = 2.0) -> float:
    """Log-volume of the unit ball of the ``p``-norm in ``d`` dimensions.

    ``p = 2``: ``pi^(d/2) / Gamma(d/2 + 1)``; ``p = inf``: the cube ``[-1, 1]^d`` of volume ``2^d``.
    """
    if np.isinf(p):
        return d * np.log(2.0)
    if p == 2:
        return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)
    return d * (np.log(2.0) + gammaln(1.0 + 1.0 / p)) - gammaln(1.0 + d / p)


def knn_distances(Z: np.ndarray, k: int, p: float = 2.0, tree: cKDTree | None = None) -> np.ndarray:
    """Distances from each row of ``Z`` to its 1st…k-th nearest other row, shape ``(n, k)``."""
    n = len(Z)
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, n-1] = [1, {n - 1}], got k={k}")
    tree = cKDTree(Z) if tree is None else tree
    dist, _ = tree.query(Z, k=k + 1, p=p, workers=-1)
    return np.ascontiguousarray(dist[:, 1:])


def count_within(Z: np.ndarray, radii: np.ndarray, p: float = 2.0, strict: bool = True,
                 tree: cKDTree | None = None) -> np.ndarray:
    """Number of *other* rows of ``Z`` within ``radii[i]`` of row ``i``.

    ``strict=True`` counts distances ``< r`` (KSG algorithm 1, eq. 8), ``False`` counts ``<= r``
    (algorithm 2, eq. 9). The strict inequality is realised with ``nextafter(r, 0)``, which is exact
    for floating-point distances.
    """
    tree = cKDTree(Z) if tree is None else tree
    r = np.nextafter(radii, 0) if strict else np.asarray(radii, dtype=np.float64)
    counts = tree.query_ball_point(Z, r, p=p, return_length=True, workers=-1)
    return np.asarray(counts, dtype=np.int64) - 1  # the point itself is always within its radius


def prepare_knn_input(A: np.ndarray, standardize: bool, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """Optionally scale columns to unit variance, then add ``jitter``-sized noise to break ties.

    Duplicate points (discrete data, saturated activations) make k-NN distances zero and counts
    ambiguous; a noise of relative size ``jitter`` (default 1e-10, as scikit-learn does) separates
    them without changing any distance that was not a tie by more than ~``jitter``.
    """
    if standardize:
        std = A.std(axis=0)
        A = A / np.where(std > 0, std, 1.0)
    if jitter > 0:
        scale = jitter * np.maximum(1.0, np.mean(np.abs(A), axis=0))
        A = A + scale * rng.standard_normal(A.shape)
    return A
