"""Neural variational lower bounds on mutual information: MINE, DV, NWJ, InfoNCE, JS and SMILE.

One trainer serves every bound (:func:`train_critic`): a critic ``T(x, y)`` (an MLP on the
concatenated pair, or a separable ``f(x)·g(y)``, :mod:`ibbench.estimators.critics`) is trained
with AdamW to maximise a *training objective* on mini-batches; the estimate is a *readout bound* of
the trained critic evaluated on held-out data, averaged over the last part of training (with
``early_stopping``: over the window that ends where the smoothed held-out bound peaked). Both are
plain functions ``(scores on joint samples, scores on product-of-marginals samples) -> value``
(:mod:`ibbench.estimators.bounds`); a :class:`Pairing` says how the product-of-marginals samples
are formed (:data:`SHUFFLED_PAIRS`: the batch's ``y`` rows shuffled, one negative per row;
:data:`ALL_PAIRS`: every ``(x_i, y_j)`` of the batch).

An estimator is a thin declaration on :class:`NeuralEstimator`: name, version, tags, parameter
constraints and a ``_fit`` that hands its bound to :meth:`NeuralEstimator._train`. Adding a bound
takes a function in :mod:`ibbench.estimators.bounds` and a class such as :class:`DV`::

    class DV(NeuralEstimator):  # Donsker–Varadhan trained on its plain mini-batch gradient
        name = "dv"

        def _fit(self, X, Y, rng):
            self._train(X, Y, rng, objective=donsker_varadhan, readout=donsker_varadhan)

(an estimator with the shared parameters and defaults inherits ``__init__``; one with extra
parameters or other defaults declares its own and passes the shared ones to ``super().__init__``).

Fits run on the CPU by default (bit-deterministic); ``device="cuda"``/``"auto"`` moves the critic
and the data to a GPU (:func:`~ibbench.estimators.torch_utils.resolve_device`), with the same
random draws from a CPU generator but no bit-identity promise.

This module imports torch at import time; the registry loads it only when one of its estimators is
requested, so ``import ibbench`` stays torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

from ibbench.base import MIEstimator
from ibbench.estimators.bounds import (
    Bound,
    EMADonskerVaradhan,
    donsker_varadhan,
    infonce,
    jensen_shannon,
    nwj,
    nwj_shifted,
    smile_readout,
)
from ibbench.estimators.critics import Critic, make_critic
from ibbench.estimators.torch_utils import (
    DEVICES,
    as_tensor,
    check_hidden,
    device_identity,
    fit_context,
    holdout_split,
    init_weights_,
    minibatches,
    resolve_device,
    torch_generator,
)
from ibbench.numerics.columns import standardize_columns
from ibbench.params import Interval, IntSequence, StrOptions
from ibbench.uncertainty import batch_mean_stderr

__all__ = [
    "MINE",
    "InfoNCE",
    "NWJ",
    "DV",
    "SMILE",
    "JS",
    "NeuralEstimator",
    "train_critic",
    "Pairing",
    "SHUFFLED_PAIRS",
    "ALL_PAIRS",
]

#: Called after every training step with ``{step, n_steps, train_bound, eval_bound}``.
Callback = Callable[[dict[str, Any]], object]


# ---------------------------------------------------------------------------------------- pairings
class Pairing:
    """How a batch of joint samples ``(x_i, y_i)`` is turned into critic scores for a bound."""

    def scores(
        self, critic: Critic, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(joint, marginal)`` scores of one batch, as the bounds take them."""
        raise NotImplementedError

    def evaluate(
        self, critic: Critic, X: torch.Tensor, Y: torch.Tensor, gen: torch.Generator, bound: Bound, batch_size: int
    ) -> float:
        """``bound`` of ``critic`` on the evaluation rows ``(X, Y)`` (fresh negatives each call)."""
        raise NotImplementedError


class ShuffledPairs(Pairing):
    """One negative per row: the batch's ``y`` rows shuffled (scores are vectors of the batch length).

    Positives and negatives go through the critic in one forward pass. Evaluation scores all
    evaluation rows at once, with one fresh shuffle.
    """

    def scores(
        self, critic: Critic, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b = len(x)
        out = critic.pair(torch.cat([x, x]), torch.cat([y, y[torch.randperm(b, generator=gen)]]))
        return out[:b], out[b:]

    def evaluate(
        self, critic: Critic, X: torch.Tensor, Y: torch.Tensor, gen: torch.Generator, bound: Bound, batch_size: int
    ) -> float:
        return float(bound(*self.scores(critic, X, Y, gen)))


class AllPairs(Pairing):
    """Every ``(x_i, y_j)`` of a batch: ``joint`` is the diagonal of the ``B × B`` score matrix ``marginal``.

    Evaluation shuffles the evaluation rows once and averages the bound over chunks of
    ``batch_size`` rows (the ragged end dropped), so a bound capped by the batch size (InfoNCE:
    ``log B``) has the same cap in evaluation as in training.
    """

    def scores(
        self, critic: Critic, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        matrix = critic.matrix(x, y)
        return matrix.diagonal(), matrix

    def evaluate(
        self, critic: Critic, X: torch.Tensor, Y: torch.Tensor, gen: torch.Generator, bound: Bound, batch_size: int
    ) -> float:
        n, b = len(X), batch_size
        perm = torch.randperm(n, generator=gen)
        vals = [bound(*self.scores(critic, X[idx], Y[idx], gen)) for idx in perm[: (n // b) * b].view(-1, b)]
        return float(torch.stack(vals).mean())


#: Negatives by shuffling ``y`` within the batch (MINE, NWJ).
SHUFFLED_PAIRS = ShuffledPairs()
#: Negatives from all pairs of the batch (InfoNCE).
ALL_PAIRS = AllPairs()


# ----------------------------------------------------------------------------------------- trainer
def train_critic(
    critic: Critic,
    objective: Bound,
    readout: Bound,
    train: tuple[torch.Tensor, torch.Tensor],
    evaluation: tuple[torch.Tensor, torch.Tensor],
    gen: torch.Generator,
    *,
    pairing: Pairing = SHUFFLED_PAIRS,
    n_steps: int,
    batch_size: int,
    eval_batch_size: int,
    lr: float,
    weight_decay: float = 0.0,
    average_last: float = 0.2,
    eval_every: int = 10,
    early_stopping: bool = False,
    patience: int = 10,
    validation_every: int = 10,
    callback: Callback | None = None,
) -> dict[str, Any]:
    """Maximise ``objective`` over ``critic`` with AdamW; evaluate ``readout`` on the held-out rows.

    Parameters
    ----------
    critic : Critic
        The initialised critic; trained in place.
    objective : Bound
        Training objective ``(joint, marginal) -> value``, maximised on each mini-batch (a bound, or
        a surrogate with a better gradient; it may keep state between steps).
    readout : Bound
        The bound reported: on each training batch (``history["train"]``) and on the evaluation rows.
    train, evaluation : (X, Y) pairs of float32 tensors
        Training rows and evaluation (held-out) rows, on the critic's device.
    gen : torch.Generator
        Source of every random draw (a CPU generator): the batches (a fresh shuffle of the training
        rows per epoch, incomplete batches dropped) and the negatives.
    pairing : Pairing, default SHUFFLED_PAIRS
        How the product-of-marginals scores are formed.
    n_steps, batch_size, eval_batch_size : int
        Optimiser steps (at most, with early stopping), training mini-batch size, evaluation chunk
        size (:class:`AllPairs`).
    lr, weight_decay : float
        AdamW learning rate and decoupled weight decay.
    average_last : float in (0, 1]
        Length of the averaging window as a fraction of ``n_steps``. Without early stopping,
        ``readout`` is evaluated every ``eval_every`` steps over the final window of training (and
        after the last step), and the estimate is the mean of those evaluations.
    early_stopping : bool, default False
        Evaluate ``readout`` every ``validation_every`` steps over the *whole* training (and after
        the last step). The smoothed held-out curve is the mean of the evaluations within a window of
        ``average_last · n_steps`` steps ending at each evaluation; training stops once it has not
        improved for ``patience`` evaluations, and the estimate is its best value (the mean over the
        window ending at the stopping step ``history["stop_step"]``).
    patience, validation_every : int
        Early-stopping patience (evaluations) and evaluation period (steps).
    callback : callable or None
        Called after every step with ``{step, n_steps, train_bound, eval_bound}``.

    Returns
    -------
    dict
        ``train``: readout bound on each training batch (its length is the number of steps trained);
        ``eval_step`` (1-based) and ``eval``: the held-out evaluations (without early stopping all of
        them are averaged into the estimate). With early stopping also ``window``: ``[first, last]``
        indices into ``eval`` of the evaluations averaged into the estimate, ``stop_step``: the step
        that ends that window, and ``smoothed``: the window mean at each evaluation.
    """
    X_train, Y_train = train
    X_eval, Y_eval = evaluation
    window_steps = max(1, int(round(average_last * n_steps)))
    start_avg = n_steps - window_steps
    period = validation_every if early_stopping else eval_every
    opt = torch.optim.AdamW(critic.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    history: dict[str, Any] = {"train": [], "eval_step": [], "eval": []}
    smoothed: list[float] = []
    best, best_index, since_best = -math.inf, -1, 0
    batches = minibatches(len(X_train), batch_size, gen)
    for step in range(n_steps):
        idx = next(batches)
        joint, marginal = pairing.scores(critic, X_train[idx], Y_train[idx], gen)
        value = objective(joint, marginal)
        # the readout on this batch; when the objective is the readout itself, its value
        train_bound = float(value.detach() if objective is readout else readout(joint.detach(), marginal.detach()))
        opt.zero_grad(set_to_none=True)
        (-value).backward()
        opt.step()
        history["train"].append(train_bound)
        if early_stopping:
            due = (step + 1) % period == 0 or step == n_steps - 1
        else:
            due = step >= start_avg and ((step - start_avg) % period == 0 or step == n_steps - 1)
        stop = False
        if due:
            with torch.no_grad():
                history["eval_step"].append(step + 1)
                history["eval"].append(pairing.evaluate(critic, X_eval, Y_eval, gen, readout, eval_batch_size))
            if early_stopping:
                first = _window_start(history["eval_step"], step + 1 - window_steps)
                smoothed.append(float(np.mean(history["eval"][first:])))
                if smoothed[-1] > best:
                    best, best_index, since_best = smoothed[-1], len(smoothed) - 1, 0
                else:
                    since_best += 1
                    stop = since_best >= patience
        if callback is not None:
            callback(
                {
                    "step": step + 1,
                    "n_steps": n_steps,
                    "train_bound": train_bound,
                    "eval_bound": history["eval"][-1] if history["eval"] else None,
                }
            )
        if stop:
            break
    if early_stopping:
        stop_step = history["eval_step"][best_index]
        history["window"] = [
            _window_start(history["eval_step"][: best_index + 1], stop_step - window_steps),
            best_index,
        ]
        history["stop_step"] = stop_step
        history["smoothed"] = smoothed
    return history


#: Disjoint groups of held-out rows whose bound values give ``stderr_`` (when the evaluation itself has
#: fewer than two chunks).
HELDOUT_GROUPS = 10


def heldout_batch_values(
    pairing: Pairing,
    critic: Critic,
    X_eval: torch.Tensor,
    Y_eval: torch.Tensor,
    gen: torch.Generator,
    bound: Bound,
    batch_size: int,
) -> list[float]:
    """``bound`` of the trained ``critic`` on disjoint batches of the held-out rows (batch means).

    The standard error of their mean is the held-out sampling error of the estimate: the batches of
    ``batch_size`` rows that :class:`AllPairs` evaluation averages when there are at least two,
    else :data:`HELDOUT_GROUPS` equal groups of the shuffled held-out rows (for a bound capped by
    the batch size, InfoNCE, the groups' smaller cap then makes it approximate). The critic is the
    final one, whereas the estimate averages evaluations over the last part of training: the error
    covers the held-out rows and negatives, not training noise. Empty when fewer than 2 groups of
    2 rows exist.
    """
    n = len(X_eval)
    size = batch_size if isinstance(pairing, AllPairs) and n // batch_size >= 2 else n // HELDOUT_GROUPS
    if size < 2 or n // size < 2:
        return []
    perm = torch.randperm(n, generator=gen)[: (n // size) * size].view(-1, size)
    return [pairing.evaluate(critic, X_eval[idx], Y_eval[idx], gen, bound, size) for idx in perm]


def _window_start(eval_steps: list[int], after: int) -> int:
    """Index of the first evaluation made after step ``after`` (evaluations ``(after, now]`` form a window)."""
    return next(i for i, s in enumerate(eval_steps) if s > after)


# ------------------------------------------------------------------------------------ estimators
class NeuralEstimator(MIEstimator):
    """Base of the neural estimators: shared parameters, data preparation and :meth:`_train`.

    Subclasses declare ``name`` (and ``version``, tags, constraints of extra parameters) and a
    ``_fit`` that calls :meth:`_train` with their training objective and readout bound. The
    ``__init__`` here takes the shared parameters with the defaults of a joint-critic bound; a
    subclass with other defaults or extra parameters declares its own ``__init__`` (scikit-learn
    reads the parameters from its signature) and passes the shared ones on.
    """

    version = "2"
    # inputs are standardised per column, but a sign flip changes the critic's input and at offsets
    # ~1e12 × spread the rounded column mean shifts the float32 inputs by ~1e-4 (estimates move ~1e-3)
    tags = {
        "accepts_x": "continuous",
        "accepts_y": "continuous",
        "stochastic": True,
        "symmetric": False,
        "invariance": "none",
        "fit_cost": "fixed",  # a fixed number of training steps whatever n (bounds resampling refits)
    }
    _parameter_constraints: dict[str, Any] = {
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
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_every": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions(set(DEVICES))],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "callback": [callable, None],
        "random_state": ["random_state"],
    }
    #: keyed by the *resolved* device through :meth:`identity_parts`, not as the raw parameter
    identity_nested_params = ("device",)

    def __init__(
        self,
        hidden: int | Sequence[int] = (128, 128),
        activation: str = "relu",
        critic: str = "joint",
        embed_dim: int = 32,
        n_steps: int = 1000,
        n_epochs: float | None = None,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        average_last: float = 0.2,
        eval_every: int = 10,
        test_size: float = 0.2,
        early_stopping: bool = False,
        patience: int = 10,
        validation_every: int = 10,
        device: str = "cpu",
        n_threads: int | None = 1,
        callback: Callback | None = None,
        random_state: Any = None,
    ):
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
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_every = validation_every
        self.device = device
        self.n_threads = n_threads
        self.callback = callback
        self.random_state = random_state

    def identity_parts(self) -> dict[str, Any]:
        """``{"device": <resolved device>}`` when the fit does not run on the CPU, else nothing.

        "auto" on a machine without a GPU and "cpu" therefore share a cell key, and the keys of
        CPU cells are those from before the ``device`` parameter existed."""
        return device_identity(self.device)

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {
            "hidden": (32, 32),
            "n_steps": 150,
            "batch_size": 256,
            "lr": 3e-3,
            "average_last": 0.3,
            "random_state": 0,
        }

    def _train(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        rng: np.random.Generator,
        *,
        objective: Bound,
        readout: Bound,
        pairing: Pairing = SHUFFLED_PAIRS,
    ) -> None:
        """Standardise, split, train a fresh critic (:func:`train_critic`) and set the fitted attributes.

        Random draws, in order: the train/test split from ``rng``, one draw from ``rng`` seeding the
        torch generator, then the critic's initial weights, the batches and the negatives from it.
        """
        hidden = check_hidden(self.hidden)
        X, Y = standardize_columns(X), standardize_columns(Y)
        train_idx, test_idx = holdout_split(rng, len(X), self.test_size)
        batch = min(int(self.batch_size), len(train_idx))
        eval_batch = min(int(self.batch_size), len(test_idx))
        n_steps = int(self.n_steps)
        if self.n_epochs is not None:
            n_steps = max(1, math.ceil(float(self.n_epochs) * len(train_idx) / batch))

        device = resolve_device(self.device)
        with fit_context(self.n_threads, device):
            gen = torch_generator(rng)
            train = as_tensor(X[train_idx]).to(device), as_tensor(Y[train_idx]).to(device)
            evaluation = as_tensor(X[test_idx]).to(device), as_tensor(Y[test_idx]).to(device)
            critic = make_critic(self.critic, X.shape[1], Y.shape[1], hidden, self.activation, int(self.embed_dim))
            init_weights_(critic, gen)  # drawn on the CPU, so the initial critic does not depend on the device
            critic.to(device)
            history = train_critic(
                critic,
                objective,
                readout,
                train,
                evaluation,
                gen,
                pairing=pairing,
                n_steps=n_steps,
                batch_size=batch,
                eval_batch_size=eval_batch,
                lr=float(self.lr),
                weight_decay=float(self.weight_decay),
                average_last=self.average_last,
                eval_every=int(self.eval_every),
                early_stopping=bool(self.early_stopping),
                patience=int(self.patience),
                validation_every=int(self.validation_every),
                callback=self.callback,
            )
            with torch.no_grad():  # after every draw of the fit: the estimate is unchanged
                batch_values = heldout_batch_values(pairing, critic, *evaluation, gen, readout, eval_batch)
        evals = np.asarray(history["eval"], dtype=float)
        if not np.all(np.isfinite(evals)):
            raise ValueError(f"{self.name}: training diverged (non-finite bound); lower lr or use fewer steps")
        first, last = history.get("window", (0, len(evals) - 1))
        self.history_ = history
        self.n_steps_ = len(history["train"])
        self.batch_size_ = batch
        self.eval_batch_size_ = eval_batch
        self.device_ = str(device)
        self.mutual_info_ = float(evals[first : last + 1].mean())
        self.stderr_ = batch_mean_stderr(batch_values)


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
    early_stopping : bool, default False
        Evaluate the readout bound on the held-out rows every ``validation_every`` steps over the
        whole training, smooth it by the mean over the preceding ``average_last · n_steps`` steps,
        stop once the smoothed bound has not improved for ``patience`` evaluations, and report its
        best value (the mean over the window ending at ``history_["stop_step"]``). Guards against a
        critic that overfits a small training set (the held-out bound rises, then falls). Off by
        default: the estimates of the existing estimators (and their stored results) stay those of
        the fixed-budget protocol, and choosing the best of many noisy held-out evaluations on the
        rows that also give the estimate is biased upwards (see ``leaderboards/neural-bounds``).
        With ``test_size=0`` the evaluations see the training rows and cannot detect overfitting.
    patience : int, default 10
        Evaluations without improvement before early stopping ends training.
    validation_every : int, default 10
        Evaluation period (steps) with early stopping.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where the critic is trained ("auto": a CUDA GPU if torch sees one, else the CPU; "cuda"
        without a GPU raises ``ValueError``). CPU fits are bit-deterministic; GPU fits use the same
        random draws but need not be bit-identical (kernel reduction order). The resolved device is
        in ``device_`` and, when it is not the CPU, in the cell key.
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
        ``train``: readout bound on each training mini-batch; ``eval_step``/``eval``: the held-out
        evaluations (all averaged, without early stopping). With early stopping also ``smoothed``
        (window mean at each evaluation), ``window`` (``[first, last]`` indices of the averaged
        evaluations) and ``stop_step``.
    n_steps_, batch_size_ : int
        Steps actually trained (fewer than ``n_steps`` after an early stop) and batch size used.
    device_ : str
        The device the critic was trained on ("cpu" or e.g. "cuda").
    eval_batch_size_ : int
        Rows per evaluation chunk (the batch size capped at the number of held-out rows).
    stderr_ : float
        Held-out standard error: standard error of the mean of the trained critic's bound over
        disjoint batches of held-out rows (:func:`heldout_batch_values`); training noise (another
        seed, another critic) is not included. NaN with fewer than 20 held-out rows.
    ci_ : tuple of float
        95% normal interval ``mutual_info_ ± 1.96·stderr_``.
"""


class MINE(NeuralEstimator):
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
    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints,
        "ema_rate": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(
        self,
        hidden: int | Sequence[int] = (128, 128),
        activation: str = "relu",
        critic: str = "joint",
        embed_dim: int = 32,
        n_steps: int = 1000,
        n_epochs: float | None = None,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        ema_rate: float = 0.01,
        average_last: float = 0.2,
        eval_every: int = 10,
        test_size: float = 0.2,
        early_stopping: bool = False,
        patience: int = 10,
        validation_every: int = 10,
        device: str = "cpu",
        n_threads: int | None = 1,
        callback: Callback | None = None,
        random_state: Any = None,
    ):
        super().__init__(
            hidden=hidden,
            activation=activation,
            critic=critic,
            embed_dim=embed_dim,
            n_steps=n_steps,
            n_epochs=n_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            average_last=average_last,
            eval_every=eval_every,
            test_size=test_size,
            early_stopping=early_stopping,
            patience=patience,
            validation_every=validation_every,
            device=device,
            n_threads=n_threads,
            callback=callback,
            random_state=random_state,
        )
        self.ema_rate = ema_rate

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self._train(X, Y, rng, objective=EMADonskerVaradhan(float(self.ema_rate)), readout=donsker_varadhan)


class NWJ(NeuralEstimator):
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

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self._train(X, Y, rng, objective=nwj, readout=nwj)


class DV(NeuralEstimator):
    __doc__ = f"""The Donsker–Varadhan bound trained on its plain mini-batch gradient (MINE without the EMA).

    Maximises the mini-batch estimate ``E_p[T] − log mean_q e^T`` of ``I_DV(T)`` directly; its
    gradient is biased (the batch mean of ``e^T`` divides the gradient of the log term), which
    :class:`MINE` corrects with a moving average. Belghazi et al. describe both (eq. (10) is the
    estimator, §3.2 the bias correction); this is the uncorrected one, as the "DV" baseline of
    Poole et al. and Song & Ermon. The estimate is the DV bound of the critic on the held-out rows
    (one shuffled negative per row), averaged as in :class:`MINE`.

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
    M. I. Belghazi et al., "Mutual Information Neural Estimation", ICML 2018, Theorem 1, eq. (10).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (8) (I_DV).
    M. D. Donsker, S. R. S. Varadhan, "Asymptotic evaluation of certain Markov process
    expectations for large time IV", Comm. Pure Appl. Math. 36 (1983).
    """

    name = "dv"

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self._train(X, Y, rng, objective=donsker_varadhan, readout=donsker_varadhan)


class SMILE(NeuralEstimator):
    __doc__ = f"""SMILE: a Jensen–Shannon-trained critic read out by a clipped Donsker–Varadhan bound.

    Song & Ermon show that the variance of the partition-function estimate ``mean_q e^T`` (MINE,
    NWJ) grows exponentially with the MI, and define the smoothed estimator

        ``I_SMILE(T, τ) = E_p[T] − log E_q[clip(e^T, e^{{−τ}}, e^τ)]``

    (their definition of ``I_SMILE``; section and equation numbers not verified here). Only the
    ratio inside the partition function is clipped, the joint term ``E_p[T]`` is not; ``τ → ∞``
    gives the DV bound. As in their implementation the critic is
    trained with the f-GAN Jensen–Shannon objective ``E_p[−softplus(−T)] − E_q[softplus(T)]``
    (:func:`~ibbench.estimators.bounds.jensen_shannon`), whose optimum is the log density ratio,
    at which ``I_SMILE`` with ``τ = ∞`` equals the MI; clipping at ``τ`` costs a bias of at most a
    few ``e^{{−τ}}`` for small MI and grows once the ratio often exceeds ``e^τ`` (MI beyond ~τ nats).
    The readout is :func:`~ibbench.estimators.bounds.smile_readout` on the held-out rows (one
    shuffled negative per row: Song & Ermon use all off-diagonal pairs of a batch, an estimate of
    the same expectation), averaged as in :class:`MINE`.

    Parameters
    ----------
    clip : float, default 5.0
        The clipping threshold ``τ`` (their experiments use τ = 1, 5 and ∞; 5 is their default).
    critic : {{"joint", "separable"}}, default "joint"
    embed_dim : int, default 32
{_COMMON_DOC}
    Attributes
    ----------
{_ATTR_DOC}
    References
    ----------
    J. Song, S. Ermon, "Understanding the limitations of variational mutual information
    estimators", ICLR 2020: the definition of I_SMILE and the variance bound of its clipped
    partition term.
    S. Nowozin, B. Cseke, R. Tomioka, "f-GAN", NeurIPS 2016, Table 2 (the JS objective).
    """

    name = "smile"
    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints,
        "clip": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        hidden: int | Sequence[int] = (128, 128),
        activation: str = "relu",
        critic: str = "joint",
        embed_dim: int = 32,
        n_steps: int = 1000,
        n_epochs: float | None = None,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        clip: float = 5.0,
        average_last: float = 0.2,
        eval_every: int = 10,
        test_size: float = 0.2,
        early_stopping: bool = False,
        patience: int = 10,
        validation_every: int = 10,
        device: str = "cpu",
        n_threads: int | None = 1,
        callback: Callback | None = None,
        random_state: Any = None,
    ):
        super().__init__(
            hidden=hidden,
            activation=activation,
            critic=critic,
            embed_dim=embed_dim,
            n_steps=n_steps,
            n_epochs=n_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            average_last=average_last,
            eval_every=eval_every,
            test_size=test_size,
            early_stopping=early_stopping,
            patience=patience,
            validation_every=validation_every,
            device=device,
            n_threads=n_threads,
            callback=callback,
            random_state=random_state,
        )
        self.clip = clip

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self._train(X, Y, rng, objective=jensen_shannon, readout=smile_readout(float(self.clip)))


class JS(NeuralEstimator):
    __doc__ = f"""A critic trained with the Jensen–Shannon (f-GAN) objective, the MI read out by the NWJ bound.

    The JS objective ``E_p[−softplus(−T)] − E_q[softplus(T)]`` (Hjelm et al.'s Deep InfoMax
    estimator, eq. (4); :func:`~ibbench.estimators.bounds.jensen_shannon`) is a bounded logistic
    loss and trains a critic stably, but its value is a divergence, not the MI. Poole et al. (§2.3)
    therefore read the MI out of the JS-trained critic with ``I_NWJ``. The JS optimum is
    ``T* = log r`` with ``r = p(x, y)/(p(x)p(y))`` (pointwise maximiser of
    ``p log σ(T) + q log(1 − σ(T))``), whereas ``I_NWJ(T) = E_p[T] − e^{{−1}} E_q[e^T]`` is tight at
    ``1 + log r`` (``I_NWJ(log r) = I − e^{{−1}}``). The readout is therefore NWJ of the shifted
    critic, ``I_NWJ(T + 1) = E_p[T] + 1 − E_q[e^T]``
    (:func:`~ibbench.estimators.bounds.nwj_shifted`), which equals ``I`` at ``T*`` and is a lower
    bound for every ``T``. (Song & Ermon's reference code evaluates ``I_NWJ(T)`` on the unshifted
    critic, ``e^{{−1}}`` nats low at the optimum.) Held-out rows, one shuffled negative per row,
    averaged as in :class:`MINE`.

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
    R. D. Hjelm et al., "Learning deep representations by mutual information estimation and
    maximization", ICLR 2019, eq. (4).
    B. Poole et al., "On variational bounds of mutual information", ICML 2019, eq. (9) (I_NWJ) and
    §2.3 (JS-trained critic, NWJ readout).
    S. Nowozin, B. Cseke, R. Tomioka, "f-GAN", NeurIPS 2016, Table 2 (the JS objective).
    """

    name = "js"

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self._train(X, Y, rng, objective=jensen_shannon, readout=nwj_shifted)


class InfoNCE(NeuralEstimator):
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
    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints,
        "saturation_margin": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden: int | Sequence[int] = (128, 128),
        activation: str = "relu",
        critic: str = "separable",
        embed_dim: int = 32,
        n_steps: int = 1000,
        n_epochs: float | None = None,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 1.0,
        average_last: float = 0.2,
        eval_every: int = 10,
        test_size: float = 0.2,
        saturation_margin: float = 1.0,
        early_stopping: bool = False,
        patience: int = 10,
        validation_every: int = 10,
        device: str = "cpu",
        n_threads: int | None = 1,
        callback: Callback | None = None,
        random_state: Any = None,
    ):
        super().__init__(
            hidden=hidden,
            activation=activation,
            critic=critic,
            embed_dim=embed_dim,
            n_steps=n_steps,
            n_epochs=n_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            average_last=average_last,
            eval_every=eval_every,
            test_size=test_size,
            early_stopping=early_stopping,
            patience=patience,
            validation_every=validation_every,
            device=device,
            n_threads=n_threads,
            callback=callback,
            random_state=random_state,
        )
        self.saturation_margin = saturation_margin

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        self._train(X, Y, rng, objective=infonce, readout=infonce, pairing=ALL_PAIRS)
        self.ceiling_ = float(math.log(self.eval_batch_size_))
        self.saturated_ = bool(self.mutual_info_ >= self.ceiling_ - float(self.saturation_margin))
