"""The quantized networks of the QNN tasks as :func:`ibbench.infoplane` inputs (worked example and test).

:func:`qnn_setup` builds the network of a :class:`~ibbench.tasks.qnn.training.TrainConfig` with the
initial weights, data split and mini-batch order of repetition ``seed`` and a ``train_fn`` that
trains it one epoch at a time as :mod:`ibbench.tasks.qnn.training` does, so that
``infoplane(**qnn_setup(config, seed))`` run under ``deterministic_torch(1)`` measures the same
network as the QNN tasks. The layers are taps that see each layer's integer quantization codes:
``estimator="auto"`` counts their MI exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _tap_class() -> Any:
    from torch import nn

    class CodeTap(nn.Module):
        """Identity module: a forward hook on it sees a layer's integer codes."""

        def forward(self, codes: Any) -> Any:
            return codes

    return CodeTap


def _model_class() -> Any:
    from torch import nn

    class QuantizedCodes(nn.Module):
        """A :class:`~ibbench.tasks.qnn.network.QuantizedMLP` whose layer codes pass through ``taps.<i>``."""

        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net
            self.taps = nn.ModuleList(_tap_class()() for _ in range(net.n_layers))

        def forward(self, x: Any, track_range: bool = False) -> Any:
            logits, recorded = self.net(x, track_range=track_range, record=True)
            for tap, (_, codes) in zip(self.taps, recorded, strict=True):
                tap(codes)
            return logits

    return QuantizedCodes


def qnn_setup(config: Any, seed: int = 0) -> dict[str, Any]:
    """``model``, ``X``, ``Y``, ``layers``, ``epochs`` and ``train_fn`` of the QNN run ``(config, seed)``.

    The initial weights and the mini-batch order come from one ``torch.Generator`` seeded with
    ``derive_seed(seed, 0)``, the stratified split from ``derive_seed(seed, 1)``; the ReLU ranges
    start at the initial network's maxima on the training part; ``epochs`` is the QNN snapshot
    schedule. Run ``infoplane`` under :func:`~ibbench.numerics.torch_determinism.deterministic_torch`
    (one thread) to reproduce the QNN run bit for bit.
    """
    import torch

    from ibbench.numerics.random import derive_seed
    from ibbench.tasks.qnn.data import load_population
    from ibbench.tasks.qnn.network import QuantizedMLP
    from ibbench.tasks.qnn.training import network_inputs, snapshot_epochs, stratified_split

    x_all = network_inputs(config)
    _, y_np = load_population(config.dataset)
    train_idx, _ = stratified_split(y_np, config.test_fraction, derive_seed(seed, 1))
    gen = torch.Generator().manual_seed(derive_seed(seed, 0))
    net = QuantizedMLP(
        config.widths, config.activation, config.bits, config.quantize_weights, config.init_fan, generator=gen
    )
    model = _model_class()(net)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    x_train, y_train = x_all[train_idx], torch.from_numpy(y_np[train_idx].copy())
    with torch.no_grad():
        net(x_train, track_range=True)  # the ReLU ranges start at the initial network's maxima

    def train_fn(model: Any, epoch: int) -> None:
        order = torch.randperm(len(train_idx), generator=gen)
        for start in range(0, len(train_idx), config.batch_size):
            batch = order[start : start + config.batch_size]
            loss = torch.nn.functional.cross_entropy(net(x_train[batch], track_range=True), y_train[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return {
        "model": model,
        "X": x_all.numpy(),
        "Y": np.asarray(y_np),
        "layers": [f"taps.{i}" for i in range(net.n_layers)],
        "epochs": snapshot_epochs(config.epochs, config.n_snapshots).tolist(),
        "train_fn": train_fn,
    }
