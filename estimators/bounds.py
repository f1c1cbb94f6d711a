"""Variational bounds on mutual information as plain functions of critic scores.

A bound is a function ``bound(joint, marginal) -> value`` (type :data:`Bound`): ``joint`` holds the
critic's scores ``T(x_i, y_i)`` on samples of the joint distribution ``p(x, y)``, ``marginal`` its
scores on pairs drawn from the product of the marginals ``p(x) p(y)``; the value is a 0-d tensor
(differentiable, so that a trainer can maximise it). How the marginal pairs are formed is up to the
trainer (:mod:`ibbench.estimators.neural`): one shuffled partner per row (a vector of the same
length as ``joint``) or all pairs of a batch (a ``B × B`` matrix whose diagonal is ``joint``).

A *training objective* has the same signature and is maximised by gradient ascent; it may be a
bound itself or a surrogate whose gradient is better behaved (:class:`EMADonskerVaradhan`), and it
may keep state between the steps of one training run. New bounds are added here as one function
each, then declared by an estimator class in :mod:`ibbench.estimators.neural`.

Importing this module imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = [
    "Bound",
    "logmeanexp",
    "donsker_varadhan",
    "nwj",
    "infonce",
    "jensen_shannon",
    "nwj_shifted",
    "smile_readout",
    "EMADonskerVaradhan",
]

#: ``(scores on joint samples, scores on product-of-marginals samples) -> bound`` (0-d tensor).
Bound = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def logmeanexp(v: torch.Tensor) -> torch.Tensor:
    """``log mean(exp(v))`` of a 1-D tensor, computed stably (``logsumexp(v) − log n``)."""
    return torch.logsumexp(v, dim=0) - math.log(v.numel())


def donsker_varadhan(joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
    """The Donsker–Varadhan bound ``I_DV(T) = E_p[T] − log E_q[e^T]`` (``q = p(x) p(y)``).

    ``joint`` and ``marginal`` are 1-D score vectors. ``I_DV(T) ≤ I(X; Y)`` for every critic, with
    equality at ``T = log p(x, y) / (p(x) p(y)) + const``. The mini-batch estimate of the log term
    is biased, and so is its gradient (see :class:`EMADonskerVaradhan`).

    References
    ----------
    M. I. Belghazi et al., "Mutual Information Neural Estimation", ICML 2018, Theorem 1 and eq. (10)
    (the MINE estimator ``sup_θ E_P[T_θ] − log E_{P⊗P}[e^{T_θ}]``).
    M. D. Donsker, S. R. S. Varadhan, "Asymptotic evaluation of certain Markov process
    expectations for large time IV", Comm. Pure Appl. Math. 36 (1983).
    """
    return joint.mean() - logmeanexp(marginal)


def nwj(joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
    """The Nguyen–Wainwright–Jordan bound ``I_NWJ(T) = E_p[T] − e^{−1} E_q[e^T]`` ("MINE-f").

    ``joint`` and ``marginal`` are 1-D score vectors. A lower bound for every critic, tight at
    ``T = 1 + log p(x, y) / (p(x) p(y))``. Linear in the expectations, so mini-batch estimates and
    their gradients are unbiased, at the price of a variance growing like ``e^I``.

    References
    ----------
    X. Nguyen, M. J. Wainwright, M. I. Jordan, "Estimating divergence functionals and the
    likelihood ratio by convex risk minimization", IEEE Trans. Inf. Theory 56 (2010), eq. (13)
    (Kullback–Leibler case).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (9) (I_NWJ).
    """
    return joint.mean() - torch.exp(marginal - 1.0).mean()


def infonce(joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
    """The InfoNCE (contrastive predictive coding) bound on a batch of ``B`` pairs.

    ``marginal`` is the ``B × B`` score matrix ``T(x_i, y_j)`` of every pair of the batch and
    ``joint`` its diagonal ``T(x_i, y_i)``::

        I_NCE = mean_i [ T(x_i, y_i) − log Σ_j e^{T(x_i, y_j)} ] + log B   (≤ log B)

    A lower bound whose value can never exceed ``log B``, so it saturates once ``I(X; Y)``
    approaches ``log B``.

    References
    ----------
    A. van den Oord, Y. Li, O. Vinyals, "Representation learning with contrastive predictive
    coding", arXiv:1807.03748 (2018), eqs. (4)–(5) and the ``log N`` bound below eq. (5).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (12).
    """
    return (joint - torch.logsumexp(marginal, dim=1)).mean() + math.log(marginal.shape[1])


def jensen_shannon(joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
    """The f-GAN Jensen–Shannon objective ``E_p[−softplus(−T)] − E_q[softplus(T)]``.

    ``joint`` and ``marginal`` are 1-D score vectors. With ``σ`` the logistic function the integrand
    is ``p log σ(T) + q log(1 − σ(T))`` (a logistic-regression log likelihood telling joint from
    product samples), maximised pointwise at ``σ(T) = p/(p + q)``, i.e. at the log density ratio
    ``T* = log p(x, y) / (p(x) p(y))``; its maximum is ``2 JSD(p ‖ q) − log 4``, a divergence, not the MI.
    Used as a *training objective* (bounded scores, low-variance gradients); the MI is read out
    with another bound on the trained critic (:func:`nwj_shifted`, :func:`smile_readout`).

    References
    ----------
    S. Nowozin, B. Cseke, R. Tomioka, "f-GAN: Training generative neural samplers using
    variational divergence minimization", NeurIPS 2016, Table 2 (GAN / Jensen–Shannon row, up to
    the constant ``log 4``).
    R. D. Hjelm et al., "Learning deep representations by mutual information estimation and
    maximization", ICLR 2019, eq. (4) (the JSD-based MI objective of Deep InfoMax).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, §2.3.
    """
    return -torch.nn.functional.softplus(-joint).mean() - torch.nn.functional.softplus(marginal).mean()


def nwj_shifted(joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
    """The NWJ bound of the critic shifted by one: ``I_NWJ(T + 1) = E_p[T] + 1 − E_q[e^T]``.

    The readout for a critic trained towards the log density ratio ``log r`` (the
    Jensen–Shannon objective, :func:`jensen_shannon`): :func:`nwj` is tight at ``1 + log r``, so
    ``I_NWJ(log r) = I − e^{−1}`` would be off by ``e^{−1} E_q[r] = e^{−1}`` nats, while
    ``I_NWJ(log r + 1) = E_p[log r] + 1 − E_q[r] = I + 1 − 1 = I``. A lower bound for every ``T``
    (it is :func:`nwj` of the critic ``T + 1``).

    References
    ----------
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (9) (I_NWJ) and
    §2.3 (training the critic with the JS objective and reading the MI out with I_NWJ).
    """
    return joint.mean() + 1.0 - torch.exp(marginal).mean()


def smile_readout(clip: float) -> Bound:
    """The SMILE estimate with clipping threshold ``τ = clip`` (a :data:`Bound`).

    ``I_SMILE(T, τ) = E_p[T] − log E_q[clip(e^T, e^{−τ}, e^τ)]``: the Donsker–Varadhan bound whose
    partition function uses the clipped ratio; the joint term is not clipped. Clipping caps the
    variance of the partition estimate (at most ``(e^τ − e^{−τ})²/4``), at the price of a bias that
    vanishes as ``τ → ∞`` (then it is :func:`donsker_varadhan`). ``clip(e^T, e^{−τ}, e^τ) =
    e^{clamp(T, −τ, τ)}``, evaluated in log space.

    References
    ----------
    J. Song, S. Ermon, "Understanding the limitations of variational mutual information
    estimators", ICLR 2020: the definition of I_SMILE and the theorem bounding the variance of its
    clipped partition term (section and equation numbers not verified here).
    """
    if not clip > 0:
        raise ValueError(f"clip must be positive, got {clip!r}")
    tau = float(clip)

    def smile(joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
        return joint.mean() - logmeanexp(torch.clamp(marginal, -tau, tau))

    return smile


class EMADonskerVaradhan:
    """MINE's training objective: Donsker–Varadhan with a moving-average corrected gradient.

    The gradient of ``log E_q[e^T]`` is ``E_q[∇T e^T] / E_q[e^T]``; on a mini-batch the denominator
    is a biased estimate. MINE replaces it by an exponential moving average of ``E_q[e^T]`` over
    the training steps (weight ``rate`` for the newest batch, kept in log space). Calling the
    objective returns the surrogate ``E_p[T] − E_q[e^T] / EMA`` (EMA held constant), whose
    gradient is ``E_p[∇T] − E_q[∇T e^T] / EMA``; its *value* is not the bound (read the bound out
    with :func:`donsker_varadhan`). Stateful: make a fresh instance per training run.

    Parameters
    ----------
    rate : float in (0, 1]
        Weight of the newest batch in the moving average (1: no averaging).

    References
    ----------
    M. I. Belghazi et al., "Mutual Information Neural Estimation", ICML 2018, §3.2 (correcting the
    bias in the gradients) and Algorithm 1.
    """

    def __init__(self, rate: float):
        if not 0 < rate <= 1:
            raise ValueError(f"rate must be in (0, 1], got {rate!r}")
        self.rate = float(rate)
        self.log_ema: torch.Tensor | None = None

    def __call__(self, joint: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
        lme = logmeanexp(marginal)
        old = self.log_ema
        if old is None:
            new = lme.detach()
        else:
            new = torch.logaddexp(old + math.log1p(-self.rate), lme.detach() + math.log(self.rate))
        self.log_ema = new
        return joint.mean() - torch.exp(lme - new)
