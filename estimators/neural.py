"""Neural variational lower bounds on mutual information: MINE (Donsker–Varadhan), InfoNCE and NWJ.

One trainer serves every bound: a critic ``T(x, y)`` (an MLP on the concatenated pair, or a
separable ``f(x)·g(y)``) is trained with Adam to maximise the bound on mini-batches; the estimate is
the bound of the trained critic evaluated on data, averaged over the last part of training.
Negative (product-of-marginals) samples are the batch's ``y`` rows shuffled within the batch.

This module imports torch at import time; the registry loads it only when one of its estimators is
requested, so ``import ibbench`` stays torch-free.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ibbench._math.random import as_generator
from ibbench.base import MIEstimator
from ibbench.params import Interval, IntSequence, StrOptions
from ibbench.estimators._critics import _dv, _infonce, _JointCritic, _logmeanexp, _nwj, _SeparableCritic
from ibbench.estimators._torch import as_tensor, check_hidden, init_weights_, torch_generator, torch_session

__all__ = ["MINE", "InfoNCE", "NWJ"]


# ----------------------------------------------------------------------------------------- trainer
class _NeuralMI(MIEstimator):
    """Common trainer; subclasses set ``bound`` and their own ``__init__`` (scikit-learn needs an
    explicit signature)."""

    bound: str = ""
    version = "1"
    # inputs are standardised per column, but a sign flip changes the critic's input and at offsets
    # ~1e12 × spread the rounded column mean shifts the float32 inputs by ~1e-4 (estimates move ~1e-3)
    tags = {"accepts_x": "continuous", "accepts_y": "continuous", "stochastic": True, "symmetric": False,
            "invariance": "none"}
    _parameter_constraints = {
        "hidden": [Interval(Integral, 1, None, closed="left"), IntSequence(min_len=1)],
        "activation": [StrOptions({"relu", "elu", "tanh", "leaky_relu"})],
        "critic": [StrOptions({"joint", "separable"})],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "average_last": [Interval(Real, 0, 1, closed="right")],
        "eval_every": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(Real, 0, 1, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "callback": [callable, None],
        "random_state": ["random_state"],
    }

    # -- parameters shared by all bounds
    def _check_params(self) -> None:
        self._hidden = check_hidden(self.hidden)
        if self.critic not in ("joint", "separable"):
            raise ValueError(f"critic must be 'joint' or 'separable', got {self.critic!r}")
        for pname in ("n_steps", "batch_size", "eval_every"):
            value = getattr(self, pname)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{pname} must be a positive int, got {value!r}")
        if self.n_epochs is not None and not self.n_epochs > 0:
            raise ValueError(f"n_epochs must be None or > 0, got {self.n_epochs!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if not 0 < self.average_last <= 1:
            raise ValueError(f"average_last must be in (0, 1], got {self.average_last!r}")
        if not 0 <= self.test_size < 1:
            raise ValueError(f"test_size must be in [0, 1), got {self.test_size!r}")
        if self.callback is not None and not callable(self.callback):
            raise ValueError(f"callback must be callable or None, got {self.callback!r}")

    def _build_critic(self, dx: int, dy: int) -> nn.Module:
        if self.critic == "joint":
            return _JointCritic(dx, dy, self._hidden, self.activation)
        return _SeparableCritic(dx, dy, self._hidden, self.activation, int(getattr(self, "embed_dim", 32)))

    # -- per-bound hooks
    def _train_objective(self, critic, x, y, gen, state: dict) -> tuple[torch.Tensor, float]:
        """(loss to minimise, value of the bound on this batch)."""
        if self.bound == "infonce":
            value = _infonce(critic.matrix(x, y))
            return -value, float(value.detach())
        b = len(x)  # positives and shuffled negatives in one forward pass
        scores = critic.pair(torch.cat([x, x]), torch.cat([y, y[torch.randperm(b, generator=gen)]]))
        pos, neg = scores[:b], scores[b:]
        if self.bound == "nwj":
            value = _nwj(pos, neg)
            return -value, float(value.detach())
        # MINE: the gradient of log E_q[e^T] is E_q[∇T e^T] / E_q[e^T]; the biased mini-batch
        # denominator is replaced by an exponential moving average (Belghazi et al. 2018, §3.2).
        lme = _logmeanexp(neg)
        rate = float(self.ema_rate)
        old = state.get("log_ema")
        new = lme.detach() if old is None else torch.logaddexp(old + math.log1p(-rate), lme.detach() + math.log(rate))
        state["log_ema"] = new
        surrogate = pos.mean() - torch.exp(lme - new)  # gradient: E_p[∇T] − E_q[∇T e^T] / EMA
        value = pos.mean() - lme
        return -surrogate, float(value.detach())

    def _evaluate(self, critic, X: torch.Tensor, Y: torch.Tensor, gen) -> float:
        """The bound of the current critic on ``(X, Y)`` (fresh negatives each call)."""
        n = len(X)
        perm = torch.randperm(n, generator=gen)
        if self.bound == "infonce":  # in chunks of the batch size: the ceiling stays log(batch)
            b = self._eval_batch
            vals = [_infonce(critic.matrix(X[idx], Y[idx])) for idx in perm[: (n // b) * b].view(-1, b)]
            return float(torch.stack(vals).mean())
        scores = critic.pair(torch.cat([X, X]), torch.cat([Y, Y[perm]]))
        pos, neg = scores[:n], scores[n:]
        return float(_dv(pos, neg) if self.bound == "mine" else _nwj(pos, neg))

    # -- the loop
    def fit(self, X, Y):
        self.validate_params()
        X, Y = self._validate_pair(X, Y)
        self._check_params()
        rng = as_generator(self.random_state)
        X, Y = _standardize(X), _standardize(Y)
        n = len(X)
        order = rng.permutation(n)
        n_test = int(round(self.test_size * n))
        if self.test_size > 0 and not 2 <= n_test <= n - 2:
            raise ValueError(f"test_size={self.test_size} leaves {n_test} of {n} rows held out; need 2..n-2")
        train_idx, test_idx = (order[n_test:], order[:n_test]) if n_test else (order, order)
        batch = min(int(self.batch_size), len(train_idx))
        self._eval_batch = min(int(self.batch_size), len(test_idx))
        n_steps = int(self.n_steps)
        if self.n_epochs is not None:
            n_steps = max(1, math.ceil(float(self.n_epochs) * len(train_idx) / batch))
        start_avg = n_steps - max(1, int(round(self.average_last * n_steps)))

        with torch_session(self.n_threads):
            gen = torch_generator(rng)
            Xt, Yt = as_tensor(X[train_idx]), as_tensor(Y[train_idx])
            Xe, Ye = as_tensor(X[test_idx]), as_tensor(Y[test_idx])
            critic = init_weights_(self._build_critic(X.shape[1], Y.shape[1]), gen)
            opt = torch.optim.AdamW(critic.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay),
                                    foreach=True)
            state: dict[str, Any] = {}
            history: dict[str, list] = {"train": [], "eval_step": [], "eval": []}
            batches = _batches(len(train_idx), batch, gen)
            for step in range(n_steps):
                idx = next(batches)
                loss, value = self._train_objective(critic, Xt[idx], Yt[idx], gen, state)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                history["train"].append(value)
                if step >= start_avg and ((step - start_avg) % int(self.eval_every) == 0 or step == n_steps - 1):
                    with torch.no_grad():
                        history["eval_step"].append(step + 1)
                        history["eval"].append(self._evaluate(critic, Xe, Ye, gen))
                if self.callback is not None:
                    self.callback({"step": step + 1, "n_steps": n_steps, "train_bound": value,
                                   "eval_bound": history["eval"][-1] if history["eval"] else None})
        evals = np.asarray(history["eval"], dtype=float)
        if not np.all(np.isfinite(evals)):
            raise ValueError(f"{self.name}: training diverged (non-finite bound); lower lr or use fewer steps")
        self.history_ = history
        self.n_steps_ = n_steps
        self.batch_size_ = batch
        self.mutual_info_ = float(evals.mean())
        self._after_fit()
        return self

    def _after_fit(self) -> None:
        pass


def _standardize(A: np.ndarray) -> np.ndarray:
    """Columns to zero mean, unit variance (constant columns only centred); MI is unchanged."""
    std = A.std(axis=0)
    return (A - A.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _batches(n: int, b: int, gen: torch.Generator):
    """Endless full mini-batches of ``b`` row indices: shuffle each epoch, drop the ragged end."""
    while True:
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n - b + 1, b):
            yield perm[i:i + b]


_COMMON_DOC = """
    hidden : int or tuple of int, default (128, 128)
        Hidden-layer widths of the critic MLP(s).
    activation : {"relu", "elu", "tanh", "leaky_relu"}, default "relu"
    n_steps : int, default 1000
        Optimiser steps (mini-batches); ignored when ``n_epochs`` is given.
    n_epochs : float or None
        Train for this many passes over the training rows instead (``ceil(n_epochs·n/batch)`` steps).
    batch_size : int, default 512
        Mini-batch size (capped at the number of training rows); incomplete batches are dropped.
    lr : float, default 1e-3
        Adam learning rate.
    weight_decay : float, default 0 (MINE, NWJ) or 1.0 (InfoNCE)
        Decoupled weight decay (AdamW: every step shrinks the weights by ``lr·weight_decay``). It
        damps the critic's memorisation of the training pairs, which a held-out evaluation sees as
        a negative bias; InfoNCE's separable critic needs it most (at n = 5000 on independent data
        −0.10 nats without, −0.05 with the default).
    average_last : float, default 0.2
        The estimate is the mean of the bound evaluated every ``eval_every`` steps over this final
        fraction of training (averaging over critics damps the SGD noise of a single snapshot).
    eval_every : int, default 10
        Evaluation period (steps) within the averaging window.
    test_size : float, default 0.2
        Fraction of rows held out from training; the evaluations use only these rows. 0 trains and
        evaluates on all rows: more data for the critic, but an optimistic bias from a critic that
        has fitted the sample (at n = 5000 and the defaults ≈ +0.05 nats for MINE and +0.09 for
        InfoNCE on independent data, against −0.04 / −0.1 held out).
    n_threads : int or None, default 1
        Torch intra-op threads inside ``fit`` (restored afterwards). Fixing it makes results
        bit-identical across machines' thread settings; None keeps the current setting.
    callback : callable or None
        Called after every step with a dict ``{step, n_steps, train_bound, eval_bound}``.
    random_state : None, int or numpy Generator
        Seeds the initialisation, the batches, the negatives and the split.
"""

_ATTR_DOC = """
    mutual_info_ : float
        The estimate (nats): mean of the evaluated bound over the averaging window.
    history_ : dict
        ``train``: bound on each training mini-batch; ``eval_step``/``eval``: the evaluations that
        were averaged.
    n_steps_, batch_size_ : int
        Steps and batch size actually used.
"""


class MINE(_NeuralMI):
    __doc__ = f"""Mutual Information Neural Estimation: the Donsker–Varadhan bound with EMA-corrected gradients.

    Maximises ``I_DV(T) = E_p[T(x, y)] − log E_{{p_x p_y}}[e^{{T(x, y)}}]`` over a critic MLP ``T``
    with Adam. The mini-batch gradient of the log term is biased; MINE divides by an exponential
    moving average of ``E[e^T]`` instead of the batch mean (rate ``ema_rate``). The estimate is the
    DV bound of the critic on all held-out rows (``test_size``; negatives: one fresh shuffle of
    ``y`` per evaluation), averaged over the last ``average_last`` of training (as in Butakov et
    al.'s use of MINE, "mean over the last epochs").

    Parameters
    ----------
    ema_rate : float, default 0.01
        Weight of the newest batch in the moving average of ``E_q[e^T]``.
    critic : {{"joint", "separable"}}, default "joint"
        ``MLP([x, y])`` or ``f(x)·g(y)``.
    embed_dim : int, default 32
        Output size of ``f`` and ``g`` of a separable critic.
{_COMMON_DOC}
    Attributes
    ----------
{_ATTR_DOC}
    References
    ----------
    M. I. Belghazi et al., "Mutual Information Neural Estimation", ICML 2018, eq. (10) (the
    estimator) and §3.2 (bias-corrected gradient with a moving average).
    M. D. Donsker, S. R. S. Varadhan, "Asymptotic evaluation of certain Markov process
    expectations for large time IV", Comm. Pure Appl. Math. 36 (1983).
    """

    name = "mine"
    _parameter_constraints = {**_NeuralMI._parameter_constraints, "ema_rate": [Interval(Real, 0, 1, closed="right")]}
    bound = "mine"

    def __init__(self, hidden=(128, 128), activation="relu", critic="joint", embed_dim=32, n_steps=1000,
                 n_epochs=None, batch_size=512, lr=1e-3, weight_decay=0.0, ema_rate=0.01, average_last=0.2,
                 eval_every=10, test_size=0.2, n_threads=1, callback: Callable | None = None, random_state=None):
        self.hidden = hidden
        self.activation = activation
        self.critic = critic
        self.embed_dim = embed_dim
        self.n_steps = n_steps
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.ema_rate = ema_rate
        self.average_last = average_last
        self.eval_every = eval_every
        self.test_size = test_size
        self.n_threads = n_threads
        self.callback = callback
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        if not 0 < self.ema_rate <= 1:
            raise ValueError(f"ema_rate must be in (0, 1], got {self.ema_rate!r}")

    @classmethod
    def get_test_params(cls):
        return {"hidden": (32, 32), "n_steps": 150, "batch_size": 256, "lr": 3e-3, "average_last": 0.3,
                "random_state": 0}


class NWJ(_NeuralMI):
    __doc__ = f"""The Nguyen–Wainwright–Jordan bound (f-divergence dual, "MINE-f").

    Maximises ``I_NWJ(T) = E_p[T] − e^{{−1}} E_{{p_x p_y}}[e^T]``, a lower bound tight at
    ``T = 1 + log p(x, y)/(p(x)p(y))``. Unlike Donsker–Varadhan it is linear in the expectations, so
    mini-batch gradients are unbiased, at the price of a variance that grows like ``e^I``. Same
    critic, training and averaging as :class:`MINE`.

    Parameters
    ----------
    critic : {{"joint", "separable"}}, default "joint"
    embed_dim : int, default 32
{_COMMON_DOC}
    Attributes
    ----------
{_ATTR_DOC}
    References
    ----------
    X. Nguyen, M. J. Wainwright, M. I. Jordan, "Estimating divergence functionals and the
    likelihood ratio by convex risk minimization", IEEE Trans. Inf. Theory 56 (2010), eq. (13)
    (Kullback–Leibler case).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (9) (I_NWJ).
    """

    name = "nwj"
    bound = "nwj"

    def __init__(self, hidden=(128, 128), activation="relu", critic="joint", embed_dim=32, n_steps=1000,
                 n_epochs=None, batch_size=512, lr=1e-3, weight_decay=0.0, average_last=0.2, eval_every=10,
                 test_size=0.2, n_threads=1, callback: Callable | None = None, random_state=None):
        self.hidden = hidden
        self.activation = activation
        self.critic = critic
        self.embed_dim = embed_dim
        self.n_steps = n_steps
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.average_last = average_last
        self.eval_every = eval_every
        self.test_size = test_size
        self.n_threads = n_threads
        self.callback = callback
        self.random_state = random_state

    @classmethod
    def get_test_params(cls):
        return {"hidden": (32, 32), "n_steps": 150, "batch_size": 256, "lr": 3e-3, "average_last": 0.3,
                "random_state": 0}


class InfoNCE(_NeuralMI):
    __doc__ = f"""InfoNCE (contrastive predictive coding) lower bound, capped at ``log(batch)``.

    Maximises ``I_NCE(T) = E[ (1/B) Σ_i log( e^{{T(x_i, y_i)}} / ((1/B) Σ_j e^{{T(x_i, y_j)}}) ) ]``
    over batches of ``B`` pairs, the other ``y_j`` of the batch serving as negatives. The bound can
    never exceed ``log B``: when the true MI approaches that ceiling the estimate saturates just
    below it, which is reported in ``saturated_``. Evaluations use chunks of ``batch_size`` rows so
    the ceiling of the estimate is the training one. Default critic is separable
    (``f(x)·g(y)``: the ``B × B`` score matrix is one matrix product); a joint critic needs ``B²``
    forward passes per batch.

    Parameters
    ----------
    critic : {{"separable", "joint"}}, default "separable"
    embed_dim : int, default 32
        Output size of ``f`` and ``g``.
    saturation_margin : float, default 1.0
        ``saturated_`` is set when the estimate is within this many nats of ``log B``. Even with
        the optimal critic InfoNCE is roughly ``log B − log(1 + (B − 1) e^{{−I}})``: about
        ``log B − 0.7`` at ``I = log B`` and ``log B − 2.3`` at ``I = log B − 1``, so an estimate
        within 1 nat of the ceiling means the true MI is near or above ``log B`` and the estimate
        is limited by the batch size (measured at n = 5000, B = 512: I = 8 gives 5.59, I = 12
        gives 6.10, against log 512 = 6.24).
{_COMMON_DOC}
    Attributes
    ----------
{_ATTR_DOC}    ceiling_ : float
        ``log B`` of the evaluation batches, the largest value the bound can take.
    saturated_ : bool
        ``mutual_info_ >= ceiling_ − saturation_margin``: the estimate is limited by the batch size,
        not by the data, and the true MI is probably larger.

    References
    ----------
    A. van den Oord, Y. Li, O. Vinyals, "Representation learning with contrastive predictive
    coding", arXiv:1807.03748 (2018), eqs. (4)–(5) and the ``log N`` bound below eq. (5).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (12).
    """

    name = "infonce"
    _parameter_constraints = {**_NeuralMI._parameter_constraints,
                              "saturation_margin": [Interval(Real, 0, None, closed="left")]}
    bound = "infonce"

    def __init__(self, hidden=(128, 128), activation="relu", critic="separable", embed_dim=32, n_steps=1000,
                 n_epochs=None, batch_size=512, lr=1e-3, weight_decay=1.0, average_last=0.2, eval_every=10,
                 test_size=0.2, saturation_margin=1.0, n_threads=1, callback: Callable | None = None,
                 random_state=None):
        self.hidden = hidden
        self.activation = activation
        self.critic = critic
        self.embed_dim = embed_dim
        self.n_steps = n_steps
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.average_last = average_last
        self.eval_every = eval_every
        self.test_size = test_size
        self.saturation_margin = saturation_margin
        self.n_threads = n_threads
        self.callback = callback
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        if not self.saturation_margin >= 0:
            raise ValueError(f"saturation_margin must be >= 0, got {self.saturation_margin!r}")

    def _after_fit(self) -> None:
        self.ceiling_ = float(math.log(self._eval_batch))
        self.saturated_ = bool(self.mutual_info_ >= self.ceiling_ - float(self.saturation_margin))

    @classmethod
    def get_test_params(cls):
        return {"hidden": (32, 32), "n_steps": 150, "batch_size": 256, "lr": 3e-3, "average_last": 0.3,
                "random_state": 0}
