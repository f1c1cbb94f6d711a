"""pytest-benchmark microbenchmarks of the quantized-network tasks (deselected by default).

Run: ``pytest tests/benchmarks/test_bench_qnn.py -m benchmark --benchmark-enable``.
Budget (issue 6): exact MI of all 6 layers of one SZT snapshot (4096 patterns) ≤ 3 ms.
"""

import numpy as np
import pytest

from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.exact_mi import layer_information
from ibbench.tasks.qnn.training import TrainConfig, train

pytestmark = pytest.mark.benchmark


def _snapshot(bits):
    import torch

    from ibbench.tasks.qnn.network import QuantizedMLP
    from ibbench.tasks.qnn.training import _inputs

    net = QuantizedMLP((12, 10, 7, 5, 4, 3, 2), "tanh", bits, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, recorded = net(_inputs(TrainConfig()), record=True)
    return [c.numpy().astype(np.uint8) for _, c in recorded]


@pytest.mark.parametrize("bits", [4, 8])
def test_exact_mi_all_layers_of_one_snapshot(benchmark, bits):
    codes = _snapshot(bits)
    _, labels = load_population("szt")

    def all_layers():
        return [layer_information(c, labels, bits) for c in codes]

    result = benchmark(all_layers)
    assert len(result) == 6


def test_training_ten_epochs(benchmark):
    config = TrainConfig(activation="tanh", bits=8, epochs=10, n_snapshots=5)
    run = benchmark.pedantic(train, args=(config, 0), kwargs={"cache": False}, rounds=3, iterations=1)
    benchmark.extra_info["epochs_per_second"] = 10 / run.train_seconds
