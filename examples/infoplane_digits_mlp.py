"""Information plane of a small MLP on the sklearn digits, with the estimator ibbench recommends.

Run: ``python examples/infoplane_digits_mlp.py [OUT_DIR]``. Trains a 64-32-16-8-10 tanh MLP for 200
epochs (Adam, seeded), captures its three hidden layers at ~30 log-spaced epochs and measures
``I(X;T)`` and ``I(T;Y)`` with ``estimator="auto"`` (continuous activations: the recommendation
table's choice within 1 s per fit). Every hidden layer is injective on the 1797 distinct images, so
``I(X;T) = log 1797`` at every epoch and the estimated ``I(X;T)`` measures estimator bias: ibbench
warns. The two remedies are drawn beside it, on checkpoints of the same run: ``quantize=3`` (the
layers binned into 8 levels, MI counted exactly) and ``noise=0.1`` (``I(X; T + Z)``,
``Z ~ N(0, 0.1²)``). Also usable as ``ibbench infoplane examples/infoplane_digits_mlp.py`` (the
default plane only).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

SEED = 0
torch.set_num_threads(1)  # a small MLP trains ~50x faster on one thread of a busy 2-core machine
digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)
Y = digits.target.astype(np.int64)

torch.manual_seed(SEED)
model = nn.Sequential(
    nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 10)
)
layers = ["1", "3", "5"]  # the outputs of the three Tanh modules
epochs = 200
_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
_generator = torch.Generator().manual_seed(SEED)
_x, _y = torch.from_numpy(X), torch.from_numpy(Y)


def train_fn(model: nn.Module, epoch: int) -> None:
    """One epoch of Adam on mini-batches of 128 (seeded order)."""
    model.train()
    for batch in torch.randperm(len(_x), generator=_generator).split(128):
        loss = nn.functional.cross_entropy(model(_x[batch]), _y[batch])
        _optimizer.zero_grad()
        loss.backward()
        _optimizer.step()


if __name__ == "__main__":
    import copy
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import ibbench
    from ibbench.information_plane import InfoPlaneWarning
    from ibbench.information_plane.plot import draw

    warnings.simplefilter("ignore", InfoPlaneWarning)  # result.summary() prints them
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("infoplane-digits")
    states = {0: copy.deepcopy(model.state_dict())}

    def train_and_keep(model: nn.Module, epoch: int) -> None:
        train_fn(model, epoch)
        states[epoch] = copy.deepcopy(model.state_dict())

    start = time.perf_counter()
    result = ibbench.infoplane(
        model, X, Y, layers, epochs=epochs, n_points=30, train_fn=train_and_keep, random_state=SEED
    )
    seconds = time.perf_counter() - start
    print(result.summary())
    picked = ", ".join(sorted({c.label for c in result.choices}))
    print(f"default choice: {picked}; {len(result.epochs)} epochs analysed in {seconds:.1f} s, training included")

    # the remedies, on the same training run (its checkpoints at the captured epochs)
    checkpoints = {int(e): states[int(e)] for e in result.epochs}
    binned = ibbench.infoplane(model, X, Y, layers, checkpoints=checkpoints, quantize=3, random_state=SEED)
    print(binned.summary())
    noisy = ibbench.infoplane(model, X, Y, layers, checkpoints=checkpoints, noise=0.1, random_state=SEED)
    print(noisy.summary())

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    panels = [
        (result, f"default: {picked}", result.input_entropy),
        (binned, "quantize=3 (8 levels): exact", None),
        (noisy, "noise=0.1: I(X; T+Z), " + ", ".join(sorted({c.label for c in noisy.choices})), None),
    ]
    for ax, (res, title, h_x) in zip(axes, panels, strict=True):
        mappable = draw(ax, res.frame, res.layers, h_x=h_x, title=title)
    fig.colorbar(mappable, ax=list(axes), label="epoch")
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "infoplane-digits-mlp.png", dpi=80, bbox_inches="tight")
    print(out / "infoplane-digits-mlp.png")
