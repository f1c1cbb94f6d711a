"""Discrete tasks: categorical joint distributions with exactly known MI."""

from __future__ import annotations

import numpy as np

from ibbench.task import Task


class CategoricalTask(Task):
    """X uniform over ``n_symbols`` categories, Y = X sent through a symmetric channel.

    With probability ``1 − flip`` Y equals X, otherwise Y is uniform over the other
    ``n_symbols − 1`` categories. The MI of this ``n_symbols``-ary symmetric channel with uniform
    input is ``log K − H_b(flip) − flip · log(K − 1)`` nats (Cover & Thomas, Sec. 7.2), where ``H_b``
    is the binary entropy. Both sides are integer codes ``0 … K−1`` (``x_kind = y_kind =
    "discrete"``).

    Parameters
    ----------
    n_symbols : int, default 4
        Number of categories K (>= 2).
    flip : float, default 0.2
        Probability that Y differs from X, in ``[0, 1]``.
    """

    name = "categorical"
    family = "discrete"
    x_kind = "discrete"
    y_kind = "discrete"
    dim_x = 1
    dim_y = 1

    def __init__(self, n_symbols=4, flip=0.2):
        if not isinstance(n_symbols, (int, np.integer)) or n_symbols < 2:
            raise ValueError(f"n_symbols must be an integer >= 2, got {n_symbols!r}")
        if not 0.0 <= flip <= 1.0:
            raise ValueError(f"flip must be a probability in [0, 1], got {flip!r}")
        self.n_symbols = int(n_symbols)
        self.flip = float(flip)

    def joint_table(self) -> np.ndarray:
        """The joint probability table ``p(x, y)``, shape ``(K, K)``."""
        k = self.n_symbols
        off = self.flip / (k - 1)
        table = np.full((k, k), off / k)
        np.fill_diagonal(table, (1.0 - self.flip) / k)
        return table

    def _true_mi(self) -> float:
        k, e = self.n_symbols, self.flip
        hb = -sum(p * np.log(p) for p in (e, 1.0 - e) if p > 0)
        return float(np.log(k) - hb - (e * np.log(k - 1) if e > 0 else 0.0))

    def _sample(self, n, rng):
        k = self.n_symbols
        x = rng.integers(0, k, n)
        flipped = rng.random(n) < self.flip
        shift = rng.integers(1, k, n)  # uniform over the other k-1 symbols
        y = np.where(flipped, (x + shift) % k, x)
        return x[:, None], y[:, None]

    @classmethod
    def get_test_params(cls):
        return {"n_symbols": 3, "flip": 0.3}
