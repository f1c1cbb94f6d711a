"""Torch helpers shared by the neural estimators and the autoencoder compressor.

Devices: estimators take a ``device`` parameter ("cpu", the default, "cuda" or "auto"), turned into a
``torch.device`` by :func:`resolve_device`. Only CPU fits are bit-deterministic; on a GPU the
random draws are the same (they come from a CPU generator), but cuDNN/cuBLAS kernels may reduce in
a different order, so results agree only to floating-point tolerance and need not be bit-identical
across runs or cards.

Everything else here is about reproducibility on the CPU: a seeded ``torch.Generator`` derived once from
the fit's numpy generator, weight initialisation drawn from that generator (never from torch's
global RNG); fits run inside :func:`ibbench.numerics.torch_determinism.deterministic_torch` (fixed
thread count and deterministic algorithms, the caller's settings restored afterwards; the same
context the QNN tasks' training uses).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from ibbench.numerics.torch_determinism import deterministic_torch

__all__ = [
    "DEVICES",
    "resolve_device",
    "device_identity",
    "fit_context",
    "torch_generator",
    "init_weights_",
    "activation",
    "mlp",
    "check_hidden",
    "as_tensor",
    "holdout_split",
    "minibatches",
    "TanhAutoencoder",
    "fit_autoencoder",
]

_M = TypeVar("_M", bound=nn.Module)

_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU}


#: Values of the estimators' ``device`` parameter.
DEVICES = ("cpu", "cuda", "auto")


def resolve_device(device: str) -> torch.device:
    """The ``torch.device`` a fit runs on: "cpu", "cuda" (the current GPU) or "auto" (cuda if available, else cpu).

    Raises
    ------
    ValueError
        ``device`` is not one of :data:`DEVICES`, or is "cuda" while torch sees no usable GPU.
    """
    if device == "cpu":
        return torch.device("cpu")
    if device not in DEVICES:
        raise ValueError(f"device must be one of {list(DEVICES)}, got {device!r}")
    available = torch.cuda.is_available()
    if device == "cuda" and not available:
        raise ValueError(
            "device='cuda' but torch sees no usable CUDA GPU "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); use device='cpu' or 'auto'"
        )
    return torch.device("cuda" if available else "cpu")


def device_identity(device: str) -> dict[str, str]:
    """The cell-key part of a ``device`` parameter: ``{}`` when it resolves to the CPU, else ``{"device": <resolved>}``.

    Results depend on the device actually used, not on how it was asked for: "auto" on a machine
    without a GPU keys like "cpu" (and like cells stored before the parameter existed). A device
    that cannot be resolved (the fit will raise) is keyed by its raw value, so the key stays computable.
    """
    try:
        resolved = resolve_device(device)
    except ValueError:
        return {"device": str(device)}
    return {} if resolved.type == "cpu" else {"device": str(resolved)}


@contextmanager
def fit_context(n_threads: int | None, device: torch.device) -> Iterator[None]:
    """:func:`deterministic_torch` for a fit on ``device``; on a GPU only warn about nondeterministic kernels.

    With deterministic algorithms enforced, cuBLAS matrix products raise unless the environment
    variable ``CUBLAS_WORKSPACE_CONFIG`` was set before CUDA started; a GPU fit does not promise
    bit-identical results anyway (module docstring), so there nondeterministic kernels only warn.
    The caller's settings are restored on exit either way.
    """
    with deterministic_torch(n_threads):
        if device.type != "cpu":
            torch.use_deterministic_algorithms(True, warn_only=True)
        yield


def torch_generator(rng: np.random.Generator) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded by one draw from the numpy generator ``rng``."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return gen


def init_weights_(module: _M, gen: torch.Generator) -> _M:
    """Re-initialise every Linear/Conv layer of ``module`` from ``gen`` (in place).

    Uses the same distribution as torch's default layer init, ``U(−1/√fan_in, 1/√fan_in)`` for weights
    and biases, but draws from ``gen`` so the result depends only on the seed.
    """
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
                w = layer.weight
                fan_in = w.shape[1] * math.prod(w.shape[2:]) if w.dim() > 2 else w.shape[1]
                if isinstance(layer, nn.ConvTranspose2d):
                    fan_in = w.shape[0] * math.prod(w.shape[2:])
                bound = 1.0 / math.sqrt(max(fan_in, 1))
                w.copy_((torch.rand(w.shape, generator=gen) * 2 - 1) * bound)
                if layer.bias is not None:
                    layer.bias.copy_((torch.rand(layer.bias.shape, generator=gen) * 2 - 1) * bound)
    return module


def activation(name: str) -> nn.Module:
    """The activation module called ``name`` (relu, elu, tanh, leaky_relu)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]()


def mlp(d_in: int, hidden: int | Sequence[int], d_out: int, act: str = "relu") -> nn.Sequential:
    """A fully connected network ``d_in → hidden[0] → … → d_out`` with ``act`` between layers."""
    widths = check_hidden(hidden)
    layers: list[nn.Module] = []
    prev = d_in
    for width in widths:
        layers += [nn.Linear(prev, width), activation(act)]
        prev = width
    layers.append(nn.Linear(prev, d_out))
    return nn.Sequential(*layers)


def check_hidden(hidden: int | Sequence[int]) -> tuple[int, ...]:
    """``hidden`` as a tuple of positive ints (an int means one hidden layer)."""
    if isinstance(hidden, (int, np.integer)):
        hidden = (int(hidden),)
    try:
        widths = tuple(int(h) for h in hidden)
    except TypeError as exc:
        raise ValueError(f"hidden must be an int or a sequence of ints, got {hidden!r}") from exc
    if any(w < 1 for w in widths) or any(float(w) != float(h) for w, h in zip(widths, hidden)):
        raise ValueError(f"hidden layer widths must be positive ints, got {hidden!r}")
    return widths


def as_tensor(A: np.ndarray) -> torch.Tensor:
    """A float32 CPU tensor of ``A``."""
    return torch.as_tensor(np.ascontiguousarray(A, dtype=np.float32))


def holdout_split(rng: np.random.Generator, n: int, test_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)``: one permutation from ``rng``, its first ``round(test_size·n)``
    rows held out; ``test_size=0`` trains and evaluates on all rows. ``ValueError`` when the
    held-out part would have fewer than 2 rows or leave fewer than 2 for training."""
    order = rng.permutation(n)
    n_test = int(round(test_size * n))
    if test_size > 0 and not 2 <= n_test <= n - 2:
        raise ValueError(f"test_size={test_size} leaves {n_test} of {n} rows held out; need 2..n-2")
    return (order[n_test:], order[:n_test]) if n_test else (order, order)


def minibatches(n: int, b: int, gen: torch.Generator) -> Iterator[torch.Tensor]:
    """Endless full mini-batches of ``b`` row indices: shuffle each epoch, drop the ragged end."""
    while True:
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n - b + 1, b):
            yield perm[i : i + b]


# ------------------------------------------------------------------------------- autoencoder (compression)
class TanhAutoencoder(nn.Module):
    """Autoencoder with a ``tanh`` bottleneck of size ``k``.

    ``shape=(C, H, W)``: encoder = two stride-2 3×3 convolutions (16, 32 channels, ReLU) + MLP;
    ``shape=None``: encoder = MLP. The decoder is always an MLP back to the flat input.
    """

    def __init__(self, d: int, k: int, shape: tuple[int, int, int] | None, hidden: int):
        super().__init__()
        if shape is None:
            self.encoder = nn.Sequential(mlp(d, (hidden, hidden), k), nn.Tanh())
        else:
            c, h, w = shape
            h4, w4 = math.ceil(math.ceil(h / 2) / 2), math.ceil(math.ceil(w / 2) / 2)
            self.encoder = nn.Sequential(
                nn.Unflatten(1, shape),
                nn.Conv2d(c, 16, 3, stride=2, padding=1),
                nn.ReLU(),
                nn.Conv2d(16, 32, 3, stride=2, padding=1),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(32 * h4 * w4, hidden),
                nn.ReLU(),
                nn.Linear(hidden, k),
                nn.Tanh(),
            )
        self.decoder = mlp(k, (hidden, hidden), d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def fit_autoencoder(
    A: np.ndarray,
    k: int,
    shape: tuple[int, int, int] | None,
    *,
    hidden: int,
    n_epochs: int,
    batch_size: int,
    lr: float,
    n_threads: int | None,
    seed: int,
    device: str = "cpu",
) -> tuple[np.ndarray, float, list[float]]:
    """Train a :class:`TanhAutoencoder` on the rows of ``A`` and return its codes.

    Inputs are standardised (per column; one global mean/std when ``shape`` is given, so flat
    background pixels are not blown up); Adam minimises the mean squared reconstruction error over
    ``n_epochs`` shuffled epochs, on ``device`` (see :func:`resolve_device`; the initial weights
    and the shuffles are drawn on the CPU).

    Returns
    -------
    codes : ndarray of shape (n, k), float64
        Bottleneck activations of every row (in ``(-1, 1)``).
    mae : float
        Mean absolute reconstruction error in the units of ``A``.
    history : list of float
        Mean training MSE (standardised units) of each epoch.
    """
    if shape is None:
        mean, std = A.mean(axis=0), A.std(axis=0)
        std = np.where(std > 0, std, 1.0)
    else:
        mean, std = A.mean(), A.std()
        std = std if std > 0 else 1.0
    n, d = A.shape
    dev = resolve_device(device)
    with fit_context(n_threads, dev):
        gen = torch.Generator(device="cpu")
        gen.manual_seed(int(seed))
        data = as_tensor((A - mean) / std).to(dev)
        model = init_weights_(TanhAutoencoder(d, k, shape, hidden), gen).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
        b = min(batch_size, n)
        history: list[float] = []
        for _ in range(n_epochs):
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for i in range(0, n, b):
                batch = data[perm[i : i + b]]
                loss = torch.mean((model(batch) - batch) ** 2)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(batch)
            history.append(total / n)
        model.eval()
        with torch.no_grad():
            codes = model.encoder(data)
            recon = model.decoder(codes).double().cpu().numpy() * std + mean
    return codes.double().cpu().numpy(), float(np.mean(np.abs(recon - A))), history
