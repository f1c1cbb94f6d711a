"""Seeded quantization-aware training with snapshots at log-spaced epochs, cached on disk.

A :class:`TrainConfig` plus a repetition ``seed`` identify a run. :func:`train` trains it (or loads it
from the cache) and returns a :class:`QNNRun` holding, for every snapshot epoch, the integer
quantization codes of every layer on the whole population, the layers' quantization ranges, the
network parameters and the train/test accuracy. Runs are stored as compressed ``.npz`` files keyed
by the sha256 of the config in ``$IBBENCH_CACHE/qnn`` (default ``~/.cache/ibbench/qnn``), so a
benchmark never retrains what exists; loaded runs are also kept in memory.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ibbench.cache import cache_root, file_lock, save_npz_atomic
from ibbench.numerics.random import derive_seed
from ibbench.tasks.qnn.data import DATASETS, input_scale, load_population

#: Bumped whenever training or the stored format changes (part of the cache key).
TRAINING_VERSION = "1"

#: Hidden-layer activations of the quantized networks.
ACTIVATIONS = ("tanh", "relu")

#: Default layer widths per data set (input first, softmax output last).
DEFAULT_WIDTHS = {"szt": (12, 10, 7, 5, 4, 3, 2), "digits": (64, 16, 8, 4, 2, 10)}

#: Default Adam learning rates: the paper's 1e-4 for SZT; 1e-3 for the digits bottleneck net, which
#: at 1e-4 stays near chance for hundreds of epochs (its 2-unit bottleneck learns slowly).
DEFAULT_LR = {"szt": 1e-4, "digits": 1e-3}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run except the repetition seed.

    Parameters
    ----------
    dataset : {"szt", "digits"}
    activation : {"tanh", "relu"}
    bits : int
        Quantization bits of activations and weights (4 or 8 in the paper).
    epochs : int
        Training epochs (the paper trains 8000).
    n_snapshots : int
        Number of log-spaced snapshot epochs requested; epoch 0 (before training) and the last
        epoch are always included (see :func:`snapshot_epochs`).
    lr : float, optional
        Adam learning rate; default :data:`DEFAULT_LR` of the data set (paper: 1e-4).
    batch_size : int
        Mini-batch size (paper: 256).
    test_fraction : float
        Held-out share of the stratified split (paper: 0.2); MI always uses the whole population.
    quantize_weights : bool
        Fake-quantize weights as well as activations.
    init_fan : {"in", "out"}
        ``d_T`` of the truncated-normal initialisation ``N(0, 1/d_T)`` (see :class:`QuantizedMLP`).
    widths : tuple of int, optional
        Layer widths; default :data:`DEFAULT_WIDTHS` of the data set.
    """

    dataset: str = "szt"
    activation: str = "tanh"
    bits: int = 8
    epochs: int = 1000
    n_snapshots: int = 40
    lr: float | None = None
    batch_size: int = 256
    test_fraction: float = 0.2
    quantize_weights: bool = True
    init_fan: str = "in"
    widths: tuple[int, ...] | None = field(default=None)

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not isinstance(self.bits, (int, np.integer)) or not 2 <= self.bits <= 16:
            raise ValueError(f"bits must be an integer in [2, 16], got {self.bits!r}")
        if not isinstance(self.epochs, (int, np.integer)) or self.epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {self.epochs!r}")
        if not isinstance(self.n_snapshots, (int, np.integer)) or self.n_snapshots < 2:
            raise ValueError(f"n_snapshots must be an integer >= 2, got {self.n_snapshots!r}")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1), got {self.test_fraction!r}")
        widths = DEFAULT_WIDTHS[self.dataset] if self.widths is None else tuple(int(w) for w in self.widths)
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths must hold at least two positive integers, got {self.widths!r}")
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "lr", float(DEFAULT_LR[self.dataset] if self.lr is None else self.lr))

    def key(self, seed: int) -> str:
        """Cache key: sha256 of the canonical JSON of the config, the seed and the training version."""
        blob = json.dumps(
            {**asdict(self), "widths": list(self.widths), "seed": int(seed), "training_version": TRAINING_VERSION},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


def snapshot_epochs(epochs: int, n_snapshots: int) -> np.ndarray:
    """Sorted distinct snapshot epochs: 0 and ``n_snapshots − 1`` log-spaced values in ``[1, epochs]``.

    Rounding merges close values at small epochs, so fewer than ``n_snapshots`` may result.
    """
    if epochs == 0:
        return np.array([0], dtype=np.int64)
    logs = np.round(np.geomspace(1, epochs, max(n_snapshots - 1, 1))).astype(np.int64)
    return np.unique(np.concatenate([[0], logs, [epochs]]))


@dataclass
class QNNRun:
    """A trained run: per-snapshot codes of every layer on the whole population.

    Attributes
    ----------
    config : TrainConfig
    seed : int
        Repetition seed.
    epochs : ndarray of shape (s,)
        Snapshot epochs.
    codes : list of ndarray
        Per layer, integer codes of shape ``(s, N, width)`` (uint8 for ``bits ≤ 8``, else uint16).
    ranges : ndarray of shape (s, n_layers, 2)
        Quantization range ``(lo, hi)`` of every layer at every snapshot.
    params : ndarray of shape (s, n_params)
        The flattened network parameters (float64) at every snapshot, to recompute activations.
    relu_max : ndarray of shape (s, n_layers − 1)
        Running ReLU maxima at every snapshot (zeros for tanh).
    train_accuracy, test_accuracy : ndarray of shape (s,)
        Accuracy of the quantized network on the two parts of the split.
    train_seconds : float
        Wall-clock seconds of the training (a run loaded from the cache keeps the stored value).
    """

    config: TrainConfig
    seed: int
    epochs: np.ndarray
    codes: list[np.ndarray]
    ranges: np.ndarray
    params: np.ndarray
    relu_max: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    train_seconds: float

    @property
    def n_layers(self) -> int:
        """Number of layers with an output (hidden and softmax)."""
        return len(self.codes)

    def snapshot_index(self, epoch: int) -> int:
        """Index of the snapshot taken at ``epoch`` (``ValueError`` if there is none)."""
        hit = np.flatnonzero(self.epochs == int(epoch))
        if not len(hit):
            raise ValueError(f"no snapshot at epoch {epoch}; snapshot epochs: {self.epochs.tolist()}")
        return int(hit[0])

    def activations(self, layer: int, snapshot: int) -> np.ndarray:
        """Dequantized float activations of ``layer`` (0-based) at snapshot index ``snapshot``."""
        from ibbench.tasks.qnn.network import dequantize

        lo, hi = self.ranges[snapshot, layer]
        return dequantize(self.codes[layer][snapshot].astype(np.float64), lo, hi, self.config.bits)

    def network(self, snapshot: int):
        """The :class:`QuantizedMLP` with the parameters and ReLU ranges of snapshot ``snapshot``."""
        import torch

        net = _build_network(self.config, torch.Generator().manual_seed(0))
        torch.nn.utils.vector_to_parameters(torch.from_numpy(self.params[snapshot].copy()), net.parameters())
        net.relu_max.copy_(torch.from_numpy(self.relu_max[snapshot].copy()))
        return net

    def float_activations(self, snapshot: int) -> list[np.ndarray]:
        """Per layer, the activations *before* their quantization (what plain binning would see)."""
        import torch

        net = self.network(snapshot)
        with torch.no_grad():
            _, recorded = net(network_inputs(self.config), record=True)
        return [a.numpy() for a, _ in recorded]


def _build_network(config: TrainConfig, generator):
    from ibbench.tasks.qnn.network import QuantizedMLP

    return QuantizedMLP(
        config.widths, config.activation, config.bits, config.quantize_weights, config.init_fan, generator=generator
    )


def network_inputs(config: TrainConfig):
    import torch

    x, _ = load_population(config.dataset)
    return torch.from_numpy(x.astype(np.float64) / input_scale(config.dataset))


def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of a stratified random split (each class split in proportion)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_fraction, stratify=y, random_state=seed)
    return np.sort(train), np.sort(test)


def _train(config: TrainConfig, seed: int) -> QNNRun:
    """Train one run from scratch (no cache)."""
    import torch

    from ibbench.numerics.torch_determinism import deterministic_torch

    x_all = network_inputs(config)
    _, y_np = load_population(config.dataset)
    y_all = torch.from_numpy(y_np.copy())
    train_idx, test_idx = stratified_split(y_np, config.test_fraction, derive_seed(seed, 1))
    schedule = snapshot_epochs(config.epochs, config.n_snapshots)
    code_dtype = np.uint8 if config.bits <= 8 else np.uint16
    s, N = len(schedule), len(y_np)
    codes = [np.empty((s, N, w), dtype=code_dtype) for w in config.widths[1:]]
    ranges = np.empty((s, len(codes), 2))
    relu_max = np.zeros((s, len(codes) - 1))
    accuracy = np.empty((s, 2))
    t0 = time.perf_counter()
    with deterministic_torch(1):
        gen = torch.Generator().manual_seed(derive_seed(seed, 0))
        net = _build_network(config, gen)
        params = np.empty((s, sum(p.numel() for p in net.parameters())))
        opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        x_train, y_train = x_all[train_idx], y_all[train_idx]
        with torch.no_grad():
            net(x_train, track_range=True)  # the ReLU ranges start at the initial network's maxima

        def snapshot(k: int) -> None:
            with torch.no_grad():
                logits, recorded = net(x_all, record=True)
            for layer, (_, c) in enumerate(recorded):
                codes[layer][k] = c.numpy().astype(code_dtype)
            ranges[k] = net.ranges()
            relu_max[k] = net.relu_max.numpy()
            params[k] = torch.nn.utils.parameters_to_vector(net.parameters()).detach().numpy()
            # the prediction is the most probable class of the quantized softmax output T
            hit = (recorded[-1][1].argmax(dim=1) == y_all).numpy()
            accuracy[k] = hit[train_idx].mean(), hit[test_idx].mean()

        k = 0
        if schedule[0] == 0:
            snapshot(0)
            k = 1
        n_train = len(train_idx)
        for epoch in range(1, config.epochs + 1):
            order = torch.randperm(n_train, generator=gen)
            for start in range(0, n_train, config.batch_size):
                batch = order[start : start + config.batch_size]
                # the loss is the cross-entropy of the logits; the quantized softmax is only the layer's T
                loss = torch.nn.functional.cross_entropy(net(x_train[batch], track_range=True), y_train[batch])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if k < s and epoch == schedule[k]:
                snapshot(k)
                k += 1
    seconds = time.perf_counter() - t0
    return QNNRun(
        config,
        int(seed),
        schedule,
        codes,
        ranges,
        params,
        relu_max,
        accuracy[:, 0].copy(),
        accuracy[:, 1].copy(),
        seconds,
    )


# -- cache ------------------------------------------------------------------------------------------
_MEMORY: dict[str, QNNRun] = {}


def cache_dir() -> Path:
    """Directory of cached runs: ``$IBBENCH_CACHE/qnn``, else ``~/.cache/ibbench/qnn``.

    Trained runs are always cached (``IBBENCH_CACHE=off``, which switches off the optional
    compression-code cache, falls back to the default directory here).
    """
    return cache_root() / "qnn"


def _save(run: QNNRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "config": {**asdict(run.config), "widths": list(run.config.widths)},
        "seed": run.seed,
        "train_seconds": run.train_seconds,
        "training_version": TRAINING_VERSION,
    }
    arrays = {f"codes_{i}": c for i, c in enumerate(run.codes)}
    save_npz_atomic(
        path,
        meta=np.array(json.dumps(meta)),
        epochs=run.epochs,
        ranges=run.ranges,
        params=run.params,
        relu_max=run.relu_max,
        train_accuracy=run.train_accuracy,
        test_accuracy=run.test_accuracy,
        **arrays,
    )


def _load(path: Path) -> QNNRun:
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        cfg = meta["config"]
        config = TrainConfig(**{**cfg, "widths": tuple(cfg["widths"])})
        n_layers = len(config.widths) - 1
        return QNNRun(
            config,
            int(meta["seed"]),
            z["epochs"],
            [z[f"codes_{i}"] for i in range(n_layers)],
            z["ranges"],
            z["params"],
            z["relu_max"],
            z["train_accuracy"],
            z["test_accuracy"],
            float(meta["train_seconds"]),
        )


def train(config: TrainConfig, seed: int = 0, *, cache: bool = True) -> QNNRun:
    """The run ``(config, seed)``: from memory, else from the disk cache, else trained and cached.

    :func:`train_or_reuse` also says whether the run was reused.

    Parameters
    ----------
    config : TrainConfig
    seed : int
        Repetition; it seeds the initial weights, the mini-batch order (a local ``torch.Generator``)
        and the stratified split. Training runs single-threaded with deterministic algorithms, so
        the same seed gives the same weights bit for bit on the CPU.
    cache : bool, default True
        Use (and fill) the memory and disk caches; ``False`` always trains afresh.

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Sec. 4 (Adam, lr 1e-4, batch 256, 80/20 split).
    """
    return train_or_reuse(config, seed, cache=cache)[0]


def train_or_reuse(config: TrainConfig, seed: int = 0, *, cache: bool = True) -> tuple[QNNRun, bool]:
    """:func:`train` and whether the run was reused (memory or disk cache) rather than trained now.

    A reused run's ``train_seconds`` is the cost recorded when it was trained, so callers can
    report what obtaining it would have cost with a cold cache.
    """
    seed = int(seed)
    if not cache:
        return _train(config, seed), False
    key = config.key(seed)
    if key in _MEMORY:
        return _MEMORY[key], True
    path = cache_dir() / f"{key}.npz"
    with file_lock(path.with_suffix(".lock")):
        run = _load(path) if path.exists() else None
        reused = run is not None
        if run is None:
            run = _train(config, seed)
            _save(run, path)
    _MEMORY[key] = run
    return run, reused
