"""The populations of the quantized-network tasks: the SZT 12-bit patterns and the sklearn digits.

Both are fixed, finite populations listed once each; the MI of a deterministic network layer over
such a population (uniform over its rows) is computed exactly by counting (see :mod:`.exact_mi`).
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: Neighbour lists of the 12 icosahedron vertices that the SZT bits live on.
ICOSAHEDRON_NEIGHBOURS = (
    (1, 3, 5, 10, 11),
    (0, 2, 3, 4, 11),
    (1, 3, 4, 8, 9),
    (0, 1, 2, 8, 10),
    (1, 2, 6, 9, 11),
    (0, 6, 7, 10, 11),
    (4, 5, 7, 9, 11),
    (5, 6, 8, 9, 10),
    (2, 3, 7, 9, 10),
    (2, 4, 6, 7, 8),
    (0, 3, 5, 7, 8),
    (0, 1, 4, 5, 6),
)

#: sha256 of the 4096 SZT labels written as an ASCII string of '0'/'1' in pattern order.
SZT_LABELS_SHA256 = "8adbd792d6400d00410815b5a1f01b05b59f15fd41ace0db85c7772aa5cf4566"

DATASETS = ("szt", "digits")

#: Bumped whenever a population (inputs or labels) changes (part of the qnn tasks' cell keys).
DATA_VERSION = "1"


def icosahedron_distances() -> np.ndarray:
    """Graph distances (0…3) between the 12 vertices, shape ``(12, 12)``, by breadth-first search."""
    dist = np.full((12, 12), -1, dtype=np.int64)
    for start in range(12):
        dist[start, start] = 0
        frontier = [start]
        while frontier:
            nxt = []
            for v in frontier:
                for w in ICOSAHEDRON_NEIGHBOURS[v]:
                    if dist[start, w] < 0:
                        dist[start, w] = dist[start, v] + 1
                        nxt.append(w)
            frontier = nxt
    return dist


def szt_patterns() -> np.ndarray:
    """All 4096 12-bit patterns in binary counting order, first column most significant.

    Returns
    -------
    numpy.ndarray of shape (4096, 12), dtype uint8, values 0/1.
    """
    return ((np.arange(4096)[:, None] >> np.arange(11, -1, -1)) & 1).astype(np.uint8)


def szt_labels(patterns: np.ndarray | None = None) -> np.ndarray:
    """Binary SZT labels: ``y = 1 ⇔ 23·|x| + e1 − 5·e2 − 8·e3 ≥ 99``.

    ``|x|`` is the number of active bits and ``e_d`` the number of unordered pairs of active bits at
    graph distance ``d`` on the icosahedron. The rule reproduces the data set of Shwartz-Ziv &
    Tishby bit for bit (2118 ones; sha256 :data:`SZT_LABELS_SHA256`).

    Parameters
    ----------
    patterns : array of shape (m, 12), optional
        Defaults to :func:`szt_patterns`.

    References
    ----------
    R. Shwartz-Ziv, N. Tishby, "Opening the black box of deep neural networks via information",
    2017, Sec. 3.1 (the data set); the rule as reconstructed from that description.
    """
    x = szt_patterns() if patterns is None else np.asarray(patterns)
    x = x.astype(np.int64)
    dist = icosahedron_distances()
    # x M x^T counts ordered pairs at distance d; each unordered pair twice (the diagonal is d = 0)
    e = [np.einsum("ni,ij,nj->n", x, (dist == d).astype(np.int64), x) // 2 for d in (1, 2, 3)]
    score = 23 * x.sum(axis=1) + e[0] - 5 * e[1] - 8 * e[2]
    return (score >= 99).astype(np.int64)


@cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "szt":
        x = szt_patterns()
        return x, szt_labels(x)
    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        return d.data.astype(np.uint8), d.target.astype(np.int64)
    raise ValueError(f"unknown qnn dataset {name!r}; known: {', '.join(DATASETS)}")


def load_population(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The whole population ``(X, y)`` of data set ``name`` (``"szt"`` or ``"digits"``).

    ``X`` holds small non-negative integers (SZT bits 0/1; digits pixel intensities 0…16, shape
    (1797, 64)); ``y`` integer labels (0/1; digits 0…9). Read-only copies are cached.
    """
    x, y = _dataset(name)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def input_scale(name: str) -> float:
    """The divisor that maps a data set's integer inputs to [0, 1] before the network."""
    return 16.0 if name == "digits" else 1.0
