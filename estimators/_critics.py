"""Critics and variational bounds shared by the neural MI estimators (:mod:`ibbench.estimators.neural`).

Bounds on a batch of critic scores: Donsker–Varadhan (MINE), NWJ and InfoNCE (see the estimators'
References for the equations).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ibbench.estimators._torch import mlp

# ----------------------------------------------------------------------------------------- critics
class _JointCritic(nn.Module):
    """``T(x, y) = MLP([x, y])``; the score matrix costs one forward pass per pair."""

    def __init__(self, dx: int, dy: int, hidden, act: str):
        super().__init__()
        self.net = mlp(dx + dy, hidden, 1, act)

    def pair(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, y], dim=1)).squeeze(-1)

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        b, c = len(x), len(y)
        xx = x[:, None, :].expand(b, c, x.shape[1])
        yy = y[None, :, :].expand(b, c, y.shape[1])
        return self.net(torch.cat([xx, yy], dim=2)).squeeze(-1)


class _SeparableCritic(nn.Module):
    """``T(x, y) = f(x)·g(y)`` with two MLPs; the score matrix is one matrix product."""

    def __init__(self, dx: int, dy: int, hidden, act: str, embed_dim: int):
        super().__init__()
        self.f = mlp(dx, hidden, embed_dim, act)
        self.g = mlp(dy, hidden, embed_dim, act)

    def pair(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (self.f(x) * self.g(y)).sum(dim=1)

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.f(x) @ self.g(y).T


# ------------------------------------------------------------------------------------------ bounds
def _logmeanexp(v: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(v, dim=0) - math.log(v.numel())


def _dv(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """Donsker–Varadhan: ``E_p[T] − log E_q[e^T]``."""
    return pos.mean() - _logmeanexp(neg)


def _nwj(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """Nguyen–Wainwright–Jordan (f-divergence, "MINE-f"): ``E_p[T] − e^{−1} E_q[e^T]``."""
    return pos.mean() - torch.exp(neg - 1.0).mean()


def _infonce(scores: torch.Tensor) -> torch.Tensor:
    """InfoNCE on a ``(B, B)`` score matrix with the positives on the diagonal:
    ``mean_i [T_ii − log Σ_j e^{T_ij}] + log B`` (≤ log B)."""
    b = scores.shape[0]
    return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean() + math.log(b)
