"""Critics ``T(x, y)`` of the neural MI estimators (:mod:`ibbench.estimators.neural`).

A critic scores pairs: :meth:`Critic.pair` scores row ``i`` of ``x`` with row ``i`` of ``y`` and
:meth:`Critic.matrix` every row of ``x`` with every row of ``y``. The variational bounds
(:mod:`ibbench.estimators.bounds`) are functions of these scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ibbench.estimators.torch_utils import mlp

__all__ = ["Critic", "JointCritic", "SeparableCritic", "make_critic", "CRITICS"]

#: Names accepted by :func:`make_critic`.
CRITICS = ("joint", "separable")


class Critic(nn.Module):
    """A trainable score ``T(x, y)``; subclasses implement :meth:`pair` and :meth:`matrix`."""

    def pair(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scores ``T(x_i, y_i)`` of aligned rows, shape ``(n,)``."""
        raise NotImplementedError

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Scores ``T(x_i, y_j)`` of all pairs, shape ``(len(x), len(y))``."""
        raise NotImplementedError


class JointCritic(Critic):
    """``T(x, y) = MLP([x, y])``; the score matrix costs one forward pass per pair."""

    def __init__(self, dx: int, dy: int, hidden: int | Sequence[int], act: str):
        super().__init__()
        self.net = mlp(dx + dy, hidden, 1, act)

    def pair(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, y], dim=1)).squeeze(-1)

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        b, c = len(x), len(y)
        xx = x[:, None, :].expand(b, c, x.shape[1])
        yy = y[None, :, :].expand(b, c, y.shape[1])
        return self.net(torch.cat([xx, yy], dim=2)).squeeze(-1)


class SeparableCritic(Critic):
    """``T(x, y) = f(x)·g(y)`` with two MLPs; the score matrix is one matrix product."""

    def __init__(self, dx: int, dy: int, hidden: int | Sequence[int], act: str, embed_dim: int):
        super().__init__()
        self.f = mlp(dx, hidden, embed_dim, act)
        self.g = mlp(dy, hidden, embed_dim, act)

    def pair(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (self.f(x) * self.g(y)).sum(dim=1)

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.f(x) @ self.g(y).T


def make_critic(kind: str, dx: int, dy: int, hidden: int | Sequence[int], act: str, embed_dim: int = 32) -> Critic:
    """A freshly built critic (torch's default initialisation; re-draw it with ``init_weights_``).

    Parameters
    ----------
    kind : {"joint", "separable"}
        :class:`JointCritic` or :class:`SeparableCritic`.
    dx, dy : int
        Input dimensions.
    hidden : int or sequence of int
        Hidden-layer widths of the MLP(s).
    act : str
        Activation between layers (see :func:`ibbench.estimators.torch_utils.activation`).
    embed_dim : int, default 32
        Output size of ``f`` and ``g`` of a separable critic (ignored by a joint one).
    """
    if kind == "joint":
        return JointCritic(dx, dy, hidden, act)
    if kind == "separable":
        return SeparableCritic(dx, dy, hidden, act, embed_dim)
    raise ValueError(f"critic must be one of {CRITICS}, got {kind!r}")
