"""Exact information plane of the SZT network of the QNN tasks (Lorenzen et al. 2022), via ``ibbench.infoplane``.

Run: ``python examples/infoplane_szt.py [OUT_DIR]`` (or ``ibbench infoplane examples/infoplane_szt.py``).
The 12-10-7-5-4-3-2 tanh network with 8-bit quantized activations is trained 1000 epochs exactly
as the ``qnn-szt-*`` tasks train repetition 0 (:func:`ibbench.information_plane.qnn.qnn_setup`); its layers
pass their integer codes through identity taps, so ``estimator="auto"`` counts the MI exactly. The
script checks the plane against the QNN task's own exact plane of the same run (the run behind the
committed ``leaderboards/paper/plots/info-plane-szt-tanh-8bit-binning.png``, repetition 0 of 6).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from ibbench.information_plane.qnn import qnn_setup
from ibbench.tasks.qnn.training import TrainConfig

SEED = 0
CONFIG = TrainConfig(dataset="szt", activation="tanh", bits=8, epochs=1000, n_snapshots=40)
torch.set_num_threads(1)  # the QNN tasks train on one thread: the same floats, bit for bit
torch.use_deterministic_algorithms(True)
_setup = qnn_setup(CONFIG, SEED)
model, X, Y = _setup["model"], _setup["X"], _setup["Y"]
layers, epochs, train_fn = _setup["layers"], _setup["epochs"], _setup["train_fn"]

if __name__ == "__main__":
    import warnings

    import numpy as np

    import ibbench
    from ibbench.information_plane import InfoPlaneWarning
    from ibbench.tasks.qnn.exact_mi import information_plane
    from ibbench.tasks.qnn.training import train

    warnings.simplefilter("ignore", InfoPlaneWarning)  # result.summary() prints them
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("infoplane-szt")
    start = time.perf_counter()
    result = ibbench.infoplane(model, X, Y, layers, epochs=epochs, train_fn=train_fn, random_state=SEED)
    seconds = time.perf_counter() - start
    print(result.summary())
    reference = information_plane(train(CONFIG, SEED))  # the QNN task's exact plane (cached run)
    gap = float(np.abs(result.plane() - reference).max())
    print(
        f"{len(result.epochs)} epochs in {seconds:.1f} s; largest difference from the QNN task's exact plane "
        f"of the same run: {gap:.1e} nats"
    )
    print(result.plot(out / "infoplane-szt.png", title="SZT tanh 8-bit, repetition 0 — exact"))
