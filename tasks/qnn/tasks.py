"""Benchmark tasks on quantized networks: (X, T) and (T, Y) pairs with exact MI per layer and epoch.

``qnn-szt-xt`` / ``qnn-szt-ty``: the 12-10-7-5-4-3-2 network on the SZT data (tanh or ReLU, 4 or 8
bits); ``qnn-digits-xt`` / ``qnn-digits-ty``: the 64-16-8-4-2-10 ReLU bottleneck network on the
sklearn digits. T is exposed as the layer's dequantized float activations (what an estimator sees
in a real network); the integer codes are available through :meth:`QNNTask.codes`. The population
is fixed (4096 patterns, 1797 images): ``sample`` always returns all of it, ignores ``n``, and its
seed selects the training repetition. Training happens on first use and is cached on disk.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ibbench.params import Interval, StrOptions
from ibbench.task import Task
from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.training import ACTIVATIONS, TrainConfig, snapshot_epochs, train, train_or_reuse


def repetition_of(random_state) -> int:
    """The training repetition selected by a ``random_state`` (None → 0; int → itself)."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state (the repetition) must be >= 0, got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        return int(random_state.generate_state(1)[0])
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise TypeError(f"random_state must be None, an int, a SeedSequence or a Generator, got {random_state!r}")


class QNNTask(Task):
    """Base of the quantized-network tasks (see the module docstring).

    Parameters
    ----------
    activation : {"tanh", "relu"}
        Hidden-layer activation.
    bits : int
        Quantization bits of activations and weights (4 or 8 in the paper).
    layer : int
        Which layer's output is T, 1-based: ``1`` is the first hidden layer, the last index the
        softmax output.
    epoch : int or None
        Training epoch of the snapshot (must be one of :func:`snapshot_epochs`); None = the last.
    epochs : int
        Length of the training run (the run is shared by all layers and epochs of a config).
    n_snapshots : int
        Snapshot schedule of the run (log-spaced epochs).

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Sec. 3 (exact MI of quantized layers) and Sec. 4 (the networks).
    """

    family = "qnn"
    version = "1"
    fixed_population = True
    recoverable_by_discretisation = True  # enough bins rebuild the integer codes: binning recomputes the truth
    dataset = "szt"
    side = "xt"  # "xt": (X, T) with I(X;T) = H(T); "ty": (T, Y) with I(T;Y)

    _parameter_constraints = {
        "activation": [StrOptions(set(ACTIVATIONS))],
        "bits": [Interval(Integral, 2, 16, closed="both")],
        "layer": [Interval(Integral, 1, None, closed="left")],
        "epoch": [Interval(Integral, 0, None, closed="left"), None],
        "epochs": [Interval(Integral, 0, None, closed="left")],
        "n_snapshots": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, activation="tanh", bits=8, layer=1, epoch=None, epochs=1000, n_snapshots=40):
        self.activation = activation
        self.bits = bits
        self.layer = layer
        self.epoch = epoch
        self.epochs = epochs
        self.n_snapshots = n_snapshots
        config = self.config  # validates the training parameters
        n_layers = len(config.widths) - 1
        if not isinstance(layer, (int, np.integer)) or not 1 <= layer <= n_layers:
            raise ValueError(f"layer must be an integer in 1..{n_layers}, got {layer!r}")
        valid = snapshot_epochs(config.epochs, config.n_snapshots)
        if epoch is not None and int(epoch) not in valid:
            raise ValueError(f"epoch {epoch!r} is not a snapshot epoch of this run; choose one of {valid.tolist()}")
        width = config.widths[layer]
        self.dim_x, self.dim_y = (config.widths[0], width) if self.side == "xt" else (width, 1)

    def identity_depends(self) -> dict:
        """The training, exact-MI and data code versions (they shape T and the truth)."""
        from ibbench.tasks.qnn.data import DATA_VERSION
        from ibbench.tasks.qnn.exact_mi import EXACT_MI_VERSION
        from ibbench.tasks.qnn.training import TRAINING_VERSION

        return {"qnn_training": TRAINING_VERSION, "qnn_exact_mi": EXACT_MI_VERSION, "qnn_data": DATA_VERSION}

    @property
    def config(self) -> TrainConfig:
        """The :class:`TrainConfig` of the underlying training run."""
        return TrainConfig(
            dataset=self.dataset,
            activation=self.activation,
            bits=int(self.bits),
            epochs=int(self.epochs),
            n_snapshots=int(self.n_snapshots),
        )

    def run(self, seed: int = 0):
        """The trained :class:`~ibbench.tasks.qnn.training.QNNRun` of repetition ``seed`` (cached)."""
        return train(self.config, repetition_of(seed))

    def _snapshot(self, run) -> int:
        return run.snapshot_index(run.epochs[-1] if self.epoch is None else self.epoch)

    def codes(self, seed: int = 0) -> np.ndarray:
        """Integer quantization codes of T for repetition ``seed``, shape ``(N, width)``."""
        run = self.run(seed)
        return run.codes[self.layer - 1][self._snapshot(run)]

    def activations(self, seed: int = 0) -> np.ndarray:
        """T as dequantized float activations for repetition ``seed``, shape ``(N, width)``."""
        return self._activations_of(self.run(seed))

    def _activations_of(self, run) -> np.ndarray:
        """T of this task's layer and snapshot in ``run``."""
        return run.activations(self.layer - 1, self._snapshot(run))

    def true_mi_for(self, seed) -> float:
        """Exact MI (nats) of repetition ``seed``: ``I(X;T) = H(T)`` or ``I(T;Y)`` over the population."""
        from ibbench.tasks.qnn.exact_mi import layer_information

        _, labels = load_population(self.dataset)
        i_xt, i_ty = layer_information(self.codes(seed), labels, int(self.bits))
        return float(i_xt if self.side == "xt" else i_ty)

    def _true_mi(self) -> float:
        # the property has no seed: it is the value of repetition 0 (use true_mi_for(seed) per cell)
        return self.true_mi_for(0)

    def sample(self, n=None, random_state=None):
        """The whole population as ``(X, T)`` or ``(T, Y)``; ``n`` is ignored, the seed selects the run.

        Parameters
        ----------
        n : int or None
            Ignored (fixed population); validated if given.
        random_state : None or int
            Training repetition (None → 0).

        Afterwards ``cache_hit_`` says whether the trained run was reused from the cache rather than
        trained by this call, and ``cached_seconds_`` is its recorded training cost (0.0 when it was
        trained now); see the runtime accounting in :mod:`ibbench.execution`.
        """
        if n is not None and (not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1):
            raise ValueError(f"n must be a positive integer or None, got {n!r}")
        x, y = load_population(self.dataset)
        run, reused = train_or_reuse(self.config, repetition_of(random_state))
        self.cache_hit_, self.cached_seconds_ = reused, float(run.train_seconds) if reused else 0.0
        t = self._activations_of(run)
        if self.side == "xt":
            return x.astype(np.float64), t
        return t, y.astype(np.float64)[:, None]

    @classmethod
    def get_test_params(cls):
        return {"activation": "tanh", "bits": 4, "layer": 3, "epochs": 3, "n_snapshots": 3}


class SZTInputLayer(QNNTask):
    """(X, T) on the SZT network: X the 12 input bits, T a quantized layer; ``I(X;T) = H(T)``.

    See :class:`QNNTask` for the parameters.
    """

    name = "qnn-szt-xt"
    x_kind = "discrete"
    y_kind = "continuous"


class SZTLabelLayer(QNNTask):
    """(T, Y) on the SZT network: T a quantized layer, Y the binary label; exact ``I(T;Y)``.

    See :class:`QNNTask` for the parameters.
    """

    name = "qnn-szt-ty"
    side = "ty"
    x_kind = "continuous"
    y_kind = "discrete"


class _DigitsTask(QNNTask):
    dataset = "digits"

    def __init__(self, activation="relu", bits=8, layer=1, epoch=None, epochs=1000, n_snapshots=40):
        super().__init__(activation, bits, layer, epoch, epochs, n_snapshots)

    @classmethod
    def get_test_params(cls):
        return {"activation": "relu", "bits": 4, "layer": 3, "epochs": 3, "n_snapshots": 3}


class DigitsInputLayer(_DigitsTask):
    """(X, T) on the digits bottleneck network (64-16-8-4-2-10, ReLU): X the 64 pixels (0…16).

    See :class:`QNNTask` for the parameters (default activation ``"relu"``).
    """

    name = "qnn-digits-xt"
    x_kind = "discrete"
    y_kind = "continuous"


class DigitsLabelLayer(_DigitsTask):
    """(T, Y) on the digits bottleneck network: T a quantized layer, Y the digit class 0…9.

    See :class:`QNNTask` for the parameters (default activation ``"relu"``).
    """

    name = "qnn-digits-ty"
    side = "ty"
    x_kind = "continuous"
    y_kind = "discrete"
