"""Information plane of a small CNN on the Gaussian-bump images of the benchmark (``images-bumps``).

Run: ``python examples/infoplane_bumps_cnn.py [OUT_DIR]`` (or ``ibbench infoplane
examples/infoplane_bumps_cnn.py``). X: 1000 bump images (16×16) of the ``images-bumps`` task with
``mi = 2`` nats between the image and its partner; Y: the quadrant of the partner's bump centre (4
classes), so ``I(X;Y) ≤ 2`` nats bounds every layer's ``I(T;Y)``. A two-convolution CNN is trained 60
epochs and its three hidden layers are measured at 12 log-spaced epochs with ``estimator="auto"``;
the layers are injective on the images, so ibbench warns that the estimated ``I(X;T)`` measures bias.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ibbench.tasks.images import GaussianBumpImages

SEED = 0
torch.set_num_threads(1)  # a small CNN trains faster on one thread of a shared 2-core machine
task = GaussianBumpImages(size=16, mi=2.0)
_images, _ = task.sample(1000, random_state=SEED)
_, _partner = task.sample_latents(1000, random_state=SEED)  # the same draw's partner bump centres
X = _images.reshape(-1, 1, 16, 16).astype(np.float32)
Y = (2 * (_partner[:, 0] > 0.5) + (_partner[:, 1] > 0.5)).astype(np.int64)  # quadrant 0..3

torch.manual_seed(SEED)
model = nn.Sequential(
    nn.Conv2d(1, 4, 3, stride=2, padding=1),
    nn.ReLU(),  # "1": 4 × 8 × 8
    nn.Conv2d(4, 8, 3, stride=2, padding=1),
    nn.ReLU(),  # "3": 8 × 4 × 4
    nn.Flatten(),
    nn.Linear(128, 16),
    nn.ReLU(),  # "6": 16
    nn.Linear(16, 4),
)
layers = ["1", "3", "6"]
epochs = 60
n_points = 12
random_state = SEED
_optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
_generator = torch.Generator().manual_seed(SEED)
_x, _y = torch.from_numpy(X), torch.from_numpy(Y)


def train_fn(model: nn.Module, epoch: int) -> None:
    """One epoch of Adam on mini-batches of 64 (seeded order)."""
    model.train()
    for batch in torch.randperm(len(_x), generator=_generator).split(64):
        loss = nn.functional.cross_entropy(model(_x[batch]), _y[batch])
        _optimizer.zero_grad()
        loss.backward()
        _optimizer.step()


if __name__ == "__main__":
    import warnings

    import ibbench
    from ibbench.information_plane import InfoPlaneWarning

    warnings.simplefilter("ignore", InfoPlaneWarning)  # result.summary() prints them

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("infoplane-bumps")
    start = time.perf_counter()
    result = ibbench.infoplane(
        model, X, Y, layers, epochs=epochs, n_points=n_points, train_fn=train_fn, random_state=SEED
    )
    seconds = time.perf_counter() - start
    print(result.summary())
    accuracy = (model(_x).argmax(1) == _y).float().mean().item()
    picked = sorted({c.label for c in result.choices})
    print(
        f"default choice: {', '.join(picked)}; {len(result.epochs)} epochs in {seconds:.1f} s; "
        f"training accuracy {accuracy:.2f}"
    )
    print(result.plot(out / "infoplane-bumps-cnn.png", title="bump-image CNN — " + ", ".join(picked)))
